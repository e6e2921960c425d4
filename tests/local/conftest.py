"""The local-model tests need the `local` extra (torch, transformers); .ci/run installs it in
a venv of its own and runs this folder there. Without it, the folder is not collected."""

from __future__ import annotations

import importlib.util

collect_ignore_glob = (
    ["test_*.py"]
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None
    else []
)
