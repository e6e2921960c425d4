"""``AsyncOpenAI`` on the test's own event loop (anyio), as a user's async test runs it."""

from __future__ import annotations

import anyio
import openai
import pytest

from tests.support import USER

pytestmark = pytest.mark.anyio

MODEL = "gpt-4o-mini"


async def test_async_native_create_and_stream(async_client: openai.AsyncOpenAI) -> None:
    completion = await async_client.chat.completions.create(model=MODEL, messages=USER)
    stream = await async_client.chat.completions.create(model=MODEL, messages=USER, stream=True)
    async with stream:
        contents = [chunk.choices[0].delta.content async for chunk in stream]

    assert completion.choices[0].message.content == "blue giraffe"
    assert contents == ["", "blue", " giraffe", None]


async def test_async_native_stream_helper(async_client: openai.AsyncOpenAI) -> None:
    async with async_client.chat.completions.stream(model=MODEL, messages=USER) as stream:
        async for _event in stream:
            pass
        final = await stream.get_final_completion()

    assert final.choices[0].message.content == "blue giraffe"


async def test_async_native_concurrent_requests(async_client: openai.AsyncOpenAI) -> None:
    texts = [f"request {i}" for i in range(8)]
    answers: dict[str, str | None] = {}

    async def ask(text: str) -> None:
        completion = await async_client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": text}]
        )
        answers[text] = completion.choices[0].message.content

    async with anyio.create_task_group() as group:
        for text in texts:
            group.start_soon(ask, text)

    assert answers == {text: text for text in texts}
