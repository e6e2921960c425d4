"""Quirks are data: every quirk has a family, stages and a doc, and no module outside
``mockgpt/quirks/`` tests a quirk's name (checked on the syntax tree)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from mockgpt.quirks import QUIRKS, REGISTRY, Family, Stage

PACKAGE = Path(__file__).resolve().parents[2] / "mockgpt"


def test_quirk_registry_names_family_stages_and_doc() -> None:
    assert set(QUIRKS) == set(REGISTRY)
    for name, quirk in REGISTRY.items():
        assert quirk.name == name
        assert quirk.family in get_args(Family)
        assert quirk.stages
        assert set(quirk.stages) <= set(get_args(Stage))
        assert quirk.doc.strip()
        assert QUIRKS[name] == quirk.doc


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


OUTSIDE = sorted(
    p for p in PACKAGE.rglob("*.py") if "quirks" not in p.relative_to(PACKAGE).parts[:1]
)


@pytest.mark.parametrize("path", OUTSIDE, ids=[str(p.relative_to(PACKAGE)) for p in OUTSIDE])
def test_quirk_names_only_in_the_quirks_package(path: Path) -> None:
    found = [
        f"{path.name}:{line}: {text!r}"
        for line, text in _string_constants(path)
        if text in REGISTRY
    ]

    assert found == [], "a quirk is tested outside mockgpt/quirks/: " + ", ".join(found)
