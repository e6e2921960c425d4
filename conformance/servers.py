"""The servers file of a matrix run: a YAML file lists the servers, and each is run.

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

``load_servers`` reads the file into ``ServerEntry`` objects; ``run_matrix`` runs the suite
against each server (once per distinct model, each run with the features that model is
given for) and gives a ``Matrix`` (``conformance.matrix``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.context import Settings
from conformance.matrix import Matrix, combine_records
from conformance.meta import BaseUrlError
from conformance.profiles import PROFILES
from conformance.registry import FEATURES
from conformance.report import Report, report_from
from conformance.suite import run_suite

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
