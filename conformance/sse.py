r"""Server-sent events read byte-exactly, keeping what a lenient client would throw away.

The official client follows the WHATWG event-stream rules: lines end with CR, LF or CRLF,
``:`` starts a comment, ``field: value`` loses one leading space, and an event is dispatched
only at a blank line. This parser follows the same rules, but it also keeps an event that the
body ended before its blank line (``terminated=False``), so a check can tell "no ``[DONE]``"
from "``[DONE]`` without its blank line" (which the client silently drops).

Spec: WHATWG HTML, "Server-sent events", section 9.2.6 (interpreting an event stream).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(r"\r\n|\r|\n")


@dataclass
class SSEEvent:
    """One event: its fields in order, and whether a blank line ended it.

    Attributes:
        fields: ``(name, value)`` pairs in order (comments excluded).
        terminated: True when a blank line followed the event.
        comments: comment lines (without the ``:``) seen inside the event.
        offset: the event's position among all events, from 0.
    """

    fields: list[tuple[str, str]] = field(default_factory=list)
    terminated: bool = False
    comments: list[str] = field(default_factory=list)
    offset: int = 0

    @property
    def data(self) -> str | None:
        """The ``data`` fields joined with newlines; None when there is no ``data`` field."""
        values = [value for name, value in self.fields if name == "data"]
        return "\n".join(values) if values else None

    @property
    def data_lines(self) -> int:
        """How many ``data`` fields the event has."""
        return sum(1 for name, _ in self.fields if name == "data")

    @property
    def event(self) -> str | None:
        """The ``event`` field, None when absent."""
        values = [value for name, value in self.fields if name == "event"]
        return values[-1] if values else None

    def raw(self) -> str:
        """The event as it would be written, for messages."""
        return "\\n".join(f"{name}: {value}" for name, value in self.fields)


@dataclass
class SSEStreamParse:
    """A whole event stream.

    Attributes:
        events: every event with at least one field, in order.
        comments: comment lines between events (keep-alives), without the ``:``.
        text: the body decoded as UTF-8 (invalid bytes replaced).
    """

    events: list[SSEEvent]
    comments: list[str]
    text: str

    @property
    def data_events(self) -> list[SSEEvent]:
        """Events that carry data."""
        return [e for e in self.events if e.data is not None]


def parse_sse(body: bytes) -> SSEStreamParse:
    """Parse an SSE body into events, keeping an unterminated final event.

    Args:
        body: the whole response body.

    Returns:
        The events and the keep-alive comments, in order.
    """
    text = body.decode("utf-8", errors="replace")
    lines = _LINE.split(text)
    # split() leaves "" after a final line ending; it is not a blank line of its own.
    ends_with_newline = bool(lines) and lines[-1] == ""
    if ends_with_newline:
        lines.pop()
    events: list[SSEEvent] = []
    comments: list[str] = []
    current = SSEEvent()
    for line in lines:
        if line == "":
            if current.fields:
                current.terminated = True
                current.offset = len(events)
                events.append(current)
            else:
                comments.extend(current.comments)
            current = SSEEvent()
            continue
        if line.startswith(":"):
            current.comments.append(line[1:].lstrip(" "))
            continue
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        current.fields.append((name, value))
    if current.fields:
        current.offset = len(events)
        events.append(current)
    else:
        comments.extend(current.comments)
    return SSEStreamParse(events=events, comments=comments, text=text)
