"""Where a test's scenarios come from: files, built-in names, inline stubs, cassettes.

``resolve_scenario_source`` loads a scenario given by path, built-in name, dict or model
(each file parsed once); the helpers check the arguments of ``@pytest.mark.mockgpt``, name a
test's cassette and validate stubs added in Python (``MockGPT.stub``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mockgpt.cassette import default_cassette_path
from mockgpt.errors import ConfigError, ScenarioError
from mockgpt.scenarios import BUILTIN_DIR, Scenario, Stub, load_scenario, load_scenario_data

MARKER_ARGS = ("scenario", "strict", "fallback", "transport", "cassette", "seed", "real_api")
"""Keyword arguments of ``@pytest.mark.mockgpt``."""

INLINE = "inline"
"""Scenario name of stubs added in Python; their ids are ``inline.stubs[<n>]``."""

ScenarioSource = str | os.PathLike[str] | Mapping[str, Any] | Scenario
"""A scenario file path, a built-in scenario name, a dict (a scenario file's content,
written in Python), or a ``Scenario``."""

_scenario_cache: dict[tuple[str, int, int], Scenario] = {}


def resolve_scenario_source(source: ScenarioSource, search_dirs: Sequence[Path] = ()) -> Scenario:
    """Load a scenario given by path, built-in name, dict or model; files are parsed once.

    A relative path is looked up in ``search_dirs`` (the test file's folder, then the
    rootdir, for the plugin), then the current directory; then the built-in scenarios.

    Raises:
        ScenarioError: not found, or invalid (naming file, line and field; a dict's errors
            name ``<dict>`` and the field).
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return load_scenario_data(source)
    path = Path(source)
    candidates = [] if path.is_absolute() else [d / path for d in search_dirs]
    candidates.append(path)
    if path.name and not path.suffix:
        candidates.append(BUILTIN_DIR / f"{path.name}.yaml")
    for candidate in candidates:
        try:
            stat = candidate.stat()
        except OSError:
            continue
        key = (str(candidate.resolve()), stat.st_mtime_ns, stat.st_size)
        scenario = _scenario_cache.get(key)
        if scenario is None:
            scenario = _scenario_cache[key] = load_scenario(candidate)
        return scenario
    return load_scenario(path)  # raises a ScenarioError naming the built-ins


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike, Mapping, Scenario)):
        return [value]
    return list(value)


def _cassette_path(option: Any, test_file: Path | None, test_name: str | None) -> Path | None:
    if option is None or option is False:
        return None
    if option is True:
        if test_file is None or test_name is None:
            raise ConfigError(
                "@pytest.mark.mockgpt(cassette=True) needs the test's file and name "
                "(the mockgpt fixture passes them); give a path instead"
            )
        return default_cassette_path(test_file, test_name)
    if isinstance(option, (str, os.PathLike)):
        path = Path(option)
        if not path.is_absolute() and test_file is not None:
            path = test_file.parent / path
        return path
    raise ConfigError(
        f"@pytest.mark.mockgpt: cassette must be True, False or a path, got {option!r}"
    )


def _checked_options(options: Mapping[str, Any], source: str) -> dict[str, Any]:
    unknown = sorted(set(options) - set(MARKER_ARGS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown argument {', '.join(map(repr, unknown))}; "
            f"it takes {', '.join(MARKER_ARGS)}"
        )
    return dict(options)


def _field_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or "-" in part:
            continue  # pydantic's own labels: union members, validators
        else:
            out = f"{out}.{part}" if out else part
    return out


def _inline_stub(data: Mapping[str, Any], stub_id: str) -> Stub:
    try:
        stub = Stub.model_validate({**data, "id": data.get("id") or stub_id})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (see `mockgpt schema` for the format)"
        raise ScenarioError(f"<{INLINE}>", None, _field_path(error["loc"]), message) from None
    return stub
