"""Throughput of mockgpt's chat completions next to a floor, over real sockets, in one run.

Run::

    python bench/bench_server.py [--seconds 5] [--warmup 1] [--concurrency 32] [--json PATH]
                                 [--profile PATH]

What it measures. Two servers, each a ``uvicorn`` subprocess on 127.0.0.1 with uvicorn's
default loop and HTTP implementation (uvloop and httptools when installed), one worker, no
access log:

- **mockgpt**: ``mockgpt.app:create_app()`` with the default ``ServerConfig``; its echo backend
  answers ``PROMPT`` (about 60 words) with ``PROMPT``, one token per streamed chunk.
- **floor** (``floor_app.py``): a bare Starlette app sending pre-encoded bytes of the same shape
  without reading the request: one ``ChatCompletion`` body, or a ``StreamingResponse`` that
  sends each SSE event with its own ``send``, as many events as mockgpt sends for ``PROMPT``.

This process is the load generator: asyncio (uvloop when importable) with raw keep-alive
HTTP/1.1 connections, ``--concurrency`` of them, each sending a prebuilt request and reading
the whole response (by ``Content-Length``, or up to the chunked terminator for SSE) in a loop.
Each phase warms up for ``--warmup`` seconds, then counts the responses that complete within
the next ``--seconds``. A sample response of each kind is checked first (status, body text,
``data: [DONE]`` last), and every streamed response must carry the expected number of events.

Figures: ``req/s`` (non-streamed responses per second), ``events/s`` (SSE events delivered per
second, ``[DONE]`` included) and ``streams/s``. ``server CPU`` is the server process's CPU time
over the window (100% = one core), and ``CPU us/req`` is that time per response: the cost per
request, which holds even when the load generator, not the server, is the bottleneck (watch
``client CPU``: near 100% means the figures for that phase are bounded by the client) and
is the steadier figure when other processes share the machine (the header prints the load
average: rates from a busy machine are low and noisy).

How to read the ratios (mockgpt / floor): the floor is the least that uvicorn and Starlette can
do for the same wire output, so a non-streamed ratio of 1.0 means mockgpt costs nothing above
the framework; the target is >= 0.75. For streams the floor pays one ``send`` per SSE event,
as a naive token-by-token server does, while mockgpt writes an unpaced stream in one go, so
mockgpt should deliver more events per second than the floor: the target is >= 2.5.
``CPU us/req`` ratios are floor / mockgpt, so they read the same way (higher is better).

``--profile PATH`` runs the mockgpt server under cProfile, timed in CPU seconds, and prints its
top functions; profiling slows mockgpt, so that run's figures are not comparable.

Exit status: 0 when the benchmark ran (whether or not a target was met), 1 when it could not
(a server did not start, a response was wrong, a phase timed out).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from floor_app import EVENTS_ENV, MODEL, PROMPT, STREAM_PATH

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
CHAT_PATH = "/v1/chat/completions"

NON_STREAMED_TARGET = 0.75
"""mockgpt / floor non-streamed req/s must be at least this."""
STREAMED_EVENTS_TARGET = 2.5
"""mockgpt / floor streamed SSE events/s must be at least this."""

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
DRAIN_TIMEOUT_S = 10.0
"""Time a phase may overrun its warm-up and measurement before it counts as hung."""
READ_SIZE = 1 << 16
DONE = b"data: [DONE]\n\n"

Mode = Literal["json", "stream"]


class BenchError(Exception):
    """The benchmark could not run: a server, a response or a phase went wrong."""


# --- servers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server under uvicorn and where it serves each mode.

    Attributes:
        name: ``floor`` or ``mockgpt``.
        app: uvicorn factory import string.
        stream_path: the path streamed requests go to.
        app_dir: put on ``sys.path`` by uvicorn (``--app-dir``), or None.
        env: extra environment for the server process.
    """

    name: str
    app: str
    stream_path: str
    app_dir: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)


