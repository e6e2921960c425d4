"""Matchers, compiled at load: does a request meet a stub's ``match``, and if not, why not.

``compile_match(match) -> CompiledMatch`` turns each condition of a ``Match`` into a small
object with its regexes, globs and case folds prepared once; ``CompiledMatch.check(view)``
runs every condition against a ``MatchView`` (the ``Turn``'s endpoint, headers and canonical
prompt) and lists every condition that failed, so the closest stub's
near-miss report names them all.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import regex

from mockgpt.scenarios.schema import Match, MessageMatch, TextMatch, ToolResultMatch
from mockgpt.scenarios.view import BodyRequest, MatchView, Request, text_of

REGEX_TIMEOUT_S = 0.005
"""CPU seconds one ``regex`` condition may search one text; past it, it does not hold."""

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class MatchResult:
    """Whether a stub matched; if not, every condition that failed.

    Attributes:
        matched: all conditions held.
        reasons: why not, one per failed condition, e.g. ``last_user.contains: expected
            'weather', got 'hello'``; empty when matched.
        held: how many conditions held.
        total: how many conditions the stub has.
    """

    matched: bool
    reasons: tuple[str, ...] = ()
    held: int = 0
    total: int = 0

    @property
    def reason(self) -> str:
        """Every failed condition, joined with ``; `` ("" when matched)."""
        return "; ".join(self.reasons)

    @property
    def closeness(self) -> float:
        """Share of conditions that held, 0..1 (1 for a stub with no conditions)."""
        return self.held / self.total if self.total else 1.0


def _short(text: str | None, limit: int = 60) -> str:
    if text is None:
        return "nothing"
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


_LITERAL = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 /-_:,;'\"=<>@!%&#~`"
)


def _anchored_prefix(pattern: str) -> str:
    """The literal characters a ``^``-anchored pattern starts with, before any regex syntax.

    ``^/weather`` gives ``/weather``; a pattern not anchored with ``^``, or whose literal is
    followed by a quantifier or alternation that could change it, gives "".
    """
    if not pattern.startswith("^"):
        return ""
    literal = ""
    for char in pattern[1:]:
        if char not in _LITERAL:
            break
        literal += char
    rest = pattern[1 + len(literal) :]
    if rest[:1] in ("*", "?", "{") or "|" in pattern:
        literal = literal[:-1]  # the last character is quantified, or alternatives exist
        if "|" in pattern:
            return ""
    return literal


class TextCondition:
    """A compiled ``TextMatch``: its regex compiled and its strings folded once."""

    def __init__(self, cond: TextMatch) -> None:
        self.cond = cond
        fold = str.casefold if cond.ignore_case else None
        self.fold = fold
        self.equals = fold(cond.equals) if fold and cond.equals is not None else cond.equals
        self.contains = fold(cond.contains) if fold and cond.contains is not None else cond.contains
        flags = regex.IGNORECASE if cond.ignore_case else 0
        self.regex = regex.compile(cond.regex, flags) if cond.regex is not None else None
        self.prefix = _anchored_prefix(cond.regex) if cond.regex and not cond.ignore_case else ""
        """A literal the text must start with for the regex to match (``^/weather``): a text
        without it fails at once, with the regex's own reason, without searching."""

    def check(self, text: str | None, where: str) -> str:
        """The reason ``text`` does not meet the condition, or "" when it does."""
        cond = self.cond
        if cond.absent is not None:
            missing = not text
            if cond.absent and not missing:
                return f"{where}.absent: expected no text, got {_short(text)}"
            if not cond.absent and missing:
                return f"{where}.absent: expected some text, got nothing"
        folded = self.fold(text) if self.fold and text is not None else text
        if self.equals is not None and folded != self.equals:
            return f"{where}.equals: expected {_short(cond.equals)}, got {_short(text)}"
        if self.contains is not None and (folded is None or self.contains not in folded):
            return f"{where}.contains: expected {_short(cond.contains)}, got {_short(text)}"
        if self.regex is not None:
            if self.prefix and (text is None or not text.startswith(self.prefix)):
                return f"{where}.regex: expected /{cond.regex}/, got {_short(text)}"
            return self._check_regex(self.regex, text, where)
        return ""

    def _check_regex(self, pattern: regex.Pattern[str], text: str | None, where: str) -> str:
        """Search with ``REGEX_TIMEOUT_S``: a stub's regex must not stall the server."""
        try:
            found = text is not None and pattern.search(text, timeout=REGEX_TIMEOUT_S)
        except TimeoutError:
            assert text is not None
            logger.warning(
                "%s.regex /%s/ searched %d characters for over %s s (mockgpt's regex limit); "
                "counted as not matching",
                where,
                self.cond.regex,
                len(text),
                REGEX_TIMEOUT_S,
            )
            return (
                f"{where}.regex: /{self.cond.regex}/ took over {REGEX_TIMEOUT_S} s on "
                f"{len(text)} characters (mockgpt's regex time limit), so it does not match; "
                "simplify the pattern (nested quantifiers backtrack)"
            )
        if not found:
            return f"{where}.regex: expected /{self.cond.regex}/, got {_short(text)}"
        return ""


def check_text(cond: TextMatch, text: str | None, where: str) -> str:
    """The reason ``text`` does not meet ``cond``, or "" when it does."""
    return TextCondition(cond).check(text, where)


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


Condition = Callable[[MatchView], str]
"""One compiled condition: "" when it holds, else why not."""


