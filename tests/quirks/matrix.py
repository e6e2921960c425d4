"""The request matrix the quirk tests render with and without quirks, on the raw bytes.

Each quirk is checked against a matrix of requests (text, tool calls, usage, ``max_tokens``,
structured output, errors, legacy completions, embeddings, models, and the Responses API of
``tests/quirks/responses_matrix.py``; streamed and not). Every answer is rendered with and
without the quirk; the answer without it, changed in the one way the quirk names
(``EXPECT``), must equal the answer with it. Ids, ``created`` and tool call ids differ between
two requests anyway, so they are normalised (after checking them where the quirk is about
them).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from mockgpt.quirks import FIXED_COMPLETION_ID
from mockgpt.scenarios import Scenario
from mockgpt.tokens import split_tokens
from tests.quirks.responses_matrix import (
    RESPONSES_EXPECT,
    RESPONSES_REQUESTS,
    RESPONSES_STORED,
    RESPONSES_STUBS,
    RESPONSES_VARIANTS,
    THINK,
    THOUGHT,
    Expect,
    response_ids_and_created,
)
from tests.quirks.wire import (
    BATCH,
    CHAT,
    EMBEDDINGS,
    GET,
    LEGACY,
    NO_KEY,
    RESPONSES,
    Ask,
    Rendered,
    api_of,
    error,
    normalise,
    objects,
    render,
)
from tests.scenarios.helpers import WEATHER_TOOL

USER = [{"role": "user", "content": "hello there"}]
TEXT = {"model": "m", "messages": USER}
TOOLS = {"model": "m", "messages": USER, "tools": [WEATHER_TOOL]}
INCLUDE_USAGE = {"stream_options": {"include_usage": True}}
OTHER_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {}}}
CALL_IT = [{"role": "user", "content": "call it"}]
NAMED = {"type": "function", "function": {"name": "get_weather"}}
LOGPROBS = {**TEXT, "logprobs": True, "top_logprobs": 2}
MODERATIONS = "/v1/moderations"
REASONING = {"model": "m", "messages": [{"role": "user", "content": THINK}]}
REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "text": (CHAT, TEXT),
    "text-stream": (CHAT, {**TEXT, "stream": True}),
    "usage-stream": (CHAT, {**TEXT, "stream": True, **INCLUDE_USAGE}),
    "tools": (CHAT, TOOLS),
    "tools-stream": (CHAT, {**TOOLS, "stream": True, **INCLUDE_USAGE}),
    "required": (
        CHAT,
        {
            "model": "m",
            "messages": [{"role": "user", "content": "call it"}],
            "tools": [WEATHER_TOOL],
            "tool_choice": "required",
            "stream": True,
        },
    ),
    "length": (CHAT, {**TEXT, "max_tokens": 1}),
    "length-stream": (CHAT, {**TEXT, "max_tokens": 1, "stream": True}),
    "json-object": (CHAT, {**TEXT, "response_format": {"type": "json_object"}}),
    "json-object-stream": (
        CHAT,
        {**TEXT, "response_format": {"type": "json_object"}, "stream": True},
    ),
    "scripted-error": (CHAT, {"model": "m", "messages": [{"role": "user", "content": "limit"}]}),
    "batch": (BATCH + CHAT, TEXT),
    "invalid": (CHAT, {"model": "m", "messages": []}),
    "invalid-stream": (CHAT, {"model": "m", "messages": [], "stream": True}),
    "legacy-usage-stream": (
        LEGACY,
        {"model": "m", "prompt": "hello there", "stream": True, **INCLUDE_USAGE},
    ),
    "legacy": (LEGACY, {"model": "m", "prompt": "hello there", "max_tokens": 1}),
    "legacy-stream": (LEGACY, {"model": "m", "prompt": "hello there", "stream": True}),
    "embeddings": (EMBEDDINGS, {"model": "m", "input": ["a", "b"], "encoding_format": "base64"}),
    "moderations": (MODERATIONS, {"model": "m", "input": ["kill", "calm"]}),
    "models": (GET + "/v1/models", {}),
    "model": (GET + "/v1/models/m", {}),
    "model-unknown": (GET + "/v1/models/nope", {}),
    "stop": (CHAT, {**TEXT, "stop": ["there"]}),
    "n": (CHAT, {**TEXT, "n": 2}),
    "n-stream": (CHAT, {**TEXT, "n": 2, "stream": True}),
    "named": (
        CHAT,
        {
            "model": "m",
            "messages": CALL_IT,
            "tools": [WEATHER_TOOL, OTHER_TOOL],
            "tool_choice": NAMED,
        },
    ),
    "none": (
        CHAT,
        {"model": "m", "messages": CALL_IT, "tools": [WEATHER_TOOL], "tool_choice": "none"},
    ),
    "logprobs": (CHAT, LOGPROBS),
    "logprobs-stream": (CHAT, {**LOGPROBS, "stream": True}),
    "top-logprobs-25": (CHAT, {**LOGPROBS, "top_logprobs": 25}),
    "temperature-3": (CHAT, {**TEXT, "temperature": 3}),
    "parts": (
        CHAT,
        {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
    ),
    "stream-error": (
        CHAT,
        {"model": "m", "messages": [{"role": "user", "content": "break"}], "stream": True},
    ),
    "unknown-model": (CHAT, {**TEXT, "model": "nope"}),
    "no-key": (NO_KEY + CHAT, TEXT),
    "dimensions": (EMBEDDINGS, {"model": "m", "input": ["a", "b"], "dimensions": 8}),
    "reasoning": (CHAT, REASONING),
    "reasoning-stream": (CHAT, {**REASONING, "stream": True}),
    **RESPONSES_REQUESTS,
}
VARIANTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "": lambda body: body,
    "+usage": lambda body: (
        {**body, **INCLUDE_USAGE} if "messages" in body or "prompt" in body else body
    ),
    "-stream": lambda body: {
        k: v for k, v in body.items() if k not in ("stream", "stream_options")
    },
    "-format": lambda body: {k: v for k, v in body.items() if k != "response_format"},
    "-encoding": lambda body: {k: v for k, v in body.items() if k != "encoding_format"},
    "-stop": lambda body: {k: v for k, v in body.items() if k != "stop"},
    "-n": lambda body: {k: v for k, v in body.items() if k != "n"},
    "-choice": lambda body: {
        k: v for k, v in body.items() if k != "tool_choice" or v != "required"
    },
    "none-required": lambda body: (
        {**body, "tool_choice": "required"} if body.get("tool_choice") == "none" else body
    ),
    "named-other": lambda body: (
        {**body, "tool_choice": {"type": "function", "function": {"name": "get_time"}}}
        if body.get("tool_choice") == NAMED
        else body
    ),
    "top-20": lambda body: (
        {**body, "top_logprobs": 20} if body.get("top_logprobs", 0) > 20 else body
    ),
    "temperature-1": lambda body: (
        {**body, "temperature": 1} if body.get("temperature", 1) > 2 else body
    ),
    "-dimensions": lambda body: {k: v for k, v in body.items() if k != "dimensions"},
    **RESPONSES_VARIANTS,
}
"""Changed requests whose plain answers some quirks are compared with."""


PARALLEL_CALLS = [
    {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},
    {"name": "get_weather", "arguments": {"city": "Oslo"}},
]
STUBS = (
    {
        "id": "tools",
        "match": {"tools": ["get_weather"], "last_user": {"equals": "hello there"}},
        "respond": {"tool_calls": PARALLEL_CALLS},
    },
    {
        "id": "limited",
        "match": {"last_user": {"equals": "limit"}},
        "respond": {
            "error": {"status": 429, "retry_after": 1, "ratelimit": {"limit-requests": "6"}}
        },
    },
    {
        "id": "break",
        "match": {"last_user": {"equals": "break"}},
        "respond": {"content": "one two three"},
        "fault": {"error_after_chunks": 2},
    },
    *RESPONSES_STUBS,
)
"""Tool calls for requests with tools (``required`` ones get the echo backend's call), and
a scripted 429, errors in the middle of a stream; everything else is echoed."""


# -- the chat and legacy answers ------------------------------------------------------------


def choices(rendered: Rendered) -> Iterator[dict[str, Any]]:
    for obj in objects(rendered):
        yield from obj.get("choices") or ()


def event_fragments(event: Any) -> list[tuple[int, dict[str, Any]]]:
    """The streamed tool-call fragments of one event, with their choice's index."""
    if not isinstance(event, dict):
        return []
    return [
        (choice["index"], fragment)
        for choice in event.get("choices") or ()
        for fragment in (choice.get("delta") or {}).get("tool_calls") or ()
    ]


def fragments(rendered: Rendered) -> Iterator[dict[str, Any]]:
    """Every streamed tool-call fragment (``delta.tool_calls[*]``)."""
    for event in rendered.get("events", ()):
        yield from (fragment for _, fragment in event_fragments(event))


def api(name: str) -> str:
    """The endpoint of a matrix request: ``CHAT``, ``LEGACY``, ``RESPONSES``, ..."""
    return api_of(REQUESTS[name][0])


def chat_stream(name: str, plain: Rendered) -> bool:
    """Whether ``plain`` is a chat or legacy stream (the ones the stream quirks concern)."""
    return "events" in plain and api(name) in (CHAT, LEGACY)


# -- what each quirk changes ----------------------------------------------------------------


def same(name: str, plain: Rendered, ask: Ask) -> Rendered:
    return plain


def no_done(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if chat_stream(name, plain):
        assert plain["events"][-1] == "[DONE]"
        plain["events"].pop()
    return plain


def no_trailing_blank_line(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if chat_stream(name, plain):
        plain["terminated"] = False
    return plain


def role_every_delta(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for choice in choices(plain):
        if "delta" in choice:
            choice["delta"]["role"] = "assistant"
    return plain


def finish_reason_is(old: str | None, new: str | None) -> Callable[[str, Rendered, Ask], Rendered]:
    def change(name: str, plain: Rendered, ask: Ask) -> Rendered:
        for choice in choices(plain):
            if old is None or choice.get("finish_reason") == old:
                choice["finish_reason"] = new
        return plain

    return change


def finish_reason_twice(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "events" in plain:
        out: list[Any] = []
        for event in plain["events"]:
            out.append(event)
            if isinstance(event, dict) and any(
                c.get("finish_reason") for c in event.get("choices") or ()
            ):
                out.append(copy.deepcopy(event))
        plain["events"] = out
    return plain


def usage_on_content_chunk(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if chat_stream(name, plain) and isinstance(plain["events"][-2], dict):
        last = plain["events"][-2]
        if last.get("choices") == [] and last.get("usage"):
            plain["events"].pop(-2)
            with_choices = [e for e in plain["events"] if isinstance(e, dict) and e["choices"]]
            with_choices[-1]["usage"] = last["usage"]
    return plain


def usage_always(name: str, plain: Rendered, ask: Ask) -> Rendered:
    body = REQUESTS[name][1]
    if chat_stream(name, plain) and "stream_options" not in body:
        plain = ask("+usage")
        for event in plain["events"][:-2]:
            assert event.pop("usage") is None
    return plain


def usage_never(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "events" in plain:
        plain["events"] = [
            e for e in plain["events"] if not (isinstance(e, dict) and e.get("choices") == [])
        ]
    return plain


def tool_index_missing(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for fragment in fragments(plain):
        del fragment["index"]
    return plain


def tool_id_missing(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for fragment in fragments(plain):
        fragment.pop("id", None)
    return plain


def tool_name_missing(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for fragment in fragments(plain):
        fragment["function"].pop("name", None)
    return plain


def tool_arguments_object(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "body" in plain:
        for choice in choices(plain):
            for call in (choice.get("message") or {}).get("tool_calls") or ():
                call["function"]["arguments"] = json.loads(call["function"]["arguments"])
        return plain
    if "events" not in plain:
        return plain
    joined: dict[tuple[int, int], str] = {}
    for event in plain["events"]:
        for choice_index, fragment in event_fragments(event):
            key = (choice_index, fragment["index"])
            joined[key] = joined.get(key, "") + fragment["function"]["arguments"]
    kept: list[Any] = []
    for event in plain["events"]:
        calls = event_fragments(event)
        if calls and not any("id" in fragment for _, fragment in calls):
            continue  # a later fragment: the quirk sends each call whole, with its first
        for choice_index, fragment in calls:
            arguments = joined[choice_index, fragment["index"]]
            fragment["function"]["arguments"] = json.loads(arguments)
        kept.append(event)
    plain["events"] = kept
    return plain


def error_not_wrapped(name: str, plain: Rendered, ask: Ask) -> Rendered:
    body = plain.get("body")
    if isinstance(body, dict) and set(body) == {"error"}:
        plain["body"] = {"object": "error", **body["error"]}
    return plain


def error_code_int(name: str, plain: Rendered, ask: Ask) -> Rendered:
    body = plain.get("body")
    if isinstance(body, dict) and set(body) == {"error"}:
        body["error"]["code"] = plain["status"]
    return plain


def ndjson_content_type(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if chat_stream(name, plain):
        plain["content_type"] = "application/x-ndjson"
    return plain


def json_when_stream(name: str, plain: Rendered, ask: Ask) -> Rendered:
    return ask("-stream") if chat_stream(name, plain) else plain


def response_format_ignored(name: str, plain: Rendered, ask: Ask) -> Rendered:
    return ask("-format") if "response_format" in REQUESTS[name][1] else plain


def embeddings_floats(name: str, plain: Rendered, ask: Ask) -> Rendered:
    return variant_of("-encoding", EMBEDDINGS)(name, plain, ask)


def variant_of(variant: str, *apis: str) -> Expect:
    """The plain answer to the request changed by ``variant``, where it changes it, for the
    requests to ``apis`` (the routes that apply the quirk).
    """

    def change(name: str, plain: Rendered, ask: Ask) -> Rendered:
        body = REQUESTS[name][1]
        changed = api(name) in apis and VARIANTS[variant](body) != body
        return ask(variant) if changed else plain

    return change


def status_is(old: int, new: int) -> Callable[[str, Rendered, Ask], Rendered]:
    def change(name: str, plain: Rendered, ask: Ask) -> Rendered:
        if plain["status"] == old:
            plain["status"] = new
        return plain

    return change


def models_owned_by_missing(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if name == "models":
        for model in plain["body"]["data"]:
            del model["owned_by"]
    return plain


def model_retrieve_404(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if name == "model":
        message = "The model 'm' does not exist"
        return error(404, message, "invalid_request_error", "model", "model_not_found")
    return plain


def model_retrieve_any(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if name == "model-unknown":
        plain["status"] = 200
        plain["body"] = {"id": "<id>", "object": "model", "created": "<created>"}
        plain["body"]["owned_by"] = "mockgpt"
    return plain


def usage_total_wrong(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if REQUESTS[name][0] == CHAT:
        for obj in objects(plain):
            if obj.get("usage"):
                obj["usage"]["total_tokens"] += 1
    return plain


def ping_event(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "events" in plain and REQUESTS[name][0] == CHAT:
        plain["events"].insert(0, "ping")
    return plain


def usage_chunk_no_choices(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "events" in plain and REQUESTS[name][0] == CHAT:
        for obj in objects(plain):
            if obj.get("usage") and obj.get("choices") == []:
                del obj["choices"]
    return plain


def tool_id_missing_body(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "body" in plain:
        for choice in choices(plain):
            for call in (choice.get("message") or {}).get("tool_calls") or ():
                del call["id"]
    return plain


def tool_parallel_same_index(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for fragment in fragments(plain):
        fragment["index"] = 0
    return plain


def logprobs_ignored(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if REQUESTS[name][0] == CHAT:
        for choice in choices(plain):
            choice["logprobs"] = None
    return plain


def completions_object_wrong(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if REQUESTS[name][0] == LEGACY:
        for obj in objects(plain):
            obj["object"] = "completion"
    return plain


def completions_stream_finish_empty(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "events" in plain and REQUESTS[name][0] == LEGACY:
        for choice in choices(plain):
            if choice["finish_reason"] is None:
                choice["finish_reason"] = ""
    return plain


def embeddings_usage_missing(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if REQUESTS[name][0] == EMBEDDINGS:
        del plain["body"]["usage"]
    return plain


def moderations_illicit_missing(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if REQUESTS[name][0] == MODERATIONS:
        for result in plain["body"]["results"]:
            for key in ("categories", "category_scores"):
                del result[key]["illicit"], result[key]["illicit/violent"]
    return plain


def embeddings_index_zero(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if REQUESTS[name][0] == EMBEDDINGS:
        for item in plain["body"]["data"]:
            item["index"] = 0
    return plain


def unknown_model_400(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if REQUESTS[name][1].get("model") == "nope":
        plain["status"] = 400
    return plain


def retry_after_missing(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if plain["status"] == 429:
        plain["retry_after"] = None
    return plain


def stream_error_dropped(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "events" in plain and REQUESTS[name][0] == CHAT:
        events = plain["events"]
        cut = [i for i, e in enumerate(events) if isinstance(e, dict) and "error" in e]
        if cut:
            plain["events"] = events[: cut[0]]
    return plain


def content_parts_500(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if name == "parts":
        message = "The server had an error processing your request."
        return error(500, message, "server_error", None, None)
    return plain


def custom_id_dropped(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if name == "batch":
        plain["body"]["custom_ids"] = [None for _ in plain["body"]["custom_ids"]]
    return plain


def no_request_id(name: str, plain: Rendered, ask: Ask) -> Rendered:
    plain["request_id"] = False
    return plain


def models_list_omits_served(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if name == "models":
        plain["body"]["data"] = []
    return plain


def stream_buffered(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if chat_stream(name, plain):
        plain["content_length"] = True
    return plain


def completions_usage_never(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "events" in plain and REQUESTS[name][0] == LEGACY:
        return usage_never(name, plain, ask)
    return plain


def reasoning_content(name: str, plain: Rendered, ask: Ask) -> Rendered:
    """The echo's reasoning text on ``message``, or one ``delta`` per token after the role's."""
    if not name.startswith("reasoning"):
        return plain
    if "body" in plain:
        plain["body"]["choices"][0]["message"]["reasoning_content"] = THOUGHT
        return plain
    role = plain["events"][0]
    deltas = []
    for piece in split_tokens(THOUGHT):
        chunk = copy.deepcopy(role)
        chunk["choices"][0]["delta"] = {"reasoning_content": piece}
        deltas.append(chunk)
    plain["events"][1:1] = deltas
    return plain


def stream_validation_in_band(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if name == "invalid-stream":
        envelope = plain.pop("body")
        plain.update(status=200, content_type="text/event-stream; charset=utf-8")
        plain.update(content_length=False, events=[envelope, "[DONE]"], terminated=True)
    return plain


EXPECT: dict[str, Expect] = {
    "no-done": no_done,
    "no-trailing-blank-line": no_trailing_blank_line,
    "chunk-id-changes": same,
    "created-float": same,
    "role-every-delta": role_every_delta,
    "missing-finish-reason": finish_reason_is(None, None),
    "finish-reason-twice": finish_reason_twice,
    "finish-stop-for-tool-calls": finish_reason_is("tool_calls", "stop"),
    "finish-stop-for-length": finish_reason_is("length", "stop"),
    "usage-on-content-chunk": usage_on_content_chunk,
    "usage-always": usage_always,
    "usage-never": usage_never,
    "tool-index-missing": tool_index_missing,
    "tool-arguments-object": tool_arguments_object,
    "tool-id-missing-stream": tool_id_missing,
    "tool-name-missing-stream": tool_name_missing,
    "error-not-wrapped": error_not_wrapped,
    "error-code-int": error_code_int,
    "ndjson-content-type": ndjson_content_type,
    "json-when-stream": json_when_stream,
    "response-format-ignored": response_format_ignored,
    "embeddings-ignore-encoding-format": embeddings_floats,
    "models-owned-by-missing": models_owned_by_missing,
    "model-retrieve-404": model_retrieve_404,
    "model-retrieve-any": model_retrieve_any,
    "usage-total-wrong": usage_total_wrong,
    "stop-ignored": variant_of("-stop", CHAT),
    "n-ignored": variant_of("-n", CHAT),
    "ping-event": ping_event,
    "usage-chunk-no-choices": usage_chunk_no_choices,
    "created-changes": same,
    "tool-id-missing": tool_id_missing_body,
    "tool-choice-required-ignored": variant_of("-choice", CHAT),
    "tool-choice-named-ignored": variant_of("named-other", CHAT),
    "tool-choice-none-ignored": variant_of("none-required", CHAT),
    "tool-parallel-same-index": tool_parallel_same_index,
    "logprobs-ignored": logprobs_ignored,
    "top-logprobs-unbounded": variant_of("top-20", CHAT),
    "completions-object-wrong": completions_object_wrong,
    "completions-stream-finish-empty": completions_stream_finish_empty,
    "embeddings-usage-missing": embeddings_usage_missing,
    "embeddings-index-zero": embeddings_index_zero,
    "moderations-illicit-missing": moderations_illicit_missing,
    "embeddings-dimensions-ignored": variant_of("-dimensions", EMBEDDINGS),
    "validation-422": status_is(400, 422),
    "unknown-model-400": unknown_model_400,
    "auth-403": status_is(401, 403),
    "retry-after-missing": retry_after_missing,
    "stream-error-dropped": stream_error_dropped,
    "content-parts-500": content_parts_500,
    "invalid-temperature-accepted": variant_of("temperature-1", CHAT),
    "no-request-id": no_request_id,
    "models-list-omits-served": models_list_omits_served,
    "stream-buffered": stream_buffered,
    "completions-usage-never": completions_usage_never,
    "stream-validation-in-band": stream_validation_in_band,
    "completion-id-fixed": same,
    "chunk-id-empty": same,
    "reasoning-content": reasoning_content,
    "custom-id-dropped": custom_id_dropped,
    **RESPONSES_EXPECT,
}
"""For each quirk: the plain answer (normalised) changed in the quirk's one way."""


def ids_and_created(quirks: set[str], quirked: Rendered, *, path: str) -> set[str]:
    """Check what normalising hides (``chunk-id-changes``, ``chunk-id-empty``,
    ``completion-id-fixed``, ``created-float``, ``created-changes``, ``responses-id-changes``);
    the quirks among them that this answer (to a request to ``path``) shows.
    """
    if api_of(path) == RESPONSES:
        return response_ids_and_created(quirks, quirked)
    chat = api_of(path) == CHAT
    found = [o for o in objects(quirked) if o.get("object") != "model"]  # models: no quirk
    ids = [o["id"] for o in found if "id" in o]
    created = [o["created"] for o in found if "created" in o]
    shown = set()
    if "chunk-id-changes" in quirks and "events" in quirked:  # chat and legacy streams
        assert len(set(ids)) == len(ids) > 1, ids
        shown.add("chunk-id-changes")
    else:
        assert len(set(ids)) <= 1, ids
    if "chunk-id-empty" in quirks and chat and "events" in quirked and ids:
        assert set(ids) == {""}, ids
        shown.add("chunk-id-empty")
    else:
        assert "" not in ids, ids
    if "completion-id-fixed" in quirks and chat and ids:
        assert set(ids) == {FIXED_COMPLETION_ID}, ids
        shown.add("completion-id-fixed")
    else:
        assert FIXED_COMPLETION_ID not in ids, ids
    if "created-changes" in quirks and chat and "events" in quirked:
        assert created == [created[0] + k for k in range(len(created))], created
        shown.add("created-changes")
        created = [created[0]]
    elif "events" in quirked:
        assert len(set(created)) <= 1, created
    if "created-float" in quirks:
        assert all(isinstance(c, float) for c in created), created
        assert len(set(created)) <= 1, created
        shown |= {"created-float"} if created else set()
    else:
        assert all(type(c) is int for c in created), created
    return shown


def scenario(quirks: list[str]) -> Scenario:
    """The matrix's stubs (tool calls, a 429, broken streams), with ``quirks``; everything
    else is echoed.
    """
    return Scenario.model_validate({"name": "quirks", "stubs": list(STUBS), "quirks": quirks})


def render_plain(http: httpx.Client) -> dict[tuple[str, str], Rendered]:
    """Every request of the matrix, and its variants, rendered (by a server without quirks)."""
    answers = {}
    for name, (path, body) in REQUESTS.items():
        for variant, change in VARIANTS.items():
            if variant == "" or change(body) != body:
                answers[name, variant] = render(http, path, change(body), RESPONSES_STORED)
    return answers


def check_matrix(
    http: httpx.Client, plain_answers: dict[tuple[str, str], Rendered], quirks: list[str]
) -> dict[str, list[str]]:
    """Render the matrix (on a server with ``quirks``) and assert each answer is the plain one
    changed by each quirk in its one way; returns, per quirk, the requests it changed.
    """
    # error-not-wrapped moves the error's fields: error-code-int changes the code before
    ordered = sorted(quirks, key=lambda quirk: quirk == "error-not-wrapped")
    changed: dict[str, list[str]] = {quirk: [] for quirk in quirks}
    for name, (path, body) in REQUESTS.items():
        quirked = render(http, path, body, RESPONSES_STORED)

        def ask(variant: str, name: str = name) -> Rendered:
            return normalise(plain_answers[name, variant])

        shown = ids_and_created(set(quirks), quirked, path=path)
        expected = ask("")
        for quirk in ordered:
            before = copy.deepcopy(expected)
            expected = EXPECT[quirk](name, copy.deepcopy(expected), ask)
            if quirk in shown or expected != before:
                changed[quirk].append(name)
        assert normalise(quirked) == expected, f"{quirks} on {name}"
    return changed