_PROFILED_UVICORN = """
import cProfile, sys, time
from uvicorn.main import main
path, sys.argv = sys.argv[1], ["uvicorn", *sys.argv[2:]]
profiler = cProfile.Profile(time.process_time)
profiler.enable()
try:
    main()
except (SystemExit, KeyboardInterrupt):
    pass
finally:
    profiler.disable()
    profiler.dump_stats(path)
"""
"""``python -c`` source: uvicorn's CLI under cProfile timed in CPU seconds, so the time the
server waits (as it does through the floor's phases) is not counted."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """A uvicorn subprocess serving one app on 127.0.0.1 and a free port."""

    def __init__(self, spec: ServerSpec, *, log: IO[bytes], profile: Path | None = None) -> None:
        self.spec = spec
        self.profile = profile
        self.port = _free_port()
        self._log = log
        python = [sys.executable, "-m", "uvicorn"]
        if profile is not None:
            python = [sys.executable, "-c", _PROFILED_UVICORN, str(profile)]
        command = [
            *python,
            *("--factory", spec.app),
            *("--host", HOST, "--port", str(self.port), "--workers", "1"),
            *("--log-level", "warning", "--no-access-log"),
        ]
        if spec.app_dir is not None:
            command += ["--app-dir", str(spec.app_dir)]
        # uvicorn puts its working directory first on sys.path: run in bench/ so the
        # installed mockgpt is served wherever this script is started from.
        self.process = subprocess.Popen(
            command,
            cwd=BENCH_DIR,
            env={**os.environ, **spec.env},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
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

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Poll the port until the server accepts a connection.

        Raises:
            BenchError: the process exited, or did not listen within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"{self.spec.name} server exited with status {self.process.returncode} "
                    f"before listening on {HOST}:{self.port}:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise BenchError(
            f"{self.spec.name} server did not listen on {HOST}:{self.port} within "
            f"{timeout_s:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Shut the server down gracefully, and kill it if it hangs.

        A profiled server gets SIGINT: uvicorn re-raises the signal after its shutdown, and
        only ``KeyboardInterrupt`` (not SIGTERM's default action) lets cProfile write its stats.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT if self.profile else signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far, or None off Linux."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def running(spec: ServerSpec, *, profile: Path | None = None) -> Iterator[ServerProcess]:
    """Start ``spec``'s server, wait until it listens, and always stop it afterwards."""
    with tempfile.TemporaryFile() as log:
        server = ServerProcess(spec, log=log, profile=profile)
        try:
            server.wait_ready()
            yield server
        finally:
            server.stop()


# --- HTTP/1.1 over raw sockets -------------------------------------------------------------


def chat_request(path: str, port: int, *, stream: bool) -> bytes:
    """A complete keep-alive ``POST`` of the benchmark chat request, ready to write."""
    payload: dict[str, object] = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    if stream:
        payload["stream"] = True
    body = json.dumps(payload, separators=(",", ":")).encode()
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {HOST}:{port}\r\n"
        "Accept: application/json\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


@dataclass(frozen=True)
class RawResponse:
    """One HTTP/1.1 response as read off the socket.

    Attributes:
        status: the status code.
        head: the status line and headers, up to and including the blank line.
        body: the body bytes, still chunk-encoded when ``chunked``.
        chunked: whether the body used ``Transfer-Encoding: chunked``.
    """

    status: int
    head: bytes
    body: bytes
    chunked: bool

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        key = name.lower().encode("ascii") + b":"
        for line in self.head.split(b"\r\n")[1:]:
            if line.lower().startswith(key):
                return line[len(key) :].strip().decode("latin-1")
        return None


async def read_response(reader: asyncio.StreamReader) -> RawResponse:
    """Read one whole response: by ``Content-Length``, or up to the chunked terminator.

    A keep-alive client with one request in flight sees nothing after the terminator, so
    the body ends when the bytes read so far end with the zero-length last chunk.

    Raises:
        BenchError: the response has neither a length nor chunked framing.
        asyncio.IncompleteReadError: the server closed the connection mid-response.
    """
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 2)
        body = await reader.readexactly(int(head[at + 17 : end]))
        return RawResponse(status, head, body, chunked=False)
    if b"\r\ntransfer-encoding: chunked\r\n" not in lower:
        raise BenchError(f"response with neither Content-Length nor chunked body:\n{head!r}")
    chunks = bytearray()
    while not (chunks.endswith(b"\r\n0\r\n\r\n") or chunks == b"0\r\n\r\n"):
        data = await reader.read(READ_SIZE)
        if not data:
            raise asyncio.IncompleteReadError(bytes(chunks), None)
        chunks += data
    return RawResponse(status, head, bytes(chunks), chunked=True)


