"""2,000 concurrent paced streams against ``mockgpt serve``, 30% of them cut mid-stream.

Run (Linux: it reads ``/proc``)::

    python bench/load_streams.py [--streams 2000] [--rounds 5] [--disconnect 0.3]
        [--ttft-ms 200] [--tokens-per-second 20] [--max-tokens 16]

It starts ``mockgpt serve`` as a subprocess on 127.0.0.1 and a free port, paced with
``--ttft-ms`` and ``--tokens-per-second``, raises this process's soft ``RLIMIT_NOFILE`` to its
hard limit, and runs ``--rounds`` rounds. In each round it opens ``--streams`` connections at
once (asyncio raw sockets, ``Connection: close``), each sending one streamed chat completion
whose echoed answer is ``--max-tokens`` tokens long. A ``--disconnect`` share of them, drawn
at random (``--seed``), read a random number of events (at least one, fewer than the whole
stream) and then abort the connection; every other stream must answer 200 and end with
``data: [DONE]``, or it is counted as an error (with the first few shown).

Figures: per round, completions, disconnects, errors, wall time, the server's RSS after the
round (``VmRSS``, once its connections are closed); over the run, the server's peak RSS
(``VmHWM``, issue 12's target <= 150 MiB), its open descriptors (``/proc/PID/fd``) and thread
count before the first round and after the last (back to idle), whether RSS is flat over the
rounds (last round within ``--flat-mib`` of the second), tracebacks in the server's log, and
the load average before and after (the host is shared: no quiet check, but the load is shown).

Bounded: each stream gives up after ``--stream-timeout-s``, each round after
``--round-timeout-s``; the server is stopped (by its PID) in every case.

Exit status: 0 when every target was met, 1 when one was missed (errors, peak RSS, idle
descriptors or threads, flat RSS, tracebacks), 2 when the server could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
PEAK_RSS_TARGET_MIB = 150.0
IDLE_SETTLE_S = 10.0
"""After the last round, wait up to this long for descriptors and threads to go back."""
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "while", "a", "small"]
WORDS += ["bird", "sings", "on", "old", "wooden", "fence", "near", "river", "bank", "at", "dawn"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def proc_status(pid: int) -> dict[str, int]:
    """``VmRSS``, ``VmHWM`` (KiB) and ``Threads`` of a process."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM", "Threads"):
            values[name] = int(rest.split()[0])
    return values


def open_fds(pid: int) -> int:
    """How many descriptors a process has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def raise_nofile(wanted: int) -> tuple[int, int]:
    """Raise the soft descriptor limit to the hard one; return ``(soft, hard)`` now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


class Server:
    """``mockgpt serve`` on 127.0.0.1 and a free port, its output in a temporary file."""

    def __init__(self, extra: list[str]) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (open while the server runs)
        command = [sys.executable, "-m", "mockgpt", "serve", "--host", HOST]
        command += ["--port", str(self.port), "--log-level", "warning", *extra]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.pid = self.process.pid

    def wait_ready(self) -> None:
        """Poll ``/health`` until it answers; raise ``RuntimeError`` when it does not."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited ({self.process.returncode}):\n{self.output()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                    sock.sendall(
                        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    )
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer /health:\n{self.output()}")

    def output(self) -> str:
        """Everything the server printed so far."""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Round:
    """One round's counts."""

    completed: int = 0
    disconnected: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rss_kib: int = 0


