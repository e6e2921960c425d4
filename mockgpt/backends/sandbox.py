"""The Jinja2 sandbox stub content templates render in, with bounded work.

A stub's template is untrusted input once stubs can be added over HTTP, and it renders on the
event loop, so one render may not stall the server or bloat it. On top of Jinja2's sandbox
(no Python internals, files or imports) a render is bounded by:

- ``MAX_TEMPLATE_RANGE``: items in one ``range()``;
- ``MAX_TEMPLATE_ITERATIONS``: iterations of all its ``for`` loops together (each loop's
  iterable is wrapped in a counting iterator when the template is compiled);
- ``MAX_TEMPLATE_OUTPUT_CHARS``: characters it produces, and the size of one ``*`` product;
- ``TEMPLATE_TIMEOUT_S``: wall-clock seconds, checked at each loop iteration, call and
  output piece.

Passing one raises ``TemplateLimitError``, a ``jinja2.TemplateError``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateRuntimeError, nodes
from jinja2.sandbox import SandboxedEnvironment

MAX_TEMPLATE_RANGE = 10_000
"""Items in one ``range()`` of a template."""
MAX_TEMPLATE_ITERATIONS = 10_000
"""Loop iterations in one render, all ``for`` loops together."""
MAX_TEMPLATE_OUTPUT_CHARS = 1_000_000
"""Characters one render may produce; also the largest string or list one ``*`` may make."""
TEMPLATE_TIMEOUT_S = 0.05
"""Wall-clock seconds one render may take."""

_MAX_POWER_BITS = 4096  # an integer ``**`` result of more bits is refused
_LOOP = "mockgpt_counted_loop"  # the global every compiled ``for`` loop's iterable goes through


class TemplateLimitError(TemplateRuntimeError):
    """A template render passed one of the sandbox's limits; the message names it."""


class _Budget:
    """What one render has used: loop iterations, against its deadline."""

    def __init__(self) -> None:
        self.iterations = 0
        self.deadline = time.perf_counter() + TEMPLATE_TIMEOUT_S

    def tick(self) -> None:
        if time.perf_counter() > self.deadline:
            raise TemplateLimitError(
                f"rendering took over {TEMPLATE_TIMEOUT_S} s (mockgpt's template time limit)"
            )


_BUDGET: ContextVar[_Budget | None] = ContextVar("mockgpt_template_budget", default=None)


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _BUDGET.get()
    for item in iterable:
        if budget is not None:
            budget.iterations += 1
            if budget.iterations > MAX_TEMPLATE_ITERATIONS:
                raise TemplateLimitError(
                    f"its loops ran over {MAX_TEMPLATE_ITERATIONS} iterations "
                    "(mockgpt's template loop limit)"
                )
            budget.tick()
        yield item


def _range(*args: int) -> range:
    items = range(*args)
    if len(items) > MAX_TEMPLATE_RANGE:
        raise TemplateLimitError(
            f"range() of {len(items)} items is over mockgpt's limit of {MAX_TEMPLATE_RANGE}"
        )
    return items


class BoundedSandbox(SandboxedEnvironment):
    """A ``SandboxedEnvironment`` whose renders (through ``render_bounded``) do bounded work."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _range
        self.globals[_LOOP] = _counted

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            counted = nodes.Call(
                nodes.Name(_LOOP, "load", lineno=loop.lineno),
                [loop.iter],
                [],
                None,
                None,
                lineno=loop.lineno,
            )
            loop.iter = counted.set_environment(self)
        return tree

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``*`` and ``**``, refusing results over the sandbox's limits."""
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, (str, list, tuple))
                if (
                    sized
                    and isinstance(times, int)
                    and len(seq) * times > MAX_TEMPLATE_OUTPUT_CHARS
                ):
                    raise TemplateLimitError(
                        f"a product of {len(seq) * times} items is over mockgpt's limit of "
                        f"{MAX_TEMPLATE_OUTPUT_CHARS}"
                    )
        elif (
            isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and abs(left).bit_length() * right > _MAX_POWER_BITS
        ):
            raise TemplateLimitError(
                f"a power of over {_MAX_POWER_BITS} bits is over mockgpt's template limit"
            )
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Every call a template makes (functions, methods, macros) checks the deadline."""
        budget = _BUDGET.get()
        if budget is not None:
            budget.tick()
        return super().call(__context, __obj, *args, **kwargs)


def new_sandbox() -> BoundedSandbox:
    """The environment for content templates: strict undefined names, no autoescape."""
    return BoundedSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def render_bounded(template: Template, variables: Mapping[str, Any]) -> str:
    """Render ``template`` (compiled by a ``BoundedSandbox``) within the sandbox's limits.

    Raises:
        TemplateLimitError: the render passed a limit; other ``TemplateError`` as Jinja2 raises.
    """
    budget = _Budget()
    token = _BUDGET.set(budget)
    try:
        pieces: list[str] = []
        size = 0
        for piece in template.generate(variables):
            size += len(piece)
            if size > MAX_TEMPLATE_OUTPUT_CHARS:
                raise TemplateLimitError(
                    f"its output passed {MAX_TEMPLATE_OUTPUT_CHARS} characters "
                    "(mockgpt's template output limit)"
                )
            budget.tick()
            pieces.append(piece)
        return "".join(pieces)
    finally:
        _BUDGET.reset(token)