def dechunk(raw: bytes) -> bytes:
    """The payload of a chunk-encoded body (RFC 9112, section 7.1).

    Raises:
        BenchError: the framing is broken.
    """
    out = bytearray()
    pos = 0
    while True:
        eol = raw.find(b"\r\n", pos)
        if eol < 0:
            raise BenchError(f"chunked body ends without its last chunk at byte {pos}")
        size = int(raw[pos:eol].split(b";", 1)[0], 16)
        pos = eol + 2
        if size == 0:
            return bytes(out)
        if raw[pos + size : pos + size + 2] != b"\r\n":
            raise BenchError(f"chunk of {size} bytes at byte {pos} is not followed by CRLF")
        out += raw[pos : pos + size]
        pos += size + 2


def sse_events(payload: bytes) -> list[bytes]:
    """The ``data:`` values of an SSE payload whose events are one ``data:`` line each.

    Raises:
        BenchError: an event is not a single ``data:`` line, or the payload does not end
            with a blank line.
    """
    if not payload.endswith(b"\n\n"):
        raise BenchError(f"SSE payload does not end with a blank line: {payload[-80:]!r}")
    events = payload[:-2].split(b"\n\n")
    for event in events:
        if not event.startswith(b"data: ") or b"\n" in event:
            raise BenchError(f"SSE event is not one `data: ` line: {event[:120]!r}")
    return [event[6:] for event in events]


# --- checking one response of each kind ------------------------------------------------------


@dataclass(frozen=True)
class StreamShape:
    """What a checked stream was made of (``[DONE]`` is in ``events`` only)."""

    events: int
    role_chunks: int
    content_chunks: int
    finish_chunks: int
    text: str

    def describe(self) -> str:
        """E.g. ``75 SSE events = 1 role + 72 content + 1 finish + [DONE]``."""
        return (
            f"{self.events} SSE events = {self.role_chunks} role + {self.content_chunks} "
            f"content + {self.finish_chunks} finish + [DONE]"
        )


async def _one_response(port: int, request: bytes) -> RawResponse:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(request)
        return await asyncio.wait_for(read_response(reader), timeout=DRAIN_TIMEOUT_S)
    finally:
        writer.close()


def _expect(condition: bool, server: str, what: str) -> None:
    if not condition:
        raise BenchError(f"{server}: {what}")


async def check_json(server: str, port: int) -> int:
    """Check a non-streamed answer: 200, JSON, ``PROMPT`` echoed. Returns its body size."""
    response = await _one_response(port, chat_request(CHAT_PATH, port, stream=False))
    _expect(response.status == 200, server, f"status {response.status}: {response.body[:300]!r}")
    media_type = response.header("content-type") or ""
    _expect(media_type.startswith("application/json"), server, f"content-type {media_type!r}")
    completion = json.loads(response.body)
    content = completion["choices"][0]["message"]["content"]
    _expect(content == PROMPT, server, f"message content is not the prompt: {content!r:.120}")
    return len(response.body)