def _message_condition(cond: MessageMatch, where: str) -> Condition:
    content = TextCondition(cond.content) if cond.content is not None else None

    def check(view: MatchView) -> str:
        messages = view.messages
        if cond.index is not None:
            try:
                candidates = [messages[cond.index]]
            except IndexError:
                return f"{where}.index: no message at index {cond.index} ({len(messages)} messages)"
        else:
            candidates = list(messages)
        if cond.role is not None:
            candidates = [m for m in candidates if m.role == cond.role]
            if not candidates:
                return f"{where}.role: no {cond.role!r} message"
        if content is None:
            return ""
        reasons = [content.check(m.text, f"{where}.content") for m in candidates]
        if any(r == "" for r in reasons):
            return ""
        return reasons[-1] if reasons else f"{where}: no message"

    return check


def _tool_result_condition(cond: ToolResultMatch) -> Condition:
    content = TextCondition(cond.content) if cond.content is not None else None

    def check(view: MatchView) -> str:
        calls = {call.id: call.name for m in view.messages for call in m.tool_calls}
        results = [m for m in view.messages if m.role == "tool"]
        if not results:
            return "tool_result: the conversation has no tool result"
        last_reason = ""
        for result in results:
            call_id = str(result.tool_call_id)
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
            if content is not None:
                reason = content.check(result.text, "tool_result.content")
                if reason:
                    last_reason = reason
                    continue
            return ""
        return last_reason

    return check


def _text_condition(
    cond: TextMatch, read: Callable[[MatchView], str | None], where: str
) -> Condition:
    compiled = TextCondition(cond)
    return lambda view: compiled.check(read(view), where)


def _header_condition(name: str, cond: TextMatch) -> Condition:
    key = name.lower()
    return _text_condition(cond, lambda view: view.headers.get(key), f"headers.{name}")


def _conditions(match: Match) -> list[Condition]:
    out: list[Condition] = []
    if match.endpoint is not None:
        wanted = [match.endpoint] if isinstance(match.endpoint, str) else list(match.endpoint)
        out.append(
            lambda v: (
                "" if v.endpoint in wanted else f"endpoint: expected {wanted}, got {v.endpoint!r}"
            )
        )
    if match.model is not None:
        pattern = re.compile(fnmatch.translate(match.model))
        expected_model = match.model

        def model(view: MatchView) -> str:
            name = view.request.model
            if pattern.match(name):
                return ""
            return f"model: expected {expected_model!r}, got {name!r}"

        out.append(model)
    if match.last_user is not None:
        out.append(_text_condition(match.last_user, lambda v: v.last_user, "last_user"))
    if match.any_message is not None:
        anyone = TextCondition(match.any_message)

        def any_message(view: MatchView) -> str:
            reasons = [anyone.check(m.text, "any_message") for m in view.messages]
            if any(r == "" for r in reasons):
                return ""
            return reasons[-1] if reasons else "any_message: no messages"

        out.append(any_message)
    if match.system is not None:
        out.append(_text_condition(match.system, lambda v: v.system, "system"))
    for index, cond in enumerate(match.messages or ()):
        out.append(_message_condition(cond, f"messages[{index}]"))
    if match.tools is not None:
        tools = list(match.tools)

        def offered(view: MatchView) -> str:
            missing = [t for t in tools if t not in view.tool_names]
            return f"tools: {missing} not offered (offered: {view.tool_names})" if missing else ""

        out.append(offered)
    if match.tool_choice is not None:
        choice = match.tool_choice
        out.append(
            lambda v: (
                ""
                if v.tool_choice == choice
                else f"tool_choice: expected {choice!r}, got {v.tool_choice!r}"
            )
        )
    if match.tool_result is not None:
        out.append(_tool_result_condition(match.tool_result))
    if match.response_format is not None:
        kind = match.response_format
        out.append(
            lambda v: (
                ""
                if v.response_format == kind
                else f"response_format: expected {kind!r}, got {v.response_format!r}"
            )
        )
    if match.stream is not None:
        stream = match.stream

        def streamed(view: MatchView) -> str:
            sent = view.request.stream
            return "" if sent == stream else f"stream: expected {stream}, got {sent}"

        out.append(streamed)
    if match.n is not None:
        n = match.n

        def choices(view: MatchView) -> str:
            sent = view.request.n
            return "" if sent == n else f"n: expected {n}, got {sent}"

        out.append(choices)
    for name, header in (match.headers or {}).items():
        out.append(_header_condition(name, header))
    if match.metadata is not None:
        metadata = match.metadata

        def meta(view: MatchView) -> str:
            sent = view.request.metadata
            if is_subset(metadata, sent or {}):
                return ""
            return f"metadata: expected to contain {metadata}, got {sent}"

        out.append(meta)
    if match.body is not None:
        subset = match.body
        out.append(
            lambda v: "" if is_subset(subset, v.body) else f"body: expected to contain {subset}"
        )
    return out


class CompiledMatch:
    """A stub's ``match``, compiled: one small object per condition.

    Args:
        match: the stub's conditions.
    """

    def __init__(self, match: Match) -> None:
        self.match = match
        self.conditions = tuple(_conditions(match))

    def check(self, view: MatchView) -> MatchResult:
        """Run every condition; the result lists each one that failed."""
        failed = [reason for cond in self.conditions if (reason := cond(view))]
        total = len(self.conditions)
        return MatchResult(not failed, tuple(failed), total - len(failed), total)


def compile_match(match: Match) -> CompiledMatch:
    """Compile ``match`` (see ``CompiledMatch``)."""
    return CompiledMatch(match)


def match_stub(match: Match, request: Request | MatchView) -> MatchResult:
    """Check every condition of ``match`` against ``request`` (compiling it first)."""
    view = request if isinstance(request, MatchView) else MatchView(request)
    return compile_match(match).check(view)


__all__ = [
    "BodyRequest",
    "CompiledMatch",
    "MatchResult",
    "MatchView",
    "Request",
    "TextCondition",
    "check_text",
    "compile_match",
    "is_subset",
    "match_stub",
    "text_of",
]
