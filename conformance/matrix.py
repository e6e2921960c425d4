"""One matrix across servers: a YAML file lists them, one command runs them all.

::

    servers:
      - name: vllm-qwen
        base_url: http://127.0.0.1:8000/v1
        api_key_env: VLLM_KEY            # or api_key: ...; none by default
        profile: inference               # inference (default), proxy, fixture-mock
        models:                          # the model per feature; chat is required
          chat: Qwen/Qwen2.5-1.5B-Instruct
          tools: Qwen/Qwen2.5-1.5B-Instruct     # default: chat
          json: Qwen/Qwen2.5-1.5B-Instruct      # structured output; default: chat
          responses: Qwen/Qwen2.5-1.5B-Instruct # default: chat
          embeddings: BAAI/bge-small-en-v1.5    # none: embeddings unsupported
        features: [chat, chat-streaming, tools] # default: all
        rate_limit_model: ...            # optional, as the command's options
        stream_error_model: ...

``run_matrix`` runs the suite against each server (once per distinct model, each run with
the features that model is given for) and gives a ``Matrix``: a server-by-check table of
outcomes (pass, fail, warn, unsup, blocked, inconcl, n/a), with each server's full report
kept for the details. A matrix is written as JSON, Markdown and terminal lines, and matrices
or single-server reports (``--report`` JSON) of separate runs merge into one
(``Matrix.load`` + ``Matrix.merge``): a server's records of a later run replace those of an
earlier one check by check.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.profiles import PROFILES
from conformance.registry import FEATURES
from conformance.report import SHORT, Report, fails_run, report_from

MATRIX_SCHEMA_VERSION = 1
MODEL_ROLES: Mapping[str, tuple[str, ...]] = {
    "chat": (
        "models",
        "chat",
        "chat-streaming",
        "logprobs",
        "completions",
        "errors",
        "properties",
    ),
    "tools": ("tools",),
    "json": ("structured-output",),
    "responses": ("responses", "responses-streaming"),
}
"""Which features run with which model of a server (``embeddings`` is the embedding model)."""
_KEYS = {
    "name",
    "base_url",
    "api_key",
    "api_key_env",
    "profile",
    "models",
    "features",
    "rate_limit_model",
    "stream_error_model",
}


class MatrixConfigError(ValueError):
    """The servers file is invalid; the message names the file, the server and the field."""


@dataclass(frozen=True)
class ServerEntry:
    """One server of the matrix.

    Attributes:
        name: the column name (unique in the file).
        base_url: the API root, ending in ``/v1``.
        api_key: the key to send (from ``api_key`` or the ``api_key_env`` variable).
        profile: ``inference``, ``proxy`` or ``fixture-mock``.
        models: role (``chat``, ``tools``, ``json``, ``responses``, ``embeddings``) -> model.
        features: the features to run, None for all.
        rate_limit_model: a model the server answers with 429.
        stream_error_model: a model whose streams fail mid-way.
    """

    name: str
    base_url: str
    api_key: str | None
    profile: str
    models: Mapping[str, str]
    features: frozenset[str] | None = None
    rate_limit_model: str | None = None
    stream_error_model: str | None = None

    def runs(self) -> list[tuple[str, frozenset[str]]]:
        """``(model, features)`` per distinct chat-side model, in the order of the roles."""
        by_model: dict[str, set[str]] = {}
        chat = self.models["chat"]
        for role, role_features in MODEL_ROLES.items():
            model = self.models.get(role, chat)
            by_model.setdefault(model, set()).update(role_features)
        by_model.setdefault(chat, set()).add("embeddings")
        out = []
        for model, features in by_model.items():
            chosen = features & self.features if self.features is not None else features
            if chosen:
                out.append((model, frozenset(chosen)))
        return out


def _fail(path: Path, where: str, message: str) -> MatrixConfigError:
    return MatrixConfigError(f"{path}: {where}: {message}")


def load_servers(
    path: str | Path, *, environ: Mapping[str, str] | None = None
) -> list[ServerEntry]:
    """The servers of a YAML servers file.

    Raises:
        MatrixConfigError: the file is missing, not YAML, or a server is invalid (an unknown
            key, a missing ``name`` / ``base_url`` / ``models.chat``, an unknown profile or
            feature, a duplicate name, an unset ``api_key_env`` variable).
    """
    import yaml

    source = Path(path)
    env = os.environ if environ is None else environ
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MatrixConfigError(f"{source}: {exc}") from None
    servers = data.get("servers") if isinstance(data, dict) else None
    if not isinstance(servers, list) or not servers:
        raise _fail(source, "servers", "a non-empty list of servers is required")
    entries: list[ServerEntry] = []
    for i, raw in enumerate(servers):
        where = f"servers[{i}]"
        if not isinstance(raw, dict):
            raise _fail(source, where, "a mapping is required")
        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            raise _fail(source, f"{where}.{unknown[0]}", f"unknown key; known: {sorted(_KEYS)}")
        for key in ("name", "base_url"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise _fail(source, f"{where}.{key}", "a non-empty string is required")
        models = raw.get("models")
        if not isinstance(models, dict) or not isinstance(models.get("chat"), str):
            raise _fail(source, f"{where}.models.chat", "the chat model is required")
        roles = {*MODEL_ROLES, "embeddings"}
        bad_roles = sorted(set(models) - roles)
        if bad_roles:
            raise _fail(source, f"{where}.models.{bad_roles[0]}", f"one of {sorted(roles)}")
        profile = raw.get("profile", "inference")
        if profile not in PROFILES:
            raise _fail(source, f"{where}.profile", f"one of {', '.join(PROFILES)}")
        features = raw.get("features")
        if features is not None:
            unknown_features = sorted(set(features) - set(FEATURES))
            if unknown_features:
                raise _fail(source, f"{where}.features", f"unknown {unknown_features[0]!r}")
        api_key = raw.get("api_key")
        if raw.get("api_key_env"):
            api_key = env.get(raw["api_key_env"])
            if api_key is None:
                raise _fail(source, f"{where}.api_key_env", f"{raw['api_key_env']} is not set")
        if any(e.name == raw["name"] for e in entries):
            raise _fail(source, f"{where}.name", f"{raw['name']!r} is used twice")
        entries.append(
            ServerEntry(
                name=raw["name"],
                base_url=raw["base_url"].rstrip("/"),
                api_key=api_key,
                profile=profile,
                models={str(k): str(v) for k, v in models.items()},
                features=frozenset(features) if features is not None else None,
                rate_limit_model=raw.get("rate_limit_model"),
                stream_error_model=raw.get("stream_error_model"),
            )
        )
    return entries


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


def run_server(
    entry: ServerEntry, *, strict: bool = False, repeat: int = 1, **budgets: Any
) -> Report:
    """One server's report: a suite run per distinct model, merged.

    Args:
        entry: the server.
        strict: SHOULD warnings fail the run.
        repeat: run each check this many times (flaky checks are flagged).
        **budgets: more ``Settings`` fields (``timeout_s``, ``property_examples``, ...).
    """
    from conformance.context import Settings
    from conformance.meta import BaseUrlError
    from conformance.suite import run_suite

    records: list[dict[str, Any]] = []
    meta: dict[str, Any] = {"server_name": entry.name, "hints": []}
    duration = 0.0
    for model, features in entry.runs():
        settings = Settings(
            base_url=entry.base_url,
            model=model,
            api_key=entry.api_key,
            embedding_model=entry.models.get("embeddings"),
            rate_limit_model=entry.rate_limit_model,
            stream_error_model=entry.stream_error_model,
            profile=entry.profile,
            **budgets,
        )
        try:
            report = run_suite(settings, features=features, strict=strict, repeat=repeat)
        except BaseUrlError as exc:
            meta["hints"].append(str(exc))
            break
        records = combine_records([records, report.records])
        duration += report.duration_s
        meta = {**report.meta, **meta, "hints": [*meta["hints"], *report.meta.get("hints", [])]}
    meta["models"] = dict(entry.models)
    return report_from(
        records,
        base_url=entry.base_url,
        model=entry.models["chat"],
        duration_s=duration,
        meta=meta,
        strict=strict,
    )


def run_matrix(
    entries: Iterable[ServerEntry], *, strict: bool = False, repeat: int = 1, **budgets: Any
) -> Matrix:
    """Every server's report, as a matrix (a server that cannot be run gets a hint)."""
    return Matrix({e.name: run_server(e, strict=strict, repeat=repeat, **budgets) for e in entries})