async def check_stream(server: str, port: int, path: str, *, echo: bool) -> StreamShape:
    """Check a streamed answer: 200, SSE, chunk shapes, ``data: [DONE]`` last.

    Args:
        server: name for messages.
        port: where it listens.
        path: the streamed route.
        echo: also require the joined content deltas to be ``PROMPT``.
    """
    response = await _one_response(port, chat_request(path, port, stream=True))
    _expect(response.status == 200, server, f"status {response.status}: {response.body[:300]!r}")
    media_type = response.header("content-type") or ""
    _expect(media_type.startswith("text/event-stream"), server, f"content-type {media_type!r}")
    _expect(response.chunked, server, "stream is not chunk-encoded")
    payload = dechunk(response.body)
    _expect(payload.endswith(DONE), server, f"stream does not end with [DONE]: {payload[-80:]!r}")
    events = sse_events(payload)
    role = content = finish = 0
    text: list[str] = []
    for data in events[:-1]:
        chunk = json.loads(data)
        _expect(chunk["object"] == "chat.completion.chunk", server, f"not a chunk: {data!r:.120}")
        choice = chunk["choices"][0]
        delta = choice["delta"]
        if "role" in delta:
            role += 1
        elif choice["finish_reason"] is not None:
            finish += 1
        elif delta.get("content"):
            content += 1
            text.append(delta["content"])
    shape = StreamShape(len(events), role, content, finish, "".join(text))
    _expect(role == 1 and finish == 1, server, f"unexpected stream shape: {shape.describe()}")
    if echo:
        _expect(
            shape.text == PROMPT, server, f"streamed text is not the prompt: {shape.text!r:.120}"
        )
    return shape


# --- load ----------------------------------------------------------------------------------


@dataclass
class _Tally:
    responses: int = 0
    events: int = 0
    bad: int = 0
    first_bad: str = ""


@dataclass(frozen=True)
class PhaseResult:
    """The figures of one server in one mode.

    Attributes:
        server: ``floor`` or ``mockgpt``.
        mode: ``json`` (non-streamed) or ``stream``.
        concurrency: open connections.
        seconds: length of the measured window, seconds.
        responses: whole responses completed within the window.
        events: SSE events in those responses (0 for ``json``).
        server_cpu_s: the server's CPU time in the window, seconds (None off Linux).
        client_cpu_s: this process's CPU time in the window, seconds.
    """

    server: str
    mode: Mode
    concurrency: int
    seconds: float
    responses: int
    events: int
    server_cpu_s: float | None
    client_cpu_s: float

    @property
    def per_second(self) -> float:
        """Responses (requests, or whole streams) per second."""
        return self.responses / self.seconds

    @property
    def events_per_second(self) -> float:
        """SSE events delivered per second."""
        return self.events / self.seconds

    @property
    def server_cpu_pct(self) -> float | None:
        """The server's CPU use over the window; 100 is one core."""
        return None if self.server_cpu_s is None else 100 * self.server_cpu_s / self.seconds

    @property
    def client_cpu_pct(self) -> float:
        """This load generator's CPU use over the window; 100 is one core."""
        return 100 * self.client_cpu_s / self.seconds

    @property
    def cpu_us_per_response(self) -> float | None:
        """Server CPU microseconds per response."""
        if self.server_cpu_s is None or not self.responses:
            return None
        return 1e6 * self.server_cpu_s / self.responses

    def to_dict(self) -> dict[str, Any]:
        """The raw figures and the derived rates, JSON-ready."""
        return {
            **asdict(self),
            "per_second": self.per_second,
            "events_per_second": self.events_per_second,
            "server_cpu_pct": self.server_cpu_pct,
            "client_cpu_pct": self.client_cpu_pct,
            "cpu_us_per_response": self.cpu_us_per_response,
        }


async def _connection_loop(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: bytes,
    *,
    expected_events: int,
    measure_from: float,
    measure_until: float,
    tally: _Tally,
) -> None:
    """Send ``request`` and read its response over and over until ``measure_until``."""
    loop = asyncio.get_running_loop()
    try:
        while loop.time() < measure_until:
            writer.write(request)
            response = await read_response(reader)
            done = loop.time()
            events = response.body.count(b"data: ") if expected_events else 0
            if response.status != 200 or events != expected_events:
                tally.bad += 1
                tally.first_bad = tally.first_bad or (
                    f"status {response.status}, {events} SSE events (expected "
                    f"{expected_events}): {response.body[:200]!r}"
                )
            elif measure_from <= done < measure_until:
                tally.responses += 1
                tally.events += events
    finally:
        writer.close()


