"""What shared state costs: mockgpt in memory, with Redis, with two workers, against the floor.

Run (Linux, ``apt-get install wrk redis-server``)::

    python bench/bench_state.py [--rounds 3] [--seconds 5] [--connections 32]

Servers, each on 127.0.0.1 and a free port, started once and measured in interleaved rounds
with ``wrk`` and the realistic chat body of ``bench_wrk.py`` (its Lua script, its stream
check, its ``Sample`` figures):

- **starlette**: the floor (``floor_app.py``), one uvicorn worker;
- **memory**: ``mockgpt serve``, one worker, state in memory (the default);
- **redis**: ``mockgpt serve --state redis://...``, one worker;
- **redis x2**: ``mockgpt serve --workers 2 --state redis://...``.

Every server is pinned to ``--server-cpus``, wrk to ``--wrk-cpu`` and Redis (a
``redis-server`` of this run's own, no persistence) to ``--redis-cpu``. Figures are medians
over the rounds: non-streamed requests/s, streamed events/s, each as a ratio to the floor,
the server's CPU per non-streamed request (its workers' included), and the cost per request
of the shared state, µs: ``1e6/rps(redis) - 1e6/rps(memory)`` (the time one request takes
longer on one core). The 1-minute load average is printed
before and after: on a busy host the figures say little, and the report says so.

Exit status: 0 when it ran, 1 when a server or a response went wrong, 2 when wrk, taskset or
redis-server is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from bench_wrk import (
    BENCH_DIR,
    HOST,
    BenchError,
    Mode,
    Sample,
    Server,
    _free_port,
    check,
    lua_script,
    run_wrk,
)
from floor_app import STREAM_EVENTS

TARGETS = ("starlette", "memory", "redis", "redis x2")
FLOOR = "starlette"


class StateServer(Server):
    """One server of this benchmark: ``command`` pinned to ``cpus``."""

    def __init__(self, target: str, command: list[str], *, cpus: str, log: IO[bytes]) -> None:
        self.target = target
        self._log = log
        self.port = int(command[command.index("--port") + 1])
        self.process = subprocess.Popen(
            ["taskset", "-c", cpus, *command],
            cwd=BENCH_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def cpu_seconds(self) -> float:
        """CPU of the server and its workers (their children's CPU when they are gone)."""
        total = super().cpu_seconds()
        for child in Path(f"/proc/{self.pid}/task").glob("*/children"):
            for pid in child.read_text().split():
                with contextlib.suppress(OSError):
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


def commands(redis_url: str) -> dict[str, list[str]]:
    """The command of each target, each on a free port."""
    python = sys.executable
    serve = [python, "-m", "mockgpt", "serve", "--host", HOST, "--log-level", "warning"]
    return {
        "starlette": [
            *(python, "-m", "uvicorn", "--factory", "floor_app:create_app", "--host", HOST),
            *("--port", str(_free_port()), "--log-level", "warning", "--no-access-log"),
            *("--app-dir", str(BENCH_DIR)),
        ],
        "memory": [*serve, "--port", str(_free_port())],
        "redis": [*serve, "--port", str(_free_port()), "--state", redis_url],
        "redis x2": [*serve, "--port", str(_free_port()), "--state", redis_url, "--workers", "2"],
    }


@contextlib.contextmanager
def redis_server(cpu: int) -> Iterator[str]:
    """A ``redis-server`` of this run's own on a free port, without persistence; its URL."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen(
            [
                *("taskset", "-c", str(cpu), "redis-server", "--port", str(port)),
                *("--bind", HOST, "--save", "", "--appendonly", "no", "--dir", directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while (
                subprocess.run(
                    ["redis-cli", "-p", str(port), "ping"], capture_output=True, check=False
                ).stdout.strip()
                != b"PONG"
            ):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise BenchError("redis-server did not start")
                time.sleep(0.05)
            yield f"redis://{HOST}:{port}/0"
        finally:
            process.terminate()
            process.wait(10)


@contextlib.contextmanager
def serving(redis_url: str, cpus: str) -> Iterator[dict[str, StateServer]]:
    """Start every target, wait until each listens and answers right; always stop them."""
    with contextlib.ExitStack() as stack:
        servers: dict[str, StateServer] = {}
        for target, command in commands(redis_url).items():
            log = stack.enter_context(tempfile.TemporaryFile())
            servers[target] = StateServer(target, command, cpus=cpus, log=log)
            stack.callback(servers[target].stop)
        for server in servers.values():
            server.wait_ready()
            time.sleep(0.5)  # a worker that listens may not have started its app yet
            check(server)
        yield servers


def median(samples: list[Sample], target: str, mode: Mode) -> float:
    """The median requests/s of ``target`` in ``mode``."""
    return statistics.median(s.per_second for s in samples if s.target == target and s.mode == mode)


def report(samples: list[Sample], loads: tuple[float, float]) -> list[str]:
    """The report's lines: a table, the cost of the shared state, the load averages."""
    lines = [
        f"{'server':<10} {'req/s':>9} {'x floor':>8} {'events/s':>10} {'x floor':>8} "
        f"{'cpu µs/req':>10} {'errors':>6}"
    ]
    for target in TARGETS:
        rps, streams = median(samples, target, "json"), median(samples, target, "stream")
        errors = sum(s.errors + s.failures for s in samples if s.target == target)
        cpu = statistics.median(
            s.server_cpu_us for s in samples if s.target == target and s.mode == "json"
        )
        lines.append(
            f"{target:<10} {rps:>9.0f} {rps / median(samples, FLOOR, 'json'):>8.2f} "
            f"{streams * STREAM_EVENTS:>10.0f} "
            f"{streams / median(samples, FLOOR, 'stream'):>8.2f} {cpu:>10.0f} {errors:>6}"
        )
    memory_cpu = statistics.median(
        s.server_cpu_us for s in samples if s.target == "memory" and s.mode == "json"
    )
    redis_cpu = statistics.median(
        s.server_cpu_us for s in samples if s.target == "redis" and s.mode == "json"
    )
    lines.append(
        f"shared state CPU per non-streamed request (mockgpt's process): "
        f"{redis_cpu - memory_cpu:+.0f} µs ({100 * (redis_cpu / memory_cpu - 1):+.1f}%)"
    )
    for mode, what in (("json", "non-streamed request"), ("stream", "streamed request")):
        memory, shared = median(samples, "memory", mode), median(samples, "redis", mode)
        cost = 1e6 / shared - 1e6 / memory
        lines.append(
            f"shared state cost per {what}: {cost:.0f} µs "
            f"({100 * (memory / shared - 1):+.1f}% over in memory, one worker)"
        )
    lines.append(
        f"load average (1 min) before: {loads[0]:.2f}, after: {loads[1]:.2f}, "
        f"on {os.cpu_count()} cores"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--server-cpus", default="0", help="CPUs of every server (taskset -c)")
    parser.add_argument("--wrk-cpu", type=int, default=1)
    parser.add_argument("--redis-cpu", type=int, default=1)
    args = parser.parse_args(argv)
    missing = [t for t in ("wrk", "taskset", "redis-server", "redis-cli") if not shutil.which(t)]
    if missing:
        print(f"bench_state: {', '.join(missing)} not found (apt-get install wrk redis-server)")
        return 2
    before = os.getloadavg()[0]
    print(f"load average (1 min): {before:.2f} on {os.cpu_count()} cores")
    samples: list[Sample] = []
    try:
        with (
            redis_server(args.redis_cpu) as url,
            serving(url, args.server_cpus) as servers,
            tempfile.TemporaryDirectory() as scripts,
        ):
            paths: dict[Mode, Path] = {}
            for mode in ("json", "stream"):
                paths[mode] = Path(scripts) / f"{mode}.lua"
                paths[mode].write_text(lua_script(mode))
            for rnd in range(1, args.rounds + 1):
                for mode in ("json", "stream"):
                    for target in TARGETS:
                        sample = run_wrk(
                            servers[target], mode, paths[mode], args, seconds=args.seconds, rnd=rnd
                        )
                        samples.append(sample)
                        print(
                            f"round {rnd} {mode:<6} {target:<10} {sample.per_second:>9.0f}/s",
                            flush=True,
                        )
    except BenchError as exc:
        print(f"bench_state: {exc}")
        return 1
    print("\n".join(report(samples, (before, os.getloadavg()[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
