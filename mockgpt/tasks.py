"""``Tasks``: the work a server runs beside its requests (job timers, webhook deliveries).

Each task runs on the server's event loop (the one its lifespan runs on, ``attach``), is
tracked until it ends, and is cancelled by a reset (``cancel_all``) or at shutdown
(``aclose``), so nothing outlives the server or a test. A request served in process on
another loop (a sync client's private loop, which runs only during its calls) hands its
tasks to the server's loop; an app served in process with no lifespan runs them on the loop
of the request that started them.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class Tasks:
    """The tasks a server started beside its requests, each tracked until it ends.

    Safe to cancel from another thread (a test's reset): the cancel is handed to the loop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._home: asyncio.AbstractEventLoop | None = None
        self._generation = 0  # counts cancel_all calls: a task handed over before one is dropped

    def attach(self) -> None:
        """Run every task from now on on the running loop (the server's, at its startup)."""
        self._home = asyncio.get_running_loop()

    def spawn(self, work: Coroutine[Any, Any, object], name: str) -> asyncio.Task[None] | None:
        """Run ``work`` as a task on the server's loop and track it until it ends.

        It starts on the server's loop (``attach``) when there is one, else on the running
        loop, else (called from a thread with no loop) on the loop of the last task spawned.

        Args:
            work: the coroutine; an exception it raises is logged, not raised.
            name: the task's name, for logs (``webhook evt_...``, ``job resp_...``).

        Returns:
            The task when started on this thread's loop; None when handed to another loop,
            or when there is no loop to run it on (``work`` is then closed, never run).
        """
        loop = _running_loop()
        home = self._home if self._home is not None and not self._home.is_closed() else None
        target = home or loop or self._loop
        if target is None or target.is_closed():
            work.close()
            logger.warning("mockgpt: %s not run: no server loop is running", name)
            return None
        if target is loop:
            return self._start(target, work, name, self._generation)
        context = contextvars.copy_context()  # the request's (SERVING, ids), as create_task would
        target.call_soon_threadsafe(
            self._start, target, work, name, self._generation, context=context
        )
        return None

    def _start(
        self,
        loop: asyncio.AbstractEventLoop,
        work: Coroutine[Any, Any, object],
        name: str,
        generation: int,
    ) -> asyncio.Task[None] | None:
        if generation != self._generation:  # a reset came between the hand-over and now
            work.close()
            return None
        task = loop.create_task(self._logged(work, name), name=name)
        with self._lock:
            self._loop = loop
            self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    @staticmethod
    async def _logged(work: Coroutine[Any, Any, object], name: str) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("mockgpt: %s failed", name)

    def _forget(self, task: asyncio.Task[None]) -> None:
        with self._lock:
            self._tasks.discard(task)

    def running(self) -> list[asyncio.Task[None]]:
        """The tasks running now (started and not ended), in no order."""
        with self._lock:
            return list(self._tasks)

    def __len__(self) -> int:
        """How many tasks are running (started and not ended)."""
        with self._lock:
            return len(self._tasks)

    def cancel_all(self) -> int:
        """Cancel every running task, from any thread; returns how many were cancelled.

        They stop being tracked at once (``len`` is 0); each ends at its next await.
        """
        with self._lock:
            tasks, self._tasks = self._tasks, set()
            self._generation += 1
        for task in tasks:
            loop = task.get_loop()
            if loop.is_closed():
                continue
            if _running_loop() is loop:
                task.cancel()
            else:
                loop.call_soon_threadsafe(task.cancel)
        return len(tasks)

    async def aclose(self) -> None:
        """Cancel every running task and wait until those of this loop have ended."""
        with self._lock:
            tasks = set(self._tasks)
        self.cancel_all()
        loop = asyncio.get_running_loop()
        mine = [t for t in tasks if t.get_loop() is loop]
        if mine:
            await asyncio.gather(*mine, return_exceptions=True)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