async def run_phase(
    server: ServerProcess,
    mode: Mode,
    *,
    expected_events: int,
    concurrency: int,
    warmup_s: float,
    seconds: float,
) -> PhaseResult:
    """Load ``server`` with ``concurrency`` connections: warm up, then measure ``seconds``.

    Raises:
        BenchError: a response was wrong, or the phase overran by ``DRAIN_TIMEOUT_S``.
    """
    stream = mode == "stream"
    path = server.spec.stream_path if stream else CHAT_PATH
    request = chat_request(path, server.port, stream=stream)
    connections = [await asyncio.open_connection(HOST, server.port) for _ in range(concurrency)]
    loop = asyncio.get_running_loop()
    measure_from = loop.time() + warmup_s
    measure_until = measure_from + seconds
    marks: dict[str, tuple[float | None, float]] = {}

    def mark(name: str) -> None:
        marks[name] = (server.cpu_seconds(), time.process_time())

    timers = [loop.call_at(measure_from, mark, "from"), loop.call_at(measure_until, mark, "until")]
    tally = _Tally()
    loops = [
        _connection_loop(
            reader,
            writer,
            request,
            expected_events=expected_events if stream else 0,
            measure_from=measure_from,
            measure_until=measure_until,
            tally=tally,
        )
        for reader, writer in connections
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*loops), timeout=warmup_s + seconds + DRAIN_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise BenchError(
            f"{server.spec.name} {mode}: responses still incomplete {DRAIN_TIMEOUT_S:.0f} s "
            "after the measured window; the server stopped answering"
        ) from None
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise BenchError(
            f"{server.spec.name} {mode}: the server closed a connection mid-response ({exc!r})"
            f":\n{server.log_tail()}"
        ) from exc
    finally:
        for timer in timers:
            timer.cancel()
    if "until" not in marks:  # every connection saw the deadline before the timer ran
        mark("until")
    if tally.bad:
        raise BenchError(
            f"{server.spec.name} {mode}: {tally.bad} bad responses; first: {tally.first_bad}"
        )
    (cpu_from, client_from), (cpu_until, client_until) = marks["from"], marks["until"]
    return PhaseResult(
        server=server.spec.name,
        mode=mode,
        concurrency=concurrency,
        seconds=seconds,
        responses=tally.responses,
        events=tally.events,
        server_cpu_s=None if cpu_from is None or cpu_until is None else cpu_until - cpu_from,
        client_cpu_s=client_until - client_from,
    )


