"""mockgpt against two floors under ``wrk``, in one run with interleaved rounds.

Run (Linux, two or more cores, ``apt-get install wrk``)::

    python bench/bench_wrk.py [--rounds 3] [--seconds 5] [--connections 32] [--json PATH]

Three servers, each a uvicorn process on 127.0.0.1 and a free port, one worker, no access
log, uvicorn's default loop and HTTP implementation (uvloop and httptools when installed):

- **mockgpt**: ``mockgpt serve`` with the default config (``--mockgpt uvicorn``: ``uvicorn
  --factory mockgpt.app:create_app`` instead); its echo backend answers the request.
- **starlette** (``floor_app.py``), the floor the targets are ratios to: a bare Starlette app
  that reads and parses the body (``json.loads``) and sends pre-encoded bytes equal to
  mockgpt's answer; its stream sends one SSE event per ``send``, as a naive server does.
- **raw** (``raw_app.py``): a raw ASGI callable that reads the body and sends the same bytes in
  one ``send``: the limit of uvicorn itself.

The load generator is ``wrk`` (one thread, ``--connections`` keep-alive connections), pinned
with ``taskset`` to ``--wrk-cpu`` while every server is pinned to ``--server-cpu``. Every
request is the realistic chat body (``floor_app.request_body``: a system message and a
63-word user message, ``max_tokens`` 64, 591 bytes; 605 streamed), sent by a Lua script. In
streamed runs the script's ``response`` callback checks every body: status 200, exactly
``STREAM_EVENTS`` ``data:`` events, ``data: [DONE]`` last; a failure is counted and reported.
One response of each kind is also checked in full (content, finish reason) before the run.

Each round runs, for each mode (non-streamed, then streamed), each server in turn (mockgpt,
starlette, raw), for ``--seconds`` after one warm-up of ``--warmup-s`` per server and mode.
Figures are medians over ``--rounds`` (at least 3): non-streamed req/s, streamed events/s
(streams per second x ``STREAM_EVENTS``), p50 and p99 latency (wrk's), the server's CPU per
response (``/proc/PID/stat``, 100% = one core) and its peak RSS (``VmHWM`` read after each
round), each as a ratio to the Starlette floor, with the targets of issue 11 marked met or
missed. wrk's own CPU is shown too: near 100% means the client, not the server, set the pace.

The host must be quiet: when the 1-minute load average (printed) exceeds
``--max-load-per-core`` per core (0.5 by default) before the start, the benchmark waits up to
``--wait-quiet-s`` and then refuses to run. During the run, each sample also measures the CPU
that neither the server, wrk nor this script used (``/proc/stat``, steal time included: the
``other`` column); a sample where it exceeds ``--max-other-cpu-pct`` of a core runs again once
the host is idle, up to ``--retries`` runs, and if one stays contended the report is refused.

Exit status: 0 when it ran (targets met or not), 1 when a server or a response went wrong,
2 when the host was busy (before or during the run) or wrk or taskset is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Literal

from floor_app import (
    CHAT_PATH,
    CONTENT,
    FINISH_REASON,
    MAX_TOKENS,
    PROMPT,
    STREAM_EVENTS,
    request_body,
)

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
TARGETS = ("mockgpt", "starlette", "raw")
FLOOR = "starlette"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
SERVER_BOUND_PCT = 90.0
"""Below this median server CPU (% of one core) a rate is flagged as not server-bound."""
RESULT_MARK = "BENCH_RESULT "
FAILURE_MARK = "BENCH_FIRST_FAILURE "

Mode = Literal["json", "stream"]
MODES: tuple[Mode, ...] = ("json", "stream")


class BenchError(Exception):
    """The benchmark could not run: a server, a response or wrk went wrong."""


class HostBusy(Exception):
    """The host is too busy for figures worth reporting."""


# --- servers ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def server_command(target: str, port: int, *, mockgpt_via: str) -> list[str]:
    """The command serving ``target`` on ``HOST:port`` (without the ``taskset`` prefix)."""
    python = sys.executable
    if target == "mockgpt" and mockgpt_via == "serve":
        # `mockgpt serve` runs uvicorn with one worker and no access log below debug.
        return [
            *(python, "-m", "mockgpt", "serve"),
            *("--host", HOST, "--port", str(port), "--log-level", "warning"),
        ]
    app = {
        "mockgpt": "mockgpt.app:create_app",
        "starlette": "floor_app:create_app",
        "raw": "raw_app:create_app",
    }[target]
    command = [
        *(python, "-m", "uvicorn", "--factory", app),
        *("--host", HOST, "--port", str(port), "--workers", "1"),
        *("--log-level", "warning", "--no-access-log"),
    ]
    if target != "mockgpt":
        command += ["--app-dir", str(BENCH_DIR)]
    return command


class Server:
    """One server process pinned to a CPU, on 127.0.0.1 and a free port."""

    def __init__(self, target: str, *, cpu: int, mockgpt_via: str, log: IO[bytes]) -> None:
        self.target = target
        self.port = _free_port()
        self._log = log
        command = server_command(target, self.port, mockgpt_via=mockgpt_via)
        # taskset execs the server, so the pid is the server's. Run in bench/: uvicorn puts
        # its working directory first on sys.path, and the installed mockgpt is the one served.
        self.process = subprocess.Popen(
            ["taskset", "-c", str(cpu), *command],
            cwd=BENCH_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def log_tail(self, max_chars: int = 2000) -> str:
        """The end of the server's output, for error messages."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-max_chars:]

    def wait_ready(self) -> None:
        """Poll the port until the server accepts a connection.

        Raises:
            BenchError: the process exited, or did not listen within ``START_TIMEOUT_S``.
        """
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"{self.target} exited with status {self.process.returncode} before "
                    f"listening on {HOST}:{self.port}:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise BenchError(f"{self.target} did not listen on {HOST}:{self.port}:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM), killing it if it hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_kib(self) -> tuple[int, int]:
        """``(VmRSS, VmHWM)`` of the server, KiB."""
        values = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
        return values["VmRSS"], values["VmHWM"]


