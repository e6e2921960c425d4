"""README's "Program the mock over HTTP" example: each ``curl`` command, sent as curl sends
it, gets the answer the comment under it shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import httpx

from mockgpt.server import MockServer

README = Path(__file__).resolve().parents[2] / "README.md"
TITLE = "### Program the mock over HTTP"


def example() -> list[tuple[list[str], str]]:
    """The section's ``sh`` block: each command's words, and the comment after it."""
    text = README.read_text(encoding="utf-8")
    start = text.index("```sh\n", text.index(TITLE)) + len("```sh\n")
    block = text[start : text.index("```", start)].replace("\\\n", " ")
    commands: list[tuple[list[str], str]] = []
    for line in block.splitlines():
        if line.startswith("curl "):
            commands.append((shlex.split(line), ""))
        elif line.startswith("# "):
            commands[-1] = (commands[-1][0], line[2:])
    return commands


def send(words: list[str], root: str) -> httpx.Response:
    """One ``curl -s [-X M] URL [-H h]... [-d data]`` as curl sends it (a form content type)."""
    method, url, data, headers = "GET", "", None, {}
    args = iter(words[1:])
    for word in args:
        if word == "-X":
            method = next(args)
        elif word == "-H":
            name, _, value = next(args).partition(": ")
            headers[name] = value
        elif word == "-d":
            data = next(args).encode()
            method = "POST" if method == "GET" else method
            headers.setdefault("content-type", "application/x-www-form-urlencoded")
        elif word != "-s":
            url = word.replace("localhost:8000", root)
    return httpx.request(method, f"http://{url}", headers=headers, content=data)


def test_readme_http_example_answers_as_shown(mock: MockServer) -> None:
    commands = example()
    assert len(commands) == 4
    root = mock.url.removeprefix("http://")

    for words, shown in commands:
        answer = send(words, root)
        assert answer.status_code in (200, 201), answer.text
        pattern = re.escape(shown).replace(r"\.\.\.", ".*")
        pattern = re.sub(r"stub_[0-9a-f]{12}", "stub_[0-9a-f]{12}", pattern)
        pattern = pattern.replace('"seq":1', '"seq":[0-9]+')  # numbered over the server's life
        assert re.match(pattern, answer.text), (shown, answer.text)
