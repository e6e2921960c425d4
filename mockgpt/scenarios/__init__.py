"""Scenario files: load, validate and the built-in scenarios.

``load_scenario(name_or_path)`` reads a file, or a built-in scenario by name
(``mockgpt/scenarios/builtin/<name>.yaml``); ``load_scenario_data(dict)`` validates a
scenario written in Python.
"""

from __future__ import annotations

from pathlib import Path

from mockgpt.errors import ScenarioError
from mockgpt.scenarios.loader import (
    load_scenario_data,
    load_scenario_file,
    scenario_errors,
    validate_files,
)
from mockgpt.scenarios.schema import Fault, Match, Respond, Scenario, Stub

BUILTIN_DIR = Path(__file__).parent / "builtin"


def builtin_names() -> list[str]:
    """Names of the built-in scenarios."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def resolve_scenario(name_or_path: str | Path) -> Path:
    """The file for a path or a built-in name.

    Raises:
        ScenarioError: neither a file nor a built-in scenario has that name.
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    builtin = BUILTIN_DIR / f"{name_or_path}.yaml"
    if builtin.is_file():
        return builtin
    raise ScenarioError(
        str(name_or_path),
        None,
        "",
        f"no such file, and no built-in scenario of that name (built-ins: "
        f"{', '.join(builtin_names())})",
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario file or a built-in scenario by name.

    Raises:
        ScenarioError: not found, not readable, or invalid (naming file, line and field).
    """
    return load_scenario_file(resolve_scenario(name_or_path))


__all__ = [
    "BUILTIN_DIR",
    "Fault",
    "Match",
    "Respond",
    "Scenario",
    "Stub",
    "builtin_names",
    "load_scenario",
    "load_scenario_data",
    "resolve_scenario",
    "scenario_errors",
    "validate_files",
]
