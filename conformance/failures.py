"""Failures are data: ``Violation`` (a broken rule), ``Unsupported`` (a feature not offered).

A check raises ``Violation`` with the field path, what the spec expects and what the server
sent; the runner fills in the check id, the spec reference and a ``curl`` command from the
exchange that showed it. Reports only render these fields.

A helper shared by several checks may find a rule broken that another check owns (a float
``created`` while checking tool calls, say). It then raises the violation with ``owner`` set
to that check's id. The runner runs the owner: when the owner reports the *same* departure
(the same ``rule``: the field path with indexes generalised, what was expected and, for a
status, the status seen), this check is *blocked* by it rather than a second failure of the
same root cause; when the owner fails for something else, or passes, this check fails with
its own evidence.

A check may see several departures: ``Violations`` collects them (``with found.soft():``)
and raises the first with the others in ``more``, so the report names every one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from conformance.http import Exchange

Level = Literal["http", "client", "strict", "helper"]
"""Where a departure was seen: the raw HTTP bytes; the official client in default mode; the
client with ``_strict_response_validation=True``; the client's helpers (``.stream()``,
``.parse()``)."""

Severity = Literal["must", "should"]
"""How the spec words the rule: MUST (schema, or the official client breaks) or SHOULD."""

NOT_A_STREAM = "<not a stream>"
"""The rule "``stream: true`` is answered with server-sent events": a JSON body where a stream
was asked for, and an error sent as a status because no stream was started, are both it."""

_SHOWN_CHARS = 300
_INDEX = re.compile(r"\[\d+\]|\[index=\d+\]|<choice \d+>|events\[\d+\]")


def shorten(text: str, limit: int = _SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, marking the cut."""
    if len(text) <= limit:
        return text
    suffix = f"... ({len(text)} chars)"
    return text[: limit - len(suffix)] + suffix


def one_line(text: str, limit: int = 160) -> str:
    """``text`` on one line (a multi-line body is cut at its first line break, marked)."""
    first, newline, rest = text.strip().partition("\n")
    if newline and rest.strip():
        first = f"{first.rstrip()} ... (+{rest.count(chr(10)) + 1} lines)"
    return shorten(first, limit)


def _generic(path: str) -> str:
    def star(match: re.Match[str]) -> str:
        return re.sub(r"\d+", "*", match.group(0))

    return _INDEX.sub(star, path)


def rule_of(path: str, actual: str = "") -> str:
    """The rule a departure breaks, as a key two checks can compare.

    The field the departure is about, without where it sits (``chunks[3].created`` and
    ``created`` are one rule: ``created``); for ``<status>``, the status that came (a 500 and
    a 422 are two departures, and a 500 is not a missing ``refusal``). Two checks compare
    keys only for the same owner, so the field is enough to tell its rules apart.
    """
    if path == "<status>":
        return f"<status> {actual.split(' ', 1)[0]}"
    leaf = _generic(path).rsplit(".", 1)[-1]
    return re.sub(r"(\[[^\]]*\])+$", "", leaf) or path


