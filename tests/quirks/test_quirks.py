"""Every quirk departs from the spec in exactly the one way it names, on the raw bytes.

See ``tests/quirks/matrix.py`` for the requests and what each quirk may change.
"""

from __future__ import annotations

import httpx
import pytest

from mockgpt.quirks import QUIRKS
from tests.quirks.matrix import EXPECT, check_matrix, scenario
from tests.quirks.wire import Rendered
from tests.scenarios.helpers import Mock


def test_quirks_each_has_an_expectation() -> None:
    assert set(EXPECT) == set(QUIRKS)


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
def test_quirk_departs_in_exactly_its_one_way(
    mock: Mock,
    http: httpx.Client,
    plain_answers: dict[tuple[str, str], Rendered],
    quirk: str,
) -> None:
    mock.server.engine.registry.add(scenario([quirk]))

    changed = check_matrix(http, plain_answers, [quirk])

    assert changed[quirk], f"{quirk} changed none of the answers"
