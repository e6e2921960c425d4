"""Matchers: does a request meet a stub's ``match``, and if not, why not.

``match_stub(match, request) -> MatchResult``: every condition is checked in the order of the
``Match`` fields; the result names the first that failed (the near-miss reason) and how many
held, so the closest stub can be named when nothing matches.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockgpt.scenarios.schema import Match, MessageMatch, TextMatch, ToolResultMatch


@dataclass(frozen=True)
class MatchResult:
    """Whether a stub matched; if not, the first failed condition.

    Attributes:
        matched: all conditions held.
        reason: why not, e.g. ``last_user.contains: expected 'weather', got 'hello'``; "" when
            matched.
        held: how many conditions held.
        total: how many conditions the stub has.
    """

    matched: bool
    reason: str = ""
    held: int = 0
    total: int = 0

    @property
    def closeness(self) -> float:
        """Share of conditions that held, 0..1 (1 for a stub with no conditions)."""
        return self.held / self.total if self.total else 1.0


@dataclass(frozen=True)
class MatchInput:
    """The parts of a request that matchers read.

    Attributes:
        endpoint: API family, e.g. ``chat.completions``.
        body: the decoded JSON body.
        headers: request headers, lower-case names.
    """

    endpoint: str
    body: Mapping[str, Any]
    headers: Mapping[str, str]

    @property
    def messages(self) -> list[Mapping[str, Any]]:
        """Chat messages (legacy prompts and Responses input become user messages)."""
        messages = self.body.get("messages")
        if isinstance(messages, list):
            return [m for m in messages if isinstance(m, Mapping)]
        prompt = self.body.get("prompt", self.body.get("input"))
        if isinstance(prompt, str):
            return [{"role": "user", "content": prompt}]
        if isinstance(prompt, list):
            return [{"role": "user", "content": p} for p in prompt if isinstance(p, str)]
        return []


def text_of(content: Any) -> str:
    """The text of a message ``content``: a string, or the text of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text") or p.get("refusal") or "") for p in content if isinstance(p, Mapping)
        )
    return ""


def _short(text: str | None, limit: int = 60) -> str:
    if text is None:
        return "nothing"
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def check_text(cond: TextMatch, text: str | None, where: str) -> str:
    """The reason ``text`` does not meet ``cond``, or "" when it does."""
    flags = re.IGNORECASE if cond.ignore_case else 0

    def fold(value: str) -> str:
        return value.casefold() if cond.ignore_case else value

    if cond.absent is not None:
        missing = not text
        if cond.absent and not missing:
            return f"{where}.absent: expected no text, got {_short(text)}"
        if not cond.absent and missing:
            return f"{where}.absent: expected some text, got nothing"
    if cond.equals is not None and (text is None or fold(text) != fold(cond.equals)):
        return f"{where}.equals: expected {_short(cond.equals)}, got {_short(text)}"
    if cond.contains is not None and (text is None or fold(cond.contains) not in fold(text)):
        return f"{where}.contains: expected {_short(cond.contains)}, got {_short(text)}"
    if cond.regex is not None and (text is None or not re.search(cond.regex, text, flags)):
        return f"{where}.regex: expected /{cond.regex}/, got {_short(text)}"
    return ""


