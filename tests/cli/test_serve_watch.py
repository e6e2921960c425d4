"""``mockgpt serve --watch`` reloads when a scenario file changes, and for nothing else.

The server's own log is written into the scenarios' folder, as in the report of issue #13
(97 reloads in 10 s: each reload's log line changed the folder, which caused the next).
"""

from __future__ import annotations

from pathlib import Path

import openai

from tests.cli.serving import serving, wait_until


def _scenario(path: Path, prompt: str, answer: str) -> None:
    path.write_text(
        f"stubs:\n  - match: {{last_user: {{equals: {prompt}}}}}\n"
        f"    respond: {{content: {answer!r}}}\n",
        encoding="utf-8",
    )


def test_cli_serve_watch_reloads_for_the_scenario_files_only(tmp_path: Path) -> None:
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    _scenario(first, "hi", "one")
    _scenario(second, "bye", "two")
    log = tmp_path / "serve.log"
    args = ["--scenario", str(first), "--scenario", str(second), "--watch", "--log-level", "debug"]
    with serving(log, *args) as (url, process):
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)

        def answer(prompt: str) -> str | None:
            messages = [{"role": "user", "content": prompt}]
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            return reply.choices[0].message.content

        notes = tmp_path / "notes.txt"
        notes.write_text("not a scenario", encoding="utf-8")
        wait_until(
            lambda: f"--watch: ignoring {notes} (not a scenario file)" in log.read_text(),
            f"the watcher passing over {notes.name}",
            process,
            log,
        )
        _scenario(first, "hi", "one, changed")
        wait_until(lambda: answer("hi") == "one, changed", "first.yaml reloaded", process, log)
        _scenario(second, "bye", "two, changed")
        wait_until(lambda: answer("bye") == "two, changed", "second.yaml reloaded", process, log)
        client.close()
    reloads = [line for line in log.read_text().splitlines() if "scenarios reloaded" in line]

    assert len(reloads) == 2, log.read_text()
    assert "(first.yaml changed)" in reloads[0]
    assert "(second.yaml changed)" in reloads[1]


def test_cli_serve_watch_follows_a_scenario_link_to_its_target(tmp_path: Path) -> None:
    """Editing the file a scenario link points to, in another folder, reloads it too."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "project").mkdir()
    target = tmp_path / "shared" / "weather.yaml"
    _scenario(target, "hi", "one")
    link = tmp_path / "project" / "weather.yaml"
    link.symlink_to(target)
    log = tmp_path / "serve.log"
    with serving(log, "--scenario", str(link), "--watch") as (url, process):
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)

        def answer() -> str | None:
            messages = [{"role": "user", "content": "hi"}]
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            return reply.choices[0].message.content

        assert answer() == "one"
        _scenario(target, "hi", "one, changed")
        wait_until(lambda: answer() == "one, changed", "the link's target reloaded", process, log)
        client.close()
