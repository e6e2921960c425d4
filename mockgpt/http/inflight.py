"""``InFlight``: the API requests a server is answering.

A reader waits on it until each is journalled (``MockServer.wait_journalled``, ``wait_idle``);
the admin API is not counted.
"""

from __future__ import annotations

import threading


class InFlight:
    """Counts the requests being served, so a reader can wait until each is journalled.

    ``finishing`` counts the responses whose last byte has been sent but whose handler has
    not returned yet: waiting for it to be 0 closes that gap without waiting for streams
    still under way.
    """

    def __init__(self) -> None:
        self.count = 0
        self.finishing = 0
        self.idle = threading.Condition()

    def wait(self, timeout_s: float, *, finishing_only: bool) -> bool:
        """Wait until nothing is finishing (or nothing is served at all), up to ``timeout_s``."""
        with self.idle:
            if finishing_only:
                return self.idle.wait_for(lambda: self.finishing == 0, timeout_s)
            return self.idle.wait_for(lambda: self.count == 0, timeout_s)
