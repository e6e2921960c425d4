"""The echo backend: answers with the last user message, one token per delta."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from typing import Any, NoReturn

from mockgpt.backends.reasoning import echo_reasoning, reasoning_deltas
from mockgpt.errors import RequestRejected
from mockgpt.events import Event, Finish, TextDelta, ToolCallDelta, Usage
from mockgpt.models import CreateCompletionRequest
from mockgpt.quirks import ignores_output_format
from mockgpt.schema_validate import conforms
from mockgpt.structured import SchemaError, check_schema, value_for_schema
from mockgpt.tokens import split_tokens
from mockgpt.turn import Turn


def tool_call_id(ctx: Turn, choice: int, index: int) -> str:
    """A tool call id unique to this request, choice and call: ``call_<24 hex>``."""
    seed = f"{ctx.request_id}:{choice}:{index}".encode()
    return "call_" + hashlib.sha256(seed).hexdigest()[:24]


def prompt_of(ctx: Turn, choice: int = 0) -> str:
    """The text an answer responds to: the last user message, or the choice's legacy prompt."""
    request = ctx.request
    if isinstance(request, CreateCompletionRequest):
        prompts = request.prompts
        return prompts[min(choice // request.choice_count, len(prompts) - 1)]
    return ctx.last_user or ""


def _not_json(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def fitting_json(
    text: str, schema: Mapping[str, Any] | None, *, ensure_ascii: bool = False
) -> str | None:
    """``text`` re-serialized when it is JSON of the requested shape, else None.

    The shape is a value valid for ``schema`` (``conforms``), or any JSON object when
    ``schema`` is None (``json_object``). The value is dumped again with ``json.dumps``
    (``", "`` and ``": "`` separators), as generated values are; NaN, Infinity and numbers
    too large for a float never fit. ``schema`` must have passed ``check_schema``.
    """
    if not text.strip():
        return None
    try:
        value = json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python recurses
        return None
    if not (isinstance(value, dict) if schema is None else conforms(value, schema)):
        return None
    try:
        return json.dumps(value, ensure_ascii=ensure_ascii, allow_nan=False)
    except (ValueError, RecursionError):
        return None


def json_for_schema(
    schema: Mapping[str, Any],
    ctx: Turn,
    param: str,
    *,
    ensure_ascii: bool = False,
    echo: str | None = None,
) -> str:
    """A JSON text valid for ``schema``, for the request's ``seed``.

    ``echo`` when it fits (see ``fitting_json``), else a generated value (see
    ``value_for_schema``).

    Raises:
        RequestRejected: 400 naming ``param`` for a malformed schema, or one whose smallest
            value passes one of mockgpt's generation limits.
    """
    try:
        if echo is not None:
            check_schema(schema)
            fitting = fitting_json(echo, schema, ensure_ascii=ensure_ascii)
            if fitting is not None:
                return fitting
        value = value_for_schema(schema, ctx.seed)
    except SchemaError as exc:
        raise RequestRejected(400, f"Invalid schema for {param}: {exc}", param=param) from exc
    return json.dumps(value, ensure_ascii=ensure_ascii, allow_nan=False)


def shaped_text(ctx: Turn, text: str) -> str:
    """``text`` as the requested structured output asks for it.

    A ``text`` that is already JSON of the requested shape is kept, dumped again
    (``fitting_json``): a JSON object for ``json_object``, a value valid for the schema for
    ``json_schema``. Otherwise ``json_object`` gets ``{"text": text}`` and ``json_schema`` a
    value generated from the schema (deterministic for the request's ``seed``); plain text
    stays as it is. The quirk ``response-format-ignored`` keeps the plain text for a
    chat-form ``response_format`` (every family but the Responses API, whose ``text.format``
    has its own quirk).
    """
    if ctx.quirks and ignores_output_format(ctx.quirks, ctx.endpoint != "responses"):
        return text
    output = ctx.output
    if output.kind == "json_schema":
        return json_for_schema(output.schema or {}, ctx, output.param, echo=text)
    if output.kind == "json_object":
        return fitting_json(text, None) or json.dumps({"text": text}, ensure_ascii=False)
    return text


def forced_tool_calls(ctx: Turn) -> list[tuple[str, str]]:
    """The (name, arguments JSON) calls a chat request forces with ``tool_choice``.

    ``required`` calls every offered function (only the first when ``parallel_tool_calls`` is
    false); a named choice calls that function. Arguments are generated from the function's
    ``parameters`` schema, deterministically for the request's ``seed``, except that a named
    choice's arguments are the last user message when it is JSON valid for that schema
    (``fitting_json``). Empty otherwise.

    Raises:
        RequestRejected: 400 naming the tool's ``parameters`` for a schema that cannot be
            generated from (see ``json_for_schema``).
    """
    tools = ctx.tools
    choice = ctx.tool_choice
    if not tools or choice is None:
        return []
    echo: str | None = None
    if choice.mode == "required":
        chosen = tools if ctx.prompt.parallel_tool_calls is not False else tools[:1]
    elif choice.function is not None:
        chosen = tuple(t for t in tools if t.name == choice.function)
        echo = prompt_of(ctx)
    else:
        return []
    calls = []
    for tool in chosen:
        schema = tool.parameters or {"type": "object"}
        arguments = json_for_schema(schema, ctx, tool.param, ensure_ascii=True, echo=echo)
        calls.append((tool.name, arguments))
    return calls


class EchoBackend:
    """Echoes the prompt back, token by token.

    Chat answers with the last user message's text, legacy completions with the prompt.
    Every choice gets the same text; a requested JSON format is honoured (``shaped_text``:
    the text itself when it is JSON of that format), and a ``tool_choice`` that forces a call
    gets that call (``forced_tool_calls``). A reasoning model asked to reason reasons first
    (``mockgpt.backends.reasoning``).
    """

    live = False

    def respond(self, ctx: Turn) -> list[Event]:
        """``TextDelta`` events (one per token when streamed), then ``Finish("stop")``.

        Choices come in order, each with the same text, after its ``ReasoningDelta`` events
        when it reasons (then a ``Usage`` event carries the reasoning tokens).
        """
        reasoning = echo_reasoning(ctx)
        out = self._answer(ctx, reasoning[0] if reasoning is not None else None)
        if reasoning is not None:
            out.append(Usage(-1, -1, reasoning[1] * ctx.choices))
        return out

    def _answer(self, ctx: Turn, reasoning: list[str] | None) -> list[Event]:
        out: list[Event] = []

        def reason(choice: int) -> None:
            if reasoning is not None:
                out.extend(reasoning_deltas(reasoning, choice, stream=ctx.stream))

        calls = forced_tool_calls(ctx)
        if calls:
            for choice in range(ctx.choices):
                reason(choice)
                for index, (name, arguments) in enumerate(calls):
                    call_id = tool_call_id(ctx, choice, index)
                    pieces = split_tokens(arguments) or [""]
                    out.append(ToolCallDelta(index, pieces[0], call_id, name, choice))
                    out.extend(ToolCallDelta(index, piece, choice=choice) for piece in pieces[1:])
                out.append(Finish("tool_calls", choice))
            return out
        for choice in range(ctx.choices):
            reason(choice)
            for piece in text_deltas(ctx, shaped_text(ctx, prompt_of(ctx, choice))):
                out.append(TextDelta(piece, choice))
            out.append(Finish("stop", choice))
        return out


def text_deltas(ctx: Turn, text: str) -> list[str]:
    """The deltas of ``text``: one per token for a stream, the whole text otherwise.

    A non-streamed answer is folded into one message anyway; sending it as one delta spares
    the per-token work (the joined text, and so the answer, is the same).
    """
    if ctx.stream:
        return split_tokens(text)
    return [text] if text else []


_LOREM_TEXT = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua ut enim ad minim veniam quis nostrud"
)
_LOREM: tuple[str, ...] = tuple(_LOREM_TEXT.split())


class LoremBackend:
    """Answers with lorem ipsum words, the same for the same prompt (seeded by its text)."""

    live = False
    words = _LOREM

    def respond(self, ctx: Turn) -> list[Event]:
        """Between 8 and 40 words per choice, then ``Finish("stop")``."""
        out: list[Event] = []
        for choice in range(ctx.choices):
            rng = random.Random(prompt_of(ctx, choice))
            count = rng.randint(8, 40)
            text = " ".join(rng.choice(self.words) for _ in range(count)).capitalize() + "."
            out.extend(
                TextDelta(piece, choice) for piece in text_deltas(ctx, shaped_text(ctx, text))
            )
            out.append(Finish("stop", choice))
        return out
