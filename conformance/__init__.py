"""An OpenAI API conformance suite: checks, a pytest plugin and a report.

Run it with ``mockgpt conformance --base-url URL --model M`` or
``pytest --pyargs conformance --base-url URL --model M``, or from Python with
``run_suite(Settings(base_url=..., model=...))``.

Writing a check::

    from conformance import CheckContext, Violation, check

    @check(id="chat.stream.done-sentinel", feature="chat-streaming",
           spec="CreateChatCompletionStreamResponse: the stream ends with `data: [DONE]`")
    def stream_ends_with_done(ctx: CheckContext) -> None:
        \"\"\"The last SSE event of a chat completion stream is the ``[DONE]`` sentinel.\"\"\"

The names below are imported on first use, so that ``mockgpt`` can register the
``conformance`` command without importing the HTTP clients.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.context import CheckContext, Settings
    from conformance.failures import Unsupported, Violation
    from conformance.registry import (
        FEATURES,
        REGISTRY,
        Check,
        DuplicateCheckError,
        Registry,
        check,
    )
    from conformance.report import Report
    from conformance.runner import CheckResult, Runner
    from conformance.suite import run_suite

_WHERE = {
    "CheckContext": "conformance.context",
    "Settings": "conformance.context",
    "Unsupported": "conformance.failures",
    "Violation": "conformance.failures",
    "FEATURES": "conformance.registry",
    "REGISTRY": "conformance.registry",
    "Check": "conformance.registry",
    "DuplicateCheckError": "conformance.registry",
    "Registry": "conformance.registry",
    "check": "conformance.registry",
    "Report": "conformance.report",
    "CheckResult": "conformance.runner",
    "Runner": "conformance.runner",
    "run_suite": "conformance.suite",
}

__all__ = [
    "FEATURES",
    "REGISTRY",
    "Check",
    "CheckContext",
    "CheckResult",
    "DuplicateCheckError",
    "Registry",
    "Report",
    "Runner",
    "Settings",
    "Unsupported",
    "Violation",
    "check",
    "run_suite",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
