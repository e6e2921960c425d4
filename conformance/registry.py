"""Checks are registered data: ``@check(id=..., feature=..., spec=...)`` on a function.

::

    @check(id="chat.stream.done-sentinel", feature="chat-streaming",
           spec="CreateChatCompletionStreamResponse: the stream ends with `data: [DONE]`")
    def stream_ends_with_done(ctx: CheckContext) -> None:
        \"\"\"The last SSE event of a chat completion stream is the `[DONE]` sentinel.\"\"\"

A check id is stable and dotted (``<feature>.<rule>``, lower case); registering an id twice is
an error that names both modules. Every check has a docstring (the rule in one sentence) and
the spec text or schema it enforces.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from conformance.failures import Severity

if TYPE_CHECKING:
    from conformance.context import CheckContext

CheckFunction = Callable[["CheckContext"], None]
F = TypeVar("F", bound=CheckFunction)

FEATURES: tuple[str, ...] = (
    "models",
    "chat",
    "chat-streaming",
    "tools",
    "structured-output",
    "logprobs",
    "completions",
    "embeddings",
    "moderations",
    "errors",
    "properties",
    "responses",
    "responses-streaming",
    "batches",
)
"""Every feature, in report order."""

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$")

CHECK_MODULES: tuple[str, ...] = (
    "conformance.checks.models",
    "conformance.checks.chat",
    "conformance.checks.chat_ids",
    "conformance.checks.chat_streaming",
    "conformance.checks.stream_usage",
    "conformance.checks.tools",
    "conformance.checks.tools_streaming",
    "conformance.checks.structured",
    "conformance.checks.logprobs",
    "conformance.checks.completions",
    "conformance.checks.embeddings",
    "conformance.checks.moderations",
    "conformance.checks.errors",
    "conformance.checks.properties",
    "conformance.checks.responses",
    "conformance.checks.responses_params",
    "conformance.checks.responses_streaming",
    "conformance.checks.responses_errors",
    "conformance.checks.responses_reasoning",
    "conformance.checks.responses_background",
    "conformance.checks.consistency",
    "conformance.checks.batches",
)
"""The modules that register the built-in checks, in report order."""


PROXY_CAVEAT = (
    "a proxy may forward this request to its upstream: the answer may be the upstream's, "
    "and the proxy's own behaviour untested"
)
"""The caveat of the checks whose request a proxy may answer from its upstream."""


class DuplicateCheckError(ValueError):
    """A check id was registered twice."""


@dataclass(frozen=True)
class Check:
    """One registered check.

    Attributes:
        id: stable dotted id, e.g. ``chat.stream.done-sentinel``.
        feature: the feature it belongs to (one of ``FEATURES``).
        spec: the spec text or schema it enforces.
        doc: the rule, from the function's docstring.
        func: runs the check; raises ``Violation`` or ``Unsupported``.
        module: where it is defined.
        severity: ``must`` or ``should``.
        caveat: what to bear in mind when it fails (shown with the failure), e.g. that a
            proxy may forward the request to its upstream.
    """

    id: str
    feature: str
    spec: str
    doc: str
    func: CheckFunction
    module: str
    severity: Severity = "must"
    caveat: str = ""

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return self.doc.splitlines()[0] if self.doc else ""


class Registry:
    """Checks by id, in registration order."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def check(
        self,
        *,
        id: str,
        feature: str,
        spec: str,
        severity: Severity = "must",
        caveat: str = "",
    ) -> Callable[[F], F]:
        """Register the decorated function as a check.

        Args:
            id: stable dotted id, lower case (``chat.stream.done-sentinel``).
            feature: one of ``FEATURES``.
            spec: the spec text or schema the check enforces.
            severity: ``must`` (schema, or the official client breaks) or ``should``.
            caveat: what to bear in mind when it fails (shown with the failure).

        Raises:
            DuplicateCheckError: the id is already registered (the message names both modules).
            ValueError: a malformed id, an unknown feature, or no docstring.
        """

        def register(func: F) -> F:
            if not _ID.match(id):
                raise ValueError(f"check id {id!r} is not dotted lower-case words (a.b-c)")
            if feature not in FEATURES:
                raise ValueError(f"check {id}: unknown feature {feature!r}; known: {FEATURES}")
            doc = inspect.getdoc(func) or ""
            if not doc:
                raise ValueError(
                    f"check {id} ({func.__module__}.{func.__name__}) needs a docstring"
                )
            existing = self._checks.get(id)
            reimported = existing is not None and (existing.module, existing.func.__qualname__) == (
                func.__module__,
                func.__qualname__,
            )  # the same module imported again (a reload, pytester's module snapshots)
            if existing is not None and not reimported:
                raise DuplicateCheckError(
                    f"check id {id!r} is registered twice: in {existing.module} "
                    f"({existing.func.__name__}) and in {func.__module__} ({func.__name__})"
                )
            self._checks[id] = Check(
                id, feature, spec, doc, func, func.__module__, severity, caveat
            )
            return func

        return register

    def __getitem__(self, check_id: str) -> Check:
        return self._checks[check_id]

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def __iter__(self) -> Iterator[Check]:
        return iter(list(self._checks.values()))

    def __len__(self) -> int:
        return len(self._checks)

    def ids(self) -> list[str]:
        """Every id, in registration order."""
        return list(self._checks)


REGISTRY = Registry()
"""The built-in checks."""

check = REGISTRY.check
"""Register a built-in check (``REGISTRY.check``)."""


def load_checks() -> Registry:
    """Import the check modules (once) and return ``REGISTRY``."""
    for name in CHECK_MODULES:
        importlib.import_module(name)
    return REGISTRY


def select_checks(features: frozenset[str] | None = None) -> list[Check]:
    """The built-in checks of ``features`` (all when None), in report order.

    Raises:
        ValueError: a feature name is unknown.
    """
    unknown = sorted(set(features or ()) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}")
    order = {name: i for i, name in enumerate(FEATURES)}
    checks = [c for c in load_checks() if features is None or c.feature in features]
    return sorted(checks, key=lambda c: order[c.feature])
