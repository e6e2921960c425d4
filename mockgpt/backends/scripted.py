"""The scripted backend: one stub answer (``Respond``) -> events, or -> vectors (embeddings).

Content is a Jinja2 template rendered in a sandbox (no attribute access to Python internals,
no file or import access) with these variables: ``last_user`` (text of the last user message),
``messages`` (``[{role, content}]`` as text), ``model``, ``call_count`` (1 for the stub's
first use) and ``request`` (the JSON body).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jinja2 import TemplateError

from mockgpt.backends.echo import (
    json_for_schema,
    prompt_of,
    shaped_text,
    tool_call_id,
)
from mockgpt.backends.reasoning import reasoning_deltas
from mockgpt.backends.sandbox import new_sandbox, render_bounded
from mockgpt.errors import RequestRejected
from mockgpt.events import Event, Finish, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.render.embeddings import embed, fixed, keyed
from mockgpt.scenarios.matchers import TextCondition
from mockgpt.scenarios.schema import Chunking, EmbeddingScript, Respond
from mockgpt.tokens import split_tokens
from mockgpt.turn import Turn

_ENV = new_sandbox()
# what a template's own expressions raise besides TemplateError: `1/0`, `"a" + 1`, `x[9]`,
# a macro calling itself; the stub's fault, answered as its template failing
_TEMPLATE_FAULTS = (
    TemplateError,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    RecursionError,
)


@lru_cache(maxsize=512)
def compile_template(source: str) -> Any:
    """The compiled template; raises ``jinja2.TemplateSyntaxError`` for bad syntax."""
    return _ENV.from_string(source)


def render_template(source: str, ctx: Turn, call_count: int, stub_id: str) -> str:
    """Render a content template for ``ctx``.

    The render is bounded (``mockgpt.backends.sandbox``: range size, loop iterations, output
    length, time).

    Raises:
        RequestRejected: 500 naming the stub when the template fails (an unknown variable, an
            error in an expression) or passes one of the sandbox's limits.
    """
    if "{" not in source:
        return source
    variables = {
        "last_user": prompt_of(ctx),
        "messages": [{"role": m.role, "content": m.text} for m in ctx.messages],
        "model": ctx.model,
        "call_count": call_count,
        "request": ctx.body,
    }
    try:
        return render_bounded(compile_template(source), variables)
    except _TEMPLATE_FAULTS as exc:
        reason = str(exc) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
        raise RequestRejected(
            500,
            f"stub {stub_id}: its content template failed: {reason}",
            type="mockgpt_error",
            headers={"x-should-retry": "false"},
        ) from exc


def split_text(text: str, chunking: Chunking | None) -> list[str]:
    """Deltas for ``text``: one token each by default, or as ``chunking`` says."""
    if chunking is None:
        return split_tokens(text)
    if chunking.chunks is not None:
        return list(chunking.chunks)
    if chunking.chars is not None:
        size = chunking.chars
        return [text[i : i + size] for i in range(0, len(text), size)]
    pieces = split_tokens(text)
    size = chunking.tokens or 1
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]


class ScriptedBackend:
    """Yields the events of one scripted answer, the same for every choice.

    Args:
        answer: the stub's answer.
        stub_id: the stub's id, for error messages.
        call_count: how many times the stub has answered, this call included.
    """

    live = False

    def __init__(self, answer: Respond, *, stub_id: str, call_count: int) -> None:
        self.answer = answer
        self.stub_id = stub_id
        self.call_count = call_count

    def _content(self, ctx: Turn) -> str | None:
        answer = self.answer
        if answer.json_ is not None:
            if answer.json_ == "from_schema":
                output = ctx.output
                if output.schema is None:
                    return shaped_text(ctx, prompt_of(ctx))
                return json_for_schema(output.schema, ctx, output.param)
            return json.dumps(answer.json_, ensure_ascii=False)
        if answer.chunking is not None and answer.chunking.chunks is not None:
            return "".join(answer.chunking.chunks)
        if answer.content is None:
            return None
        return render_template(answer.content, ctx, self.call_count, self.stub_id)

    def respond(self, ctx: Turn) -> list[Event]:
        """Text, refusal and tool-call events per choice, then ``Finish``; ``Usage`` if set.

        Raises:
            RequestRejected: the content template failed. It is rendered here, before the
                first event, so the client gets an error status rather than a broken stream.
        """
        reasoning = self.answer.reasoning
        parts = None
        if reasoning is not None:
            parts = [
                render_template(part, ctx, self.call_count, self.stub_id)
                for part in reasoning.parts
            ]
        return list(self._events(ctx, self._content(ctx), parts))

    def _events(
        self, ctx: Turn, content: str | None, reasoning: list[str] | None
    ) -> Iterator[Event]:
        answer = self.answer
        for choice in range(ctx.choices):
            if reasoning is not None:
                yield from reasoning_deltas(reasoning, choice, stream=ctx.stream)
            if content:
                for piece in split_text(content, answer.chunking):
                    yield TextDelta(piece, choice)
            if answer.refusal:
                for piece in split_tokens(answer.refusal):
                    yield Refusal(piece, choice)
            for index, call in enumerate(answer.tool_calls or ()):
                arguments = (
                    call.arguments
                    if isinstance(call.arguments, str)
                    else json.dumps(call.arguments, ensure_ascii=False)
                )
                # recorded `chunks` are the text's deltas; arguments stream by tokens then
                chunking = answer.chunking
                if chunking is not None and chunking.chunks is not None:
                    chunking = None
                pieces = call.chunks or split_text(arguments, chunking) or [""]
                call_id = call.id or tool_call_id(ctx, choice, index)
                yield ToolCallDelta(index, pieces[0], call_id, call.name, choice)
                for piece in pieces[1:]:
                    yield ToolCallDelta(index, piece, choice=choice)
            reason = answer.finish_reason or ("tool_calls" if answer.tool_calls else "stop")
            yield Finish(reason, choice)
        usage = answer.usage
        tokens = answer.reasoning.tokens if answer.reasoning is not None else None
        prompt = usage.prompt_tokens if usage is not None else None
        completion = usage.completion_tokens if usage is not None else None
        if prompt is not None or completion is not None or tokens is not None:
            # -1: not scripted, the limiter counts it (see Limiter.close); the scripted
            # reasoning tokens are per choice, as the text is
            yield Usage(
                -1 if prompt is None else prompt,
                -1 if completion is None else completion,
                -1 if tokens is None else tokens * ctx.choices,
            )


def scripted_length(script: EmbeddingScript) -> int | None:
    """The length of the script's fixed vectors (all have the same), None when it has none."""
    vectors = script.vectors
    for vector in vectors.values() if isinstance(vectors, dict) else vectors or ():
        return len(vector)
    return None


