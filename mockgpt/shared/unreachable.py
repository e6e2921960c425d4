"""What a process says when its shared state store is away: a 503 naming the store."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from mockgpt.errors import RequestRejected


class StateUnreachable(RequestRejected):
    """503: the shared state store does not answer (``mockgpt state store URL is ...``)."""

    def __init__(self, shown_url: str) -> None:
        super().__init__(
            503,
            f"mockgpt state store {shown_url} is unreachable; this process answers again as "
            "soon as it is back.",
            type="server_error",
            code="state_store_unreachable",
            headers={"retry-after": "1"},
        )


def redact(url: str) -> str:
    """``url`` without its password (``redis://:***@host:6379/0``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