@contextlib.contextmanager
def serving(cpu: int, mockgpt_via: str) -> Iterator[dict[str, Server]]:
    """Start every target's server, wait until each listens, and always stop them."""
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}
        for target in TARGETS:
            log = stack.enter_context(tempfile.TemporaryFile())
            servers[target] = Server(target, cpu=cpu, mockgpt_via=mockgpt_via, log=log)
            stack.callback(servers[target].stop)
        for server in servers.values():
            server.wait_ready()
        yield servers


# --- checking one response of each kind -----------------------------------------------------


def _post(port: int, body: bytes) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("POST", CHAT_PATH, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        connection.close()


def check(server: Server) -> None:
    """Check one answer of each kind: status, media type, content, events, ``[DONE]``.

    Raises:
        BenchError: naming the server and what differed.
    """

    def expect(condition: bool, what: str) -> None:
        if not condition:
            raise BenchError(f"{server.target}: {what}")

    status, media_type, body = _post(server.port, request_body(stream=False))
    expect(status == 200, f"non-streamed status {status}: {body[:300]!r}")
    expect(media_type.startswith("application/json"), f"content-type {media_type!r}")
    choice = json.loads(body)["choices"][0]
    expect(choice["message"]["content"] == CONTENT, f"content {choice['message']['content']!r}")
    expect(choice["finish_reason"] == FINISH_REASON, f"finish_reason {choice['finish_reason']!r}")

    status, media_type, body = _post(server.port, request_body(stream=True))
    expect(status == 200, f"streamed status {status}: {body[:300]!r}")
    expect(media_type.startswith("text/event-stream"), f"stream content-type {media_type!r}")
    events = body.decode().removesuffix("\n\n").split("\n\n")
    expect(len(events) == STREAM_EVENTS, f"{len(events)} SSE events, not {STREAM_EVENTS}")
    expect(events[-1] == "data: [DONE]", f"last SSE event {events[-1][:80]!r}")
    chunks = [json.loads(event.removeprefix("data: ")) for event in events[:-1]]
    text = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)
    expect(text == CONTENT, f"streamed content {text!r}")


# --- wrk ---------------------------------------------------------------------------------------

_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.body = [==[%(body)s]==]

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  checked = 0
  failures = 0
  first_failure = ""
end

%(response)s

