"""Imports run one way (PIPELINE §4): each module imports only from the layers below its own
and from inside its own package, names on one line do not import each other, and no module
imports inside a function to dodge a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mockgpt"

LAYERS: list[set[str]] = [
    {"__main__"},
    {"cli", "pytest_plugin"},
    {"testing"},
    {"cassette"},
    {"server"},
    {"shared"},
    {"app", "inprocess"},
    {"lifespan"},
    {"routes"},
    {"http"},
    {"engine"},
    {"state", "faults", "backends", "recorder"},
    {"batches_store"},
    {"turn", "store", "assistants_store", "files_store", "ollama_store"},
    {"lifecycle"},
    {"scenarios", "models", "config"},
    {"quirks", "limits", "render", "conversation", "webhooks"},
    {"sse", "errors", "events", "journal", "structured", "schema_validate"},
    {"schema_check"},
    {"types", "tokens", "bounded", "ids", "tasks"},
]
"""Top to bottom; a module may import from any line below its own."""

LAZY_OK = {
    # optional dependencies, imported only where they are used (not cycle dodges)
    "openai",
    "pytest",
    "redis",  # only with --state
    "resource",  # POSIX only
    "torch",
    "transformers",
}


def _unit(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def _layer(unit: str) -> int:
    for index, names in enumerate(LAYERS):
        if unit in names:
            return index
    raise AssertionError(f"mockgpt/{unit} is in no layer of LAYERS")


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mockgpt."):
            out.append((node.lineno, node.module.split(".")[1]))
        elif isinstance(node, ast.Import):
            out += [
                (node.lineno, a.name.split(".")[1])
                for a in node.names
                if a.name.startswith("mockgpt.")
            ]
    return out


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_layers_imports_run_one_way(path: Path) -> None:
    unit = _unit(path)
    own = _layer(unit)
    wrong = [
        f"line {line}: mockgpt.{target} (layer {_layer(target)})"
        for line, target in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if target != unit and _layer(target) <= own
    ]

    assert wrong == [], f"mockgpt/{unit} (layer {own}) imports upward or sideways: {wrong}"


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_layers_no_import_inside_a_function(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = [
        f"line {node.lineno}: {ast.unparse(node)}"
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
        and not _optional(node)
        and path.name != "pytest_plugin.py"  # the plugin stays cheap until a fixture runs
    ]

    assert inner == []


def _optional(node: ast.Import | ast.ImportFrom) -> bool:
    names = (
        [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    )
    return all(n.split(".")[0] in LAZY_OK for n in names)


def test_layers_every_module_has_a_layer() -> None:
    units = {_unit(p) for p in MODULES}

    assert units <= set().union(*LAYERS)
