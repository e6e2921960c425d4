"""Stored objects shared through the store: which requests touch them, and how they travel.

Each process keeps its stores in memory as before (``ResponseStore``, ``AssistantsStore``);
with a shared state they are a cache that each request fills from the store and writes back
before its last byte goes out. ``SharedKind`` says, for one kind of object, which API
families touch it, how its ids look (they are looked for in the path and the body), which
paths list every object, and where the process keeps it. Adding a kind is one more
``SharedKind`` in ``KINDS`` (see ``plug_in``).

Objects travel pickled: the store is the mock's own (like its admin API), never shared with
clients; do not point ``--state`` at a Redis that others can write to.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from mockgpt.engine import Engine


class ObjectMap(Protocol):
    """A process's objects of one kind by id, oldest first (``Bounded`` is one)."""

    def get(self, key: str, /) -> Any:
        """The object of that id, or None."""

    def pop(self, key: str, default: Any, /) -> Any:
        """Remove and return the object of that id (``default`` if none)."""

    def __setitem__(self, key: str, value: Any, /) -> None: ...

    def __iter__(self) -> Iterator[str]: ...

    def clear(self) -> None:
        """Forget every object."""


@dataclass(frozen=True)
class SharedKind:
    """One kind of stored object that every process sees.

    Attributes:
        name: the kind, in key names (``responses``).
        families: API families (``journal.endpoint_of``) whose requests touch it.
        ids: finds its objects' ids in a request path or body.
        lists: paths that list every object of the kind (each is loaded first); None: none.
        mapping: the process's own objects of the kind, by id (a ``Bounded`` or a dict).
    """

    name: str
    families: frozenset[str]
    ids: re.Pattern[bytes]
    lists: re.Pattern[str] | None
    mapping: Callable[[Engine], ObjectMap]

    def found(self, path: str, body: bytes) -> list[str]:
        """The ids of this kind named in ``path`` or ``body``, each once, in order."""
        found = self.ids.findall(path.encode("latin-1")) + self.ids.findall(body)
        return list(dict.fromkeys(x.decode("ascii") for x in found))


def dumps(value: object) -> bytes:
    """An object as the store keeps it."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(raw: bytes) -> Any:
    """An object written by ``dumps``."""
    return pickle.loads(raw)


def _ids(prefix: str) -> re.Pattern[bytes]:
    return re.compile(rb"\b" + prefix.encode() + rb"_[0-9A-Za-z]{8,}")


KINDS: list[SharedKind] = [
    SharedKind(
        "responses",
        frozenset({"responses"}),
        _ids("resp"),
        None,
        lambda engine: engine.state.responses.responses,
    ),
    SharedKind(
        "conversations",
        frozenset({"responses", "conversations"}),
        _ids("conv"),
        None,
        lambda engine: engine.state.responses.conversations,
    ),
    SharedKind(
        "assistants",
        frozenset({"assistants"}),
        _ids("asst"),
        re.compile(r"(/v1)?/assistants/?"),
        lambda engine: engine.state.assistants.assistants,
    ),
    SharedKind(
        "threads",
        frozenset({"assistants"}),
        _ids("thread"),
        None,
        lambda engine: engine.state.assistants.threads,
    ),
    SharedKind(  # a batch reads its input file and makes its output and error files
        "files",
        frozenset({"files", "batches"}),
        re.compile(rb"\bfile-[0-9A-Za-z]{8,}"),
        re.compile(r"(/v1)?/files/?"),
        lambda engine: engine.state.files.files,
    ),
    SharedKind(
        "batches",
        frozenset({"batches"}),
        _ids("batch"),
        re.compile(r"(/v1)?/batches/?"),
        lambda engine: engine.state.batches.batches,
    ),
]
"""Every kind shared; ``plug_in`` adds one."""


def plug_in(kind: SharedKind) -> None:
    r"""Share one more kind of stored object (a new API family's store) from now on.

    For example, vector stores kept in ``engine.state.vector_stores.stores`` by id ``vs_...``::

        plug_in(SharedKind("vector_stores", frozenset({"vector_stores"}), _ids("vs"),
                           re.compile(r"(/v1)?/vector_stores/?"),
                           lambda e: e.state.vector_stores.stores))
    """
    KINDS.append(kind)


def kinds_of(family: str | None) -> list[SharedKind]:
    """The kinds a request of ``family`` may touch (none for chat, embeddings, models...)."""
    if family is None:
        return []
    return [kind for kind in KINDS if family in kind.families]