function done(summary, latency, requests)
  local checked, failures, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    checked = checked + thread:get("checked")
    failures = failures + thread:get("failures")
    if first == "" then first = thread:get("first_failure") end
  end
  local e = summary.errors
  io.write(string.format(
    "\\n%(mark)s{\\"requests\\":%%d,\\"duration_us\\":%%d,\\"connect\\":%%d,\\"read\\":%%d,"
    .. "\\"write\\":%%d,\\"status\\":%%d,\\"timeout\\":%%d,\\"p50_us\\":%%d,\\"p99_us\\":%%d,"
    .. "\\"checked\\":%%d,\\"failures\\":%%d}\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(99)), checked, failures))
  if first ~= "" then io.write("%(failure_mark)s" .. first .. "\\n") end
end
"""

_LUA_STREAM_CHECK = """
local expected_events = %(events)d

function response(status, headers, body)
  checked = checked + 1
  local _, events = body:gsub("data: ", "")
  local done = body:sub(-14) == "data: [DONE]\\n\\n"
  if status ~= 200 or events ~= expected_events or not done then
    failures = failures + 1
    if first_failure == "" then
      first_failure = string.format("status %%d, %%d data: events (expected %%d), ends %%q",
        status, events, expected_events, body:sub(-40))
    end
  end
end
"""


def lua_script(mode: Mode) -> str:
    """The wrk script for ``mode``: the POST, the stream check, the machine-readable result."""
    body = request_body(stream=mode == "stream").decode()
    check = _LUA_STREAM_CHECK % {"events": STREAM_EVENTS} if mode == "stream" else ""
    return _LUA % {
        "body": body,
        "response": check,
        "mark": RESULT_MARK,
        "failure_mark": FAILURE_MARK,
    }


@dataclass(frozen=True)
class Sample:
    """One wrk run against one server.

    Attributes:
        target: which server.
        mode: ``json`` (not streamed) or ``stream``.
        round: 1-based round number.
        per_second: responses per second.
        events_per_second: SSE events per second (streams only, else 0).
        p50_ms: median latency, ms.
        p99_ms: 99th percentile latency, ms.
        server_cpu_pct: the server's CPU over the run (100 = one core).
        server_cpu_us: the server's CPU per response, µs.
        wrk_cpu_pct: wrk's CPU over the run.
        other_cpu_pct: CPU that neither the server, wrk nor this script used over the run,
            steal time included (other processes: the host was not quiet).
        rss_mib: the server's VmRSS after the run, MiB.
        peak_rss_mib: the server's VmHWM after the run, MiB.
        errors: wrk's socket errors and non-2xx responses.
        failures: streamed bodies that failed the check.
        first_failure: how the first failed body looked, or "".
    """

    target: str
    mode: Mode
    round: int
    per_second: float
    events_per_second: float
    p50_ms: float
    p99_ms: float
    server_cpu_pct: float
    server_cpu_us: float
    wrk_cpu_pct: float
    other_cpu_pct: float
    rss_mib: float
    peak_rss_mib: float
    errors: int
    failures: int
    first_failure: str


def run_wrk(
    server: Server, mode: Mode, script: Path, args: argparse.Namespace, *, seconds: int, rnd: int
) -> Sample:
    """Run wrk against ``server`` for ``seconds``; parse the script's result line.

    Raises:
        BenchError: wrk failed or printed no result.
    """
    command = [
        *("taskset", "-c", str(args.wrk_cpu), "wrk"),
        *("-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s"),
        *("--timeout", "10s", "--latency", "-s", str(script)),
        f"http://{HOST}:{server.port}{CHAT_PATH}",
    ]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = server.cpu_seconds()
    host_before, self_before = host_busy_seconds(), time.process_time()
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    cpu = server.cpu_seconds() - cpu_before
    host = host_busy_seconds() - host_before
    own = time.process_time() - self_before
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (children.ru_utime - children_before.ru_utime) + (
        children.ru_stime - children_before.ru_stime
    )
    lines = result.stdout.splitlines()
    found = [line[len(RESULT_MARK) :] for line in lines if line.startswith(RESULT_MARK)]
    if result.returncode != 0 or not found:
        raise BenchError(f"wrk against {server.target} failed:\n{result.stdout}\n{result.stderr}")
    wrk_figures = json.loads(found[0])
    first_failure = next(
        (line[len(FAILURE_MARK) :] for line in lines if line.startswith(FAILURE_MARK)), ""
    )
    requests = wrk_figures["requests"]
    duration_s = wrk_figures["duration_us"] / 1e6
    per_second = requests / duration_s
    rss_kib, hwm_kib = server.memory_kib()
    return Sample(
        target=server.target,
        mode=mode,
        round=rnd,
        per_second=per_second,
        events_per_second=per_second * STREAM_EVENTS if mode == "stream" else 0.0,
        p50_ms=wrk_figures["p50_us"] / 1000,
        p99_ms=wrk_figures["p99_us"] / 1000,
        server_cpu_pct=100 * cpu / elapsed,
        server_cpu_us=1e6 * cpu / requests if requests else float("nan"),
        wrk_cpu_pct=100 * wrk_cpu / elapsed,
        other_cpu_pct=max(0.0, 100 * (host - cpu - wrk_cpu - own) / elapsed),
        rss_mib=rss_kib / 1024,
        peak_rss_mib=hwm_kib / 1024,
        errors=sum(wrk_figures[key] for key in ("connect", "read", "write", "status", "timeout")),
        failures=wrk_figures["failures"]
        + (requests - wrk_figures["checked"] if mode == "stream" else 0),
        first_failure=first_failure,
    )


def measure(server: Server, mode: Mode, script: Path, args: argparse.Namespace, rnd: int) -> Sample:
    """One sample, run again (after the host is idle) while other processes took CPU from it."""
    for _ in range(args.retries):
        sample = run_wrk(server, mode, script, args, seconds=args.seconds, rnd=rnd)
        if sample.other_cpu_pct <= args.max_other_cpu_pct:
            return sample
        wait_until_idle(args.max_other_cpu_pct, args.wait_quiet_s)
    return sample


# --- the host ------------------------------------------------------------------------------


def host_busy_seconds() -> float:
    """CPU seconds all CPUs have spent in processes since boot (``/proc/stat``), steal included.

    Interrupt and softirq time is left out: loopback TCP is processed there, so the benchmark's
    own traffic puts 20-30% of a core in it, charged to no process.
    """
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = fields
    return (user + nice + system + steal) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(max_other_cpu_pct: float, wait_s: float, window_s: float = 2.0) -> float:
    """Wait until the host's CPU use over ``window_s`` (our servers idle) is at most the limit.

    Returns the last window's CPU use, % of one core; it is above the limit when ``wait_s``
    ran out first.
    """
    deadline = time.monotonic() + wait_s
    while True:
        before, own = host_busy_seconds(), time.process_time()
        time.sleep(window_s)
        busy = 100 * (host_busy_seconds() - before - (time.process_time() - own)) / window_s
        if busy <= max_other_cpu_pct or time.monotonic() >= deadline:
            return busy


def wait_until_quiet(max_load_per_core: float, wait_s: float) -> tuple[float, float, float]:
    """The load average once the 1-minute figure per core is at most ``max_load_per_core``.

    Raises:
        HostBusy: still above it after ``wait_s`` seconds.
    """
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + wait_s
    while True:
        load = os.getloadavg()
        if load[0] / cores <= max_load_per_core:
            return load
        if time.monotonic() >= deadline:
            raise HostBusy(
                f"host busy: 1-minute load average {load[0]:.2f} on {cores} cores is "
                f"{load[0] / cores:.2f} per core, above --max-load-per-core "
                f"{max_load_per_core:g}; figures from a busy host are not worth reporting"
            )
        time.sleep(5)


def _version(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return (
        (result.stdout or result.stderr).splitlines()[0] if result.stdout or result.stderr else "?"
    )


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One row of the report: a median per target and mockgpt's ratio to the floor."""

    name: str
    unit: str
    medians: dict[str, float]
    target: float | None
    higher_is_better: bool

    def ratio(self, target: str) -> float:
        """``target``'s median over the floor's."""
        floor = self.medians[FLOOR]
        return self.medians[target] / floor if floor else float("nan")

    def verdict(self) -> str:
        """``met`` / ``missed`` for mockgpt's ratio, or "" when the row has no target."""
        if self.target is None:
            return ""
        ratio = self.ratio("mockgpt")
        met = ratio >= self.target if self.higher_is_better else ratio <= self.target
        return "met" if met else "MISSED"


def figures(samples: list[Sample]) -> list[Figure]:
    """The report's rows: medians over rounds for each target, with issue 11's targets."""

    def median(mode: Mode, field: str) -> dict[str, float]:
        return {
            target: statistics.median(
                getattr(s, field) for s in samples if s.target == target and s.mode == mode
            )
            for target in TARGETS
        }

    return [
        Figure("non-streamed req/s", "", median("json", "per_second"), 1.0, True),
        Figure("streamed events/s", "", median("stream", "events_per_second"), 2.5, True),
        Figure("  (streams/s)", "", median("stream", "per_second"), None, True),
        Figure("non-streamed p50", "ms", median("json", "p50_ms"), None, False),
        Figure("non-streamed p99", "ms", median("json", "p99_ms"), 1.2, False),
        Figure("streamed p50", "ms", median("stream", "p50_ms"), None, False),
        Figure("streamed p99", "ms", median("stream", "p99_ms"), 1.2, False),
        Figure("server CPU/req non-streamed", "us", median("json", "server_cpu_us"), None, False),
        Figure("server CPU/stream", "us", median("stream", "server_cpu_us"), None, False),
        Figure("server peak RSS (VmHWM)", "MiB", median("stream", "peak_rss_mib"), 1.2, False),
    ]


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def print_report(samples: list[Sample], rows: list[Figure]) -> None:
    """Print each round's samples, then the table of medians and ratios."""
    print("\nrounds (req/s | events/s, p50/p99 ms, CPU % of a core, RSS MiB, failures):")
    for sample in samples:
        rate = sample.events_per_second if sample.mode == "stream" else sample.per_second
        print(
            f"  r{sample.round} {sample.mode:6} {sample.target:9} {rate:>10,.0f}/s  "
            f"p50 {sample.p50_ms:6.2f}  p99 {sample.p99_ms:6.2f}  "
            f"cpu {sample.server_cpu_pct:5.1f}%  wrk {sample.wrk_cpu_pct:5.1f}%  "
            f"other {sample.other_cpu_pct:5.1f}%  "
            f"rss {sample.rss_mib:5.1f}  errors {sample.errors}  failures {sample.failures}"
        )
    header = (
        f"\n{'median of rounds':30} {'mockgpt':>10} {'starlette':>10} {'raw':>10} "
        f"{'mockgpt/st':>11} {'raw/st':>7}  target"
    )
    print(header)
    print("-" * (len(header) + 8))
    for row in rows:
        name = f"{row.name} ({row.unit})" if row.unit else row.name
        target = ""
        if row.target is not None:
            sign = ">=" if row.higher_is_better else "<="
            target = f"{sign} {row.target:g}x {row.verdict()}"
        print(
            f"{name:30} {_fmt(row.medians['mockgpt']):>10} {_fmt(row.medians['starlette']):>10} "
            f"{_fmt(row.medians['raw']):>10} {row.ratio('mockgpt'):>10.2f}x "
            f"{row.ratio('raw'):>6.2f}x  {target}"
        )


# --- main ------------------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])

    def at_least_3(text: str) -> int:
        value = int(text)
        if value < 3:
            raise argparse.ArgumentTypeError("a median needs at least 3 rounds")
        return value

    parser.add_argument("--rounds", type=at_least_3, default=3, help="rounds (>= 3; default 3)")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument(
        "--warmup-s", type=int, default=1, help="warm-up per server and mode, s (default 1)"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU every server is pinned to")
    parser.add_argument("--wrk-cpu", type=int, default=1, help="CPU wrk is pinned to")
    parser.add_argument(
        "--mockgpt",
        dest="mockgpt_via",
        choices=("serve", "uvicorn"),
        default="serve",
        help="serve mockgpt with `mockgpt serve` (default) or `uvicorn --factory`",
    )
    parser.add_argument(
        "--max-load-per-core",
        type=float,
        default=0.5,
        help="refuse to run when the 1-minute load average per core is above this (0.5)",
    )
    parser.add_argument(
        "--wait-quiet-s",
        type=float,
        default=60.0,
        help="wait up to this long for a quiet host: before the start, and before a contended "
        "sample runs again (default 60)",
    )
    parser.add_argument(
        "--max-other-cpu-pct",
        type=float,
        default=15.0,
        help="a sample during which other processes used more CPU than this (%% of one core, "
        "steal included) is run again; still so after --retries, the run is refused (15)",
    )
    parser.add_argument("--retries", type=int, default=3, help="runs per sample at most (3)")
    parser.add_argument("--json", type=Path, help="also write every sample and median here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its report; see the module docstring for exit statuses."""
    args = _parse_args(argv)
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        print(f"bench_wrk: {' and '.join(missing)} not found (apt-get install wrk util-linux)")
        return 2
    cores = os.cpu_count() or 1
    try:
        load = wait_until_quiet(args.max_load_per_core, args.wait_quiet_s)
    except HostBusy as exc:
        print(f"bench_wrk: {exc}")
        return 2
    json_size, stream_size = len(request_body(stream=False)), len(request_body(stream=True))
    print(
        f"host: {platform.node()}, {cores} cores, Python {platform.python_version()}, "
        f"{_version(['wrk', '--version']).split(' [')[0]}"
    )
    print(
        f"load average before start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"({load[0] / cores:.2f} per core <= {args.max_load_per_core:g})"
    )
    print(
        f"request: {json_size} bytes ({stream_size} streamed): system message + "
        f"{len(PROMPT.split())}-word user message, max_tokens {MAX_TOKENS}; "
        f"stream: {STREAM_EVENTS} SSE events ([DONE] included)"
    )
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.seconds:g}s --latency on CPU "
        f"{args.wrk_cpu}; servers on CPU {args.server_cpu}; mockgpt via {args.mockgpt_via}; "
        f"{args.rounds} rounds, interleaved (mockgpt, starlette, raw), warm-up {args.warmup_s:g}s"
    )
    samples: list[Sample] = []
    try:
        with tempfile.TemporaryDirectory() as tmp, serving(args.server_cpu, args.mockgpt_via) as s:
            scripts: dict[Mode, Path] = {}
            for mode in MODES:
                scripts[mode] = Path(tmp, f"{mode}.lua")
                scripts[mode].write_text(lua_script(mode))
            for server in s.values():
                check(server)
            for mode in MODES:
                for target in TARGETS:
                    run_wrk(s[target], mode, scripts[mode], args, seconds=args.warmup_s, rnd=0)
            for rnd in range(1, args.rounds + 1):
                for mode in MODES:
                    for target in TARGETS:
                        sample = measure(s[target], mode, scripts[mode], args, rnd)
                        samples.append(sample)
                        print("." if sample.other_cpu_pct <= args.max_other_cpu_pct else "!",
                              end="", flush=True)  # fmt: skip
    except BenchError as exc:
        print(f"\nbench_wrk: {exc}")
        return 1
    rows = figures(samples)
    print_report(samples, rows)
    contended = [s for s in samples if s.other_cpu_pct > args.max_other_cpu_pct]
    for target in TARGETS:
        for mode in MODES:
            cpu = statistics.median(
                s.server_cpu_pct for s in samples if s.target == target and s.mode == mode
            )
            if cpu < SERVER_BOUND_PCT:
                print(
                    f"note: {target} {mode}: the server used {cpu:.0f}% of its core (median), so "
                    "wrk or the connection count set the pace: its rate is a lower bound"
                )
    after = os.getloadavg()
    print(f"\nload average after the run: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
    bad = [s for s in samples if s.errors or s.failures]
    for sample in bad:
        print(
            f"bench_wrk: {sample.target} {sample.mode} round {sample.round}: {sample.errors} "
            f"errors, {sample.failures} failed streams {sample.first_failure}"
        )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "load_average": load,
                    "request_bytes": json_size,
                    "stream_events": STREAM_EVENTS,
                    "samples": [asdict(sample) for sample in samples],
                    "medians": {row.name.strip(): row.medians for row in rows},
                },
                indent=2,
            )
        )
    if contended:
        print(
            f"bench_wrk: REFUSED: other processes took more than {args.max_other_cpu_pct:g}% of "
            f"a core during {len(contended)} samples even after {args.retries} runs each "
            "(the `other` column); the figures above are not a result"
        )
        return 2
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
