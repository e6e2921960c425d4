"""What the pytest plugin costs a test suite: server start, per-test reset, one call.

Run::

    python bench/bench_plugin.py [--calls 2000] [--rounds 5] [--starts 10] [--json PATH]

What it measures, each in one process with the installed openai client (3.x sends with
httpx2, 1.x and 2.x with httpx):

- **start**: ``MockServer(ServerConfig(port=0)).start()``, what the session fixture
  ``mockgpt_server`` does once per session (per xdist worker): build the engine and the app,
  bind 127.0.0.1 on a free port, start uvicorn in a thread and wait until it accepts.
  ``stop`` is shown beside it; it happens once, at the end of the session.
- **reset**: what the ``mockgpt`` fixture does around each test: ``MockGPT.start()`` (reset
  the engine, load the test's scenarios, set ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``) and
  ``close()``, with one stub added in between, as a test would.
- **call**: one non-streamed chat completion through ``mockgpt.client()`` (the official
  ``OpenAI`` client on the session's shared HTTP client), in process (``asgi``) and over the
  socket.
- **floor**: the same call through the same client class against a stub transport
  (``MockTransport``) that returns mockgpt's answer, pre-encoded, with its headers: what the
  client itself costs, without mockgpt.

The calls are measured in ``--rounds`` rounds of ``--calls`` iterations; each iteration
makes one call of every kind in turn (floor, in process, socket), so that load from other
processes falls on all kinds alike. Each call's wall time and this process's CPU time
(``time.process_time``: every thread, the server's included) are taken; the figures are
medians, with the wall time's first quartile (p25) and the CPU time's first decile (p10)
beside them. On a busy machine the wall time mostly measures waiting for a CPU; the CPU time
does not, so the in-process target is judged on its median (its p10 is what a call costs
when nothing else disturbs it). The targets: start <= 150 ms, reset <= 1 ms, in-process call
<= floor + 0.15 ms (issue 11).

Exit status: 0 when the benchmark ran, whether or not a target was met.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai

from mockgpt.config import ServerConfig
from mockgpt.server import MockServer, http_library
from mockgpt.testing import MockGPT

MODEL = "gpt-4o-mini"
MESSAGES: list[Any] = [{"role": "user", "content": "How fast is a mock? Answer in one line."}]

START_TARGET_MS = 150.0
RESET_TARGET_MS = 1.0
IN_PROCESS_OVER_FLOOR_TARGET_MS = 0.15


def timed_ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure_start(starts: int) -> tuple[float, float]:
    """Median start and stop times of a fresh server, ms."""
    start_ms, stop_ms = [], []
    for _ in range(starts):
        started = time.perf_counter()
        server = MockServer(ServerConfig(port=0)).start()
        start_ms.append((time.perf_counter() - started) * 1000)
        stop_ms.append(timed_ms(server.stop))
    return statistics.median(start_ms), statistics.median(stop_ms)


def measure_reset(server: MockServer, tests: int) -> float:
    """Median time of one test's set-up and tear-down by the fixture, ms."""
    times = []
    for _ in range(tests):
        started = time.perf_counter()
        mock = MockGPT(server).start()
        mock.stub(match={"last_user": "hello"}, respond="hi")
        mock.close()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def floor_client(server: MockServer) -> openai.OpenAI:
    """An ``OpenAI`` on a stub transport that returns mockgpt's answer, pre-encoded."""
    with MockGPT(server, transport="asgi") as mock:
        raw = mock.client().chat.completions.with_raw_response.create(
            model=MODEL, messages=MESSAGES
        )
        body, headers = raw.http_response.content, list(raw.http_response.headers.raw)
    lib = http_library()

    def answer(request: Any) -> Any:
        return lib.Response(200, headers=headers, content=body)

    http = lib.Client(transport=lib.MockTransport(answer), trust_env=False)
    return openai.OpenAI(base_url="http://floor.test/v1", api_key="x", http_client=http)


@dataclass
class Calls:
    """Per-call times of one kind of call, milliseconds."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """CPU time of this process (every thread: the server's too, for the socket)."""

    @property
    def wall_ms(self) -> float:
        return statistics.median(self.wall)

    @property
    def wall_p25_ms(self) -> float:
        return statistics.quantiles(self.wall, n=4)[0]

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu)

    @property
    def cpu_p10_ms(self) -> float:
        return statistics.quantiles(self.cpu, n=10)[0]