def request_bytes(port: int, max_tokens: int, rng: random.Random) -> bytes:
    """One streamed chat completion request, ``Connection: close``."""
    words = " ".join(rng.choice(WORDS) for _ in range(max_tokens + 8))
    body = json.dumps(
        {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": words}],
            "stream": True,
            "max_tokens": max_tokens,
        }
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


async def one_stream(
    port: int, payload: bytes, cut_after: int | None, timeout_s: float, start: asyncio.Event
) -> str:
    """Run one stream; ``"ok"``, ``"cut"`` or an error description."""
    await start.wait()
    writer = None
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(payload)
            await writer.drain()
            received = b""
            while chunk := await reader.read(65536):
                received += chunk
                # Each SSE event ends with a blank line (the header block ends with \r\n\r\n).
                if cut_after is not None and received.count(b"\n\n") >= cut_after:
                    # Abort: a reset, as a killed client sends.
                    writer.transport.abort()
                    return "cut"
        if not received.startswith(b"HTTP/1.1 200"):
            return f"status: {received[:200]!r}"
        if cut_after is not None:
            return f"stream ended before the cut after {cut_after} events"
        if not received.endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n"):
            return f"no [DONE] at the end: {received[-200:]!r}"
        return "ok"
    except TimeoutError:
        return f"timeout after {timeout_s:g}s"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        if writer is not None and not writer.transport.is_closing():
            writer.close()


async def run_round(args: argparse.Namespace, port: int, rng: random.Random) -> Round:
    """Open ``--streams`` streams at once; count completions, cuts and errors."""
    events = args.max_tokens + 3  # role chunk, tokens, finish chunk, [DONE]
    start = asyncio.Event()
    tasks = []
    for _ in range(args.streams):
        cut = rng.randint(1, events - 1) if rng.random() < args.disconnect else None
        payload = request_bytes(port, args.max_tokens, rng)
        tasks.append(
            asyncio.create_task(one_stream(port, payload, cut, args.stream_timeout_s, start))
        )
    began = time.monotonic()
    start.set()
    done, pending = await asyncio.wait(tasks, timeout=args.round_timeout_s)
    for task in pending:
        task.cancel()
    result = Round(seconds=time.monotonic() - began)
    for task in done:
        outcome = task.result()
        if outcome == "ok":
            result.completed += 1
        elif outcome == "cut":
            result.disconnected += 1
        else:
            result.errors.append(outcome)
    result.errors += ["round timeout"] * len(pending)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the load; see the module docstring for exit statuses."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--streams", type=int, default=2000, help="concurrent streams (2000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (5)")
    parser.add_argument("--disconnect", type=float, default=0.3, help="share cut (0.3)")
    parser.add_argument("--ttft-ms", type=float, default=200.0, help="server pacing (200)")
    parser.add_argument("--tokens-per-second", type=float, default=20.0, help="pacing (20)")
    parser.add_argument("--max-tokens", type=int, default=16, help="tokens per answer (16)")
    parser.add_argument("--seed", type=int, default=12, help="random seed (12)")
    parser.add_argument("--stream-timeout-s", type=float, default=120.0, help="per stream (120)")
    parser.add_argument("--round-timeout-s", type=float, default=180.0, help="per round (180)")
    parser.add_argument("--flat-mib", type=float, default=10.0, help="flat RSS tolerance (10)")
    args = parser.parse_args(argv)

    soft, hard = raise_nofile(args.streams + 256)
    if soft < args.streams + 64:
        print(f"load_streams: RLIMIT_NOFILE soft {soft} (hard {hard}) is below {args.streams}")
        return 2
    cores = os.cpu_count() or 1
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({cores} cores)")
    print(f"client RLIMIT_NOFILE: soft {soft}, hard {hard}")
    pacing = ["--ttft-ms", str(args.ttft_ms), "--tokens-per-second", str(args.tokens_per_second)]
    server = Server(pacing)
    try:
        server.wait_ready()
        with open(f"/proc/{server.pid}/limits") as limits:
            nofile = next(line for line in limits if line.startswith("Max open files"))
        print(f"server pid {server.pid} on {HOST}:{server.port}, {' '.join(pacing)}")
        print(f"server {' '.join(nofile.split()[:3])}: {' '.join(nofile.split()[3:5])}")
        before = proc_status(server.pid) | {"fds": open_fds(server.pid)}
        print(
            f"idle before: fds {before['fds']}, threads {before['Threads']}, "
            f"RSS {before['VmRSS'] / 1024:.1f} MiB"
        )
        print(
            f"{args.rounds} rounds x {args.streams} concurrent streams, {args.disconnect:.0%} cut "
            f"at a random event, {args.max_tokens} tokens each"
        )
        rng = random.Random(args.seed)
        rounds: list[Round] = []
        for number in range(1, args.rounds + 1):
            result = asyncio.run(run_round(args, server.port, rng))
            time.sleep(1.0)  # let the server notice the cut connections
            result.rss_kib = proc_status(server.pid)["VmRSS"]
            rounds.append(result)
            print(
                f"  round {number}: completed {result.completed}, disconnected "
                f"{result.disconnected}, errors {len(result.errors)}, {result.seconds:.1f}s, "
                f"server RSS {result.rss_kib / 1024:.1f} MiB, "
                f"load {os.getloadavg()[0]:.2f}"
            )
            for error in result.errors[:3]:
                print(f"    error: {error}")
        deadline = time.monotonic() + IDLE_SETTLE_S
        while True:
            after = proc_status(server.pid) | {"fds": open_fds(server.pid)}
            idle = after["fds"] <= before["fds"] and after["Threads"] <= before["Threads"]
            if idle or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    except RuntimeError as exc:
        print(f"load_streams: {exc}")
        return 2
    finally:
        server.stop()
    log = server.output()
    tracebacks = log.count("Traceback")
    completed = sum(r.completed for r in rounds)
    disconnected = sum(r.disconnected for r in rounds)
    errors = sum(len(r.errors) for r in rounds)
    peak_mib = after["VmHWM"] / 1024
    series = [r.rss_kib / 1024 for r in rounds]
    growth = series[-1] - series[min(1, len(series) - 1)]
    flat = growth <= args.flat_mib
    print("\nfigures:")
    print(f"  completions {completed}, disconnected {disconnected}, errors {errors} (target 0)")
    verdict = "met" if peak_mib <= PEAK_RSS_TARGET_MIB else "MISSED"
    print(f"  server peak RSS (VmHWM) {peak_mib:.1f} MiB (target <= 150: {verdict})")
    print(
        f"  server fds {before['fds']} before -> {after['fds']} after; threads "
        f"{before['Threads']} before -> {after['Threads']} after "
        f"({'back to idle' if idle else 'NOT back to idle'})"
    )
    print(
        f"  RSS after each round (MiB): {', '.join(f'{v:.1f}' for v in series)} "
        f"({'flat' if flat else 'GROWING'}: {growth:+.1f} MiB from round 2 to the last)"
    )
    print(f"  tracebacks in the server log: {tracebacks}")
    if tracebacks:
        print(log[-3000:])
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    ok = not errors and peak_mib <= PEAK_RSS_TARGET_MIB and idle and flat and not tracebacks
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
