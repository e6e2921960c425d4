"""The built-in quirk profiles, ``--quirk`` and per-stub quirks, on the raw bytes."""

from __future__ import annotations

import httpx
import pytest

from mockgpt import ServerConfig
from mockgpt.quirks import QUIRKS
from mockgpt.scenarios import Scenario, builtin_names, load_scenario
from mockgpt.server import MockServer
from tests.quirks.matrix import STUBS, check_matrix, scenario
from tests.quirks.wire import Rendered, parse_sse
from tests.scenarios.helpers import Mock

PROFILES = [name for name in builtin_names() if load_scenario(name).quirks]
STREAM = {"model": "m", "messages": [{"role": "user", "content": "hello there"}], "stream": True}


def test_profiles_cover_every_quirk_that_real_servers_shipped() -> None:
    shown = {quirk for name in PROFILES for quirk in load_scenario(name).quirks}

    assert len(PROFILES) >= 10
    assert shown <= set(QUIRKS)


@pytest.mark.parametrize("name", PROFILES)
def test_profile_loads_and_names_its_source(name: str) -> None:
    profile = load_scenario(name)

    assert profile.name == name
    assert profile.quirks
    assert profile.description
    assert "#" in profile.description  # the issue or pull request it comes from
    assert profile.stubs == []


@pytest.mark.parametrize("name", PROFILES)
def test_profile_served_shows_exactly_its_quirks(
    mock: Mock,
    http: httpx.Client,
    plain_answers: dict[tuple[str, str], Rendered],
    name: str,
) -> None:
    profile = load_scenario(name)
    mock.server.engine.registry.add(scenario([]))
    mock.server.engine.registry.add(profile)

    changed = check_matrix(http, plain_answers, list(profile.quirks))

    assert all(changed.values()), changed


def test_profile_served_from_its_name_at_start() -> None:
    with (
        MockServer(ServerConfig(port=0, scenarios=("tgi-no-done",))) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        response = http.post("/v1/chat/completions", json=STREAM)

    events, terminated = parse_sse(response.content)
    assert terminated
    assert events[-1] != "[DONE]"
    assert events[-1]["choices"][0]["finish_reason"] == "stop"


def test_quirk_option_applies_to_every_answer() -> None:
    """``mockgpt serve --quirk role-every-delta`` is ``ServerConfig(quirks=...)``."""
    with (
        MockServer(ServerConfig(port=0, quirks=("role-every-delta",))) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        response = http.post("/v1/chat/completions", json=STREAM)

    events, _ = parse_sse(response.content)
    deltas = [e["choices"][0]["delta"] for e in events if isinstance(e, dict)]
    assert len(deltas) == 4
    assert all(delta["role"] == "assistant" for delta in deltas)


def test_quirk_on_a_stub_applies_to_its_answers_only(mock: Mock, http: httpx.Client) -> None:
    mock.server.engine.registry.add(
        Scenario.model_validate(
            {
                "stubs": [
                    {
                        "match": {"last_user": {"equals": "quirky"}},
                        "respond": {"content": "a"},
                        "quirks": ["no-done"],
                    },
                    *STUBS,
                ]
            }
        )
    )

    quirky = http.post(
        "/v1/chat/completions",
        json={**STREAM, "messages": [{"role": "user", "content": "quirky"}]},
    )
    plain = http.post("/v1/chat/completions", json=STREAM)

    assert parse_sse(quirky.content)[0][-1] != "[DONE]"
    assert parse_sse(plain.content)[0][-1] == "[DONE]"


def test_quirk_on_a_stub_applies_to_its_error_answer(mock: Mock, http: httpx.Client) -> None:
    mock.server.engine.registry.add(
        Scenario.model_validate(
            {"stubs": [{"respond": {"error": {"status": 429}}, "quirks": ["error-not-wrapped"]}]}
        )
    )

    response = http.post("/v1/chat/completions", json={**STREAM, "stream": False})

    assert response.status_code == 429
    assert response.json()["object"] == "error"
