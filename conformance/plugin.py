"""The pytest plugin: ``pytest --pyargs conformance --base-url URL --model M``.

Registered as the ``pytest11`` entry point ``mockgpt_conformance`` (and loaded with
``-p conformance.plugin`` by ``mockgpt conformance``). Every pytest run of a project that has
mockgpt installed imports this module, so it stays cheap: it adds the options and imports
only ``conformance.registry`` and ``conformance.profiles`` (for their names). It collects
nothing unless ``--base-url`` is given *and* the run targets the conformance package, so
another project's test run is unaffected. Then, in ``pytest_configure``, it imports
``conformance.run`` (the HTTP clients, the checks, the collectors and items) and registers
it. Each check is one test item: a failure fails it; a check blocked by another's failure
fails too, naming the owner, with its own evidence; a SHOULD warning passes with a
``warning`` property (and fails with ``--conformance-strict``); unsupported, not-applicable
and inconclusive checks are skips that say why. Results travel as the items'
``user_properties`` (so they reach the controller under pytest-xdist and the ``--junitxml``
file), and the terminal summary, ``--conformance-report`` JSON and Markdown are written from
them (by the run's ``SuiteSession``, ``conformance.session``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from conformance.profiles import PROFILES
from conformance.registry import FEATURES

PACKAGE_DIR = Path(__file__).resolve().parent

RUN_PLUGIN = "mockgpt-conformance-run"
"""The name ``conformance.run`` is registered under when the suite is set up."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the suite's options (inert when ``--base-url`` is absent)."""
    group = parser.getgroup("conformance", "OpenAI API conformance suite (mockgpt)")
    options: list[tuple[str, dict[str, Any]]] = [
        ("--model", {"help": "the chat model to test (required with --base-url)"}),
        ("--api-key", {"help": "API key to send (default: none)"}),
        ("--embedding-model", {"help": "an embedding model (default: embeddings unsupported)"}),
        (
            "--features",
            {
                "action": "append",
                "default": [],
                "help": "features to check, comma-separated or repeated; of: "
                + ", ".join(FEATURES),
            },
        ),
        ("--conformance-report", {"metavar": "PATH", "help": "write PATH.json and PATH.md"}),
        ("--request-timeout", {"type": float, "default": 30.0, "help": "seconds per request"}),
        ("--stream-timeout", {"type": float, "default": 60.0, "help": "longest stream, seconds"}),
        (
            "--property-examples",
            {"type": int, "default": 25, "help": "generated requests per property (budget)"},
        ),
        ("--rate-limit-model", {"help": "a model the server answers with 429"}),
        ("--stream-error-model", {"help": "a model whose streams end with an error event"}),
        (
            "--profile",
            {
                "default": "inference",
                "choices": list(PROFILES),
                "help": "the kind of server: which checks apply (default: inference)",
            },
        ),
        (
            "--conformance-strict",
            {"action": "store_true", "help": "SHOULD warnings fail the run too"},
        ),
        (
            "--conformance-repeat",
            {"type": int, "default": 1, "metavar": "N", "help": "run each check N times"},
        ),
    ]
    if importlib.util.find_spec("pytest_base_url") is None:
        # pytest-base-url owns --base-url when it is installed; both use the dest base_url.
        options.insert(
            0, ("--base-url", {"help": "API root of the server, e.g. http://127.0.0.1:8000/v1"})
        )
    for name, kwargs in options:
        try:
            group.addoption(name, **kwargs)
        except ValueError:
            continue  # another plugin registered the same option; share its value


def _targets_suite(config: pytest.Config) -> bool:
    for arg in config.args:
        name = str(arg).split("::")[0]
        if config.option.pyargs and name.split(".")[0] == "conformance":
            return True
        path = Path(config.invocation_params.dir, name).resolve()
        if path == PACKAGE_DIR or PACKAGE_DIR in path.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Set up the run when ``--base-url`` is given and the conformance package is targeted.

    Raises:
        pytest.UsageError: a bad suite option (see ``conformance.run.set_up``).
    """
    if not config.getoption("base_url", None) or not _targets_suite(config):
        return
    # Imported here for start-up cost, not to dodge an import cycle (there is none): every
    # pytest run imports this entry point, and conformance.run brings httpx (with ssl, click,
    # email) and, in set_up, the checks (pydantic, hypothesis): only a run of the suite needs
    # them.
    from conformance import run

    run.set_up(config)
    config.pluginmanager.register(run, RUN_PLUGIN)
