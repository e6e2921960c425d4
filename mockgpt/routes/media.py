"""What the moderations, images and audio adapters share: their ``Turn`` and ``MediaWire``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mockgpt.backends.base import PassThrough
from mockgpt.conversation import Message, Prompt
from mockgpt.engine import Reply
from mockgpt.http.send import Wire
from mockgpt.scenarios.schema import Respond
from mockgpt.turn import Turn
from mockgpt.types import Endpoint, JSONObject


def media_turn(
    request: Request, endpoint: Endpoint, texts: list[str], body: JSONObject, model: str
) -> Turn:
    """The ``Turn`` of a media request: each text is a user message (``last_user`` the last).

    Args:
        request: the HTTP request (headers, request id).
        endpoint: the family.
        texts: what stubs match with ``last_user`` and ``any_message``.
        body: the JSON body (or the form's fields), for ``match.body`` and templates.
        model: the requested model.
    """
    return Turn(
        endpoint=endpoint,
        prompt=Prompt(tuple(Message("user", text, content=text) for text in texts)),
        parsed=body,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        model=model,
    )


class MediaWire(Wire):
    """A media family's writer, reading the stub's answer from ``reply.selection``.

    An unmatched JSON request passes upstream unchanged when the fallback is a proxy.

    Args:
        path: the OpenAI path forwarded to (``/moderations``).
        body: the JSON body to forward; None for a request that cannot be (multipart).
    """

    def __init__(self, path: str, body: JSONObject | None) -> None:
        self.path = path
        self.body_sent = body

    def begin(self, reply: Reply) -> ASGIApp | None:
        """Raise the reply's error; pass an unmatched request upstream (proxy fallback)."""
        early = super().begin(reply)
        if early is None and reply.forward is not None and self.body_sent is not None:
            return Forwarded(reply.forward, self.path, self.body_sent)
        return early

    @staticmethod
    def script(reply: Reply) -> Respond | None:
        """The stub's answer (``respond``, or its sequence's next); None for the fallback."""
        return reply.selection.answer if reply.selection is not None else None


class Forwarded:
    """The upstream's answer to a forwarded request, status, content type and body unchanged."""

    def __init__(self, upstream: PassThrough, path: str, body: JSONObject) -> None:
        self.upstream = upstream
        self.path = path
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the upstream's answer."""
        status, content = await self.upstream.forward("POST", self.path, self.body)
        media_type = "application/json" if content[:1] in (b"{", b"[") else None
        await Response(content, status_code=status, media_type=media_type)(scope, receive, send)
