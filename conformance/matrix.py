"""One matrix across servers: a server-by-check table of outcomes.

A ``Matrix`` holds each server's report (``conformance.servers`` runs the servers of a
servers file into one): a table of outcomes (pass, fail, warn, unsup, blocked, inconcl, n/a)
with each server's full report kept for the details. A matrix is written as JSON, Markdown
and terminal lines, and matrices or single-server reports (``--report`` JSON) of separate
runs merge into one (``Matrix.load`` + ``Matrix.merge``): a server's records of a later run
replace those of an earlier one check by check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.registry import FEATURES
from conformance.report import SHORT, Report, fails_run, report_from

MATRIX_SCHEMA_VERSION = 1


@dataclass
class Matrix:
    """Server name -> that server's report; the checks in report order.

    Attributes:
        reports: one report per server, in column order.
    """

    reports: dict[str, Report] = field(default_factory=dict)

    def check_ids(self) -> list[str]:
        """Every check any server ran, features in report order, then first-seen order."""
        order = {name: i for i, name in enumerate(FEATURES)}
        seen: dict[str, str] = {}
        for report in self.reports.values():
            for record in report.records:
                seen.setdefault(record["check_id"], record["feature"])
        ids = list(seen)
        return sorted(ids, key=lambda c: (order.get(seen[c], len(order)), ids.index(c)))

    def cell(self, server: str, check_id: str) -> str:
        """The outcome of ``check_id`` on ``server`` (``-`` when it did not run)."""
        for record in self.reports[server].records:
            if record["check_id"] == check_id:
                return str(record["outcome"])
        return "-"

    def ok(self, *, strict: bool = False) -> bool:
        """True when no server has a record that fails the run."""
        return not any(
            fails_run(r, strict=strict) for rep in self.reports.values() for r in rep.records
        )

    def merge(self, other: Matrix) -> Matrix:
        """A matrix with ``other``'s servers added.

        A server in both gets ``other``'s records where both ran a check, and keeps the rest.
        """
        merged = dict(self.reports)
        for name, report in other.reports.items():
            if name in merged:
                mine = merged[name]
                report = report_from(
                    combine_records([mine.records, report.records]),
                    base_url=report.base_url or mine.base_url,
                    model=report.model or mine.model,
                    duration_s=mine.duration_s + report.duration_s,
                    meta={**mine.meta, **report.meta},
                    strict=report.strict,
                )
            merged[name] = report
        return Matrix(merged)

    # -- writers -----------------------------------------------------------------------
    def terminal_lines(self) -> list[str]:
        """The matrix for a terminal: a row per check, a column per server, then totals."""
        names = list(self.reports)
        ids = self.check_ids()
        first = max([len("check"), *(len(i) for i in ids)])
        widths = [max(len(n), 7) for n in names]
        lines = [
            f"{'check':<{first}}  "
            + "  ".join(f"{n:>{w}}" for n, w in zip(names, widths, strict=True))
        ]
        for check_id in ids:
            cells = [SHORT.get(self.cell(n, check_id), "-") for n in names]
            lines.append(
                f"{check_id:<{first}}  "
                + "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))
            )
        for name, report in self.reports.items():
            totals = report.totals()
            counts = ", ".join(f"{n} {SHORT[o]}" for o, n in totals.items() if n)
            lines.append(f"{name}: {report.base_url}: {counts or 'no check ran'}")
            lines += [f"  {line}" for line in _details(report)]
        return lines

    def to_markdown(self) -> str:
        """The matrix as Markdown, then each server's failures, blocks and warnings."""
        names = list(self.reports)
        out = [
            "# Conformance matrix",
            "",
            "| check | " + " | ".join(f"`{n}`" for n in names) + " |",
            "| --- | " + " | ".join(":---:" for _ in names) + " |",
        ]
        for check_id in self.check_ids():
            cells = [SHORT.get(self.cell(n, check_id), "-") for n in names]
            out.append(f"| `{check_id}` | " + " | ".join(cells) + " |")
        for name, report in self.reports.items():
            out += ["", f"## `{name}`: `{report.base_url}`", ""]
            totals = report.totals()
            out.append(", ".join(f"{n} {o}" for o, n in totals.items() if n) or "no check ran")
            details = _details(report)
            if details:
                out += [""] + [f"- {line}" for line in details]
        return "\n".join(out) + "\n"

    def to_json(self) -> str:
        """The matrix as JSON: the servers, the check-by-server outcomes, each full report."""
        data = {
            "matrix_schema_version": MATRIX_SCHEMA_VERSION,
            "servers": {
                name: {
                    "base_url": report.base_url,
                    "model": report.model,
                    "totals": report.totals(),
                    "ok": report.ok,
                }
                for name, report in self.reports.items()
            },
            "checks": {
                check_id: {name: self.cell(name, check_id) for name in self.reports}
                for check_id in self.check_ids()
            },
            "reports": {name: json.loads(r.to_json()) for name, r in self.reports.items()},
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def write(self, path: str | Path) -> list[Path]:
        """Write ``<stem>.json`` and ``<stem>.md``; returns the two paths."""
        target = Path(path)
        stem = target.with_suffix("") if target.suffix in (".json", ".md") else target
        stem.parent.mkdir(parents=True, exist_ok=True)
        json_path = stem.with_name(stem.name + ".json")
        md_path = stem.with_name(stem.name + ".md")
        json_path.write_text(self.to_json(), encoding="utf-8")
        md_path.write_text(self.to_markdown(), encoding="utf-8")
        return [json_path, md_path]

    @classmethod
    def load(cls, path: str | Path) -> Matrix:
        """A matrix from a matrix JSON, or from one server's report JSON.

        A report's server is named by its ``meta.server_name``, else by its base URL.

        Raises:
            ValueError: the file is neither.
        """
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, dict) and "reports" in data and "matrix_schema_version" in data:
            return cls({name: _report(r) for name, r in data["reports"].items()})
        if isinstance(data, dict) and "checks" in data and "schema_version" in data:
            report = _report(data)
            return cls({str(report.meta.get("server_name") or report.base_url): report})
        raise ValueError(f"{path}: neither a conformance report nor a matrix (JSON)")


def _details(report: Report) -> list[str]:
    """A report's lines after its feature table: hints, failures, blocks, warnings, notes."""
    lines = report.terminal_lines()
    rows = 2 + len(report.matrix())  # the header, a row per feature, the total
    return lines[rows:]


def combine_records(runs: Iterable[Iterable[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """The records of several runs of one server, one per check.

    A later record replaces an earlier one, except that an owner merely consulted never
    replaces a selected check's record.
    """
    out: dict[str, dict[str, Any]] = {}
    for run in runs:
        for record in run:
            earlier = out.get(record["check_id"])
            if earlier is not None and record.get("consulted") and not earlier.get("consulted"):
                continue
            out[record["check_id"]] = dict(record)
    return list(out.values())


def _report(data: Mapping[str, Any]) -> Report:
    server = data.get("server", {})
    return report_from(
        data["checks"],
        base_url=server.get("base_url", ""),
        model=server.get("model", ""),
        duration_s=float(data.get("duration_s", 0.0)),
        meta=dict(data.get("meta", {})),
        strict=bool(data.get("strict", False)),
    )


def merge_files(paths: Iterable[str | Path]) -> Matrix:
    """The matrix of several matrix or report JSON files, merged in order."""
    matrix = Matrix()
    for path in paths:
        matrix = matrix.merge(Matrix.load(path))
    return matrix
