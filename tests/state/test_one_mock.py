"""The same state tests against the state in memory (one process) and in Redis (two processes).

``mock.one`` and ``mock.other`` are the same process in memory, two ``mockgpt serve
--state`` processes sharing one Redis otherwise: whichever answers, it is one mock.
"""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest

from tests.plugin.test_config import SUBPROCESS_TIMEOUT_S
from tests.state.conftest import Mock

pytestmark = pytest.mark.timeout(
    SUBPROCESS_TIMEOUT_S
)  # the module's servers start in its first test

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "count"}]}


def client(url: str, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key="x", default_headers=headers, max_retries=0)


def say(url: str, text: str, **headers: str) -> str:
    answer = client(url, **headers).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
    )
    return answer.choices[0].message.content or ""


def add_stub(url: str, stub: dict[str, object], **headers: str) -> None:
    answer = httpx.post(url + "/_mockgpt/stubs", json=stub, headers=headers, timeout=10)
    assert answer.status_code == 201, answer.text


def journal(url: str, **headers: str) -> list[dict[str, object]]:
    answer = httpx.get(url + "/_mockgpt/journal", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    data: list[dict[str, object]] = answer.json()["data"]
    return data


def test_a_stub_added_through_one_process_answers_on_the_other(mock: Mock) -> None:
    add_stub(
        mock.one,
        {"id": "weather", "match": {"last_user": "weather"}, "respond": {"content": "Sunny"}},
    )

    assert say(mock.other, "the weather?") == "Sunny"


def test_a_sequence_advances_once_per_request_whichever_process_answers(mock: Mock) -> None:
    steps = [{"content": "one"}, {"content": "two"}, {"content": "three"}, {"content": "four"}]
    add_stub(mock.one, {"id": "steps", "match": {"last_user": "count"}, "sequence": steps})

    answers = [say(url, "count") for url in (mock.other, mock.one, mock.other, mock.one)]

    assert answers == ["one", "two", "three", "four"]


def test_the_journal_holds_both_processes_requests_in_order(mock: Mock) -> None:
    for index, url in enumerate([mock.one, mock.other, mock.one, mock.other]):
        say(url, f"request {index}")

    entries = journal(mock.other)

    sent = [e["request"]["body"]["messages"][0]["content"] for e in entries]  # type: ignore[index]
    assert sent == ["request 0", "request 1", "request 2", "request 3"]
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 4


def test_a_stored_response_made_on_one_process_is_read_and_continued_on_the_other(
    mock: Mock,
) -> None:
    made = client(mock.one).responses.create(model="gpt-4o-mini", input="remember me")

    read = client(mock.other).responses.retrieve(made.id)
    follow = client(mock.other).responses.create(
        model="gpt-4o-mini", input="and now?", previous_response_id=made.id
    )
    client(mock.one).responses.delete(made.id)

    assert read.output_text == made.output_text
    assert follow.previous_response_id == made.id
    gone = httpx.get(f"{mock.other}/v1/responses/{made.id}", timeout=10)
    assert gone.status_code == 404


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the Assistants API is deprecated
def test_an_assistant_and_a_thread_made_on_one_process_are_seen_on_the_other(mock: Mock) -> None:
    assistant = client(mock.one).beta.assistants.create(model="gpt-4o-mini", name="helper")
    thread = client(mock.one).beta.threads.create(messages=[{"role": "user", "content": "hi"}])

    listed = [a.id for a in client(mock.other).beta.assistants.list()]
    messages = client(mock.other).beta.threads.messages.list(thread.id)

    assert assistant.id in listed
    assert [m.role for m in messages.data] == ["user"]


def test_test_ids_keep_two_tests_apart_across_processes(mock: Mock) -> None:
    steps = [{"content": "first"}, {"content": "second"}]
    for test_id in ("test-a", "test-b"):
        stub = {"id": "mine", "match": {"last_user": "count"}, "sequence": steps}
        add_stub(mock.one, stub, **{"X-Mockgpt-Test": test_id})

    a = [say(mock.other, "count", **{"X-Mockgpt-Test": "test-a"}) for _ in range(2)]
    b = say(mock.one, "count", **{"X-Mockgpt-Test": "test-b"})
    plain = say(mock.other, "count")

    assert a == ["first", "second"]
    assert b == "first"
    assert plain == "count"  # no test id: the echo, none of the tests' stubs
    assert len(journal(mock.one, **{"X-Mockgpt-Test": "test-a"})) == 2


def test_a_reset_of_one_test_id_leaves_the_other_test_ids_state(mock: Mock) -> None:
    steps = [{"content": "first"}, {"content": "second"}]
    for test_id in ("test-a", "test-b"):
        stub = {"id": "mine", "match": {"last_user": "count"}, "sequence": steps}
        add_stub(mock.one, stub, **{"X-Mockgpt-Test": test_id})
        say(mock.one, "count", **{"X-Mockgpt-Test": test_id})

    reset = httpx.post(
        mock.other + "/_mockgpt/reset", headers={"X-Mockgpt-Test": "test-a"}, timeout=10
    )

    assert reset.status_code == 200
    assert journal(mock.one, **{"X-Mockgpt-Test": "test-a"}) == []
    assert len(journal(mock.one, **{"X-Mockgpt-Test": "test-b"})) == 1
    assert say(mock.other, "count", **{"X-Mockgpt-Test": "test-a"}) == "count"  # stub gone
    assert say(mock.other, "count", **{"X-Mockgpt-Test": "test-b"}) == "second"


def test_a_reset_of_everything_on_one_process_resets_the_other(mock: Mock) -> None:
    add_stub(
        mock.one,
        {"id": "weather", "match": {"last_user": "weather"}, "respond": {"content": "Sunny"}},
    )
    made = client(mock.one).responses.create(model="gpt-4o-mini", input="remember me")

    httpx.post(mock.other + "/_mockgpt/reset", timeout=10)

    assert say(mock.one, "weather") == "weather"
    assert httpx.get(f"{mock.one}/v1/responses/{made.id}", timeout=10).status_code == 404
    paths = [e["path"] for e in journal(mock.one)]
    assert paths == ["/v1/chat/completions", f"/v1/responses/{made.id}"]  # the two after it


def test_clearing_the_journal_on_one_process_clears_it_for_the_other(mock: Mock) -> None:
    say(mock.one, "hello")

    cleared = httpx.delete(mock.other + "/_mockgpt/journal", timeout=10)

    assert cleared.json() == {"deleted": 1}
    assert journal(mock.one) == []


def test_a_background_response_made_on_one_process_is_polled_to_its_end_on_the_other(
    mock: Mock,
) -> None:
    made = client(mock.one).responses.create(
        model="gpt-4o-mini", input="later please", background=True
    )

    polled = client(mock.other).responses.retrieve(made.id)
    again = client(mock.one).responses.retrieve(made.id)

    assert made.status == "queued"
    assert polled.status == "completed"  # the default lifecycle: done at the first read
    assert polled.output_text == "later please"
    assert again.status == "completed"


def test_a_file_uploaded_through_one_process_is_listed_read_and_deleted_on_the_other(
    mock: Mock,
) -> None:
    made = client(mock.one).files.create(file=("notes.txt", b"hello, file"), purpose="assistants")

    listed = [f.id for f in client(mock.other).files.list()]
    read = client(mock.other).files.retrieve(made.id)
    content = client(mock.other).files.content(made.id).read()
    client(mock.other).files.delete(made.id)

    assert listed == [made.id]
    assert (read.filename, read.bytes) == ("notes.txt", 11)
    assert content == b"hello, file"
    gone = httpx.get(f"{mock.one}/v1/files/{made.id}", timeout=10)
    assert gone.status_code == 404


def test_a_batch_created_on_one_process_is_polled_to_its_end_and_read_on_the_other(
    mock: Mock,
) -> None:
    lines = b"".join(
        json.dumps(
            {"custom_id": f"q{n}", "method": "POST", "url": "/v1/chat/completions", "body": CHAT}
        ).encode()
        + b"\n"
        for n in range(2)
    )
    source = client(mock.one).files.create(file=("in.jsonl", lines), purpose="batch")
    made = client(mock.one).batches.create(
        input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h"
    )

    polled = client(mock.other).batches.retrieve(made.id)
    again = client(mock.one).batches.retrieve(made.id)
    listed = [b.id for b in client(mock.one).batches.list()]

    assert made.status == "validating"
    assert polled.status == "completed"  # the default lifecycle: done at the first read
    assert polled.request_counts is not None
    assert polled.request_counts.completed == 2
    assert again.status == "completed"
    assert again.output_file_id == polled.output_file_id is not None
    assert listed == [made.id]
    for url in (mock.one, mock.other):
        output = client(url).files.content(polled.output_file_id).read().splitlines()
        assert [json.loads(line)["custom_id"] for line in output] == ["q0", "q1"]
    line_paths = [e["path"] for e in journal(mock.one) if e["path"] == "/v1/chat/completions"]
    assert len(line_paths) == 2  # each line answered once


def test_a_batch_that_ends_by_time_is_ended_once_by_its_creator_and_seen_on_the_other(
    mock: Mock,
) -> None:
    slow = {"id": "slow", "match": {"endpoint": "batches"}}
    add_stub(mock.one, {**slow, "respond": {"lifecycle": {"after_ms": 200}}})
    line = {"custom_id": "q0", "method": "POST", "url": "/v1/chat/completions", "body": CHAT}
    source = client(mock.one).files.create(
        file=("in.jsonl", json.dumps(line).encode()), purpose="batch"
    )
    made = client(mock.one).batches.create(
        input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h"
    )

    seen = [client(mock.other).batches.retrieve(made.id)]
    deadline = time.monotonic() + 10
    while seen[-1].status != "completed" and time.monotonic() < deadline:
        time.sleep(0.05)
        seen.append(client(mock.other).batches.retrieve(made.id))

    assert {b.status for b in seen} <= {"validating", "in_progress", "completed"}
    assert seen[-1].status == "completed"
    assert seen[-1].output_file_id is not None
    output = client(mock.other).files.content(seen[-1].output_file_id).read()
    assert json.loads(output)["custom_id"] == "q0"
    line_paths = [e["path"] for e in journal(mock.one) if e["path"] == "/v1/chat/completions"]
    assert len(line_paths) == 1  # answered once, by the process whose timer ended it
