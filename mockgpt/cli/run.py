"""How ``mockgpt serve`` runs: its socket, its banner, then uvicorn with one worker or N.

One worker serves the app built here. ``--workers N`` uses uvicorn's multi-process mode:
each worker builds its own app from the settings passed in the environment
(``mockgpt.shared.worker``); without ``--state`` they share nothing, so the scenarios must
count nothing (no ``sequence``, no ``chaos``) and the admin API refuses writes.
"""

from __future__ import annotations

import os

import click
import uvicorn
from uvicorn.supervisors import Multiprocess

from mockgpt.app import Dispatcher, create_app
from mockgpt.cli.listen import banner, listen, raise_open_files_limit
from mockgpt.config import ServerConfig
from mockgpt.errors import ConfigError, ScenarioError
from mockgpt.scenarios import load_scenario
from mockgpt.shared.worker import CONFIG_ENV, WORKERS_ENV, share, stateful_reason

STARTUP_FAILURE = 3
"""Exit status when the server could not start once its socket was bound (the log says why)."""


def check_workers(config: ServerConfig, workers: int) -> None:
    """Refuse several workers that would disagree: no shared state and a counting scenario.

    Raises:
        click.UsageError: ``workers`` > 1, no ``--state``, and a scenario has a ``sequence``
            or ``chaos`` (one line: why, and what to do).
    """
    if workers <= 1 or config.state is not None:
        return
    try:
        reason = stateful_reason([load_scenario(s) for s in config.scenarios])
    except ScenarioError as exc:
        raise click.UsageError(f"invalid scenario: {exc}") from exc
    if reason is not None:
        raise click.UsageError(
            f"--workers {workers} without --state: {reason}, so each worker would answer on "
            "its own; serve with --state redis://HOST:PORT/DB to share it (without it, "
            "several workers need stateless scenarios, and admin API writes are refused)"
        )


def build_app(config: ServerConfig) -> Dispatcher | object:
    """The app of one process: ``config``'s, shared through ``--state`` when given.

    Raises:
        click.UsageError: a scenario or a setting is invalid.
    """
    try:
        app = create_app(config)
    except ScenarioError as exc:
        raise click.UsageError(f"invalid scenario: {exc}") from exc
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    return share(app, config.state) if config.state else app


def run(config: ServerConfig, workers: int) -> None:
    """Listen, print the banner, and serve until stopped (one worker, or ``workers``).

    Raises:
        click.UsageError: the address cannot be bound, or a scenario is invalid.
        SystemExit: ``STARTUP_FAILURE`` when uvicorn could not start.
    """
    app = build_app(config) if workers == 1 else None
    sock = listen(config.host, config.port)
    port = sock.getsockname()[1]  # the one the system chose, for --port 0
    for line in banner(config.host, port, config.api_key):
        click.echo(line)
    raise_open_files_limit()
    options = {
        "host": config.host,
        "port": port,
        "log_level": config.log_level,
        "access_log": config.log_level == "debug",
        "timeout_keep_alive": max(1, round(config.timeout_keep_alive_s)),
        "limit_concurrency": config.limit_concurrency,
    }
    if app is None:
        os.environ[CONFIG_ENV] = config.to_json()
        os.environ[WORKERS_ENV] = str(workers)
        uvicorn_config = uvicorn.Config(
            "mockgpt.shared.worker:worker_app", factory=True, workers=workers, **options
        )
    else:
        uvicorn_config = uvicorn.Config(app, **options)  # type: ignore[arg-type]
    server = uvicorn.Server(uvicorn_config)
    try:
        if app is None:
            Multiprocess(uvicorn_config, sockets=[sock]).run()
        else:
            server.run(sockets=[sock])
    except KeyboardInterrupt:  # a second Ctrl+C while shutting down
        pass
    finally:
        sock.close()
    if app is not None and not server.started:
        raise SystemExit(STARTUP_FAILURE)
