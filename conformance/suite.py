"""Run the suite without pytest: ``run_suite(Settings(...)) -> Report``.

The pytest plugin collects its items from this file (``pytest --pyargs conformance``), and
``mockgpt conformance`` runs through pytest, so all three give the same results.
"""

from __future__ import annotations

import time

from conformance.context import CheckContext, Settings
from conformance.registry import load_checks, select_checks
from conformance.report import Report, report_from
from conformance.runner import Runner


def run_suite(
    settings: Settings,
    *,
    features: frozenset[str] | None = None,
    check_ids: list[str] | None = None,
) -> Report:
    """Run the checks of ``features`` (or exactly ``check_ids``) against one server.

    Args:
        settings: the server and the budgets.
        features: features to run; None for all.
        check_ids: checks to run, overriding ``features``.

    Returns:
        The report, one record per check run.

    Raises:
        ValueError: an unknown feature; KeyError: an unknown check id.
    """
    registry = load_checks()
    selected = check_ids if check_ids is not None else [c.id for c in select_checks(features)]
    started = time.monotonic()
    ctx = CheckContext(settings)
    try:
        runner = Runner(ctx, list(registry))
        results = runner.run_all(selected)
    finally:
        ctx.close()
    return report_from(
        (r.to_record() for r in results),
        base_url=settings.base_url,
        model=settings.model,
        duration_s=time.monotonic() - started,
    )
