"""An application that builds its own ``OpenAI()`` is served through environment injection.

The same tests run over the socket and in process, with whichever openai is installed
(3.x sends with httpx2, 1.x and 2.x with httpx); CI runs them with both.
"""

from __future__ import annotations

import os

import openai
import pytest

from mockgpt.server import MockServer, http_library
from mockgpt.testing import MockGPT
from tests.plugin.conftest import DOWNSTREAM
from tests.plugin.downstream import weather_app

both_transports = pytest.mark.parametrize("mockgpt", ["socket", "asgi"], indirect=True)


def expected_host(mockgpt: MockGPT) -> str:
    return "mockgpt.test" if mockgpt.transport == "asgi" else f"127.0.0.1:{mockgpt.server.port}"


def test_application_http_library_is_the_one_openai_uses() -> None:
    major = int(openai.__version__.split(".")[0])

    assert http_library().__name__ == ("httpx2" if major >= 3 else "httpx")


@both_transports
def test_application_tool_call_round_trip(mockgpt: MockGPT) -> None:
    """The app's own client reaches the mock; the test sees what the app sent back."""
    mockgpt.load(DOWNSTREAM / "weather.yaml")

    assert weather_app.weather_report("Paris") == "Sunny, 18 °C."

    result = mockgpt.assert_tool_result("get_weather")
    assert result["content"] == "18 °C and sunny in Paris"
    assert [call.headers["host"] for call in mockgpt.journal] == [expected_host(mockgpt)] * 2
    assert mockgpt.journal[0].tools == ["get_weather"]


@pytest.mark.anyio
@both_transports
async def test_application_async_client(mockgpt: MockGPT) -> None:
    mockgpt.load(DOWNSTREAM / "weather.yaml")

    assert await weather_app.weather_report_async("Paris") == "Sunny, 18 °C."

    assert mockgpt.call_count == 2
    assert mockgpt.last_request.headers["host"] == expected_host(mockgpt)


@both_transports
def test_application_stream(mockgpt: MockGPT) -> None:
    mockgpt.stub(match={"stream": True}, respond={"content": "one two three"})

    assert weather_app.stream_answer("count to three") == "one two three"

    assert mockgpt.last_request.text == "one two three"


def test_application_behind_a_proxy_setting_still_reaches_the_mock(
    monkeypatch: pytest.MonkeyPatch, mockgpt_server: MockServer
) -> None:
    """With ``HTTP_PROXY`` set (to a closed port here), the mock's hosts go in ``NO_PROXY``."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    with MockGPT(mockgpt_server) as mock:
        mock.stub(respond="not through the proxy")
        assert os.environ["NO_PROXY"] == "127.0.0.1,localhost,mockgpt.test"
        assert weather_app.weather_report("Paris") == "not through the proxy"

    assert "NO_PROXY" not in os.environ
