"""The backend seam: ``Backend.respond(ctx) -> AsyncIterator[Event]``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Union

from mockgpt.events import Event
from mockgpt.models import CreateChatCompletionRequest, CreateCompletionRequest
from mockgpt.types import Endpoint, JSONObject

GenerationRequest = Union[CreateChatCompletionRequest, CreateCompletionRequest]


@dataclass
class RequestContext:
    """One request as a backend sees it.

    Attributes:
        endpoint: the API family, e.g. ``chat.completions``.
        request: the validated request model.
        body: the decoded JSON body, as sent.
        headers: request headers, lower-case names.
        request_id: the ``x-request-id`` the response carries.
        choices: how many choices to answer (``n``; for legacy completions, prompts x n).
        quirks: the active quirk names (``mockgpt.quirks``).
    """

    endpoint: Endpoint
    request: GenerationRequest
    body: JSONObject
    headers: Mapping[str, str] = field(default_factory=dict)
    request_id: str = ""
    choices: int = 1
    quirks: frozenset[str] = frozenset()

    def response_schema(self) -> tuple[str, dict[str, Any] | None]:
        """The structured output asked for: (``text`` | ``json_object`` | ``json_schema``, schema).

        Reads ``response_format`` (chat) or ``text.format`` (Responses API).
        """
        fmt = self.body.get("response_format")
        text = self.body.get("text")
        if fmt is None and isinstance(text, dict):
            fmt = text.get("format")
        if not isinstance(fmt, dict):
            return "text", None
        kind = str(fmt.get("type", "text"))
        spec = fmt.get("json_schema") if isinstance(fmt.get("json_schema"), dict) else fmt
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return kind, schema if isinstance(schema, dict) else None

    @property
    def seed(self) -> int:
        """The request's ``seed``, 0 when none."""
        seed = self.body.get("seed")
        return seed if isinstance(seed, int) and not isinstance(seed, bool) else 0


class Backend(Protocol):
    """Where answers come from: echo, scripted stubs, a proxy, a local model.

    A backend never builds wire JSON: it yields events and the renderer does the rest.
    """

    live: bool
    """True when events arrive over time (a proxy, a model): each is sent as it comes.
    False when all events are ready at once: an unpaced stream is then written in one go."""

    def respond(self, ctx: RequestContext) -> AsyncIterator[Event]:
        """The events of the answer to ``ctx``; a ``Finish`` per choice."""
        ...
