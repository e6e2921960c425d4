"""Properties: generated requests within the spec get answers; generated invalid ones get 4xx.

Requests come from hypothesis strategies written from ``CreateChatCompletionRequest``, with
a bounded budget (``--property-examples``), derandomized so a run is reproducible, and no
example database. Every request carries ``max_tokens``, ``temperature: 0`` and a ``seed``
unless the example sets them. Every failing case is recorded, once per rule (the same field
and expectation: one 500 stands for all the 500s), with the ``curl`` command of the first
request that showed it; the explicit examples run first and are the smallest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from conformance.context import SEED, CheckContext
from conformance.failures import Violation, Violations
from conformance.registry import check

WORDS = ("hello", "world", "héllo", "日本語", "emoji 🙂", "tab\there", "line\nbreak", 'quote "x"')
_text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
_unit = st.integers(0, 100).map(lambda i: i / 100)


def _content() -> st.SearchStrategy[Any]:
    parts = st.lists(_text.map(lambda t: {"type": "text", "text": t}), min_size=1, max_size=2)
    return st.one_of(_text, parts)


@st.composite
def valid_chat_requests(draw: st.DrawFn, model: str) -> dict[str, Any]:
    """A chat request within the spec, using only parameters every server should accept.

    Messages: an optional system message, then user (and assistant) turns ending with a user
    message, content as a string or text parts. Parameters: temperature, top_p, max_tokens,
    stop, presence/frequency penalties, seed, user, stream (+ include_usage).
    """
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(_text)})
    for _ in range(draw(st.integers(0, 1))):
        messages.append({"role": "user", "content": draw(_content())})
        messages.append({"role": "assistant", "content": draw(_text)})
    messages.append({"role": "user", "content": draw(_content())})
    body: dict[str, Any] = {"model": model, "messages": messages}
    optional = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "temperature": _unit.map(lambda v: v * 2),
                "top_p": _unit,
                "max_tokens": st.integers(1, 32),
                "stop": st.one_of(_text, st.lists(_text, min_size=1, max_size=4)),
                "presence_penalty": _unit.map(lambda v: v * 4 - 2),
                "frequency_penalty": _unit.map(lambda v: v * 4 - 2),
                "seed": st.integers(0, 2**31 - 1),
                "user": st.sampled_from(["user-1234", "conformance"]),
            },
        )
    )
    body.update(optional)
    _pinned(body)
    if draw(st.booleans()):
        body["stream"] = True
        if draw(st.booleans()):
            body["stream_options"] = {"include_usage": True}
    return body


def _pinned(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with ``max_tokens``, ``temperature: 0`` and ``seed`` where it has none."""
    for key, value in (("max_tokens", 16), ("temperature", 0), ("seed", SEED)):
        body.setdefault(key, value)
    return body


MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str | None]] = {
    "temperature above 2": (lambda b: b.update(temperature=2.5), None),
    "temperature below 0": (lambda b: b.update(temperature=-0.5), None),
    "top_p above 1": (lambda b: b.update(top_p=1.5), None),
    "n of 0": (lambda b: b.update(n=0), None),
    "presence_penalty above 2": (lambda b: b.update(presence_penalty=3), None),
    "frequency_penalty below -2": (lambda b: b.update(frequency_penalty=-3), None),
    "five stop sequences": (lambda b: b.update(stop=["a", "b", "c", "d", "e"]), None),
    "content a number": (lambda b: b["messages"][-1].update(content=42), None),
    "stream a string": (lambda b: b.update(stream="yes"), None),
    "no model": (lambda b: b.pop("model"), None),
    "empty messages": (lambda b: b.update(messages=[]), "errors.bad-request"),
    "role robot": (lambda b: b["messages"][-1].update(role="robot"), "errors.bad-request"),
    "top_logprobs 21": (
        lambda b: b.update(logprobs=True, top_logprobs=21),
        "logprobs.top-logprobs-limit",
    ),
}
"""Ways to break a valid request, each against a constraint of ``CreateChatCompletionRequest``,
with the check that owns the rule when another check tests it directly."""


