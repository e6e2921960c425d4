"""A seed on the marker, the handle or a scenario makes a test's ids and timestamps exact."""

from __future__ import annotations

import pytest

from mockgpt.errors import ConfigError
from mockgpt.ids import SEEDED_EPOCH_S
from mockgpt.server import MockServer
from mockgpt.testing import MockGPT


def _ids(mock: MockGPT) -> tuple[str, int, str]:
    client = mock.client(max_retries=0)
    chat = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    response = client.responses.create(model="gpt-4o-mini", input="hi")
    return chat.id, chat.created, response.id


@pytest.mark.parametrize("transport", ["socket", "asgi"])
def test_handle_seed_gives_the_same_ids_in_every_test(
    mockgpt_server: MockServer, transport: str
) -> None:
    with MockGPT(mockgpt_server, transport=transport, fallback="echo", seed=42) as mock:  # type: ignore[arg-type]
        first = _ids(mock)
    with MockGPT(mockgpt_server, transport=transport, fallback="echo") as mock:  # type: ignore[arg-type]
        unseeded = _ids(mock)
    with MockGPT(mockgpt_server, transport=transport, fallback="echo", seed=42) as mock:  # type: ignore[arg-type]
        again = _ids(mock)

    assert first == again
    assert SEEDED_EPOCH_S < first[1] < SEEDED_EPOCH_S + 100
    assert unseeded[0] != first[0]
    assert unseeded[1] > SEEDED_EPOCH_S + 10**7  # the wall clock, once the seed is gone


def test_scenario_seed_is_used_and_the_handle_seed_wins(mockgpt_server: MockServer) -> None:
    scenario = {"name": "seeded", "seed": 9, "fallback": "echo"}
    with MockGPT(mockgpt_server, scenarios=[scenario]) as mock:
        from_scenario = _ids(mock)
    with MockGPT(mockgpt_server, scenarios=[scenario]) as mock:
        again = _ids(mock)
    with MockGPT(mockgpt_server, scenarios=[scenario], seed=10) as mock:
        from_handle = _ids(mock)

    assert from_scenario == again
    assert from_handle[0] != from_scenario[0]


def test_marker_seed_in_a_downstream_suite(downstream: pytest.Pytester) -> None:
    downstream.makepyfile(
        """
        import pytest

        seen = []

        def chat_id(mockgpt):
            answer = mockgpt.client(max_retries=0).chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            return answer.id, answer.created

        @pytest.mark.mockgpt(seed=7, fallback="echo")
        def test_one(mockgpt):
            seen.append(chat_id(mockgpt))

        @pytest.mark.mockgpt(seed=7, fallback="echo", transport="asgi")
        def test_two(mockgpt):
            seen.append(chat_id(mockgpt))
            assert seen[0] == seen[1]

        @pytest.mark.mockgpt(seed="seven")
        def test_bad_seed(mockgpt):
            pass
        """
    )

    result = downstream.runpytest("-p", "no:randomly")

    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ConfigError: @pytest.mark.mockgpt: seed must be an integer*"])


def test_marker_seed_must_be_an_integer(mockgpt_server: MockServer) -> None:
    with pytest.raises(ConfigError, match=r"seed must be an integer, got 1\.5"):
        MockGPT.from_marker(mockgpt_server, [pytest.mark.mockgpt(seed=1.5).mark])
