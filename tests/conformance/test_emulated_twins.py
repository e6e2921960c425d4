"""The twins whose quirks mockgpt does not have yet, against the quirks' executable spec.

``quirk_emulator.QuirkEmulator`` departs from the spec exactly as each extra quirk is
specified to; these tests prove each such twin kills its check (and nothing else) today.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import run_suite
from tests.conformance.conftest import serving, settings_for
from tests.conformance.quirk_emulator import EXTRA_QUIRKS
from tests.conformance.test_twins import PROPERTY_EXAMPLES, TWINS, assert_kills_exactly, twin_quirks

pytestmark = pytest.mark.timeout(300)  # whole suite runs: minutes on a loaded machine

EMULATED = [p for p in TWINS if twin_quirks(p) and set(twin_quirks(p)) <= EXTRA_QUIRKS.keys()]


def test_emulator_covers_every_quirk_a_twin_names_that_is_not_mockgpt_s() -> None:
    from mockgpt.quirks import QUIRKS

    named = {q for p in TWINS for q in twin_quirks(p)}
    assert named - set(QUIRKS) <= EXTRA_QUIRKS.keys()


@pytest.mark.parametrize("twin", EMULATED, ids=[p.stem for p in EMULATED])
def test_emulated_twin_kills_exactly_its_check(
    twin: Path, record_property: Callable[[str, Any], None]
) -> None:
    def record(_: str, value: Any) -> None:
        record_property("emulated-twin", value)

    with serving(emulated=frozenset(twin_quirks(twin))) as url:
        report = run_suite(settings_for(url, property_examples=PROPERTY_EXAMPLES))
    assert_kills_exactly(report, twin.stem, record)
