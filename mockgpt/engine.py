"""The engine: ``Engine.serve(turn) -> Reply``, the one decision pipeline.

For every API family, ``serve`` picks the stub (or the fallback) that answers a ``Turn``,
turns its scripted error or fault into an error and a fault plan, resolves the pacing and the
quirks, and starts the backend's events through the generation limits (``max_tokens``,
``stop``, usage). It knows no HTTP: ``mockgpt.http.send`` turns the ``Reply`` into bytes, and
nothing here knows wire field names.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass

import anyio

from mockgpt.backends import Backend, EchoBackend
from mockgpt.backends.base import PassThrough
from mockgpt.backends.echo import LoremBackend
from mockgpt.backends.local import LocalModelBackend
from mockgpt.backends.proxy import ProxyBackend
from mockgpt.backends.scripted import ScriptedBackend
from mockgpt.config import ServerConfig
from mockgpt.errors import ConfigError, RequestRejected
from mockgpt.events import Event
from mockgpt.faults import error_from_spec, stream_breaks
from mockgpt.ids import IdSource
from mockgpt.limits import Limiter, limit_ready, limited
from mockgpt.quirks import unknown_model_status
from mockgpt.recorder import Recorder
from mockgpt.scenarios import Scenario, load_scenario
from mockgpt.scenarios.lifecycle import LifecycleScript
from mockgpt.scenarios.matchers import MatchView
from mockgpt.scenarios.registry import STUB_PARTS, Selection, StubRegistry
from mockgpt.scenarios.schema import EmbeddingScript, Fault
from mockgpt.sse import AsyncioClock, Clock
from mockgpt.state import RESET_PARTS, Scope, ServerState
from mockgpt.tasks import Tasks
from mockgpt.turn import Turn
from mockgpt.webhooks import Webhooks

logger = logging.getLogger(__name__)


async def _as_async(events: Sequence[Event] | AsyncIterator[Event]) -> AsyncIterator[Event]:
    if isinstance(events, Sequence):
        for event in events:
            yield event
    else:
        async for event in events:
            yield event


@dataclass
class Reply:
    """Everything decided about the answer to one ``Turn``; no HTTP, no wire format.

    Attributes:
        stub_id: the stub that answered, None for the fallback.
        misses: stub id -> why it did not match, for every stub tried before (the journal).
        quirks: the quirk names active for this answer.
        error: the answer is this HTTP error (a scripted error, a fault's ``http_error``, the
            ``error`` fallback, an exhausted sequence), with ``quirks`` attached.
        fault: what goes wrong with the answer (a delay, a reset, a break after N events).
        ttft_ms: time to first token of a stream, milliseconds (the stub's, else the
            scenario's, else the server's).
        tokens_per_second: stream pacing after the first token (``math.inf``: unpaced).
        model: the model the answer reports.
        selection: what answered (the stub's ``respond`` and call count), for the families
            that read their answer from it (moderations, images, audio).
        events: canonical events, a ``Finish`` per choice, ``Usage`` last: a tuple when the
            answer is ready at once, an async iterator when it arrives over time; empty
            when ``error`` is set or the family generates nothing.
        live: True when events arrive over time (a proxy, a model) and each must be sent as
            it comes.
        forward: the backend that passes the request upstream unchanged, when no stub
            matched and the fallback is a proxy (embeddings).
        embedding: the stub's scripted vectors (``respond.embedding``), None for none.
        lifecycle: when the job the answer starts ends (``respond.lifecycle``), None for
            the default.
    """

    stub_id: str | None
    misses: dict[str, str]
    quirks: frozenset[str]
    error: RequestRejected | None
    fault: Fault | None
    ttft_ms: float
    tokens_per_second: float
    model: str
    selection: Selection | None
    events: tuple[Event, ...] | AsyncIterator[Event]
    live: bool
    forward: PassThrough | None = None
    embedding: EmbeddingScript | None = None
    lifecycle: LifecycleScript | None = None
    _primed: AsyncIterator[Event] | None = None
    """The live events as the backend gave them, once ``prime`` has wrapped them."""

    @property
    def paced(self) -> bool:
        """Whether a stream is paced (a time to first token or a token rate is set)."""
        return self.ttft_ms > 0 or not math.isinf(self.tokens_per_second)

    @property
    def breaks(self) -> bool:
        """Whether the fault acts on the events of a stream (a break after N events)."""
        return stream_breaks(self.fault)

    def each(self) -> AsyncIterator[Event]:
        """The events, ready or live, as one async iterator."""
        return _as_async(self.events)

    @property
    def plain(self) -> bool:
        """Whether a stream can go out in one write: ready events, unpaced, unbroken."""
        return not self.live and not self.paced and not self.breaks and not self.quirks

    async def prime(self) -> None:
        """Wait for the first event of a live answer before the response starts.

        An upstream error then surfaces as an HTTP status and envelope, not mid-stream.

        Raises:
            RequestRejected: the backend failed before its first event.
        """
        events = self.events
        if isinstance(events, tuple):
            return
        try:
            first = await events.__anext__()
        except StopAsyncIteration:
            return

        async def chained() -> AsyncIterator[Event]:
            yield first
            async for event in events:
                yield event

        self._primed = events
        self.events = chained()

    async def aclose(self) -> None:
        """Close live events not read to their end (the upstream's connection goes with them).

        Does nothing for ready events, or live ones already closed.
        """
        for events in (self.events, self._primed):
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()


class Engine:
    """Answers requests; holds what a server keeps between them: stubs, journal, errors.

    Args:
        config: the server's settings; its scenarios are loaded here.
        clock: what every wait of an answer (a delay, a stall, pacing) sleeps on; tests pass
            a fake clock and never wait.

    Raises:
        ScenarioError: a scenario named in ``config.scenarios`` is missing or invalid.
    """

    def __init__(self, config: ServerConfig, *, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or AsyncioClock()
        self.state = ServerState(
            config.journal_size,
            config.journal_body_bytes,
            config.max_stored,
            config.journal_bytes,
            config.max_files_bytes,
        )
        self.journal = self.state.journal
        self.test_header = config.test_header.lower()
        """The request header naming a request's test id (``X-Mockgpt-Test``), lower case."""
        self.echo = EchoBackend()
        self.lorem = LoremBackend()
        self.fallback: Backend = self.echo
        self.upstream: PassThrough | None = None
        """Where requests no stub answers go unchanged (``--upstream``), None without one."""
        scenarios = [load_scenario(s) for s in config.scenarios]
        if config.quirks:
            scenarios.append(Scenario(name="quirks", quirks=list(config.quirks)))
        self.registry = StubRegistry(scenarios)
        self.base_seed = config.seed if config.seed is not None else first_seed(scenarios)
        """The seed of the server's ids: ``--seed``, else its scenarios' first ``seed``."""
        self.ids = IdSource(self.base_seed)
        if config.upstream:
            self.upstream = ProxyBackend(
                config.upstream, config.upstream_api_key, config.upstream_timeout
            )
            self.fallback = self.upstream
        elif config.local_model:
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
        self.store = self.state.responses
        self.errors = self.state.errors
        """Exceptions raised while serving (each also answered with a 500 envelope)."""
        self.tasks = Tasks()
        """What runs beside the requests (job timers, webhook deliveries)."""
        self.webhooks = Webhooks(config.webhooks, self.journal, self.tasks)
        """``webhooks.emit(type, object_id)`` sends an event when a job ends."""

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
                unknown_model_status(self.quirks),
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )

    def serve(self, turn: Turn) -> Reply:
        """Decide the answer to ``turn``: stub, error, fault, pacing, quirks and events.

        Sets ``turn.quirks``. The events are not started: a live backend begins when the
        sender first reads them (after any delay). A backend that refuses the turn before
        answering (a content template that failed) makes ``Reply.error``.
        """
        test_id = turn.headers.get(self.test_header) or None
        selection = self.registry.select(MatchView(turn), test_id)
        quirks = turn.quirks = selection.quirks
        fault = selection.fault
        spec = selection.error or (fault.http_error if fault is not None else None)
        error = None
        if spec is not None:
            error = error_from_spec(spec)
            error.quirks = quirks
        config = self.config
        backend = self._backend(selection)
        forward: PassThrough | None = None
        events: tuple[Event, ...] | AsyncIterator[Event] = ()
        if selection.stub_id is None and not turn.generates and backend is self.fallback:
            forward = self.upstream
        elif error is None and turn.generates and not (fault and fault.reset):
            try:
                events = self._events(selection, backend, turn)
            except RequestRejected as exc:  # a content template that failed
                error = exc
                error.quirks = quirks
        return Reply(
            stub_id=selection.stub_id,
            misses=selection.misses,
            quirks=quirks,
            error=error,
            fault=fault,
            ttft_ms=config.ttft_ms if selection.ttft_ms is None else selection.ttft_ms,
            tokens_per_second=(
                config.tokens_per_second
                if selection.tokens_per_second is None
                else selection.tokens_per_second
            ),
            model=selection.model or turn.model,
            selection=selection,
            events=events,
            live=backend.live,
            forward=forward,
            embedding=selection.answer.embedding if selection.answer is not None else None,
            lifecycle=selection.answer.lifecycle if selection.answer is not None else None,
        )

    def _backend(self, selection: Selection) -> Backend:
        """The backend that answers a selection: the stub's script, echo, lorem or fallback."""
        if selection.stub_id is not None:
            if selection.answer is None:
                return self.echo
            return ScriptedBackend(
                selection.answer, stub_id=selection.stub_id, call_count=selection.calls
            )
        if selection.fallback == "lorem":
            return self.lorem
        return self.fallback

    def _events(
        self, selection: Selection, backend: Backend, turn: Turn
    ) -> tuple[Event, ...] | AsyncIterator[Event]:
        """The events answering ``turn``, cut by its limits and ending with ``Usage``.

        A ready answer (echo, lorem, scripted) is limited here, at once, into a tuple; a live
        one (a proxy, a model) is limited as its events arrive.
        """
        if getattr(backend, "limits_upstream", False):
            # the upstream applied max_tokens and stop with its own tokenizer
            limiter = Limiter(n=turn.choices, max_tokens=None, stops=(), prompt_tokens=0)
        else:
            limiter = Limiter(
                n=turn.choices,
                max_tokens=turn.max_tokens,
                stops=turn.stops,
                prompt_tokens=turn.prompt_tokens,
            )
        events = backend.respond(turn)
        if self.recorder is not None and selection.stub_id is None:
            events = self.recorder.wrap(turn, _as_async(events))
        if isinstance(events, Sequence):
            return limit_ready(events, limiter)
        return limited(events, limiter)

    async def aclose(self) -> None:
        """Stop the tasks; close the backends' connections; write what was recorded."""
        await self.tasks.aclose()
        aclose = getattr(self.fallback, "aclose", None)
        if aclose is not None:
            await aclose()
        if self.recorder is not None:
            await anyio.to_thread.run_sync(self.recorder.flush)

    def seed_ids(self, seed: int | None) -> None:
        """Use ``seed`` for ids and timestamps from now on (None: the server's own seed)."""
        self.ids = IdSource(seed if seed is not None else self.base_seed)

    def reset(
        self, parts: Collection[str] = RESET_PARTS, *, test_id: str | None = None
    ) -> list[str]:
        """Forget the per-run state, or the ``parts`` of it, of the server or of one test id.

        The whole server's (every part, no ``test_id``) is the stubs added while serving,
        call counts, chaos state, stored objects, the journal, the errors recorded and the
        id sequence (a seeded server's ids start again), for every test id. A ``test_id``
        has its own stubs, call counts, chaos state and journal entries only.

        Args:
            parts: of ``RESET_PARTS``; fewer forget only those (for every test id, without
                ``test_id``).
            test_id: the test id whose state goes; None for the whole server.

        Returns:
            The parts forgotten, in the order of ``RESET_PARTS``.

        Raises:
            ValueError: an unknown part, or ``stored`` with a ``test_id``.
        """
        unknown = ", ".join(repr(p) for p in parts if p not in RESET_PARTS)
        if unknown:
            raise ValueError(f"unknown part(s) {unknown}; known: {', '.join(RESET_PARTS)}")
        if test_id is not None and "stored" in parts:
            raise ValueError(
                "stored objects (responses, conversations, assistants, threads, files, batches) "
                "are shared by every test id (their ids are random: no test sees another's "
                "unless told): reset them without the test id header"
            )
        done = [p for p in RESET_PARTS if p in parts]
        self.registry.reset(test_id, [p for p in done if p in STUB_PARTS])
        if "journal" in done:
            self.journal.clear(test_id)
        if "stored" in done:
            self.tasks.cancel_all()  # the jobs of stored objects, and their webhooks
            self.state.responses.clear()
            self.state.assistants.clear()
            self.state.files.clear()
            self.state.batches.clear()
            self.state.images.clear()
            self.state.ollama_models.clear()
        if test_id is None and len(done) == len(RESET_PARTS):
            self.state.reset()
            self.ids.reset()
        if self.registry.remote is not None:  # a shared state resets the other processes
            self.registry.remote.changed("reset", test_id, parts=done)
        return done

    def scope(self, test_id: str | None) -> Scope:
        """What requests sent with ``test_id`` see (None: the shared space); see ``Scope``."""
        return Scope(test_id, self.registry, self.journal, self.reset, self.config.test_header)


def first_seed(scenarios: Sequence[Scenario]) -> int | None:
    """The ``seed`` of the first scenario that gives one; None when none does."""
    return next((s.seed for s in scenarios if s.seed is not None), None)
