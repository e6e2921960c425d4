"""The public API is exactly ``mockgpt.__all__`` (as httpx checks its own)."""

from __future__ import annotations

import types

import mockgpt


def test_public_api_names_equal_all() -> None:
    public = {
        name
        for name, value in vars(mockgpt).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert public == {name for name in mockgpt.__all__ if not name.startswith("__")}


def test_public_api_all_names_exist() -> None:
    assert all(hasattr(mockgpt, name) for name in mockgpt.__all__)
    assert len(mockgpt.__all__) == len(set(mockgpt.__all__))
