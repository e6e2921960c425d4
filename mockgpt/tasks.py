"""``Tasks``: the work a server runs beside its requests (job timers, webhook deliveries).

Each task runs on the server's event loop, is tracked until it ends, and is cancelled by a
reset (``cancel_all``) or at shutdown (``aclose``), so nothing outlives the server or a test.
"""

from __future__ import annotations

import asyncio
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

    def spawn(self, work: Coroutine[Any, Any, object], name: str) -> asyncio.Task[None] | None:
        """Run ``work`` as a task on the server's loop and track it until it ends.

        Called on the loop (a request's handler, another task), the task starts there;
        called from another thread, it starts on the loop of the last task spawned.

        Args:
            work: the coroutine; an exception it raises is logged, not raised.
            name: the task's name, for logs (``webhook evt_...``, ``job resp_...``).

        Returns:
            The task when started on this thread's loop; None when handed to another loop,
            or when there is no loop to run it on (``work`` is then closed, never run).
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            target = self._loop
            if target is None or target.is_closed():
                work.close()
                logger.warning("mockgpt: %s not run: no server loop is running", name)
                return None
            target.call_soon_threadsafe(self._start, target, work, name)
            return None
        return self._start(loop, work, name)

    def _start(
        self, loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, object], name: str
    ) -> asyncio.Task[None]:
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
