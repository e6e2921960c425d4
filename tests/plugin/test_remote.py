"""``--mockgpt-url``: several xdist workers share one running mock through their test ids."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.cli.serving import serving
from tests.plugin.conftest import HAS_XDIST
from tests.plugin.test_config import LEAN, SUBPROCESS_TIMEOUT_S

pytestmark = pytest.mark.skipif(not HAS_XDIST, reason="needs pytest-xdist")


@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S)
def test_xdist_workers_share_one_running_mock_each_test_with_its_own_state(
    downstream: pytest.Pytester, tmp_path: Path
) -> None:
    downstream.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_own_sequence(mockgpt_remote, n):
            steps = [{"content": "first"}, {"content": "second"}]
            mockgpt_remote.stub({"id": "steps", "match": {"last_user": "count"}, "sequence": steps})
            client = mockgpt_remote.client(max_retries=0)
            answers = [
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "count"}]
                ).choices[0].message.content
                for _ in range(2)
            ]
            assert answers == ["first", "second"]
            assert [e["test_id"] for e in mockgpt_remote.journal()] == [mockgpt_remote.test_id] * 2
        """
    )

    with serving(tmp_path / "serve.log") as (url, _):
        result = downstream.runpytest_subprocess("-n", "2", "--mockgpt-url", url, *LEAN)
        stubs = httpx.get(f"{url}/_mockgpt/stubs", timeout=10).json()["data"]
        entries = httpx.get(f"{url}/_mockgpt/journal", timeout=10).json()["data"]

    result.assert_outcomes(passed=6)
    assert [s["id"] for s in stubs if s["id"] == "steps"] == []  # each test reset its own
    assert entries == []


def test_mockgpt_remote_without_a_url_fails_saying_what_it_needs(
    downstream: pytest.Pytester,
) -> None:
    downstream.makepyfile(
        """
        def test_remote(mockgpt_remote):
            pass
        """
    )

    result = downstream.runpytest("-p", "no:randomly")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mockgpt_remote needs the mock's URL: --mockgpt-url URL*"])
