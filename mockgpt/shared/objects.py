"""Stored objects shared through the store: read before a request, written back after.

Each process keeps its stores in memory as before (``ResponseStore``, ``AssistantsStore``);
with a shared state they are a cache. A request of a family with stored objects
(``stores.KINDS``) first reads the objects it names (ids in its path or body; every object
for a listing) into the process, and before its last byte goes out the objects it made,
changed or deleted are written back, each kind bounded by ``max_stored`` (oldest dropped).
An object that another request of the same process is using is not read again under it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mockgpt.shared.redis_state import RedisState
from mockgpt.shared.stores import SharedKind, dumps, loads
from mockgpt.shared.unreachable import StateUnreachable


@dataclass
class Loaded:
    """The stored objects one request named, as read before it ran.

    Attributes:
        kinds: the kinds its family touches.
        read: (kind name, id) -> the object as read (None: not in the store).
        before: kind name -> the ids the process held after reading.
    """

    kinds: list[SharedKind]
    read: dict[tuple[str, str], bytes | None] = field(default_factory=dict)
    before: dict[str, set[str]] = field(default_factory=dict)


class ObjectSync:
    """Reads and writes back the stored objects of requests, through ``state``."""

    def __init__(self, state: RedisState) -> None:
        self.state = state
        self.in_use: Counter[str] = Counter()
        """Ids of stored objects that requests of this process are using now."""

    async def load(self, kinds: list[SharedKind], path: str, method: str, body: bytes) -> Loaded:
        """Read the objects a request names (and every one of a listed kind) into this process.

        Raises:
            StateUnreachable: the store did not answer.
        """
        loaded = Loaded(kinds)
        client: Any = self.state.client  # its answers' types depend on the command
        keys = self.state.keys
        named = [(kind, object_id) for kind in kinds for object_id in kind.found(path, body)]
        listed = [k for k in kinds if method == "GET" and k.lists and k.lists.fullmatch(path)]
        try:
            for kind in listed:
                ids: list[bytes] = await client.zrange(keys.index(kind.name), 0, -1)
                named += [(kind, object_id.decode()) for object_id in ids]
            names = [keys.objects(kind.name) + object_id for kind, object_id in named]
            values: list[bytes | None] = await client.mget(names) if names else []
        except self.state.errors as exc:
            self.state.lost(exc)
            raise StateUnreachable(self.state.shown) from exc
        for kind in listed:
            mapping = kind.mapping(self.state.engine)
            for object_id in [x for x in mapping if x not in self.in_use]:
                mapping.pop(object_id, None)
        for (kind, object_id), raw in zip(named, values, strict=True):
            loaded.read[kind.name, object_id] = raw
            if object_id in self.in_use:
                continue  # another request of this process is changing it
            mapping = kind.mapping(self.state.engine)
            if raw is None:
                mapping.pop(object_id, None)
            else:
                mapping[object_id] = loads(raw)
        for kind in kinds:
            loaded.before[kind.name] = set(kind.mapping(self.state.engine))
        self.in_use.update(object_id for _, object_id in loaded.read)
        return loaded

    async def write_back(self, loaded: Loaded) -> None:
        """Write the objects the request made, changed or deleted.

        Raises:
            StateUnreachable: the store did not answer.
        """
        keys, bound = self.state.keys, self.state.engine.config.max_stored
        try:
            async with self.state.client.pipeline(transaction=False) as pipe:
                for kind in loaded.kinds:
                    mapping = kind.mapping(self.state.engine)
                    named = [i for (k, i) in loaded.read if k == kind.name]
                    made = set(mapping) - loaded.before[kind.name]
                    for object_id in [*named, *made]:
                        value, read = (
                            mapping.get(object_id),
                            loaded.read.get((kind.name, object_id)),
                        )
                        if value is None:
                            if read is not None:
                                pipe.delete(keys.objects(kind.name) + object_id)
                                pipe.zrem(keys.index(kind.name), object_id)
                            continue
                        raw = dumps(value)
                        if raw != read:
                            args: list[Any] = [bound, keys.objects(kind.name), object_id, raw]
                            index = [keys.index(kind.name), keys.clock]
                            await self.state.scripts["PUT_OBJECT"](index, args, client=pipe)
                await pipe.execute()
        except self.state.errors as exc:
            self.state.lost(exc)
            raise StateUnreachable(self.state.shown) from exc

    def release(self, loaded: Loaded) -> None:
        """The request is over: its objects may be read again from the store."""
        self.in_use.subtract(object_id for _, object_id in loaded.read)
        for object_id in [i for _, i in loaded.read if self.in_use[i] <= 0]:
            del self.in_use[object_id]
