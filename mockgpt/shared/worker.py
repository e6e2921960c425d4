"""The app of one ``mockgpt serve --workers N`` process, and the rule for starting them.

uvicorn starts each worker from an import string, so the settings travel in the environment
(``CONFIG_ENV``, written by ``mockgpt serve``): ``worker_app`` is the factory it calls.
"""

from __future__ import annotations

import logging
import os

from starlette.types import Receive, Scope, Send

from mockgpt.app import Dispatcher, create_app
from mockgpt.config import ServerConfig
from mockgpt.errors import RequestRejected
from mockgpt.http.body import error_response
from mockgpt.scenarios import Scenario
from mockgpt.shared.app import SharedApp
from mockgpt.shared.redis_state import RedisState

CONFIG_ENV = "MOCKGPT_SERVE_CONFIG"
"""The environment variable holding a worker's settings (``ServerConfig.to_json``)."""
WORKERS_ENV = "MOCKGPT_SERVE_WORKERS"
"""How many workers serve, for the error of an admin write without shared state."""


def share(app: Dispatcher, url: str) -> SharedApp:
    """``app`` with its state kept in the Redis at ``url`` (``--state``)."""
    return SharedApp(app, RedisState(url, app.engine))


def stateful_reason(scenarios: list[Scenario]) -> str | None:
    """Why these scenarios cannot be served by several workers without shared state.

    A ``sequence`` or ``chaos`` counts per process, so two workers would each answer its
    first step. None when the scenarios count nothing.
    """
    for scenario in scenarios:
        if scenario.chaos is not None:
            return f"scenario {scenario.name!r} has chaos (its draws are counted per process)"
        for index, stub in enumerate(scenario.stubs):
            if stub.sequence is not None:
                name = stub.id or f"{scenario.name}.stubs[{index}]"
                return f"stub {name!r} has a sequence (its position is counted per process)"
    return None


class AdminWritesRefused:
    """Several workers without shared state: an admin API write would reach one only (409).

    Reads (the journal of one worker, the stubs) still answer.
    """

    def __init__(self, app: Dispatcher, workers: int) -> None:
        self.app = app
        self.engine = app.engine
        self.workers = workers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI scope."""
        if (
            scope["type"] == "http"
            and scope["path"].startswith("/_mockgpt/")
            and scope["method"] not in ("GET", "HEAD", "OPTIONS")
        ):
            error = RequestRejected(
                409,
                f"this mock runs {self.workers} worker processes without shared state: a "
                "change through the admin API would reach one of them only. Serve it with "
                "--state redis://HOST:PORT/DB, or with one worker.",
                code="state_not_shared",
            )
            status, headers, body = error_response(error, frozenset(), scope["path"])
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await self.app(scope, receive, send)


def worker_app() -> SharedApp | AdminWritesRefused | Dispatcher:
    """The app of one worker, from the settings in ``CONFIG_ENV`` (uvicorn's factory).

    Raises:
        KeyError: ``CONFIG_ENV`` is not set (not started by ``mockgpt serve``).
    """
    config = ServerConfig.from_json(os.environ[CONFIG_ENV])
    logging.basicConfig(
        level=config.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    app = create_app(config)
    if config.state is not None:
        return share(app, config.state)
    workers = int(os.environ.get(WORKERS_ENV, "1"))
    return AdminWritesRefused(app, workers) if workers > 1 else app
