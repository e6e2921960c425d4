"""A stub's regexes and templates are untrusted input: matching and rendering are bounded, and
passing a bound is a clear answer naming the stub, never a stall or "a bug in mockgpt"."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from mockgpt.backends.sandbox import (
    MAX_TEMPLATE_ITERATIONS,
    MAX_TEMPLATE_OUTPUT_CHARS,
    MAX_TEMPLATE_RANGE,
    TEMPLATE_TIMEOUT_S,
)
from mockgpt.scenarios import Scenario
from mockgpt.scenarios.matchers import REGEX_TIMEOUT_S, TextCondition
from mockgpt.scenarios.schema import TextMatch
from tests.unit.test_engine import engine_with, turn


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("pattern", "text"),
    [(r"^(a+)+$", "a" * 40 + "!"), (r"(a|aa)+$", "a" * 200 + "!")],
    ids=["nested-plus", "alternation"],
)
def test_regex_catastrophic_pattern_does_not_match_and_stays_bounded(
    pattern: str, text: str
) -> None:
    """Patterns that backtrack exponentially (0.75 s at 24 characters with `re`, x4 per 2 more)
    answer "no match" at once, or after ``REGEX_TIMEOUT_S``."""
    reason = TextCondition(TextMatch(regex=pattern)).check(text, "last_user")

    assert reason.startswith("last_user.regex: ")
    assert pattern in reason


@pytest.mark.timeout(10)
def test_regex_timeout_is_a_near_miss_naming_the_condition_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = engine_with(
        {"id": "slow", "match": {"last_user": {"regex": "(a|aa)+$"}}, "respond": {"content": "x"}}
    )

    with caplog.at_level(logging.WARNING, logger="mockgpt.scenarios.matchers"):
        reply = engine.serve(turn("a" * 200 + "!"))

    assert reply.stub_id is None
    reason = reply.misses["slow"]
    assert reason.startswith("last_user.regex: /(a|aa)+$/ took over ")
    assert f"{REGEX_TIMEOUT_S} s on 201 characters" in reason
    assert "regex time limit" in reason
    assert "last_user.regex /(a|aa)+$/ searched 201 characters" in caplog.text


def test_regex_matching_still_works_with_the_timeout() -> None:
    condition = TextCondition(TextMatch(regex=r"weather in (\w+)", ignore_case=True))

    assert condition.check("What is the WEATHER in Paris?", "last_user") == ""
    assert "expected /weather in (\\w+)/" in condition.check("hello", "last_user")
    assert condition.check(None, "last_user").endswith("got nothing")


def test_regex_schema_accepts_the_matchers_syntax() -> None:
    """Scenario validation compiles with the same engine as matching (the `regex` package)."""
    scenario = Scenario.model_validate(
        {"name": "s", "stubs": [{"match": {"last_user": {"regex": r"^\p{Lu}"}}, "respond": {}}]}
    )
    cond = scenario.stubs[0].match.last_user  # type: ignore[union-attr]
    assert cond is not None

    assert TextCondition(cond).check("Hello", "last_user") == ""


def _template_error(content: str) -> Any:
    reply = engine_with({"id": "tpl", "respond": {"content": content}}).serve(turn())
    assert reply.error is not None, "the template rendered"
    assert (reply.error.status, reply.error.type) == (500, "mockgpt_error")
    assert reply.error.message.startswith("stub tpl: its content template failed: ")
    assert "bug" not in reply.error.message
    return reply.error.message


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            "{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}{% endfor %}",
            f"over {MAX_TEMPLATE_ITERATIONS} iterations",
        ),
        (
            "{% for c in last_user * 200 %}{% for d in last_user * 200 %}{% endfor %}{% endfor %}",
            f"over {MAX_TEMPLATE_ITERATIONS} iterations",
        ),
        ("{{ range(10**7)|length }}", f"over mockgpt's limit of {MAX_TEMPLATE_RANGE}"),
        ("{{ range(100001)|list|length }}", f"over mockgpt's limit of {MAX_TEMPLATE_RANGE}"),
        ("{{ 'x' * 10**9 }}", f"over mockgpt's limit of {MAX_TEMPLATE_OUTPUT_CHARS}"),
        ("{% for i in range(999) %}{{ 'y' * 9999 }}{% endfor %}", "output passed"),
        ("{{ 10**100000000 }}", "bits"),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(60) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            f"took over {TEMPLATE_TIMEOUT_S} s",
        ),
        ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "RecursionError"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ],
    ids=[
        "nested-ranges",
        "nested-text-loops",
        "range-10M",
        "range-100001",
        "string-product",
        "output-length",
        "huge-power",
        "doubling-string",
        "recursive-macro",
        "division-by-zero",
    ],
)
def test_template_over_a_limit_is_a_stub_error_naming_it(content: str, says: str) -> None:
    assert says in _template_error(content)


def test_template_loops_within_the_limits_render() -> None:
    content = (
        "{% for m in messages %}{{ loop.index }}/{{ loop.length }} {{ m.role }}: {{ m.content }}"
        "{% else %}none{% endfor %}|{% for k in range(3) %}{{ k }}{% endfor %}|{{ 'ab' * 2 }}"
    )
    reply = engine_with({"id": "ok", "respond": {"content": content}}).serve(turn("hi"))

    assert reply.error is None
    assert isinstance(reply.events, tuple)
    text = "".join(getattr(e, "text", "") for e in reply.events)
    assert text == "1/1 user: hi|012|abab"
