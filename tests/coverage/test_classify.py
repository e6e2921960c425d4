"""Classifying SDK methods against mockgpt's route table and the notes
(``scripts/sdk_coverage.py``), on made-up methods and notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
from sdk_coverage import (
    CLIENT_SIDE,
    NOT_SERVED,
    PARTIAL,
    SERVED,
    Notes,
    Row,
    Served,
    classify,
    lookup,
    render,
    serves,
)
from sdk_routes import WEBSOCKET, Route, SdkMethod

from mockgpt.routes.table import Routes, routes

TABLE = Served(Routes(routes()))


async def handler(request: Any) -> None:
    raise AssertionError("never called")


@pytest.mark.parametrize(
    ("route", "served"),
    [
        (Route("POST", "/chat/completions"), True),
        (Route("GET", "/responses/{response_id}"), True),
        (Route("POST", "/responses/input_tokens"), True),  # a fixed path before a template
        (Route("GET", "/models/{model}"), True),  # mockgpt's {model:path}
        (Route("GET", "/chat/completions"), False),  # the path is routed, the method is not
        (Route("DELETE", "/models/{model}"), False),
        (Route("POST", "/vector_stores"), False),
        (Route("GET", "/threads/{thread_id}/runs/{run_id}/steps/{step_id}"), True),
        (Route("GET", "/health"), False),  # OpenAI routes live under /v1
    ],
)
def test_served_is_read_from_mockgpts_route_table(route: Route, served: bool) -> None:
    assert serves(TABLE, route) is served


def test_a_websocket_route_is_served_by_a_websocket_path_only() -> None:
    realtime = Route(WEBSOCKET, "/realtime")
    assert not serves(Served(Routes([("GET", "/v1/realtime", handler)])), realtime)
    assert serves(Served(Routes([]), frozenset({"/v1/realtime"})), realtime)
    assert not serves(Served(Routes([]), frozenset({"/v1/realtime"})), Route("GET", "/realtime"))


def test_mockgpts_own_route_table_is_read() -> None:
    served = Served.by_mockgpt()
    assert serves(served, Route("POST", "/responses"))
    assert not serves(served, Route("POST", "/no-such-family"))


def test_a_note_key_covers_the_method_and_everything_under_a_prefix() -> None:
    notes = {
        "client.vector_stores": "a",
        "client.vector_stores.create": "b",
        "client.vector_store": "c",
    }
    assert lookup(notes, "client.vector_stores.create") == "client.vector_stores.create"
    assert lookup(notes, "client.vector_stores.list") == "client.vector_stores"
    assert lookup(notes, "client.vector_storesystem.list") is None
    assert lookup(notes, "client.batches.create") is None


def method(name: str, *routes: Route, uses: set[str] | None = None) -> SdkMethod:
    return SdkMethod(name, set(routes), uses or set())


CHAT = Route("POST", "/chat/completions")
FILES = Route("POST", "/vector_stores")


def run(
    methods: list[SdkMethod],
    partial: dict[str, str] | None = None,
    not_served: dict[str, str] | None = None,
) -> tuple[dict[str, Row], list[str]]:
    rows, problems = classify(
        {m.name: m for m in methods}, Notes(partial or {}, not_served or {}), TABLE
    )
    return {row.name: row for row in rows}, problems


def test_a_method_neither_served_nor_noted_is_a_problem_saying_how_to_classify_it() -> None:
    rows, problems = run([method("client.widgets.create", Route("POST", "/widgets"))])
    assert problems == [
        "client.widgets.create (POST /widgets) is unclassified: mockgpt does not serve it. "
        "Serve the route, or add `client.widgets.create: <why>` under not_served in "
        "scripts/coverage_notes.yaml; then run `python scripts/sdk_coverage.py`"
    ]
    assert rows["client.widgets.create"].status == NOT_SERVED


def test_a_not_served_note_gives_the_reason_by_method_or_prefix() -> None:
    rows, problems = run(
        [
            method("client.vector_stores.create", FILES),
            method("client.vector_stores.list", Route("GET", "/vector_stores")),
        ],
        not_served={"client.vector_stores": "not yet", "client.vector_stores.list": "never"},
    )
    assert problems == []
    assert (
        rows["client.vector_stores.create"].status,
        rows["client.vector_stores.create"].note,
    ) == (
        NOT_SERVED,
        "not yet",
    )
    assert rows["client.vector_stores.list"].note == "never"


def test_notes_for_methods_the_sdk_no_longer_has_are_problems() -> None:
    _, problems = run(
        [method("client.chat.completions.create", CHAT)],
        partial={"client.gone.create": "x"},
        not_served={"client.engines": "y"},
    )
    assert problems == [
        "partial.client.gone.create in scripts/coverage_notes.yaml names no method of openai "
        f"{openai.__version__}: remove or rename the note",
        "not_served.client.engines in scripts/coverage_notes.yaml names no method of openai "
        f"{openai.__version__}: remove or rename the note",
    ]


def test_a_not_served_note_on_a_method_now_served_is_a_problem() -> None:
    rows, problems = run(
        [method("client.chat.completions.create", CHAT)],
        not_served={"client.chat.completions.create": "not yet"},
    )
    assert rows["client.chat.completions.create"].status == SERVED
    assert problems == [
        "client.chat.completions.create (POST /chat/completions) is served now: remove its "
        "note from not_served in scripts/coverage_notes.yaml"
    ]


def test_a_prefix_note_that_covers_only_served_methods_is_a_problem() -> None:
    _, problems = run(
        [method("client.chat.completions.create", CHAT)], not_served={"client.chat": "x"}
    )
    assert problems == [
        "not_served.client.chat in scripts/coverage_notes.yaml covers no method mockgpt does "
        "not serve: remove it"
    ]


def test_a_partial_note_marks_a_served_method_partial_and_not_a_missing_one() -> None:
    rows, problems = run(
        [
            method("client.chat.completions.create", CHAT),
            method("client.vector_stores.create", FILES),
        ],
        partial={"client.chat.completions.create": "no audio", "client.vector_stores.create": "x"},
    )
    assert (
        rows["client.chat.completions.create"].status,
        rows["client.chat.completions.create"].note,
    ) == (PARTIAL, "no audio")
    assert (
        "client.vector_stores.create has a partial note but is not served: move it to "
        "not_served in scripts/coverage_notes.yaml"
    ) in problems


def test_a_helper_is_classified_by_the_methods_it_calls() -> None:
    methods = [
        method("client.chat.completions.create", CHAT),
        method("client.chat.completions.stream", uses={"client.chat.completions.create"}),
        method("client.vector_stores.create", FILES),
        method(
            "client.x.upload",
            uses={"client.vector_stores.create", "client.chat.completions.create"},
        ),
        method("client.x.upload_and_poll", uses={"client.vector_stores.create"}),
        method("client.webhooks.verify_signature"),
        method("client.webhooks.unwrap", uses={"client.webhooks.verify_signature"}),
    ]
    rows, problems = run(methods, not_served={"client.vector_stores": "not yet"})
    assert problems == []
    got = {name: (row.status, row.routes, row.note) for name, row in rows.items()}
    assert got["client.chat.completions.stream"] == (
        SERVED,
        (CHAT,),
        "helper over `client.chat.completions.create`",
    )
    assert got["client.x.upload"] == (
        PARTIAL,
        (CHAT, FILES),
        "helper over `client.chat.completions.create`, `client.vector_stores.create`; "
        "not served: POST /vector_stores",
    )
    assert got["client.x.upload_and_poll"] == (
        NOT_SERVED,
        (FILES,),
        "helper over `client.vector_stores.create`; none of them is served",
    )
    assert got["client.webhooks.verify_signature"] == (CLIENT_SIDE, (), "makes no HTTP call")
    assert got["client.webhooks.unwrap"][0] == CLIENT_SIDE


def test_a_helper_over_a_partial_method_is_partial() -> None:
    rows, _ = run(
        [
            method("client.chat.completions.create", CHAT),
            method("client.chat.completions.stream", uses={"client.chat.completions.create"}),
        ],
        partial={"client.chat.completions.create": "no audio"},
    )
    assert rows["client.chat.completions.stream"].status == PARTIAL
    assert rows["client.chat.completions.stream"].note == (
        "helper over `client.chat.completions.create`; the route of "
        "`client.chat.completions.create`: see its note"
    )


def test_a_method_calling_the_route_of_a_partial_method_points_at_its_note() -> None:
    rows, _ = run(
        [
            method("client.chat.completions.create", CHAT),
            method("client.chat.completions.parse", CHAT),
            method("client.beta.chat.completions.create", CHAT),
            method("client.beta.chat.completions.parse", CHAT),
        ],
        partial={"client.chat.completions.create": "no audio", "client.beta": "beta"},
    )
    assert {name: (row.status, row.note) for name, row in rows.items()} == {
        "client.chat.completions.create": (PARTIAL, "no audio"),
        "client.chat.completions.parse": (
            PARTIAL,
            "the route of `client.beta.chat.completions.create`, "
            "`client.beta.chat.completions.parse`, `client.chat.completions.create`: "
            "see their notes",
        ),
        "client.beta.chat.completions.create": (PARTIAL, "beta"),
        "client.beta.chat.completions.parse": (PARTIAL, "beta"),
    }


def test_render_groups_by_top_level_resource_sorted_with_a_summary() -> None:
    rows = [
        Row("client.vector_stores.create", (FILES,), NOT_SERVED, "not yet | soon"),
        Row("client.chat.completions.create", (CHAT,), SERVED, ""),
        Row("client.beta.threads.create", (Route("POST", "/threads"),), PARTIAL, "x"),
    ]
    text = render(rows, "9.9.9")
    assert "`openai` 9.9.9" in text
    assert "**3 methods: 1 served, 1 partial, 1 not served, 0 client-side.**" in text
    groups = [line for line in text.splitlines() if line.startswith("## ")]
    assert groups == ["## `client.beta`", "## `client.chat`", "## `client.vector_stores`"]
    assert (
        "| `client.vector_stores.create` | `POST /vector_stores` | not served | not yet \\| soon |"
        in text
    )
    assert "## `client.vector_stores`\n\n1 method: 1 not served.\n\n| method |" in text
    assert render(list(reversed(rows)), "9.9.9") == text


def test_notes_file_with_an_unknown_section_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "notes.yaml"
    path.write_text("not_servd:\n  client.vector_stores: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys \\['not_servd'\\]"):
        Notes.load(path)
