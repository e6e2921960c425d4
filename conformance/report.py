"""The report: results as a feature matrix, and writers for the terminal, JSON and Markdown.

Reports render the records of ``CheckResult.to_record``; they decide nothing. (pytest's own
``--junitxml`` carries the same records as test properties.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.registry import FEATURES

OUTCOMES = ("passed", "failed", "unsupported", "blocked")
SCHEMA_VERSION = 1


@dataclass
class Report:
    """The results of one run against one server.

    Attributes:
        records: one per check (``CheckResult.to_record``), in run order.
        base_url: the server's API root.
        model: the chat model.
        duration_s: wall time of the run, seconds.
        meta: anything else worth keeping (versions, options).
    """

    records: list[dict[str, Any]]
    base_url: str = ""
    model: str = ""
    duration_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def by_outcome(self, outcome: str) -> list[dict[str, Any]]:
        """The records with that outcome."""
        return [r for r in self.records if r["outcome"] == outcome]

    def totals(self) -> dict[str, int]:
        """Outcome -> count."""
        return {o: len(self.by_outcome(o)) for o in OUTCOMES}

    def matrix(self) -> dict[str, dict[str, int]]:
        """Feature -> outcome -> count, features in report order (only those run)."""
        rows: dict[str, dict[str, int]] = {}
        order = {name: i for i, name in enumerate(FEATURES)}
        for record in sorted(self.records, key=lambda r: order.get(r["feature"], len(order))):
            row = rows.setdefault(record["feature"], dict.fromkeys(OUTCOMES, 0))
            row[record["outcome"]] += 1
        return rows

    @property
    def ok(self) -> bool:
        """True when no check failed or was blocked."""
        totals = self.totals()
        return totals["failed"] == 0 and totals["blocked"] == 0

    # -- writers -----------------------------------------------------------------------
    def terminal_lines(self) -> list[str]:
        """The feature matrix and one line per failure, for a terminal."""
        lines = [f"{'feature':<20}" + "".join(f"{o:>13}" for o in OUTCOMES)]
        for feature, row in self.matrix().items():
            lines.append(f"{feature:<20}" + "".join(f"{row[o]:>13}" for o in OUTCOMES))
        totals = self.totals()
        lines.append(f"{'total':<20}" + "".join(f"{totals[o]:>13}" for o in OUTCOMES))
        for record in self.by_outcome("failed"):
            violation = record.get("violation") or {}
            lines.append(
                f"FAILED {record['check_id']}: {violation.get('path', '')}: expected "
                f"{violation.get('expected', '')}, got {violation.get('actual', '')}"
            )
        for record in self.by_outcome("blocked"):
            lines.append(f"BLOCKED {record['check_id']}: by {record['blocked_by']}")
        return lines

    def to_json(self) -> str:
        """The report as JSON (schema_version, server, totals, matrix, checks)."""
        data = {
            "schema_version": SCHEMA_VERSION,
            "server": {"base_url": self.base_url, "model": self.model},
            "duration_s": round(self.duration_s, 3),
            "meta": self.meta,
            "totals": self.totals(),
            "matrix": self.matrix(),
            "checks": self.records,
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        """The report as Markdown: the matrix, then failures, blocked, unsupported, passed."""
        totals = self.totals()
        out = [
            f"# Conformance report: `{self.base_url}`",
            "",
            f"Model `{self.model}`; {len(self.records)} checks in {self.duration_s:.1f} s: "
            + ", ".join(f"{totals[o]} {o}" for o in OUTCOMES)
            + ".",
            "",
            "| feature | " + " | ".join(OUTCOMES) + " |",
            "| --- | " + " | ".join("---:" for _ in OUTCOMES) + " |",
        ]
        for feature, row in self.matrix().items():
            out.append(f"| {feature} | " + " | ".join(str(row[o]) for o in OUTCOMES) + " |")
        failed = self.by_outcome("failed")
        if failed:
            out += ["", "## Failures"]
            for record in failed:
                out += _markdown_failure(record)
        blocked = self.by_outcome("blocked")
        if blocked:
            out += ["", "## Blocked (same root cause as a failure above)", ""]
            for record in blocked:
                out.append(f"- `{record['check_id']}`: {_md(record['reason'])}")
        unsupported = self.by_outcome("unsupported")
        if unsupported:
            out += ["", "## Unsupported (not offered; not a failure)", ""]
            for record in unsupported:
                out.append(f"- `{record['check_id']}`: {_md(record['reason'])}")
        passed = self.by_outcome("passed")
        if passed:
            out += ["", "## Passed", ""]
            out += [f"- `{r['check_id']}`: {_md(r.get('summary', ''))}" for r in passed]
        return "\n".join(out) + "\n"

    def write(self, path: str | Path) -> list[Path]:
        """Write ``<stem>.json`` and ``<stem>.md`` (``path`` may end in .json, .md or neither).

        Returns:
            The two paths written.
        """
        target = Path(path)
        stem = target.with_suffix("") if target.suffix in (".json", ".md") else target
        stem.parent.mkdir(parents=True, exist_ok=True)
        json_path = stem.with_name(stem.name + ".json")
        md_path = stem.with_name(stem.name + ".md")
        json_path.write_text(self.to_json(), encoding="utf-8")
        md_path.write_text(self.to_markdown(), encoding="utf-8")
        return [json_path, md_path]


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_failure(record: Mapping[str, Any]) -> list[str]:
    violation = record.get("violation") or {}
    lines = [
        "",
        f"### `{record['check_id']}` ({record['feature']}, {record['severity'].upper()})",
        "",
        _md(record.get("summary", "")),
        "",
        f"- where: `{violation.get('path', '')}` "
        f"(seen at the {violation.get('level', 'http')} level)",
        f"- expected: {_md(str(violation.get('expected', '')))}",
        f"- actual: `{_md(str(violation.get('actual', '')))}`",
        f"- spec: {_md(record.get('spec', ''))}",
    ]
    if violation.get("note"):
        lines.append(f"- note: {_md(violation['note'])}")
    if violation.get("curl"):
        lines += ["", "```sh", violation["curl"], "```"]
    return lines


def report_from(records: Iterable[Mapping[str, Any]], **kwargs: Any) -> Report:
    """A ``Report`` from records (deduplicated by check id, last one wins, order kept)."""
    seen: dict[str, dict[str, Any]] = {}
    for record in records:
        seen[record["check_id"]] = dict(record)
    return Report(list(seen.values()), **kwargs)
