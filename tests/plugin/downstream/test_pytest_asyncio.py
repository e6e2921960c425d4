"""The same application tests on pytest-asyncio (copied in only when it is installed)."""

from __future__ import annotations

import pytest
from weather_app import weather_report_async

both_transports = pytest.mark.parametrize("mockgpt", ["socket", "asgi"], indirect=True)


@pytest.mark.asyncio
@both_transports
async def test_async_application(mockgpt):
    mockgpt.load("weather.yaml")
    assert await weather_report_async("Paris") == "Sunny, 18 °C."


@pytest.mark.asyncio
@both_transports
@pytest.mark.mockgpt(fallback="echo")
async def test_async_and_sync_clients_in_one_test(mockgpt):
    answer = await mockgpt.async_client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "async"}]
    )
    blocking = mockgpt.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "sync in a loop"}]
    )
    assert (answer.choices[0].message.content, blocking.choices[0].message.content) == (
        "async",
        "sync in a loop",
    )
