"""README's table "Faults: what your application sees", checked cell by cell over a socket with
the installed openai (3.x sends with httpx2, 2.x with httpx; CI runs this with both), through
the sync and the async client, for chat completions and legacy completions."""

from __future__ import annotations

import asyncio
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from mockgpt.config import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer

README = Path(__file__).resolve().parents[2] / "README.md"
TITLE = "## Faults: what your application sees"
N = 2
"""The ``N`` of the table: chunks before the fault."""
TIMEOUT_S = 0.5
"""The client's timeout for the faults that outlast it (``TIMED``), seconds."""
TIMED = ("delay_ms", "stall_after_chunks")

FAULTS: dict[str, dict[str, Any]] = {
    "http_error": {"http_error": {"status": 503, "message": "overloaded"}},
    "delay_ms": {"delay_ms": 60_000},
    "reset": {"reset": True},
    "drop_after_chunks": {"drop_after_chunks": N},
    "stall_after_chunks": {"stall_after_chunks": N},
    "error_after_chunks": {
        "error_after_chunks": N,
        "error_event": {"status": 500, "message": "the model crashed"},
    },
    "malformed_after_chunks": {"malformed_after_chunks": N},
}
"""Each fault of the table, as its row's stub has it; the user message names the fault."""


@dataclass(frozen=True)
class Expected:
    """One cell: the exception, and where it is raised (``create``, or after some chunks)."""

    exception: type[BaseException]
    chunks: int | None
    """Chunks received before it; None when ``create`` raises it."""


def _exception(name: str) -> type[BaseException]:
    module, _, attribute = name.rpartition(".")
    found: type[BaseException] = getattr(importlib.import_module(module or "openai"), attribute)
    return found


def _cell(text: str) -> Expected:
    exception = _exception(re.findall(r"`([\w.]+)`", text)[0])
    if "from `create`" in text:
        return Expected(exception, None)
    after = re.search(r"after (\d+|N) chunks", text)
    return Expected(exception, None if after is None else int(after[1].replace("N", str(N))))


@pytest.fixture(scope="module")
def table() -> dict[str, tuple[Expected, Expected]]:
    """The README's rows: fault -> (``stream=False``, ``stream=True`` with this openai)."""
    readme = README.read_text(encoding="utf-8")
    if f"\n{TITLE}\n" not in readme:
        pytest.fail(f"README.md has no {TITLE!r} section")
    section = readme[readme.index(f"\n{TITLE}\n") :]
    lines = [line for line in section.split("\n\n")[2].splitlines() if line.startswith("|")]
    column = 2 if int(openai.__version__.split(".")[0]) >= 3 else 3
    rows: dict[str, tuple[Expected, Expected]] = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        fault = re.findall(r"`(\w+)", cells[0])[0]
        rows[fault] = (_cell(cells[1]), _cell(cells[column]))
    return rows


def test_fault_exceptions_table_has_a_row_per_fault(
    table: dict[str, tuple[Expected, Expected]],
) -> None:
    assert sorted(table) == sorted(FAULTS)
    assert all(json.chunks is None for json, _stream in table.values())


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    stubs = [
        {"match": {"last_user": {"equals": name}}, "respond": {"content": "one two three four"}}
        | {"fault": fault}
        for name, fault in FAULTS.items()
    ]
    scenario = Scenario.model_validate({"name": "faults", "stubs": stubs})
    with MockServer(ServerConfig(port=0, log_level="warning"), scenarios=[scenario]) as server:
        yield server


def _create(client: Any, api: str, fault: str, stream: bool) -> Any:
    if api == "chat":
        messages = [{"role": "user", "content": fault}]
        return client.chat.completions.create(model="m", messages=messages, stream=stream)
    return client.completions.create(model="m", prompt=fault, stream=stream)


def _sync(base_url: str, api: str, fault: str, stream: bool) -> tuple[BaseException, int | None]:
    """What the sync client raises, and after how many chunks (None: ``create`` raised)."""
    with openai.OpenAI(base_url=base_url, api_key="x", max_retries=0, timeout=TIMEOUT_S) as client:
        try:
            answer = _create(client, api, fault, stream)
        except Exception as exc:
            return exc, None
        chunks = 0
        try:
            for _chunk in answer:
                chunks += 1
        except Exception as exc:
            return exc, chunks
    pytest.fail(f"{fault}: nothing raised (stream={stream})")


def _async(base_url: str, api: str, fault: str, stream: bool) -> tuple[BaseException, int | None]:
    """What the async client raises, and after how many chunks (None: ``create`` raised)."""

    timeout = TIMEOUT_S if fault in TIMED else 60

    async def run() -> tuple[BaseException, int | None]:
        async with openai.AsyncOpenAI(
            base_url=base_url, api_key="x", max_retries=0, timeout=timeout
        ) as client:
            try:
                answer = await _create(client, api, fault, stream)
            except Exception as exc:
                return exc, None
            chunks = 0
            try:
                async for _chunk in answer:
                    chunks += 1
            except Exception as exc:
                return exc, chunks
        pytest.fail(f"{fault}: nothing raised (stream={stream})")

    return asyncio.run(run())


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("api", ["chat", "completions"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_exceptions_as_the_readme_says(
    server: MockServer,
    table: dict[str, tuple[Expected, Expected]],
    fault: str,
    stream: bool,
    api: str,
    kind: str,
) -> None:
    expected = table[fault][stream]
    call = _sync if kind == "sync" else _async

    error, chunks = call(server.base_url, api, fault, stream)

    assert type(error) is expected.exception, f"{type(error).__module__}.{type(error).__name__}"
    assert chunks == expected.chunks