class Violation(AssertionError):
    """A server's answer departs from the rule a check enforces.

    Args:
        path: where, as a field path (``choices[0].delta.role``) or a pseudo-field
            (``<status>``, ``<header content-type>``, ``<stream>``, ``<client>``).
        expected: what the spec asks for there.
        actual: what the server sent (shortened).
        level: where it was seen (``http``, ``client``, ``strict``, ``helper``).
        owner: id of the check that owns the rule, when it is not the running check.
        exchange: the request whose answer shows it (for the ``curl`` line).
        note: one more sentence of explanation, e.g. why clients care.
        rule: the rule's key, when two shapes of the same departure must compare equal
            (default: ``rule_of(path, actual)``).

    Attributes:
        more: the other departures the check saw, in order.
        check_id: the check that reported it (set by the runner).
        spec: the spec text or schema the check enforces (set by the runner).
        curl: a command that sends the same request (set by the runner).
    """

    def __init__(
        self,
        path: str,
        expected: str,
        actual: str,
        *,
        level: Level = "http",
        owner: str | None = None,
        exchange: Exchange | None = None,
        note: str = "",
        rule: str | None = None,
    ) -> None:
        self.path = path
        self.expected = expected
        self.actual = shorten(actual)
        self.level: Level = level
        self.owner = owner
        self.exchange = exchange
        self.note = note
        self.rule = rule or rule_of(path, actual)
        self.severity: Severity | None = None
        """``should`` when the departure is a SHOULD even in a MUST check (a missing key that
        may be null); None: the check's severity."""
        self.more: list[Violation] = []
        self.check_id = ""
        self.spec = ""
        self.curl = exchange.curl() if exchange is not None else ""
        super().__init__(self.headline())

    def headline(self) -> str:
        """One line: ``path: expected X, got Y`` (and the other departures' paths, named)."""
        line = f"{self.path}: expected {self.expected}, got {one_line(self.actual)}"
        if self.more:
            named = ", ".join(v.path for v in self.more[:3])
            rest = f", +{len(self.more) - 3}" if len(self.more) > 3 else ""
            line += f" (and {len(self.more)} more: {named}{rest})"
        return line

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two departures the same: path and expectation, indexes and digits aside."""
        return _generic(self.path), self.rule, re.sub(r"\d+", "N", self.expected)

    def findings(self) -> list[Violation]:
        """This departure and the others the check saw."""
        return [self, *self.more]

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        """The failure as a few labelled lines (check, where, expected, actual, spec, curl)."""
        lines = [f"{self.check_id or '<check>'} [{self.level}] {self.path}"]
        lines.append(f"  expected: {self.expected}")
        lines.append(f"  actual:   {self.actual}")
        if self.note:
            lines.append(f"  note:     {self.note}")
        if self.spec:
            lines.append(f"  spec:     {self.spec}")
        if self.curl:
            lines.append(f"  repro:    {self.curl}")
        for other in self.more:
            lines.append(f"  and:      [{other.level}] {other.path}")
            lines.append(f"    expected: {other.expected}")
            lines.append(f"    actual:   {other.actual}")
            if other.curl and other.curl != self.curl:
                lines.append(f"    repro:    {other.curl}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready data."""
        return {
            "check_id": self.check_id,
            "path": self.path,
            "expected": self.expected,
            "actual": self.actual,
            "level": self.level,
            "spec": self.spec,
            "curl": self.curl,
            "note": self.note,
            "owner": self.owner,
            "severity": self.severity,
            "more": [v.to_dict() for v in self.more],
        }


class Violations:
    """Departures a check collects before it gives up, raised together.

    ::

        found = Violations()
        with found.soft():
            ...   # a Violation here is kept, and the check goes on
        found.raise_any()
    """

    def __init__(self) -> None:
        self.items: list[Violation] = []

    def add(self, violation: Violation) -> None:
        """Keep ``violation`` (and the ones it carries), once per rule (field and expectation)."""
        for item in violation.findings():
            if all(v.key != item.key for v in self.items):
                self.items.append(item)

    @contextmanager
    def soft(self) -> Iterator[None]:
        """Keep a ``Violation`` raised inside, and carry on after the block."""
        try:
            yield
        except Violation as violation:
            self.add(violation)

    def raise_any(self) -> None:
        """Raise the first departure with the others in its ``more``; nothing when none."""
        if self.items:
            raise combine(self.items)


def combine(found: Iterable[Violation]) -> Violation:
    """The first of ``found`` carrying the rest in ``more``.

    Raises:
        ValueError: ``found`` is empty.
    """
    items: list[Violation] = []
    for item in found:
        items += [v for v in item.findings() if all(v is not seen for seen in items)]
    if not items:
        raise ValueError("no violation to combine")
    for item in items:
        item.more = []
    first = items[0]
    first.more = items[1:]
    first.args = (first.headline(),)
    return first


class Unsupported(Exception):
    """The server does not offer the feature a check needs (a clean 4xx refusal, a 404 route).

    Not a failure: the report lists it apart, and the run still exits 0.

    Args:
        reason: what was refused, and how (status and error message).
        exchange: the request that was refused.
    """

    def __init__(self, reason: str, *, exchange: Exchange | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exchange = exchange
