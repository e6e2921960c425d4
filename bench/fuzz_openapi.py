"""Schemathesis, driven by the OpenAI spec, against ``mockgpt serve``; then the raw-socket fuzzer.

Run (schemathesis in its own venv, never the project's)::

    python3 -m venv /tmp/venv-schemathesis && /tmp/venv-schemathesis/bin/pip install schemathesis
    python bench/fuzz_openapi.py [--spec ../shared/reference/openai-openapi.yaml]
        [--st /tmp/venv-schemathesis/bin/st] [--max-time 300] [--workers 2]
        [--fuzz-runs 6] [--skip-schemathesis] [--skip-fuzz]

Part 1, schemathesis. The spec is cut down to the operations ``mockgpt serve`` answers: every
``(method, path)`` of ``mockgpt.routes.table.OPENAI`` (chat completions, completions,
embeddings, models, responses, conversations, assistants, threads, runs) that the spec also
has (path parameters compared by position, not name); the cut spec (all of ``components``
kept) is written as JSON to a temporary directory. ``mockgpt serve`` starts on 127.0.0.1 and a
free port with its defaults, and ``st run`` (a subprocess, ``--max-time`` bounded, all phases,
positive and negative data, the ``not_a_server_error`` check) sends its cases to
``http://127.0.0.1:PORT/v1``, writing every exchange to a HAR file. The script then reads the
HAR and counts: requests sent, answers >= 500 (target 0), and answers >= 400 whose body is
not the OpenAI envelope ``{"error": {"message", "type", "param", "code"}}`` (target 0), by
operation, with the first few of each shown; and tracebacks in the server's log.

Part 2, the repo's raw-socket fuzzer, longer: ``pytest tests/properties/test_fuzz.py
--hypothesis-profile=thorough --hypothesis-show-statistics`` ``--fuzz-runs`` times (2,000
examples a run instead of CI's 1,500, a new random seed each time; 6 runs by default: 12,000
requests), each with the passing, failing and invalid example counts hypothesis reports.

The load average is printed before and after: the host is shared, nothing here is a timing.

Exit status: 0 when every target was met, 1 when one was missed (a 5xx, an envelope
violation, a traceback, a failing fuzz run), 2 when schemathesis or the server could not run
(the reason is printed; the fuzz runs still run).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO.parent / "shared" / "reference" / "openai-openapi.yaml"
DEFAULT_ST = Path("/tmp/venv-schemathesis/bin/st")
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
ENVELOPE_KEYS = {"message", "type", "param", "code"}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def shape(path: str) -> str:
    """A path with every parameter as ``{}``: ``/threads/{}/runs/{}``."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def served() -> set[tuple[str, str]]:
    """``(method, path shape)`` of every OpenAI route ``mockgpt serve`` answers."""
    from mockgpt.routes.table import OPENAI

    return {(method.lower(), shape(path)) for method, path, _ in OPENAI}


