"""Scenario files (YAML or JSON), and scenarios written in Python -> ``Scenario``.

Every error names the file, the line and the field: ``weather.yaml:14: stubs[2].match.regex:
invalid regex '(': missing ) at position 1``; for a scenario given as a dict, the field only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mockgpt.errors import ScenarioError
from mockgpt.scenarios.schema import Scenario

Loc = tuple[int | str, ...]


def _field_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = part
    return out


def _data_loc(loc: Sequence[int | str], data: Any) -> Loc:
    """The part of a pydantic error location that is in the document.

    Pydantic adds labels of its own (the member of a union such as ``str`` or
    ``constrained-int``, a validator such as ``function-after[...]``); a part is kept only
    when it is a key (or an index) of the value reached so far.
    """
    kept: list[int | str] = []
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif not (isinstance(node, dict) and part in node):
            continue
        else:
            node = node[part]
        kept.append(part)
    return tuple(kept)


def _lines(node: yaml.Node, loc: Loc, table: dict[Loc, int]) -> None:
    """Map each location in the document to its 1-based line."""
    table[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            child = loc + (name,)  # noqa: RUF005 (a 3.10 target)
            _lines(value, child, table)
            # the key's line reads better than the first line of a nested block
            table[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, loc + (index,), table)  # noqa: RUF005


def _line_of(loc: Loc, table: dict[Loc, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        found = table.get(loc[:end])
        if found is not None:
            return found
    return None


def _compose(text: str) -> tuple[Any, yaml.Node | None]:
    """The document's value and its node tree (for line numbers).

    JSON is YAML, except that YAML forbids tabs where JSON allows them as whitespace; a
    text that is valid JSON is read with its tabs as spaces (JSON strings hold no raw tab).

    Raises:
        yaml.YAMLError: neither valid YAML nor valid JSON.
    """
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        try:
            json.loads(text)
        except ValueError:
            raise exc from None
        text = text.replace("\t", " ")
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)


def scenario_errors(text: str, path: str) -> tuple[Scenario | None, list[ScenarioError]]:
    """Parse and validate a scenario text; return it, or every error found in it."""
    try:
        data, node = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [ScenarioError(path, line, "", f"not valid YAML/JSON: {reason}")]
    table: dict[Loc, int] = {(): 1}
    if node is None:
        data = {}
    else:
        _lines(node, (), table)
    return _validated(data, path, table)


def _validated(
    data: Any, path: str, table: dict[Loc, int]
) -> tuple[Scenario | None, list[ScenarioError]]:
    """Validate a decoded scenario; ``table`` gives the line of each location (may be empty)."""
    if not isinstance(data, dict):
        message = "a scenario must be a mapping with 'stubs'"
        return None, [ScenarioError(path, table.get(()), "", message)]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        # one error per field: the members of a union each report their own failure
        found: dict[Loc, list[str]] = {}
        for error in exc.errors(include_url=False):
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown field (see `mockgpt schema` for the format)"
            messages = found.setdefault(_data_loc(error["loc"], data), [])
            if message not in messages:
                messages.append(message)
        errors = [
            ScenarioError(path, _line_of(loc, table), _field_path(loc), "; or ".join(messages))
            for loc, messages in found.items()
        ]
        return None, sorted(errors, key=lambda e: e.line or 0)
    return scenario, []


def load_scenario_data(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """A scenario written in Python: a mapping in the shape of a scenario file.

    The schema is the file's (``mockgpt schema``): ``{"stubs": [{"match": ..., "respond":
    ...}], "fallback": ...}``, with the same defaults and checks.

    Args:
        data: the scenario, as ``yaml.safe_load`` would return a file of it.
        source: what errors name in place of a file.

    Raises:
        ScenarioError: its first invalid field, named with no line
            (``<dict>: stubs[0].match.model: Input should be a valid string``).
    """
    scenario, errors = _validated(data if isinstance(data, dict) else dict(data), source, {})
    if errors:
        raise errors[0]
    assert scenario is not None
    return scenario


def load_scenario_file(path: str | Path) -> Scenario:
    """Load one scenario file.

    Raises:
        ScenarioError: the file cannot be read, or its first invalid field (file:line: field).
    """
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(shown, None, "", f"cannot read: {exc.strerror or exc}") from exc
    scenario, errors = scenario_errors(text, shown)
    if errors:
        raise errors[0]
    assert scenario is not None
    return scenario


def validate_files(paths: Sequence[str | Path]) -> list[ScenarioError]:
    """Every error in every file (empty when all are valid)."""
    errors: list[ScenarioError] = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            errors.append(ScenarioError(str(path), None, "", f"cannot read: {exc.strerror or exc}"))
            continue
        errors.extend(scenario_errors(text, str(path))[1])
    return errors
