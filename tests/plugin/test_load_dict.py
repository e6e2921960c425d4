"""``mockgpt.load`` (and the marker's ``scenario=``) take a scenario written in Python: a dict
in a scenario file's shape, validated as a file is, its errors naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from mockgpt import ScenarioError
from mockgpt.testing import MockGPT

WEATHER: dict[str, Any] = {
    "name": "weather-in-python",
    "stubs": [
        {
            "id": "sunny",
            "match": {"last_user": "weather"},
            "respond": {"content": "Sunny, 18 °C."},
        }
    ],
    "fallback": "error",
}
USER = [{"role": "user", "content": "weather in Paris?"}]


def test_load_a_dict_answers_from_its_stubs(mockgpt: MockGPT) -> None:
    loaded = mockgpt.load(WEATHER)

    reply = mockgpt.client().chat.completions.create(model="gpt-4o-mini", messages=USER)

    assert loaded.name == "weather-in-python"
    assert reply.choices[0].message.content == "Sunny, 18 °C."
    assert mockgpt.last_request.stub == "sunny"


@pytest.mark.mockgpt(scenario=WEATHER)
def test_marker_takes_a_dict(mockgpt: MockGPT) -> None:
    reply = mockgpt.client().chat.completions.create(model="gpt-4o-mini", messages=USER)

    assert reply.choices[0].message.content == "Sunny, 18 °C."
    assert [s.name for s in mockgpt.scenarios] == ["weather-in-python"]


@pytest.mark.parametrize(
    ("scenario", "field", "message"),
    [
        ({"stubs": [{"respond": {"content": 3}}]}, "stubs[0].respond.content", "valid string"),
        ({"stubs": [{"match": {"regex": "x"}}]}, "stubs[0].match.regex", "unknown field"),
        ({"stubs": [], "fallback": "maybe"}, "fallback", "'echo'"),
    ],
    ids=["wrong-type", "unknown-field", "bad-fallback"],
)
def test_load_an_invalid_dict_names_the_field(
    mockgpt: MockGPT, scenario: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        mockgpt.load(scenario)

    error = caught.value
    assert (error.path, error.line, error.field) == ("<dict>", None, field)
    assert message in error.message
    assert str(error).startswith(f"<dict>: {field}: ")