def measure_calls(server: MockServer, calls: int, rounds: int) -> dict[str, Calls]:
    """Times per call for the floor, in process and over the socket, interleaved."""
    floor = floor_client(server)
    mocks = [MockGPT(server, transport="asgi").start(), MockGPT(server, transport="socket")]
    mocks[1].start()
    creates = {
        "floor": floor.chat.completions.create,
        "asgi": mocks[0].client().chat.completions.create,
        "socket": mocks[1].client().chat.completions.create,
    }
    times = {kind: Calls() for kind in creates}
    wall, cpu = time.perf_counter, time.process_time
    try:
        for create in creates.values():  # warm up: connections, caches, first imports
            for _ in range(50):
                create(model=MODEL, messages=MESSAGES)
        for _ in range(rounds):
            for _ in range(calls):  # one call of each kind in turn: load hits all alike
                for kind, create in creates.items():
                    wall_0, cpu_0 = wall(), cpu()
                    create(model=MODEL, messages=MESSAGES)
                    cpu_1, wall_1 = cpu(), wall()
                    times[kind].wall.append((wall_1 - wall_0) * 1000)
                    times[kind].cpu.append((cpu_1 - cpu_0) * 1000)
            server.engine.journal.clear()
    finally:
        for mock in mocks:
            mock.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="iterations per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--starts", type=int, default=10, help="servers started and stopped")
    parser.add_argument("--tests", type=int, default=2000, help="per-test resets measured")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    lib = http_library()
    print(
        f"python {platform.python_version()}, openai {openai.__version__} "
        f"({lib.__name__} {importlib.metadata.version(lib.__name__)}), {platform.machine()}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, "
        f"{args.rounds} rounds x {args.calls} calls of each kind"
    )
    start_ms, stop_ms = measure_start(args.starts)
    server = MockServer(ServerConfig(port=0)).start()
    try:
        reset_ms = measure_reset(server, args.tests)
        calls = measure_calls(server, args.calls, args.rounds)
    finally:
        server.stop()

    floor, asgi, sock = calls["floor"], calls["asgi"], calls["socket"]
    over_floor_cpu = asgi.cpu_ms - floor.cpu_ms
    over_floor_p10 = asgi.cpu_p10_ms - floor.cpu_p10_ms
    over_floor_wall = asgi.wall_ms - floor.wall_ms
    print(f"{'':<28}{'wall ms':>10}{'(p25)':>10}{'CPU ms':>10}{'(p10)':>10}  target")
    rows = [
        (
            "session server start",
            start_ms,
            None,
            None,
            f"<= {START_TARGET_MS:g} ms",
            start_ms <= START_TARGET_MS,
        ),
        ("session server stop", stop_ms, None, None, "once per session", None),
        (
            "per-test reset",
            reset_ms,
            None,
            None,
            f"<= {RESET_TARGET_MS:g} ms",
            reset_ms <= RESET_TARGET_MS,
        ),
        ("call: floor (client only)", floor.wall_ms, floor.wall_p25_ms, floor.cpu_ms, "", None),
        (
            "call: in process",
            asgi.wall_ms,
            asgi.wall_p25_ms,
            asgi.cpu_ms,
            f"<= floor + {IN_PROCESS_OVER_FLOOR_TARGET_MS:g}: CPU +{over_floor_cpu:.3f} "
            f"(p10 +{over_floor_p10:.3f}), wall +{over_floor_wall:.3f}",
            over_floor_cpu <= IN_PROCESS_OVER_FLOOR_TARGET_MS,
        ),
        (
            "call: socket",
            sock.wall_ms,
            sock.wall_p25_ms,
            sock.cpu_ms,
            f"CPU +{sock.cpu_ms - floor.cpu_ms:.3f}, wall +{sock.wall_ms - floor.wall_ms:.3f}",
            None,
        ),
    ]
    p10 = {"call: floor (client only)": floor, "call: in process": asgi, "call: socket": sock}
    for name, value, p25, cpu_ms, target, met in rows:
        verdict = "" if met is None else ("  ok" if met else "  MISSED")
        p25_text = f"{p25:10.3f}" if p25 is not None else " " * 10
        cpu_text = f"{cpu_ms:10.3f}" if cpu_ms is not None else " " * 10
        p10_text = f"{p10[name].cpu_p10_ms:10.3f}" if name in p10 else " " * 10
        print(f"{name:<28}{value:10.3f}{p25_text}{cpu_text}{p10_text}  {target}{verdict}")
    if args.json:
        figures = {
            "start_ms": start_ms,
            "stop_ms": stop_ms,
            "reset_ms": reset_ms,
            "call_wall_ms": {kind: c.wall_ms for kind, c in calls.items()},
            "call_wall_p25_ms": {kind: c.wall_p25_ms for kind, c in calls.items()},
            "call_cpu_ms": {kind: c.cpu_ms for kind, c in calls.items()},
            "call_cpu_p10_ms": {kind: c.cpu_p10_ms for kind, c in calls.items()},
            "in_process_over_floor_cpu_ms": over_floor_cpu,
            "in_process_over_floor_cpu_p10_ms": over_floor_p10,
            "in_process_over_floor_wall_ms": over_floor_wall,
            "openai": openai.__version__,
            "http_library": lib.__name__,
            "load_average": os.getloadavg()[0],
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