# --- the run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """One mockgpt / floor comparison and its target (None: reported, no target)."""

    name: str
    value: float
    target: float | None

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None when there is none."""
        return None if self.target is None else self.value >= self.target


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _mockgpt_source() -> str:
    """Where the servers import mockgpt from, and its git revision when it has one."""
    spec = importlib.util.find_spec("mockgpt")
    if spec is None or spec.origin is None:
        return "not found"
    package = Path(spec.origin).resolve().parent
    try:
        revision = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=package,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return str(package)
    return f"{package} (git {revision})"


def runtime() -> dict[str, str]:
    """Python and library versions, and the loop and HTTP protocol uvicorn's ``auto`` picks.

    The servers run in this interpreter with uvicorn's defaults, so they resolve the same.
    """
    info = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "uvicorn": _version("uvicorn"),
        "starlette": _version("starlette"),
        "pydantic": _version("pydantic"),
        "mockgpt": _version("mockgpt"),
        "mockgpt_source": _mockgpt_source(),
        "cpus": str(os.cpu_count()),
        "load_average_1min": f"{os.getloadavg()[0]:.2f}",
    }
    try:
        from uvicorn.loops.auto import auto_loop_factory
        from uvicorn.protocols.http.auto import AutoHTTPProtocol

        event_loop = auto_loop_factory()()
        try:
            loop_type = type(event_loop)
        finally:
            event_loop.close()
        info["server_loop"] = f"{loop_type.__module__}.{loop_type.__qualname__}"
        info["server_http"] = f"{AutoHTTPProtocol.__module__}.{AutoHTTPProtocol.__qualname__}"
    except ImportError:  # an older uvicorn: its documented rule
        info["server_loop"] = "uvloop" if _version("uvloop") != "not installed" else "asyncio"
        info["server_http"] = "httptools" if _version("httptools") != "not installed" else "h11"
    info["uvloop"] = _version("uvloop")
    info["httptools"] = _version("httptools")
    return info


@dataclass(frozen=True)
class BenchRun:
    """What one run found.

    Attributes:
        shape: what mockgpt's stream for ``PROMPT`` is made of.
        results: the phases: floor then mockgpt, ``json`` then ``stream``.
        json_body_bytes: the non-streamed body size of each server, bytes.
        client_loop: the load generator's event loop class.
    """

    shape: StreamShape
    results: list[PhaseResult]
    json_body_bytes: dict[str, int]
    client_loop: str


async def bench(
    *, concurrency: int, warmup_s: float, seconds: float, profile: Path | None
) -> BenchRun:
    """Start both servers, check a response of each kind, then run the four phases."""
    mockgpt_spec = ServerSpec("mockgpt", "mockgpt.app:create_app", CHAT_PATH)
    with contextlib.ExitStack() as stack:
        mockgpt = stack.enter_context(running(mockgpt_spec, profile=profile))
        shape = await check_stream("mockgpt", mockgpt.port, CHAT_PATH, echo=True)
        floor_spec = ServerSpec(
            "floor",
            "floor_app:create_app",
            STREAM_PATH,
            app_dir=BENCH_DIR,
            env={EVENTS_ENV: str(shape.events)},
        )
        floor = stack.enter_context(running(floor_spec))
        floor_shape = await check_stream("floor", floor.port, STREAM_PATH, echo=False)
        if floor_shape.events != shape.events:
            raise BenchError(f"floor streams {floor_shape.describe()}, mockgpt {shape.describe()}")
        body_bytes = {
            "floor": await check_json("floor", floor.port),
            "mockgpt": await check_json("mockgpt", mockgpt.port),
        }
        results: list[PhaseResult] = []
        modes: tuple[Mode, ...] = ("json", "stream")
        for mode in modes:
            for server in (floor, mockgpt):
                results.append(
                    await run_phase(
                        server,
                        mode,
                        expected_events=shape.events,
                        concurrency=concurrency,
                        warmup_s=warmup_s,
                        seconds=seconds,
                    )
                )
    loop_type = type(asyncio.get_running_loop())
    return BenchRun(shape, results, body_bytes, f"{loop_type.__module__}.{loop_type.__qualname__}")


def ratios(results: list[PhaseResult]) -> list[Ratio]:
    """The mockgpt / floor ratios of the rates, and floor / mockgpt of CPU per response."""
    by = {(r.server, r.mode): r for r in results}
    floor_json, mock_json = by["floor", "json"], by["mockgpt", "json"]
    floor_stream, mock_stream = by["floor", "stream"], by["mockgpt", "stream"]

    def ratio(mock: float, floor: float) -> float:
        return mock / floor if floor else float("nan")

    out = [
        Ratio(
            "non-streamed req/s",
            ratio(mock_json.per_second, floor_json.per_second),
            NON_STREAMED_TARGET,
        ),
        Ratio(
            "streamed chunks/s (SSE events/s)",
            ratio(mock_stream.events_per_second, floor_stream.events_per_second),
            STREAMED_EVENTS_TARGET,
        ),
        Ratio("streams/s", ratio(mock_stream.per_second, floor_stream.per_second), None),
    ]
    for mode, floor, mock in (
        ("non-streamed", floor_json, mock_json),
        ("stream", floor_stream, mock_stream),
    ):
        if floor.cpu_us_per_response and mock.cpu_us_per_response:
            out.append(
                Ratio(
                    f"{mode} CPU/req (floor/mockgpt)",
                    floor.cpu_us_per_response / mock.cpu_us_per_response,
                    None,
                )
            )
    return out


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def _num(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def report(info: dict[str, str], args: argparse.Namespace, run: BenchRun) -> list[Ratio]:
    """Print the figures and the ratios; return the ratios."""
    shape, results, body_bytes = run.shape, run.results, run.json_body_bytes
    print(
        f"{info['python']} | uvicorn {info['uvicorn']} | starlette {info['starlette']} | "
        f"pydantic {info['pydantic']} | mockgpt {info['mockgpt']}"
    )
    print(f"mockgpt from {info['mockgpt_source']}")
    print(
        f"servers: uvicorn defaults, 1 worker -> loop {info['server_loop']} "
        f"(uvloop {info['uvloop']}), http {info['server_http']} (httptools {info['httptools']})"
    )
    print(
        f"client: {run.client_loop}, {args.concurrency} keep-alive connections, "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s measured per phase"
    )
    print(
        f"machine: {info['cpus']} CPUs, load average {info['load_average_1min']} (1 min) at start"
    )
    print(
        f"request: {len(PROMPT.split())}-word prompt; JSON body {body_bytes['mockgpt']} B "
        f"(floor {body_bytes['floor']} B); stream: {shape.describe()}"
    )
    print()
    header = (
        f"{'mode':<8} {'server':<8} {'req/s':>9} {'events/s':>11} "
        f"{'server CPU':>10} {'CPU us/req':>10} {'client CPU':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        events = _num(r.events_per_second) if r.mode == "stream" else "-"
        print(
            f"{r.mode:<8} {r.server:<8} {_num(r.per_second):>9} {events:>11} "
            f"{_pct(r.server_cpu_pct):>10} {_num(r.cpu_us_per_response):>10} "
            f"{_pct(r.client_cpu_pct):>10}"
        )
    print("(for streams req/s is streams/s; events/s counts SSE events, [DONE] included)")
    print()
    found = ratios(results)
    header = f"{'mockgpt / floor':<36} {'ratio':>6}  {'target':>7}  result"
    print(header)
    print("-" * len(header))
    for ratio in found:
        target = "-" if ratio.target is None else f">= {ratio.target:g}"
        verdict = {None: "", True: "ok", False: "MISSED"}[ratio.met]
        print(f"{ratio.name:<36} {ratio.value:>6.2f}  {target:>7}  {verdict}")
    return found


def print_profile(path: Path, limit: int = 25) -> None:
    """The top of a cProfile dump, by own time and by cumulative time."""
    import pstats

    stats = pstats.Stats(str(path), stream=sys.stdout)
    stats.strip_dirs()
    for key in ("tottime", "cumulative"):
        print(f"\nmockgpt server profile ({path}), top {limit} by {key}:")
        stats.sort_stats(key).print_stats(limit)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per phase")
    parser.add_argument("--concurrency", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="PATH",
        help="run the mockgpt server under cProfile (CPU time), write the stats to PATH and "
        "print the top entries (profiling slows mockgpt: its figures are then not comparable)",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.concurrency < 1:
        parser.error("--seconds must be > 0, --warmup >= 0 and --concurrency >= 1")
    return args


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print it; 0 when it ran, 1 when it could not."""
    args = _parse_args(argv)
    info = runtime()
    try:
        run: BenchRun = _run(
            bench(
                concurrency=args.concurrency,
                warmup_s=args.warmup,
                seconds=args.seconds,
                profile=args.profile,
            )
        )
    except (BenchError, OSError, EOFError, asyncio.TimeoutError) as exc:
        print(f"bench_server: could not run: {exc!r}", file=sys.stderr)
        return 1
    found = report(info, args, run)
    if args.json is not None:
        figures = {
            "runtime": info,
            "config": {
                "concurrency": args.concurrency,
                "warmup_s": args.warmup,
                "seconds": args.seconds,
                "prompt_words": len(PROMPT.split()),
                "stream_events": run.shape.events,
                "json_body_bytes": run.json_body_bytes,
                "profiled": args.profile is not None,
            },
            "phases": [r.to_dict() for r in run.results],
            "ratios": [{**asdict(r), "met": r.met} for r in found],
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if args.profile is not None:
        print_profile(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
