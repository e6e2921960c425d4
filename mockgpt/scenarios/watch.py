"""``--watch``: the changes to the scenario files, and to nothing else in their folders.

A scenario's folder often holds other files that change all the time (the server's own log,
an editor's swap files, a test run's output). Reloading on each of those re-reads the
scenarios for nothing, and a log written into the folder makes every reload cause the next.
So the folders are watched, but only a change to one of the files given counts.

The folder is watched rather than the file because editors save by writing a new file and
renaming it over the old one, which a watch on the old file would not see. A scenario that
is a symbolic link is watched at both ends: replacing the link and editing its target each
count as a change.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from watchfiles import Change, awatch

logger = logging.getLogger(__name__)

IGNORED_LOGGED = 100
"""How many other files' changes are logged (each once); the rest pass unlogged."""


class _OnlyThese:
    """A ``watchfiles`` filter keeping the changes to ``files``.

    Every other file changed is logged once, at debug level (once, so that a log file in
    the folder does not log about itself forever), up to ``IGNORED_LOGGED`` files.
    """

    def __init__(self, files: Iterable[Path]) -> None:
        self.files = frozenset(str(f) for f in files)
        self._ignored: set[str] = set()

    def __call__(self, change: Change, path: str) -> bool:
        if path in self.files:
            return True
        if path not in self._ignored and len(self._ignored) < IGNORED_LOGGED:
            self._ignored.add(path)
            logger.debug("--watch: ignoring %s (not a scenario file)", path)
        return False


def watched_files(paths: Iterable[Path]) -> frozenset[Path]:
    """The absolute paths to watch for ``paths``: each as given, and where a link leads."""
    return frozenset(f for p in paths for f in (p.absolute(), p.resolve()))


async def scenario_changes(paths: Iterable[Path]) -> AsyncIterator[frozenset[Path]]:
    """Yield, each time some of the files at ``paths`` change, which of them changed.

    Changes close together come as one (watchfiles groups them for up to 1.6 s). Changes to
    other files in the same folders are never yielded.

    Args:
        paths: scenario files (relative paths are taken from the current directory).

    Yields:
        The absolute paths changed (created, modified or deleted), as ``watched_files``
        names them; never empty.
    """
    files = watched_files(paths)
    keep = _OnlyThese(files)
    async for changes in awatch(*{f.parent for f in files}, watch_filter=keep):
        yield frozenset(Path(path) for _change, path in changes)
