"""The public API is exactly ``mockgpt.__all__`` (as httpx checks its own).

``mockgpt`` loads its public names lazily (a module ``__getattr__``), so they are checked both
as ``dir()`` lists them and as ``vars()`` holds them once each has been used.
"""

from __future__ import annotations

import importlib
import types

import pytest

import mockgpt

PUBLIC = {name for name in mockgpt.__all__ if not name.startswith("__")}


def _public(names: dict[str, object]) -> set[str]:
    return {
        name
        for name, value in names.items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_public_api_dir_lists_all() -> None:
    listed = {name: getattr(mockgpt, name) for name in dir(mockgpt)}

    assert _public(listed) == PUBLIC


def test_public_api_names_equal_all() -> None:
    for name in mockgpt.__all__:
        getattr(mockgpt, name)

    assert _public(vars(mockgpt)) == PUBLIC


def test_public_api_all_names_exist() -> None:
    assert all(hasattr(mockgpt, name) for name in mockgpt.__all__)
    assert len(mockgpt.__all__) == len(set(mockgpt.__all__))


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("MockServer", "mockgpt.server"),
        ("create_app", "mockgpt.app"),
        ("MockGPT", "mockgpt.testing"),
        ("RequestRejected", "mockgpt.errors"),
    ],
    ids=["server", "app", "testing", "errors"],
)
def test_public_api_lazy_name_is_the_module_object(name: str, module: str) -> None:
    assert getattr(mockgpt, name) is getattr(importlib.import_module(module), name)


def test_public_api_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'mockgpt' has no attribute 'nope'"):
        mockgpt.nope  # noqa: B018
