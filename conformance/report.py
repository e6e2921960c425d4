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

from conformance.failures import one_line
from conformance.registry import FEATURES

OUTCOMES = (
    "passed",
    "failed",
    "warned",
    "unsupported",
    "blocked",
    "inconclusive",
    "not-applicable",
)
"""Every outcome, in report order (``conformance.runner.OUTCOMES``)."""
SHORT = {
    "passed": "pass",
    "failed": "fail",
    "warned": "warn",
    "unsupported": "unsup",
    "blocked": "blocked",
    "inconclusive": "inconcl",
    "not-applicable": "n/a",
}
"""The outcomes' names in matrix cells."""
SCHEMA_VERSION = 2


def fails_run(record: Mapping[str, Any], *, strict: bool = False) -> bool:
    """Whether a record fails the run (the exit code).

    A MUST failure does; a block does when its root is a MUST failure; a SHOULD warning (or a
    block whose root only warns) does only with ``strict``. Owners consulted for another
    check (not selected) are reported, and fail the run through the checks they block.
    """
    if record.get("consulted"):
        return False
    outcome = record["outcome"]
    if outcome == "failed":
        return True
    if outcome == "blocked":
        return strict or record.get("root_outcome") != "warned"
    return outcome == "warned" and strict


def evidence(violation: Mapping[str, Any] | None) -> str:
    """``path: expected X, got Y`` of a violation record, with the others it carries named."""
    if not violation:
        return ""
    line = (
        f"{violation.get('path', '')}: expected {violation.get('expected', '')}, "
        f"got {one_line(str(violation.get('actual', '')))}"
    )
    more = violation.get("more") or []
    if more:
        named = ", ".join(str(m.get("path", "")) for m in more[:3])
        rest = f", +{len(more) - 3}" if len(more) > 3 else ""
        line += f" (and {len(more)} more: {named}{rest})"
    return line


