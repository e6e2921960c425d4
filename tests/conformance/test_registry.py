"""The registry: stable ids, one twin per check, owners that exist, duplicate ids refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import conformance
from conformance.answers import OWNER_IDS
from conformance.checks import _shared, _tools
from conformance.registry import (
    CHECK_MODULES,
    FEATURES,
    REGISTRY,
    DuplicateCheckError,
    Registry,
    load_checks,
    select_checks,
)
from tests.conformance.conftest import TWINS_DIR

CHECKS = list(load_checks())
PACKAGE = Path(conformance.__file__).parent


def _noop(ctx: Any) -> None:
    """A check that checks nothing."""


def test_registry_ids_are_dotted_lower_case_and_unique() -> None:
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    for check_id in ids:
        assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", check_id), check_id


def test_registry_every_check_has_a_feature_a_spec_and_a_docstring() -> None:
    for check in CHECKS:
        assert check.feature in FEATURES, check.id
        assert len(check.spec) > 20, check.id
        assert check.summary.endswith("."), check.id


def test_registry_duplicate_id_names_both_modules() -> None:
    registry = Registry()

    def first(ctx: Any) -> None:
        """First."""

    def second(ctx: Any) -> None:
        """Second."""

    first.__module__ = "checks.alpha"
    second.__module__ = "checks.beta"
    registry.check(id="chat.same-rule", feature="chat", spec="spec text")(first)
    with pytest.raises(DuplicateCheckError) as info:
        registry.check(id="chat.same-rule", feature="chat", spec="spec text")(second)
    message = str(info.value)
    assert "'chat.same-rule'" in message
    assert "checks.alpha (first)" in message
    assert "checks.beta (second)" in message


@pytest.mark.parametrize(
    ("check_id", "feature", "func", "error"),
    [
        ("Chat.Rule", "chat", _noop, "not dotted lower-case"),
        ("chat", "chat", _noop, "not dotted lower-case"),
        ("chat.rule", "weather", _noop, "unknown feature 'weather'"),
        ("chat.rule", "chat", lambda ctx: None, "needs a docstring"),
    ],
    ids=["upper-case", "one-word", "unknown-feature", "no-docstring"],
)
def test_registry_refuses_malformed_checks(
    check_id: str, feature: str, func: Any, error: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        Registry().check(id=check_id, feature=feature, spec="spec text")(func)


def test_select_checks_keeps_feature_order_and_refuses_unknown_features() -> None:
    chosen = select_checks(frozenset({"errors", "models"}))
    assert {c.feature for c in chosen} == {"errors", "models"}
    assert chosen[0].feature == "models"
    with pytest.raises(ValueError, match="unknown feature"):
        select_checks(frozenset({"weather"}))


def test_every_check_module_is_loaded_and_only_check_modules_register_checks() -> None:
    """A module of ``conformance/checks/`` registers checks only if ``load_checks`` imports it.

    Its checks would otherwise be left out of every run (or come in whatever order imports
    happen to load it); helper modules (a leading underscore) register none.
    """
    files = {p.stem for p in (PACKAGE / "checks").glob("*.py") if p.stem != "__init__"}
    loaded = {name.rsplit(".", 1)[1] for name in CHECK_MODULES}
    registering = {c.module.rsplit(".", 1)[1] for c in CHECKS}

    assert loaded == {f for f in files if not f.startswith("_")}
    assert registering == loaded


def test_every_check_has_one_broken_twin_and_every_twin_a_check() -> None:
    twins = {p.stem for p in TWINS_DIR.glob("*.yaml")}
    assert twins == set(REGISTRY.ids())


@pytest.mark.parametrize("twin", sorted(TWINS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_twin_file_is_a_scenario_naming_one_quirk_or_scripting_stubs(twin: Path) -> None:
    data = yaml.safe_load(twin.read_text())
    assert set(data) in ({"name", "description", "quirks"}, {"name", "description", "stubs"})
    assert data["name"] == f"broken-{twin.stem}"
    assert len(data.get("quirks", data.get("stubs"))) == 1 or "stubs" in data


def _owner_ids() -> set[str]:
    found = set(OWNER_IDS)
    for module in (_shared, _tools):
        found |= {v for k, v in vars(module).items() if k.isupper() and isinstance(v, str)}
    for path in PACKAGE.rglob("*.py"):
        found |= set(re.findall(r'owner="([a-z0-9.-]+)"', path.read_text()))
        found |= set(re.findall(r'\(\s*"[^"]*",\s*"([a-z]+\.[a-z0-9.-]+)"\s*\)', path.read_text()))
    return {f for f in found if re.fullmatch(r"[a-z]+(\.[a-z0-9-]+)+", f)}


def test_every_rule_owner_named_in_the_suite_is_a_registered_check() -> None:
    owners = _owner_ids()
    assert "chat.stream.sse" in owners
    assert owners - set(REGISTRY.ids()) == set()