def scripted_vectors(
    script: EmbeddingScript, texts: list[str], dimensions: int, *, stub_id: str
) -> list[tuple[float, ...]]:
    """The vectors a stub's ``respond.embedding`` gives ``texts``, in order.

    Each text takes the first that covers it: its fixed vector (``vectors``, by text or by
    position), the first of ``keys`` whose condition holds, ``key``, else its usual vector
    (``embed``). A fixed vector is shortened to ``dimensions`` (``fixed``); keyed vectors are
    made with ``dimensions`` components (``keyed``).

    Raises:
        RequestRejected: 500 naming the stub when its list of vectors does not have exactly
            one vector per input.
    """
    vectors = script.vectors
    if isinstance(vectors, list):
        if len(vectors) != len(texts):
            raise RequestRejected(
                500,
                f"stub {stub_id}: respond.embedding.vectors lists {len(vectors)} vector(s), "
                f"but the request has {len(texts)} input(s); give one per input, or map "
                "input texts to vectors",
                type="mockgpt_error",
                headers={"x-should-retry": "false"},
            )
        return [fixed(vector, dimensions) for vector in vectors]
    rules = [
        (key, [TextCondition(c) for c in (conds if isinstance(conds, list) else [conds])])
        for key, conds in (script.keys or {}).items()
    ]
    out = []
    for index, text in enumerate(texts):
        if vectors is not None and text in vectors:
            out.append(fixed(vectors[text], dimensions))
            continue
        where = f"{stub_id}: input[{index}]"
        key = next(
            (key for key, conds in rules if any(not c.check(text, where) for c in conds)),
            script.key,
        )
        out.append(embed(text, dimensions) if key is None else keyed(key, text, dimensions))
    return out