@dataclass
class Report:
    """The results of one run against one server.

    Attributes:
        records: one per check (``CheckResult.to_record``), in run order.
        base_url: the server's API root.
        model: the chat model.
        duration_s: wall time of the run, seconds.
        meta: the run's metadata (suite and ``openai`` versions, time, options, the server's
            identifying headers, hints).
        strict: whether SHOULD warnings fail the run.
    """

    records: list[dict[str, Any]]
    base_url: str = ""
    model: str = ""
    duration_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    strict: bool = False

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
        """True when no record fails the run (``fails_run``, with this report's ``strict``)."""
        return not any(fails_run(r, strict=self.strict) for r in self.records)

    def flaky(self) -> list[dict[str, Any]]:
        """The records whose outcome changed between repetitions (``--repeat``)."""
        return [r for r in self.records if r.get("flaky")]

    # -- writers -----------------------------------------------------------------------
    def terminal_lines(self) -> list[str]:
        """The feature matrix, then a line per failure, block, warning and flaky check."""
        width = 13
        lines = [f"{'feature':<20}" + "".join(f"{SHORT[o]:>{width}}" for o in OUTCOMES)]
        for feature, row in self.matrix().items():
            lines.append(f"{feature:<20}" + "".join(f"{row[o]:>{width}}" for o in OUTCOMES))
        totals = self.totals()
        lines.append(f"{'total':<20}" + "".join(f"{totals[o]:>{width}}" for o in OUTCOMES))
        for hint in self.meta.get("hints", []):
            lines.append(f"HINT {hint}")
        for record in self.by_outcome("failed"):
            lines.append(f"FAILED {record['check_id']}: {evidence(record.get('violation'))}")
        for record in self.by_outcome("blocked"):
            lines.append(
                f"BLOCKED {record['check_id']}: by {record['blocked_by']}; "
                f"its own evidence: {evidence(record.get('violation'))}"
            )
        for record in self.by_outcome("inconclusive"):
            lines.append(f"INCONCLUSIVE {record['check_id']}: {record['reason']}")
        warned = self.by_outcome("warned")
        if warned:
            tail = (
                "" if self.strict else " (SHOULD rules: they do not fail the run without --strict)"
            )
            lines.append(f"warnings{tail}:")
            for record in warned:
                lines.append(f"WARN {record['check_id']}: {evidence(record.get('violation'))}")
        for record in self.flaky():
            lines.append(f"FLAKY {record['check_id']}: outcomes {', '.join(record['flaky'])}")
        for record in self.records:
            if record.get("consulted"):
                lines.append(
                    f"CONSULTED {record['check_id']} ({record['feature']}, not selected): "
                    f"{record['outcome']}, as the owner of a rule other checks broke"
                )
        for record in self.records:
            for note in record.get("notes", []):
                lines.append(f"NOTE {record['check_id']}: {note}")
        return lines

    def to_json(self) -> str:
        """The report as JSON (schema_version, server, totals, matrix, checks)."""
        data = {
            "schema_version": SCHEMA_VERSION,
            "server": {"base_url": self.base_url, "model": self.model},
            "duration_s": round(self.duration_s, 3),
            "meta": self.meta,
            "strict": self.strict,
            "ok": self.ok,
            "totals": self.totals(),
            "matrix": self.matrix(),
            "checks": self.records,
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        """The report as Markdown: the matrix, then each outcome's checks, failures first."""
        totals = self.totals()
        out = [
            f"# Conformance report: `{self.base_url}`",
            "",
            f"Model `{self.model}`; {len(self.records)} checks in {self.duration_s:.1f} s: "
            + ", ".join(f"{totals[o]} {o}" for o in OUTCOMES if totals[o])
            + ".",
            "",
            "| feature | " + " | ".join(SHORT[o] for o in OUTCOMES) + " |",
            "| --- | " + " | ".join("---:" for _ in OUTCOMES) + " |",
        ]
        for feature, row in self.matrix().items():
            out.append(f"| {feature} | " + " | ".join(str(row[o]) for o in OUTCOMES) + " |")
        for hint in self.meta.get("hints", []):
            out += ["", f"> **Hint:** {_md(hint)}"]
        failed = self.by_outcome("failed")
        if failed:
            out += ["", "## Failures"]
            for record in failed:
                out += _markdown_failure(record)
        blocked = self.by_outcome("blocked")
        if blocked:
            out += ["", "## Blocked (the same departure as the failure named)", ""]
            for record in blocked:
                out.append(
                    f"- `{record['check_id']}`: {_md(record['reason'])}; its own evidence: "
                    f"{_md(evidence(record.get('violation')))}"
                )
        warned = self.by_outcome("warned")
        if warned:
            out += ["", "## Warnings (SHOULD rules)"]
            for record in warned:
                out += _markdown_failure(record)
        sections = (
            ("inconclusive", "Inconclusive (the rule's owner could not be run)"),
            ("unsupported", "Unsupported (not offered; not a failure)"),
            ("not-applicable", "Not applicable (the server's profile)"),
        )
        for outcome, title in sections:
            records = self.by_outcome(outcome)
            if records:
                out += ["", f"## {title}", ""]
                out += [f"- `{r['check_id']}`: {_md(r['reason'])}" for r in records]
        flaky = self.flaky()
        if flaky:
            out += ["", "## Flaky (the outcome changed between repetitions)", ""]
            out += [f"- `{r['check_id']}`: {', '.join(r['flaky'])}" for r in flaky]
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
        f"### `{record['check_id']}` ({record['feature']}, {record['severity'].upper()}"
        + (
            ", not selected: consulted as the owner of another check's rule)"
            if record.get("consulted")
            else ")"
        ),
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
    for other in violation.get("more") or []:
        lines.append("")
        lines.append(
            f"- and `{other.get('path', '')}`: expected {_md(str(other.get('expected', '')))}, "
            f"got `{_md(one_line(str(other.get('actual', ''))))}`"
        )
        if other.get("curl") and other.get("curl") != violation.get("curl"):
            lines += ["", "```sh", other["curl"], "```"]
    for note in record.get("notes", []):
        lines.append(f"- note: {_md(note)}")
    return lines


def report_from(records: Iterable[Mapping[str, Any]], **kwargs: Any) -> Report:
    """A ``Report`` from records (deduplicated by check id, last one wins, order kept)."""
    seen: dict[str, dict[str, Any]] = {}
    for record in records:
        seen[record["check_id"]] = dict(record)
    return Report(list(seen.values()), **kwargs)
