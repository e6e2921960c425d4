"""How ``mockgpt serve`` runs: its socket, its banner, then uvicorn with one worker or N.

One worker serves the app built here. ``--workers N`` uses uvicorn's multi-process mode:
each worker builds its own app from the settings passed in the environment
(``mockgpt.shared.worker``); without ``--state`` they share nothing, so the scenarios must
count nothing (no ``sequence``, no ``chaos``) and the admin API refuses writes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket

import click
import uvicorn
from uvicorn.supervisors import Multiprocess

from mockgpt.app import Dispatcher, create_app
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
    _raise_open_files_limit()
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


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host``:``port`` (0: a free port), as uvicorn binds one.

    It listens at once, so a client that reads the banner and connects before uvicorn has
    started waits in the backlog instead of being refused.

    Raises:
        click.UsageError: the address cannot be bound (the port is in use, the host is not
            an address of this machine, ...); the message names the address and why.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        if exc.errno == errno.EADDRINUSE:
            reason += " (another server listens there: choose another --port, or --port 0)"
        raise click.UsageError(f"cannot listen on {_address(host, port)}: {reason}") from exc
    sock.listen(2048)
    return sock


def banner(host: str, port: int, api_key: str | None) -> list[str]:
    """The lines ``serve`` prints once listening: the base URL and an ``OpenAI(...)`` to copy.

    Args:
        host: the address bound; a wildcard (``0.0.0.0``, ``::``) is shown as ``127.0.0.1``.
        port: the port bound (never 0).
        api_key: the key required, if any. It is never printed: the line names where it is
            (the ``MOCKGPT_API_KEY`` variable, or the ``--api-key`` given).
    """
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base_url = f"http://{_address(shown, port)}/v1"
    if not api_key:
        key = '"x"'
    elif os.environ.get("MOCKGPT_API_KEY") == api_key:
        key = "os.environ['MOCKGPT_API_KEY']"
    else:
        key = '"<the --api-key you gave>"'
    return [
        f"mockgpt serving the OpenAI API at {base_url}",
        f'  OpenAI(base_url="{base_url}", api_key={key})',
    ]


def _address(host: str, port: int) -> str:
    """``host:port``, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _raise_open_files_limit() -> None:
    """Raise the soft limit of open files to the hard one, where the system allows.

    Each connection holds a descriptor; the common soft limit of 1024 runs out under load.
    """
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
