"""The echo backend: answers with the last user message, one token per delta."""

from __future__ import annotations

from collections.abc import AsyncIterator

from mockgpt.backends.base import RequestContext
from mockgpt.events import Event, Finish, TextDelta
from mockgpt.models import CreateChatCompletionRequest
from mockgpt.models.chat import content_text
from mockgpt.tokens import split_tokens


def last_user_text(request: CreateChatCompletionRequest) -> str:
    """The text of the last ``user`` message, or "" when there is none."""
    for message in reversed(request.messages):
        if message.role == "user":
            return content_text(message.content)
    return ""


def prompt_of(ctx: RequestContext, choice: int) -> str:
    """The text an answer responds to: the last user message, or the choice's legacy prompt."""
    request = ctx.request
    if isinstance(request, CreateChatCompletionRequest):
        return last_user_text(request)
    prompts = request.prompts
    return prompts[min(choice // request.choice_count, len(prompts) - 1)]


class EchoBackend:
    """Echoes the prompt back, token by token.

    Chat answers with the last user message's text, legacy completions with the prompt.
    Every choice gets the same text.
    """

    live = False

    async def respond(self, ctx: RequestContext) -> AsyncIterator[Event]:
        """One ``TextDelta`` per token, then ``Finish("stop")``, for each choice in order."""
        for choice in range(ctx.choices):
            for piece in split_tokens(prompt_of(ctx, choice)):
                yield TextDelta(piece, choice)
            yield Finish("stop", choice)