def cut_spec(spec_path: Path, out: Path) -> list[str]:
    """Write the spec with only the served operations to ``out``; their ``METHOD path``."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with spec_path.open() as handle:
        spec = yaml.load(handle, Loader=loader)
    wanted = served()
    paths: dict[str, Any] = {}
    kept = []
    for path, item in spec["paths"].items():
        if "?" in path:  # `/responses?beta=true`: the same operations again
            continue
        operations = {
            key: value
            for key, value in item.items()
            if key not in HTTP_METHODS or (key, shape(path)) in wanted
        }
        if any(key in HTTP_METHODS for key in operations):
            paths[path] = operations
            kept += [f"{key.upper()} {path}" for key in operations if key in HTTP_METHODS]
    spec["paths"] = paths
    spec.pop("webhooks", None)
    spec.pop("x-oaiMeta", None)
    out.write_text(json.dumps(spec, default=str))
    return kept


def is_envelope(text: str) -> bool:
    """Whether a body is ``{"error": {"message", "type", "param", "code"}}``."""
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and isinstance(body.get("error"), dict)
        and set(body["error"]) == ENVELOPE_KEYS
    )


def read_har(har: Path) -> tuple[int, list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """Requests, 5xx and non-envelope errors (``METHOD url``, status, body head) in a HAR."""
    entries = json.loads(har.read_text())["log"]["entries"]
    server_errors, violations = [], []
    for entry in entries:
        status = entry["response"]["status"]
        content = entry["response"].get("content", {})
        text = content.get("text") or ""
        if content.get("encoding") == "base64":
            text = base64.b64decode(text).decode("utf-8", "replace")
        where = f"{entry['request']['method']} {entry['request']['url']}"
        if status >= 500:
            server_errors.append((where, status, text[:300]))
        if status >= 400 and entry["request"]["method"] != "HEAD" and not is_envelope(text):
            violations.append((where, status, text[:300]))
    return len(entries), server_errors, violations


def by_operation(found: list[tuple[str, int, str]]) -> Counter[str]:
    """Counts by method and path (ids and query left out)."""
    counts: Counter[str] = Counter()
    for where, status, _ in found:
        method, url = where.split(" ", 1)
        path = url.split("/v1", 1)[-1].split("?")[0]
        path = re.sub(
            r"/(?!runs|steps|messages|items|cancel|input_items)[^/]+_[^/]*", "/{id}", path
        )
        counts[f"{method} {path} -> {status}"] += 1
    return counts


def run_schemathesis(args: argparse.Namespace) -> int:
    """Part 1; its exit status (0 met, 1 missed, 2 could not run)."""
    st = Path(args.st)
    if not st.exists():
        print(
            f"fuzz_openapi: schemathesis not found at {st}: create it with `python3 -m venv "
            "/tmp/venv-schemathesis && /tmp/venv-schemathesis/bin/pip install schemathesis`"
        )
        return 2
    if not Path(args.spec).exists():
        print(f"fuzz_openapi: the spec {args.spec} does not exist")
        return 2
    version = subprocess.run([st, "--version"], capture_output=True, text=True, check=False)
    print(f"schemathesis: {version.stdout.strip()} ({st})")
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as log:
        began = time.monotonic()
        spec = Path(tmp, "openai-served.json")
        kept = cut_spec(Path(args.spec), spec)
        print(
            f"spec: {args.spec} cut to {len(kept)} operations mockgpt serves "
            f"({time.monotonic() - began:.1f}s):"
        )
        for operation in kept:
            print(f"  {operation}")
        port = free_port()
        command = [sys.executable, "-m", "mockgpt", "serve", "--host", HOST, "--port", str(port)]
        command += ["--log-level", "warning"]
        server = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    print(f"fuzz_openapi: the server did not start:\n{log.read().decode()}")
                    return 2
                try:
                    with socket.create_connection((HOST, port), timeout=0.5):
                        break
                except OSError:
                    time.sleep(0.1)
            print(f"server pid {server.pid} on {HOST}:{port}")
            har = Path(tmp, "run.har")
            st_command = [
                *(str(st), "run", str(spec), "--url", f"http://{HOST}:{port}/v1"),
                *("--checks", "not_a_server_error", "--max-time", str(args.max_time)),
                *("--workers", str(args.workers), "--mode", "all", "--no-color"),
                *("--generation-database", "none", "--request-timeout", "30"),
                *("--report", "har", "--report-har-path", str(har)),
                *("--suppress-health-check", "all", "--continue-on-failure"),
                *("-H", "Authorization: Bearer sk-test"),
            ]
            if args.max_examples:
                st_command += ["--max-examples", str(args.max_examples)]
            print(f"$ {' '.join(st_command)}", flush=True)
            began = time.monotonic()
            try:
                done = subprocess.run(
                    st_command,
                    capture_output=True,
                    text=True,
                    timeout=args.max_time + 300,
                    check=False,
                    cwd=tmp,
                )
            except subprocess.TimeoutExpired:
                print(f"fuzz_openapi: schemathesis ran past {args.max_time + 300}s and was stopped")
                return 2
            took = time.monotonic() - began
            tail = "\n".join(done.stdout.splitlines()[-25:])
            print(f"schemathesis exit {done.returncode} after {took:.0f}s; its summary:\n{tail}")
            if done.stderr.strip():
                print(f"schemathesis stderr:\n{done.stderr[-2000:]}")
            if not har.exists():
                print("fuzz_openapi: schemathesis wrote no HAR: it did not run (see above)")
                return 2
            requests, server_errors, violations = read_har(har)
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
    print("\nschemathesis figures:")
    print(f"  requests sent {requests}")
    print(f"  5xx {len(server_errors)} (target 0)")
    for line, count in by_operation(server_errors).most_common(10):
        print(f"    {count:6} {line}")
    for where, status, text in server_errors[:3]:
        print(f"    e.g. {status} {where}: {text}")
    print(f"  status >= 400 without the OpenAI envelope {len(violations)} (target 0)")
    for line, count in by_operation(violations).most_common(10):
        print(f"    {count:6} {line}")
    for where, status, text in violations[:3]:
        print(f"    e.g. {status} {where}: {text}")
    print(f"  tracebacks in the server log {tracebacks}")
    if tracebacks:
        print(output[-3000:])
    return 1 if server_errors or violations or tracebacks else 0


FUZZ_COUNTS = re.compile(
    r"(\d+) passing(?: examples?)?, (\d+) failing(?: examples?)?,(?: and)? (\d+) invalid"
)
"""Hypothesis' statistics line: ``2000 passing, 0 failing, and 519 invalid test cases``."""


