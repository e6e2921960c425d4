"""The backend seam: ``Backend.respond(ctx) -> AsyncIterator[Event]``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol, Union

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
    """

    endpoint: Endpoint
    request: GenerationRequest
    body: JSONObject
    headers: Mapping[str, str] = field(default_factory=dict)
    request_id: str = ""
    choices: int = 1


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
