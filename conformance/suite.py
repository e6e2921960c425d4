"""Run the suite without pytest: ``run_suite(Settings(...)) -> Report``.

The pytest plugin collects its items from this file (``pytest --pyargs conformance``), and
``mockgpt conformance`` runs through pytest, so all three give the same results.
"""

from __future__ import annotations

import datetime
import time

from conformance.context import CheckContext, Settings
from conformance.meta import probe, run_meta
from conformance.profiles import not_applicable
from conformance.registry import load_checks, select_checks
from conformance.report import Report, report_from
from conformance.runner import CheckResult, Runner, repeat_outcomes


def run_suite(
    settings: Settings,
    *,
    features: frozenset[str] | None = None,
    check_ids: list[str] | None = None,
    strict: bool = False,
    repeat: int = 1,
) -> Report:
    """Run the checks of ``features`` (or exactly ``check_ids``) against one server.

    Args:
        settings: the server, its profile and the budgets.
        features: features to run; None for all.
        check_ids: checks to run, overriding ``features``.
        strict: SHOULD warnings fail the run (``Report.ok``).
        repeat: run every check this many times (each run with fresh connections and no
            cached answer); a check whose outcome changes is reported flaky.

    Returns:
        The report: one record per check run, and one per owner consulted outside them.

    Raises:
        ValueError: an unknown feature or profile, or ``repeat`` < 1.
        KeyError: an unknown check id.
        conformance.meta.BaseUrlError: the base URL lacks ``/v1`` (the message says so).
    """
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, not {repeat}")
    registry = load_checks()
    exempt = not_applicable(settings.profile)
    selected = check_ids if check_ids is not None else [c.id for c in select_checks(features)]
    started_at = datetime.datetime.now(datetime.timezone.utc)
    started = time.monotonic()
    runs: list[list[CheckResult]] = []
    consulted: list[CheckResult] = []
    headers: dict[str, str] = {}
    hints: list[str] = []
    for attempt in range(repeat):
        ctx = CheckContext(settings)
        try:
            if attempt == 0:
                headers, hints = probe(ctx)
            runner = Runner(ctx, list(registry), not_applicable=exempt)
            runs.append(runner.run_all(selected))
            if attempt == 0:
                consulted = runner.consulted(selected)
        finally:
            ctx.close()
    results = [repeat_outcomes(list(same)) for same in zip(*runs, strict=True)]
    options = {
        "features": sorted(features) if features else None,
        "check_ids": check_ids,
        "strict": strict,
        "repeat": repeat,
    }
    meta = run_meta(settings, started=started_at, options=options, headers=headers)
    meta["hints"] = hints
    return report_from(
        (r.to_record() for r in [*results, *consulted]),
        base_url=settings.base_url,
        model=settings.model,
        duration_s=time.monotonic() - started,
        meta=meta,
        strict=strict,
    )
