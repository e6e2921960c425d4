"""``RedisState``: the state every process of one mock shares, kept in Redis.

Each process still answers from its own in-memory state (``Engine``: stubs, journal,
stores); Redis makes them one. What moves, and when:

- stub changes (admin API writes, resets) are appended to a list with an epoch and
  announced on a channel; every process replays them, and the writer waits until each
  process has acknowledged, so that every process sees a change before its next request.
  Nothing is read per request for it.
- sequence positions and chaos draws are counted in Redis (``HINCRBY``, atomic), only for a
  stub with a ``sequence`` or a scenario with ``chaos``.
- journal entries are queued when their response's last byte goes out and written by a
  task, batched (the entries queued meanwhile share one round trip; a Lua script numbers
  them and keeps the count and byte caps); nothing waits for it. An admin request that reads
  the journal first asks every process to write its queue. An entry the store did not take
  stays queued and is written when the store is back.
- stored objects (``stores.KINDS``) are read before a request of their family and written
  back before its last byte goes out (``objects.ObjectSync``).

A process that loses Redis answers 503 until it is back (``up``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mockgpt.engine import Engine
from mockgpt.journal import JournalEntry
from mockgpt.scenarios import Scenario
from mockgpt.scenarios.registry import StubConflict, StubNotFound
from mockgpt.scenarios.schema import Stub
from mockgpt.shared import scripts
from mockgpt.shared.codec import decode_change, decode_entry, encode_change, encode_entry
from mockgpt.shared.scripts import SCRIPT_NAMES, Keys, space_field
from mockgpt.shared.stores import KINDS
from mockgpt.shared.unreachable import StateUnreachable, redact

if TYPE_CHECKING:
    import redis
    import redis.asyncio

logger = logging.getLogger(__name__)

TIMEOUT_S = 10.0
"""How long one command may take before the store counts as lost, seconds. A store that is
down refuses at once; this is for one that hangs, and leaves room for a busy event loop."""
START_WAIT_S = 3.0
"""How long a process waits for the store at start before it serves (503s until it is there)."""
BATCH_WAIT_S = 0.005
"""How long a journal batch waits for more entries before it is written, seconds (nothing
waits on it: a journal read flushes first)."""
ACK_WAIT_S = 5.0
"""How long a change waits for each process to acknowledge it, seconds."""
PING_EVERY_S = 0.25
"""How often an idle process checks that the store is there, seconds."""


class RedisState:
    """The Redis implementation of a mock's state (the module doc says what it shares).

    Args:
        url: ``redis://HOST:PORT/DB`` (``rediss://`` for TLS; a password in the URL is
            never shown).
        engine: the process's engine; its registry counts and notes changes through this.
        prefix: of every key, so that one database may hold other data.
    """

    def __init__(self, url: str, engine: Engine, *, prefix: str = "mockgpt:") -> None:
        import redis  # the optional 'redis' extra: imported only with --state
        import redis.asyncio

        self.url = url
        self.shown = redact(url)
        self.engine = engine
        self.keys = Keys(prefix)
        options: dict[str, Any] = {
            "socket_timeout": TIMEOUT_S,
            "socket_connect_timeout": TIMEOUT_S,
        }
        self.client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(url, **options)
        self.blocking: redis.Redis = redis.Redis.from_url(url, **options)
        """For the counts taken while a stub is chosen (synchronous code, one round trip)."""
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        database = self.client.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"{self.keys.channel}:{database}"
        """Where processes announce changes: channels are not per database, keys are."""
        self.up = False
        """Whether the store answers; while False every request gets a 503."""
        self.changes: list[str] = []
        """This process's stub changes not yet announced."""
        self.epoch, self.applied = -1, 0
        """The epoch and how many of its changes this process has applied."""
        self.kept: list[JournalEntry] = []
        """Journal entries waiting to be written (batched; kept while the store is away)."""
        self._writing = False
        self._appended: set[int] = set()
        """``id()`` of the entries queued before they settled."""
        self._tokens: dict[int, str] = {}  # id() of a queued entry -> its token (written once)
        process = uuid.uuid4().hex[:12]
        self._new_tokens = (f"{process}:{n}" for n in itertools.count())
        self._replaying = False
        self._sync = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.scripts = {
            name: self.client.register_script(getattr(scripts, name)) for name in SCRIPT_NAMES
        }
        engine.registry.remote = self

    # -- life --------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect and catch up (waits up to ``START_WAIT_S``; a store still away: 503s)."""
        if self._listener is None:
            self.engine.journal.listen(self._settled)
            self._listener = asyncio.get_running_loop().create_task(self._listen())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), START_WAIT_S)

    async def close(self) -> None:
        """Write the journal entries kept, stop listening and disconnect."""
        with contextlib.suppress(*self.errors):
            await self.flush()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self.client.aclose()
        self.blocking.close()

    def lost(self, error: BaseException) -> None:
        """Note that the store failed (every request gets a 503 until it is back)."""
        if self.up:
            logger.warning("mockgpt state store %s is unreachable: %s", self.shown, error)
        self.up = False

    async def _listen(self) -> None:
        """Hear of other processes' changes; find the store gone and back again."""
        while True:
            pubsub = self.client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                await self.catch_up()
                if not self.up:
                    logger.info("mockgpt state store %s is reachable", self.shown)
                self.up = True
                if self.kept and not self._writing:  # what the store did not take before
                    self._writing = True
                    asyncio.get_running_loop().create_task(self._write_batches())
                self._ready.set()
                while self.up:
                    message = await pubsub.get_message(True, timeout=PING_EVERY_S)
                    if message is None:
                        await self.client.ping()
                        continue
                    kind, _, ack = message["data"].partition(b" ")
                    if kind == b"flush":
                        await self.flush()
                    else:
                        await self.catch_up()
                    await self.client.rpush(ack, b"1")
                    await self.client.expire(ack, int(ACK_WAIT_S) + 1)
            except asyncio.CancelledError:
                raise
            except self.errors as exc:
                self.lost(exc)
                await asyncio.sleep(PING_EVERY_S)
            finally:
                with contextlib.suppress(*self.errors):
                    await pubsub.aclose()

    # -- stubs: counts and changes (called by StubRegistry) ----------------------------
    def count(self, test_id: str | None, stub_id: str) -> int:
        """Count one call of a stub in a space, atomically; the calls so far.

        Raises:
            StateUnreachable: the store did not answer.
        """
        try:
            return int(self.blocking.hincrby(self.keys.calls, space_field(test_id, stub_id), 1))
        except self.errors as exc:
            self.lost(exc)
            raise StateUnreachable(self.shown) from exc

    def chaos_draw(self, test_id: str | None, scenario: str, seed: int | None) -> random.Random:
        """The random source of a chaos draw: the ``n``-th draw of the space, from ``seed``.

        Raises:
            StateUnreachable: the store did not answer.
        """
        if seed is None:
            return random.Random()
        try:
            draw = self.blocking.hincrby(self.keys.chaos, space_field(test_id, scenario), 1)
        except self.errors as exc:
            self.lost(exc)
            raise StateUnreachable(self.shown) from exc
        return random.Random(f"{seed}:{draw}")

    def changed(self, op: str, test_id: str | None, **fields: Any) -> None:
        """Note a change for the other processes (``publish`` announces it)."""
        if not self._replaying:
            self.changes.append(encode_change(op, test_id, fields))

    @contextlib.contextmanager
    def _replay(self) -> Iterator[None]:
        self._replaying = True
        try:
            yield
        finally:
            self._replaying = False

    def _apply(self, change: dict[str, Any]) -> None:
        """Apply another process's change to this one's stubs (or state, for a reset)."""
        op, test_id, registry = change["op"], change["test_id"], self.engine.registry
        with self._replay():
            try:
                if op == "add":
                    scenario = Scenario.model_validate(change["scenario"])
                    registry.add(scenario, priority=change["priority"], test_id=test_id)
                elif op == "replace":
                    stub = Stub.model_validate(change["stub"])
                    registry.replace(change["stub_id"], stub, test_id=test_id)
                elif op == "delete":
                    registry.delete(change["stub_id"], test_id=test_id)
                elif op == "delete_added":
                    registry.delete_added(test_id, every=change["every"])
                elif op == "reset":
                    self.engine.reset(change["parts"], test_id=test_id)
            except (StubNotFound, StubConflict) as exc:  # raced with another change
                logger.debug("stub change %s not applied here: %s", op, exc)

    async def catch_up(self) -> None:
        """Apply the changes this process has not applied yet."""
        async with self._sync:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.get(self.keys.epoch)
                pipe.lrange(self.keys.changes, 0, -1)
                raw_epoch, changes = await pipe.execute()
            epoch = int(raw_epoch or 0)
            if epoch != self.epoch or len(changes) < self.applied:
                # every stub was reset (or the store lost them): start again from the loaded
                with self._replay():
                    self.engine.registry.reset(None, ("stubs",))
                self.epoch, self.applied = epoch, 0
            for raw in changes[self.applied :]:
                self._apply(decode_change(raw))
            self.applied = len(changes)

    async def publish(self) -> None:
        """Write this process's changes, then wait until every process has applied them.

        A reset also clears its parts in the store, in the same transaction.

        Raises:
            StateUnreachable: the store did not answer (the changes stay here only).
        """
        if not self.changes:
            return
        changes, self.changes = self.changes, []
        decoded = [decode_change(c) for c in changes]
        fresh = [
            i
            for i, c in enumerate(decoded)
            if c["op"] == "reset" and c["test_id"] is None and "stubs" in c["parts"]
        ]
        pushed = changes[fresh[-1] :] if fresh else changes
        try:
            if any(c["op"] == "reset" and "journal" in c["parts"] for c in decoded):
                await self._announce("flush")  # no entry queued before the reset comes after
            async with self._sync:
                async with self.client.pipeline(transaction=True) as pipe:
                    for change in decoded:
                        if change["op"] == "reset":
                            await self._clear(pipe, change["test_id"], change["parts"])
                    keys = [self.keys.changes, self.keys.epoch]
                    args = ["1" if fresh else "0", *pushed]
                    await self.scripts["PUSH_CHANGES"](keys, args, client=pipe)
                    epoch, length = (await pipe.execute())[-1]
                start = length - len(pushed)
                if not fresh and start > self.applied:  # another process's changes came first
                    for raw in await self.client.lrange(self.keys.changes, self.applied, start - 1):
                        self._apply(decode_change(raw))
                self.epoch, self.applied = epoch, length
            await self._announce("changes")
        except self.errors as exc:
            self.lost(exc)
            raise StateUnreachable(self.shown) from exc

    async def _announce(self, kind: str) -> None:
        """Ask every process to catch up (``changes``) or to write its journal (``flush``).

        Returns once each has done so (or after ``ACK_WAIT_S``).
        """
        ack = f"{self.keys.prefix}ack:{uuid.uuid4().hex}"
        processes = await self.client.publish(self.channel, f"{kind} {ack}")
        deadline = asyncio.get_running_loop().time() + ACK_WAIT_S
        while processes > 0 and asyncio.get_running_loop().time() < deadline:
            # each wait shorter than a command may take (TIMEOUT_S)
            if await self.client.blpop([ack], timeout=1) is not None:
                processes -= 1
        if processes > 0:
            logger.warning("%d mockgpt processes did not acknowledge %s", processes, kind)
        await self.client.delete(ack)

    async def _clear(self, pipe: Any, test_id: str | None, parts: list[str]) -> None:
        """Queue the store's side of a reset of ``parts`` (of one test id, or of all)."""
        keys, space = self.keys, "" if test_id is None else space_field(test_id)
        if "journal" in parts:
            clear = self.scripts["CLEAR_JOURNAL"]
            await clear([keys.journal, keys.journal_bytes], [test_id or ""], client=pipe)
        if "sequences" in parts:
            await self.scripts["FORGET_COUNTS"]([keys.calls], [space], client=pipe)
        if "chaos" in parts:
            await self.scripts["FORGET_COUNTS"]([keys.chaos], [space], client=pipe)
        if "stored" in parts:
            for kind in KINDS:
                clear = self.scripts["CLEAR_OBJECTS"]
                await clear([keys.index(kind.name)], [keys.objects(kind.name)], client=pipe)

    # -- journal -----------------------------------------------------------------------
    def _settled(self, entry: JournalEntry) -> None:
        """Queue an entry that settled without ``journal_append`` (a WebSocket's, one cut off)."""
        if id(entry) in self._appended:
            self._appended.discard(id(entry))
        elif self.engine.config.journal_size > 0:
            self.journal_append(entry)

    def journal_append(self, entry: JournalEntry, *, before_settle: bool = False) -> None:
        """Queue one finished entry; a task writes the queue, one round trip per batch.

        Nothing waits for it: a journal read first asks every process to ``flush``; while
        the store is away entries stay queued. ``before_settle``: queued as its last byte
        goes out (its settling then queues nothing more).
        """
        if before_settle:
            self._appended.add(id(entry))
        self._tokens[id(entry)] = next(self._new_tokens)
        self.kept.append(entry)
        if not self._writing and self.up:
            self._writing = True
            asyncio.get_running_loop().create_task(self._write_batches())

    async def _write_batches(self) -> None:
        """Write the entries queued, one round trip per batch, while there are any."""
        self._writing = True
        try:
            while self.kept and self.up:
                await asyncio.sleep(BATCH_WAIT_S)  # let the requests finishing now join
                entries, self.kept = self.kept, []
                try:
                    await self._append(entries)
                except self.errors as exc:
                    self.kept[:0] = entries  # written when the store is back
                    self.lost(exc)
        finally:
            self._writing = False

    async def flush(self) -> None:
        """Return once the entries queued so far are written (or the store is away)."""
        if self.kept and not self._writing and self.up:
            self.journal_append(self.kept.pop())  # starts the writer
        while (self.kept or self._writing) and self.up:
            await asyncio.sleep(0.001)

    async def _append(self, entries: list[JournalEntry]) -> None:
        config = self.engine.config
        pairs = [x for e in entries for x in (self._tokens[id(e)], encode_entry(e))]
        keys = self.keys.journal_append
        for start in range(0, len(pairs), 1000):  # Lua's stack takes a few thousand arguments
            args: list[Any] = [config.journal_size, config.journal_bytes]
            args += pairs[start : start + 1000]
            await self.scripts["APPEND_JOURNAL"](keys, args)
        for entry in entries:
            del self._tokens[id(entry)]

    async def refresh_journal(self) -> None:
        """Make this process's journal hold the store's (before an admin request reads it).

        Raises:
            StateUnreachable: the store did not answer.
        """
        try:
            await self._announce("flush")
            lines: list[Any] = await self.client.lrange(self.keys.journal, 0, -1)
        except self.errors as exc:
            self.lost(exc)
            raise StateUnreachable(self.shown) from exc
        entries = []
        for line in lines:
            seq, _, rest = line.partition(b"\t")
            entries.append(decode_entry(rest, int(seq)))
        entries.sort(key=lambda entry: entry.started)  # arrival order, as in one process
        self.engine.journal.replace(entries)