def run_fuzz(runs: int, timeout_s: float) -> int:
    """Part 2; 0 when every run passed, else 1."""
    command = [
        *(sys.executable, "-m", "pytest", "tests/properties/test_fuzz.py", "-q", "-p"),
        *("no:cacheprovider", "--hypothesis-profile=thorough", "--hypothesis-show-statistics"),
    ]
    print(f"\nraw-socket fuzzer, {runs} runs: $ {' '.join(command[2:])}", flush=True)
    failed = 0
    total = Counter[str]()
    for number in range(1, runs + 1):
        began = time.monotonic()
        try:
            done = subprocess.run(
                command, cwd=REPO, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            print(f"  run {number}: stopped after {timeout_s:g}s")
            failed += 1
            continue
        counts = FUZZ_COUNTS.findall(done.stdout)
        passing = sum(int(c[0]) for c in counts)
        failing = sum(int(c[1]) for c in counts)
        invalid = sum(int(c[2]) for c in counts)
        total.update(passing=passing, failing=failing, invalid=invalid)
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
        print(
            f"  run {number}: exit {done.returncode}, {passing} passing, {failing} failing, "
            f"{invalid} invalid examples, {time.monotonic() - began:.0f}s, load "
            f"{os.getloadavg()[0]:.2f}: {summary}",
            flush=True,
        )
        if done.returncode != 0:
            failed += 1
            print(done.stdout[-3000:])
    print(
        f"  fuzzer total: {total['passing']} passing (each a request: no 5xx, family's error "
        f"shape, no server exception), {total['failing']} failing, {total['invalid']} invalid; "
        f"failed runs {failed}"
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Run both parts; see the module docstring for exit statuses."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--spec", default=str(DEFAULT_SPEC), help="the OpenAI OpenAPI YAML")
    parser.add_argument("--st", default=str(DEFAULT_ST), help="schemathesis' `st` executable")
    parser.add_argument("--max-time", type=int, default=300, help="schemathesis budget, s (300)")
    parser.add_argument("--max-examples", type=int, default=0, help="cases per operation")
    parser.add_argument("--workers", type=int, default=2, help="schemathesis workers (2)")
    parser.add_argument("--fuzz-runs", type=int, default=6, help="raw-socket fuzzer runs (6)")
    parser.add_argument("--fuzz-timeout-s", type=float, default=900, help="per fuzz run (900)")
    parser.add_argument("--skip-schemathesis", action="store_true")
    parser.add_argument("--skip-fuzz", action="store_true")
    args = parser.parse_args(argv)
    if not (REPO / "tests" / "properties" / "test_fuzz.py").exists():
        print("fuzz_openapi: run it from a mockgpt checkout (tests/properties/test_fuzz.py)")
        return 2
    load = os.getloadavg()
    print(
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    statuses = []
    if not args.skip_schemathesis:
        statuses.append(run_schemathesis(args))
    if not args.skip_fuzz:
        statuses.append(run_fuzz(args.fuzz_runs, args.fuzz_timeout_s))
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return max(statuses, default=0)


if __name__ == "__main__":
    sys.exit(main())
