"""Failures are data: ``Violation`` (a broken rule), ``Unsupported`` (a feature not offered).

A check raises ``Violation`` with the field path, what the spec expects and what the server
sent; the runner fills in the check id, the spec reference and a ``curl`` command from the
exchange that showed it. Reports only render these fields.

A helper shared by several checks may find a rule broken that another check owns (a float
``created`` while checking tool calls, say). It then raises the violation with ``owner`` set
to that check's id: if the owner check fails too, the report shows this check as *blocked*
by it rather than as a second failure of the same root cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from conformance.http import Exchange

Level = Literal["http", "client", "strict", "helper"]
"""Where a departure was seen: the raw HTTP bytes; the official client in default mode; the
client with ``_strict_response_validation=True``; the client's helpers (``.stream()``,
``.parse()``)."""

Severity = Literal["must", "should"]
"""How the spec words the rule: MUST (schema, or the official client breaks) or SHOULD."""

_SHOWN_CHARS = 300


def shorten(text: str, limit: int = _SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, marking the cut."""
    if len(text) <= limit:
        return text
    suffix = f"... ({len(text)} chars)"
    return text[: limit - len(suffix)] + suffix


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

    Attributes:
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
    ) -> None:
        self.path = path
        self.expected = expected
        self.actual = shorten(actual)
        self.level: Level = level
        self.owner = owner
        self.exchange = exchange
        self.note = note
        self.check_id = ""
        self.spec = ""
        self.curl = exchange.curl() if exchange is not None else ""
        super().__init__(self.headline())

    def headline(self) -> str:
        """One line: ``path: expected X, got Y``."""
        return f"{self.path}: expected {self.expected}, got {self.actual}"

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
        }


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