def is_subset(expected: Any, actual: Any) -> bool:
    """Whether ``expected`` is contained in ``actual``: objects by key, arrays item by item."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            k in actual and is_subset(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) <= len(actual)
            and all(is_subset(e, a) for e, a in zip(expected, actual, strict=False))
        )
    return bool(expected == actual and type(expected) is type(actual)) or (
        isinstance(expected, int | float)
        and not isinstance(expected, bool)
        and isinstance(actual, int | float)
        and not isinstance(actual, bool)
        and expected == actual
    )


def _last_user(req: MatchInput) -> str | None:
    for message in reversed(req.messages):
        if message.get("role") == "user":
            return text_of(message.get("content"))
    return None


def _system(req: MatchInput) -> str | None:
    texts = [
        text_of(m.get("content")) for m in req.messages if m.get("role") in ("system", "developer")
    ]
    instructions = req.body.get("instructions")
    if isinstance(instructions, str):
        texts.insert(0, instructions)
    return "\n".join(texts) if texts else None


def _tool_names(req: MatchInput) -> list[str]:
    names = []
    for tool in req.body.get("tools") or ():
        if isinstance(tool, Mapping):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
            if isinstance(name, str):
                names.append(name)
    return names


def _tool_choice(req: MatchInput) -> str | None:
    choice = req.body.get("tool_choice")
    if isinstance(choice, str):
        return choice
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
        return str(name) if name is not None else None
    return None


def _check_message(cond: MessageMatch, req: MatchInput, where: str) -> str:
    messages = req.messages
    if cond.index is not None:
        try:
            candidates = [messages[cond.index]]
        except IndexError:
            return f"{where}.index: no message at index {cond.index} ({len(messages)} messages)"
    else:
        candidates = list(messages)
    if cond.role is not None:
        candidates = [m for m in candidates if m.get("role") == cond.role]
        if not candidates:
            return f"{where}.role: no {cond.role!r} message"
    if cond.content is None:
        return ""
    reasons = [
        check_text(cond.content, text_of(m.get("content")), f"{where}.content") for m in candidates
    ]
    return (
        ""
        if any(r == "" for r in reasons)
        else (reasons[-1] if reasons else f"{where}: no message")
    )


def _check_tool_result(cond: ToolResultMatch, req: MatchInput) -> str:
    calls: dict[str, str] = {}
    for message in req.messages:
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping):
                function = call.get("function")
                if isinstance(function, Mapping):
                    calls[str(call.get("id"))] = str(function.get("name"))
    results = [m for m in req.messages if m.get("role") == "tool"]
    # Responses API: function_call / function_call_output items
    items = req.body.get("input")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping) and item.get("type") == "function_call":
                calls[str(item.get("call_id"))] = str(item.get("name"))
            if isinstance(item, Mapping) and item.get("type") == "function_call_output":
                results.append({"tool_call_id": item.get("call_id"), "content": item.get("output")})
    if not results:
        return "tool_result: the conversation has no tool result"
    last_reason = ""
    for result in results:
        call_id = str(result.get("tool_call_id"))
        if cond.tool_call_id is not None and call_id != cond.tool_call_id:
            last_reason = (
                f"tool_result.tool_call_id: expected {cond.tool_call_id!r}, got {call_id!r}"
            )
            continue
        if cond.name is not None and calls.get(call_id) != cond.name:
            last_reason = (
                f"tool_result.name: expected a result of {cond.name!r}, got one of "
                f"{calls.get(call_id)!r}"
            )
            continue
        if cond.content is not None:
            reason = check_text(cond.content, text_of(result.get("content")), "tool_result.content")
            if reason:
                last_reason = reason
                continue
        return ""
    return last_reason


def match_stub(match: Match, req: MatchInput) -> MatchResult:
    """Check every condition of ``match`` against ``req``; see ``MatchResult``."""
    checks: list[str] = []
    body = req.body
    if match.endpoint is not None:
        wanted = [match.endpoint] if isinstance(match.endpoint, str) else match.endpoint
        checks.append(
            "" if req.endpoint in wanted else f"endpoint: expected {wanted}, got {req.endpoint!r}"
        )
    if match.model is not None:
        model = str(body.get("model", ""))
        ok = fnmatch.fnmatchcase(model, match.model)
        checks.append("" if ok else f"model: expected {match.model!r}, got {model!r}")
    if match.last_user is not None:
        checks.append(check_text(match.last_user, _last_user(req), "last_user"))
    if match.any_message is not None:
        texts = [text_of(m.get("content")) for m in req.messages]
        reasons = [check_text(match.any_message, t, "any_message") for t in texts]
        ok = any(r == "" for r in reasons)
        checks.append("" if ok else (reasons[-1] if reasons else "any_message: no messages"))
    if match.system is not None:
        checks.append(check_text(match.system, _system(req), "system"))
    for index, cond in enumerate(match.messages or ()):
        checks.append(_check_message(cond, req, f"messages[{index}]"))
    if match.tools is not None:
        offered = _tool_names(req)
        missing = [t for t in match.tools if t not in offered]
        checks.append(f"tools: {missing} not offered (offered: {offered})" if missing else "")
    if match.tool_choice is not None:
        choice = _tool_choice(req)
        ok = choice == match.tool_choice
        checks.append("" if ok else f"tool_choice: expected {match.tool_choice!r}, got {choice!r}")
    if match.tool_result is not None:
        checks.append(_check_tool_result(match.tool_result, req))
    if match.response_format is not None:
        fmt = body.get("response_format")
        kind = fmt.get("type") if isinstance(fmt, Mapping) else None
        text = body.get("text")
        if kind is None and isinstance(text, Mapping) and isinstance(text.get("format"), Mapping):
            kind = text["format"].get("type")
        ok = kind == match.response_format
        checks.append(
            "" if ok else f"response_format: expected {match.response_format!r}, got {kind!r}"
        )
    if match.stream is not None:
        stream = bool(body.get("stream"))
        ok = stream == match.stream
        checks.append("" if ok else f"stream: expected {match.stream}, got {stream}")
    if match.n is not None:
        n = body.get("n") or 1
        checks.append("" if n == match.n else f"n: expected {match.n}, got {n}")
    for name, header in (match.headers or {}).items():
        checks.append(check_text(header, req.headers.get(name.lower()), f"headers.{name}"))
    if match.metadata is not None:
        metadata = body.get("metadata")
        ok = is_subset(match.metadata, metadata or {})
        checks.append(
            "" if ok else f"metadata: expected to contain {match.metadata}, got {metadata}"
        )
    if match.body is not None:
        ok = is_subset(match.body, body)
        checks.append("" if ok else f"body: expected to contain {match.body}")
    failed = [c for c in checks if c]
    return MatchResult(
        matched=not failed,
        reason=failed[0] if failed else "",
        held=len(checks) - len(failed),
        total=len(checks),
    )
