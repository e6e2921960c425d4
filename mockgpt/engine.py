"""The engine: from a validated request to a stream of events.

``Engine.select(ctx)`` picks the stub (or the fallback) that answers; ``Engine.answer`` runs
its backend through the generation limits and counts usage. Routes render what it yields;
nothing here knows wire field names.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from mockgpt.assistants_store import assistants_store
from mockgpt.backends import Backend, EchoBackend, RequestContext
from mockgpt.backends.proxy import ProxyBackend
from mockgpt.config import ServerConfig
from mockgpt.errors import ConfigError, RequestRejected
from mockgpt.events import Event
from mockgpt.journal import Journal
from mockgpt.limits import Limiter, limited
from mockgpt.models import CreateChatCompletionRequest
from mockgpt.models.chat import content_text
from mockgpt.recorder import Recorder
from mockgpt.scenarios import Scenario, load_scenario
from mockgpt.scenarios.matchers import MatchInput
from mockgpt.scenarios.registry import Selection, StubRegistry
from mockgpt.sse import dumps
from mockgpt.store import ResponseStore
from mockgpt.tokens import MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMING_TOKENS, count_tokens

logger = logging.getLogger(__name__)


@dataclass
class Answer:
    """The events of one answer, and how they may be sent.

    Attributes:
        events: canonical events, a ``Finish`` per choice, ``Usage`` last.
        live: True when events arrive over time and each must be sent as it comes.
    """

    events: AsyncIterator[Event]
    live: bool


async def prime(answer: Answer) -> Answer:
    """Wait for the first event of a live answer before the response starts.

    An upstream error then surfaces as an HTTP status and envelope, not mid-stream (an error
    before the stream starts gets a normal status).
    """
    events = answer.events
    try:
        first = await events.__anext__()
    except StopAsyncIteration:
        return answer

    async def chained() -> AsyncIterator[Event]:
        yield first
        async for event in events:
            yield event

    return Answer(chained(), live=True)


def chat_prompt_tokens(request: CreateChatCompletionRequest) -> int:
    """Prompt tokens of a chat request.

    Each message's text plus its overhead, the reply priming, and the tools as JSON.
    """
    total = REPLY_PRIMING_TOKENS
    for message in request.messages:
        total += MESSAGE_OVERHEAD_TOKENS + count_tokens(content_text(message.content))
        name = getattr(message, "name", None)
        if name:
            total += count_tokens(name)
        for call in getattr(message, "tool_calls", None) or ():
            total += count_tokens(call.function.name) + count_tokens(call.function.arguments)
    if request.tools:
        total += count_tokens(dumps([t.model_dump(by_alias=True) for t in request.tools]).decode())
    return total


class Engine:
    """Answers requests; holds what a server keeps between them: stubs, journal, errors.

    Args:
        config: the server's settings; its scenarios are loaded here.

    Raises:
        ScenarioError: a scenario named in ``config.scenarios`` is missing or invalid.
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.journal = Journal(config.journal_size)
        self.fallback: Backend = EchoBackend()
        scenarios = [load_scenario(s) for s in config.scenarios]
        if config.quirks:
            scenarios.append(Scenario(name="quirks", quirks=list(config.quirks)))
        self.registry = StubRegistry(scenarios)
        if config.upstream:
            self.fallback = ProxyBackend(config.upstream, config.upstream_api_key)
        elif config.local_model:
            from mockgpt.backends.local import LocalModelBackend

            self.fallback = LocalModelBackend(config.local_model)
        elif any(s.fallback == "proxy" for s in scenarios):
            raise ConfigError(
                "a scenario has `fallback: proxy` but no upstream is set (use --upstream URL)"
            )
        self.recorder = (
            Recorder(
                config.record, upstream=config.upstream or "", sequences=config.record_sequences
            )
            if config.record
            else None
        )
        self.store = ResponseStore()
        self.errors: list[BaseException] = []
        """Exceptions raised while serving (each also answered with a 500 envelope)."""

    @property
    def quirks(self) -> frozenset[str]:
        """Quirks of the loaded scenarios (those that apply before any stub is chosen)."""
        quirks: frozenset[str] = self.registry.quirks
        return quirks

    def check_model(self, model: str) -> None:
        """Refuse a model outside a fixed model list.

        Raises:
            RequestRejected: 404 ``model_not_found`` when ``strict_models`` and ``model`` is
                not listed.
        """
        if self.config.strict_models and model not in self.config.models:
            raise RequestRejected(
                400 if "unknown-model-400" in self.quirks else 404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )

    def select(self, ctx: RequestContext) -> Selection:
        """Choose the stub (or fallback) that answers ``ctx``; sets ``ctx.quirks``.

        A scripted error (or the ``error`` fallback) comes back as ``Selection.error``.
        """
        selection = self.registry.select(
            MatchInput(ctx.endpoint, ctx.body, ctx.headers), self.fallback
        )
        ctx.quirks = selection.quirks
        return selection

    def answer(self, selection: Selection, ctx: RequestContext, *, limiter: Limiter) -> Answer:
        """The events answering ``ctx``, cut by ``limiter`` and ending with ``Usage``."""
        backend = selection.backend
        if getattr(backend, "limits_upstream", False):
            # the upstream applied max_tokens and stop with its own tokenizer
            limiter = Limiter(n=ctx.choices, max_tokens=None, stops=(), prompt_tokens=0)
        events = backend.respond(ctx)
        if self.recorder is not None and selection.stub_id is None:
            events = self.recorder.wrap(ctx, events)
        return Answer(limited(events, limiter), live=backend.live)

    async def aclose(self) -> None:
        """Release what the backends hold open (the proxy's HTTP connections)."""
        aclose = getattr(self.fallback, "aclose", None)
        if aclose is not None:
            await aclose()

    def reset(self) -> None:
        """Forget the per-run state.

        That is run-time stubs, call counts, chaos state, stored responses and conversations,
        the journal and recorded errors.
        """
        self.registry.reset()
        self.store.clear()
        assistants_store(self).clear()
        self.journal.clear()
        self.errors.clear()