@st.composite
def invalid_chat_requests(draw: st.DrawFn, model: str) -> tuple[str, dict[str, Any]]:
    """``(mutation, request)``: a plain valid request broken in exactly one way.

    The base is a single user message with string content and some sampling parameters, so
    the only thing wrong with the request is the mutation.
    """
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": draw(_text)}]}
    body.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "temperature": _unit,
                    "max_tokens": st.integers(1, 16),
                    "seed": st.integers(0, 1000),
                },
            )
        )
    )
    _pinned(body)
    name = draw(st.sampled_from(sorted(MUTATIONS)))
    MUTATIONS[name][0](body)
    return name, body


def _settings(ctx: CheckContext) -> settings:
    budget = ctx.settings.property_examples
    return settings(
        max_examples=max(budget, 1),
        phases=[Phase.explicit, Phase.generate, Phase.shrink] if budget else [Phase.explicit],
        derandomize=True,
        database=None,
        deadline=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


def _run(test: Callable[[], None]) -> None:
    try:
        test()
    except Flaky as exc:
        found = [e for e in getattr(exc, "exceptions", ()) if isinstance(e, Violation)]
        if found:
            found[0].note = "flaky: the shrunk request did not fail again on replay"
            raise found[0] from None
        raise


def _example_text_parts(model: str) -> dict[str, Any]:
    parts = [{"type": "text", "text": "hello"}, {"type": "text", "text": "world"}]
    return _pinned({"model": model, "messages": [{"role": "user", "content": parts}]})


@check(
    id="properties.chat.valid-requests",
    feature="properties",
    spec="CreateChatCompletionRequest: any request within the schema gets 200 and a chat "
    "completion (or its stream)",
)
def valid_requests(ctx: CheckContext) -> None:
    """Generated valid chat requests get 200 and a readable answer, never a 4xx or 5xx.

    Strings with non-ASCII text, newlines and quotes, content as text parts, sampling
    parameters at their bounds, ``stop`` lists, streams with and without usage.
    """
    model = ctx.model

    found = Violations()

    @_settings(ctx)
    @example(_example_text_parts(model))
    @given(valid_chat_requests(model))
    def answered(body: dict[str, Any]) -> None:
        with found.soft():
            if body.get("stream"):
                overrides = {k: v for k, v in body.items() if k != "stream"}
                ctx.chat_stream(cache=False, **overrides)
            else:
                ctx.chat(cache=False, **body)

    _run(answered)
    found.raise_any()


@check(
    id="properties.chat.invalid-requests",
    feature="properties",
    spec="CreateChatCompletionRequest constraints (minimum, maximum, maxItems, minItems, enum, "
    "types, required): a request outside them gets a 4xx error envelope",
)
def invalid_requests(ctx: CheckContext) -> None:
    """Generated invalid chat requests get a 4xx error envelope, never 2xx or 5xx.

    Each breaks one constraint: a number out of range, too many stop sequences, a wrong
    type, a missing required field, an unknown role.
    """
    model = ctx.model
    found = Violations()

    @_settings(ctx)
    @given(invalid_chat_requests(model))
    def refused(case: tuple[str, dict[str, Any]]) -> None:
        name, body = case
        with found.soft():
            result = ctx.post("/chat/completions", body, cache=False)
            if not 400 <= result.status < 500:
                raise Violation(
                    "<status>",
                    f"4xx for an invalid request ({name})",
                    f"{result.status} {result.text(160)}",
                    owner=MUTATIONS[name][1],
                    exchange=result.exchange,
                )
            ctx.error_of(result)

    for name in sorted(MUTATIONS):
        base = _pinned({"model": model, "messages": [{"role": "user", "content": "hello"}]})
        MUTATIONS[name][0](base)
        refused = example((name, base))(refused)
    _run(refused)
    found.raise_any()
