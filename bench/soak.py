"""A mixed soak against ``mockgpt serve`` with the default stored state: is RSS flat?

Run (Linux: it reads ``/proc``)::

    python bench/soak.py [--seconds 300] [--rate 120] [--concurrency 32] [--sample-s 10]

It starts ``mockgpt serve`` as a subprocess on 127.0.0.1 and a free port with its defaults
(Responses stored, ``--max-stored 1000`` of each kind, ``--journal-size 1000`` entries of at
most ``--journal-body-bytes`` 1 MiB; pass ``--server-arg=--max-stored=200`` to change them)
and, for ``--seconds``, starts ``--rate`` operations per second (at most ``--concurrency`` in
flight; a start that finds them all busy waits and is counted as *late*). The operations
cycle through a fixed mix, each with a user message of 50 to 400 random words:

- ``chat``: ``POST /v1/chat/completions``; ``chat-stream``: the same streamed (``[DONE]``
  checked);
- ``responses``: ``POST /v1/responses`` (stored by default), then ``GET`` it back;
- ``conversations``: ``POST /v1/conversations`` with one item, then ``POST .../items``;
- ``assistants``: ``POST /v1/assistants``, ``POST /v1/threads``, ``POST .../messages``,
  ``POST .../runs``, then ``GET`` the run; ``thread-and-run``: ``POST /v1/threads/runs``;
- ``embeddings``: ``POST /v1/embeddings``; ``ollama-chat``: ``POST /api/chat``.

Every ``--sample-s`` it reads the server's ``VmRSS`` and prints it with the load average and
the number of objects created so far of each stored kind. At the end it prints the series, the
moment every stored kind and the journal passed their caps, and whether RSS is flat from then
on (the last sample within ``--flat-mib`` of the first sample after the caps, and no sample
after them above that first one by more than twice ``--flat-mib``); when the caps were not
reached within the run, flatness is not judged (raise ``--rate`` or ``--seconds``). It also
asks for the first stored response, which must be gone by then (404 in the envelope).

Bounded: every request has a timeout (``--request-timeout-s``), the run stops after
``--seconds`` plus at most that timeout, and the server is stopped by its PID in every case.

Exit status: 0 when there were no errors and RSS was flat (or not judged), 1 when a request
failed, the server logged a traceback or RSS grew, 2 when the server could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
DEFAULT_CAP = 1000
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]
WORDS += ["juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo"]
STORED_KINDS = ("responses", "conversations", "assistants", "threads")


class Failed(Exception):
    """An operation got an answer it should not have."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def rss_kib(pid: int) -> int:
    """``VmRSS`` of a process, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Soak:
    """The operations, their counts and the objects they created."""

    def __init__(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        self.client = client
        self.rng = rng
        self.ok: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.first_errors: list[str] = []
        self.created: Counter[str] = Counter()
        self.requests = 0
        self.first_response_id: str | None = None

    def text(self) -> str:
        """50 to 400 random words."""
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(50, 400)))

    def messages(self) -> list[dict[str, str]]:
        """A user message of random words."""
        return [{"role": "user", "content": self.text()}]

    async def call(self, method: str, path: str, body: object = None) -> dict:
        """One request; its JSON answer, or ``Failed`` on a status >= 400."""
        self.requests += 1
        response = await self.client.request(method, path, json=body)
        if response.status_code >= 400:
            raise Failed(f"{method} {path}: {response.status_code} {response.text[:200]}")
        answer: dict = response.json()
        return answer

    async def chat(self) -> None:
        await self.call(
            "POST", "/v1/chat/completions", {"model": "gpt-4o-mini", "messages": self.messages()}
        )

    async def chat_stream(self) -> None:
        self.requests += 1
        body = {"model": "gpt-4o-mini", "messages": self.messages(), "stream": True}
        async with self.client.stream("POST", "/v1/chat/completions", json=body) as response:
            content = await response.aread()
        if response.status_code != 200 or not content.endswith(b"data: [DONE]\n\n"):
            raise Failed(f"stream: {response.status_code} {content[-200:]!r}")

    async def responses(self) -> None:
        created = await self.call(
            "POST", "/v1/responses", {"model": "gpt-4o-mini", "input": self.text()}
        )
        self.created["responses"] += 1
        if self.first_response_id is None:
            self.first_response_id = created["id"]
        await self.call("GET", f"/v1/responses/{created['id']}")

    async def conversations(self) -> None:
        item = {"type": "message", "role": "user", "content": self.text()}
        conversation = await self.call("POST", "/v1/conversations", {"items": [item]})
        self.created["conversations"] += 1
        await self.call("POST", f"/v1/conversations/{conversation['id']}/items", {"items": [item]})

    async def assistants(self) -> None:
        assistant = await self.call(
            "POST", "/v1/assistants", {"model": "gpt-4o-mini", "instructions": self.text()[:2000]}
        )
        self.created["assistants"] += 1
        thread = await self.call("POST", "/v1/threads", {})
        self.created["threads"] += 1
        await self.call(
            "POST", f"/v1/threads/{thread['id']}/messages", {"role": "user", "content": self.text()}
        )
        run = await self.call(
            "POST", f"/v1/threads/{thread['id']}/runs", {"assistant_id": assistant["id"]}
        )
        await self.call("GET", f"/v1/threads/{thread['id']}/runs/{run['id']}")

    async def thread_and_run(self) -> None:
        assistant = await self.call("POST", "/v1/assistants", {"model": "gpt-4o-mini"})
        self.created["assistants"] += 1
        body = {"assistant_id": assistant["id"], "thread": {"messages": self.messages()}}
        await self.call("POST", "/v1/threads/runs", body)
        self.created["threads"] += 1

    async def embeddings(self) -> None:
        await self.call(
            "POST", "/v1/embeddings", {"model": "text-embedding-3-small", "input": self.text()}
        )

    async def ollama_chat(self) -> None:
        await self.call(
            "POST", "/api/chat", {"model": "llama3", "messages": self.messages(), "stream": False}
        )

    def mix(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        """The operations, in the order they cycle."""
        return [
            ("chat", self.chat),
            ("chat-stream", self.chat_stream),
            ("responses", self.responses),
            ("conversations", self.conversations),
            ("assistants", self.assistants),
            ("embeddings", self.embeddings),
            ("ollama-chat", self.ollama_chat),
            ("thread-and-run", self.thread_and_run),
        ]

    async def run_one(self, name: str, operation: Callable[[], Awaitable[None]]) -> None:
        """Run one operation, counting its outcome."""
        try:
            await operation()
            self.ok[name] += 1
        except (Failed, httpx.HTTPError, KeyError, ValueError) as exc:
            self.errors[name] += 1
            if len(self.first_errors) < 5:
                self.first_errors.append(f"{name}: {type(exc).__name__}: {exc}")


async def soak(args: argparse.Namespace, port: int, pid: int) -> tuple[Soak, list[tuple], int]:
    """Run the mix for ``--seconds``; the soak, the RSS samples and the late starts."""
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    timeout = httpx.Timeout(args.request_timeout_s)
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", limits=limits, timeout=timeout
    ) as client:
        state = Soak(client, random.Random(args.seed))
        busy = asyncio.Semaphore(args.concurrency)
        tasks: set[asyncio.Task] = set()
        samples: list[tuple] = []
        late = 0
        began = time.monotonic()
        next_sample = began
        operations = itertools.cycle(state.mix())
        for number in itertools.count():
            now = time.monotonic()
            if now - began >= args.seconds:
                break
            if now >= next_sample:
                load = os.getloadavg()[0]
                samples.append(
                    (now - began, rss_kib(pid), load, dict(state.created), state.requests)
                )
                print(
                    f"  t={now - began:5.0f}s RSS {samples[-1][1] / 1024:6.1f} MiB  "
                    f"load {load:.2f}  requests {state.requests}  created {dict(state.created)}",
                    flush=True,
                )
                next_sample += args.sample_s
            due = began + number / args.rate
            if due > now:
                await asyncio.sleep(due - now)
            if busy.locked():
                late += 1
            await busy.acquire()
            name, operation = next(operations)

            async def guarded(name: str = name, operation: Callable = operation) -> None:
                try:
                    await state.run_one(name, operation)
                finally:
                    busy.release()

            task = asyncio.create_task(guarded())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=args.request_timeout_s + 5)
        end = time.monotonic() - began
        samples.append((end, rss_kib(pid), os.getloadavg()[0], dict(state.created), state.requests))
        if state.first_response_id is not None:
            response = await client.get(f"/v1/responses/{state.first_response_id}")
            state.evicted_status = response.status_code  # type: ignore[attr-defined]
            state.evicted_body = response.text[:300]  # type: ignore[attr-defined]
        return state, samples, late


def main(argv: list[str] | None = None) -> int:
    """Run the soak; see the module docstring for exit statuses."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="soak length (300)")
    parser.add_argument(
        "--rate", type=float, default=120.0, help="operations started per second (120)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=32, help="operations in flight at most (32)"
    )
    parser.add_argument("--sample-s", type=float, default=10.0, help="RSS sample period (10)")
    parser.add_argument("--request-timeout-s", type=float, default=30.0, help="per request (30)")
    parser.add_argument("--flat-mib", type=float, default=10.0, help="flat RSS tolerance (10)")
    parser.add_argument("--seed", type=int, default=12, help="random seed (12)")
    parser.add_argument("--server-arg", action="append", default=[], help="extra serve argument")
    args = parser.parse_args(argv)

    load = os.getloadavg()
    print(
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    port = free_port()
    command = [sys.executable, "-m", "mockgpt", "serve", "--host", HOST, "--port", str(port)]
    command += ["--log-level", "warning", *args.server_arg]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    print(f"soak: the server did not start:\n{log.read().decode(errors='replace')}")
                    return 2
                try:
                    if httpx.get(f"http://{HOST}:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            print(f"server pid {server.pid} on {HOST}:{port}: {' '.join(command[3:])}")
            print(
                f"soak: {args.seconds:g}s, {args.rate:g} operations/s (a cycle of 8), at most "
                f"{args.concurrency} in flight, RSS every {args.sample_s:g}s"
            )
            state, samples, late = asyncio.run(soak(args, port, server.pid))
        finally:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    tracebacks = output.count("Traceback")
    cap = DEFAULT_CAP
    for extra in args.server_arg:
        if extra.startswith("--max-stored="):
            cap = int(extra.split("=", 1)[1])
    capped_at = None
    for t, _, _, created, requests in samples:
        if all(created.get(kind, 0) >= cap for kind in STORED_KINDS) and requests >= DEFAULT_CAP:
            capped_at = t
            break
    series = [rss / 1024 for _, rss, _, _, _ in samples]
    print("\nfigures:")
    print(f"  requests {state.requests}, operations ok {sum(state.ok.values())} {dict(state.ok)}")
    print(
        f"  errors {sum(state.errors.values())} {dict(state.errors)} (target 0); late starts {late}"
    )
    for error in state.first_errors:
        print(f"    error: {error}")
    print(f"  created: {dict(state.created)} (cap {cap} each)")
    print(f"  RSS series (MiB, every {args.sample_s:g}s): {', '.join(f'{v:.1f}' for v in series)}")
    flat = True
    if capped_at is None:
        print("  flat: NOT JUDGED: the stored caps were not all reached within the run")
    else:
        after = [rss / 1024 for t, rss, _, _, _ in samples if t >= capped_at]
        growth = after[-1] - after[0]
        flat = growth <= args.flat_mib and max(after) - after[0] <= 2 * args.flat_mib
        print(
            f"  caps reached at t={capped_at:.0f}s; RSS from then on {after[0]:.1f} -> "
            f"{after[-1]:.1f} MiB (max {max(after):.1f}): {'flat' if flat else 'GROWING'} "
            f"({growth:+.1f} MiB, tolerance {args.flat_mib:g})"
        )
    status = getattr(state, "evicted_status", None)
    expected = "404 once evicted" if state.created["responses"] > cap else "200, not evicted yet"
    body = getattr(state, "evicted_body", "")
    print(f"  GET the first stored response after the run ({expected}): {status} {body}")
    print(f"  tracebacks in the server log: {tracebacks}")
    if tracebacks:
        print(output[-3000:])
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0 if flat and not state.errors and not tracebacks else 1


if __name__ == "__main__":
    sys.exit(main())
