"""The socket ``mockgpt serve`` listens on, and the banner it prints once listening."""

from __future__ import annotations

import contextlib
import errno
import os
import socket

import click


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


def raise_open_files_limit() -> None:
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
