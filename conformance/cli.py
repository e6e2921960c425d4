"""``mockgpt conformance``: run the suite against a server through pytest.

The same run as ``pytest --pyargs conformance --base-url URL --model M``; arguments after
``--`` go to pytest (``-n 2`` with pytest-xdist, ``--junitxml=PATH``, ``-k EXPR``, ``-v``).
Exit codes: 0 no MUST rule failed (warnings, unsupported and not-applicable checks
included; with ``--strict`` a warning fails too), 1 a check failed or is blocked by a
failure, 2 a usage error (bad option, server unreachable, a base URL without ``/v1``, no
check selected, the ``conformance`` extra not installed).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import click

from conformance.profiles import PROFILES
from conformance.registry import FEATURES

PYTEST_INI = Path(__file__).resolve().parent / "pytest.ini"
AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"

EXTRA_MODULES = ("pytest", "hypothesis", "openai")
"""What the suite imports from the ``conformance`` extra (httpx is a dependency of mockgpt)."""


class MissingExtra(click.ClickException):
    """The ``conformance`` extra is not installed: one ``Error:`` line, exit status 2."""

    exit_code = 2


def require_extra() -> None:
    """Import the modules of the ``conformance`` extra, as the suite will.

    Raises:
        MissingExtra: one of them cannot be imported; the message names them and the extra.
    """
    missing: list[str] = []
    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingExtra(
            f"the conformance suite needs {' and '.join(missing)}, which the 'conformance' "
            "extra installs: pip install 'mockgpt[conformance]'"
        )


def _plugins() -> list[str]:
    # Only the plugins the suite needs: the environment's other pytest plugins (and their
    # warnings and options) stay out of the run. xdist is loaded when installed, for -n.
    plugins = ["-p", "conformance.plugin"]
    if importlib.util.find_spec("xdist") is not None:
        plugins += ["-p", "xdist.plugin"]
    return plugins


def pytest_arguments(
    *,
    base_url: str,
    model: str,
    api_key: str | None,
    embedding_model: str | None,
    features: tuple[str, ...],
    report: str | None,
    request_timeout: float,
    stream_timeout: float,
    property_examples: int,
    rate_limit_model: str | None,
    stream_error_model: str | None,
    profile: str = "inference",
    strict: bool = False,
    repeat: int = 1,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The pytest command line for these options (without the ``pytest`` itself)."""
    args = ["-c", str(PYTEST_INI), "--rootdir", os.getcwd(), *_plugins()]
    args += ["--pyargs", "conformance", "--base-url", base_url, "--model", model]
    optional = {
        "--api-key": api_key,
        "--embedding-model": embedding_model,
        "--conformance-report": report,
        "--rate-limit-model": rate_limit_model,
        "--stream-error-model": stream_error_model,
    }
    for flag, value in optional.items():
        if value:
            args += [flag, value]
    for feature in features:
        args += ["--features", feature]
    args += ["--request-timeout", str(request_timeout), "--stream-timeout", str(stream_timeout)]
    args += ["--property-examples", str(property_examples), "--profile", profile]
    if strict:
        args.append("--conformance-strict")
    if repeat != 1:
        args += ["--conformance-repeat", str(repeat)]
    return [*args, *extra]


@click.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--base-url", help="API root of the server, e.g. http://127.0.0.1:8000/v1 (required)."
)
@click.option("--model", help="The chat model to test (required with --base-url).")
@click.option(
    "--api-key", envvar="CONFORMANCE_API_KEY", help="API key to send (env CONFORMANCE_API_KEY)."
)
@click.option(
    "--embedding-model", help="An embedding model (without one, embeddings are unsupported)."
)
@click.option(
    "--features",
    multiple=True,
    help=f"Features to check, comma-separated or repeated (default: all): {', '.join(FEATURES)}.",
)
@click.option("--report", type=click.Path(dir_okay=False), help="Write REPORT.json and REPORT.md.")
@click.option(
    "--timeout",
    "request_timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds per request.",
)
@click.option(
    "--stream-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Longest a stream may stay open, seconds.",
)
@click.option(
    "--property-examples",
    type=click.IntRange(min=0),
    default=25,
    show_default=True,
    help="Generated requests per property check.",
)
@click.option(
    "--rate-limit-model", help="A model the server answers with 429 (checks Retry-After)."
)
@click.option("--stream-error-model", help="A model whose streams fail with an error event.")
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    default="inference",
    show_default=True,
    help="The kind of server: which checks apply to it (each exemption says why).",
)
@click.option("--strict", is_flag=True, help="SHOULD warnings fail the run too.")
@click.option(
    "--repeat",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Run each check N times; report the checks whose outcome changes as flaky.",
)
@click.option(
    "--servers",
    type=click.Path(exists=True, dir_okay=False),
    help="A YAML file of servers: run each and print a server-by-check matrix "
    "(instead of --base-url and --model).",
)
@click.option(
    "--merge",
    "merge",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A report or matrix JSON of an earlier run to merge into the matrix (repeatable).",
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def conformance(
    pytest_args: tuple[str, ...],
    servers: str | None,
    merge: tuple[str, ...],
    **options: Any,
) -> None:
    """Check an OpenAI-compatible server against the OpenAI API spec.

    Prints a feature matrix (pass / fail / warn / unsupported / blocked / inconclusive / n/a);
    each failure names the check, the field, what was expected, what came, the spec and a curl
    command. Arguments after -- go to pytest (-n 2, --junitxml=PATH, -k EXPR, -v).

    With --servers FILE (and/or --merge REPORT.json), runs every server of FILE and prints
    one server-by-check matrix; --report writes it as JSON and Markdown.
    """
    if servers:
        require_extra()
    if servers or merge:
        _matrix(servers, merge, options)
    for name in ("base_url", "model"):
        if not options[name]:
            raise click.UsageError(f"Missing option '--{name.replace('_', '-')}'.")
    require_extra()
    import pytest  # the extra's, checked above

    args = pytest_arguments(**options, extra=pytest_args)  # the options above, by name
    # Set for the run (and inherited by xdist workers): no plugin but those in `args`.
    saved = os.environ.get(AUTOLOAD)
    os.environ[AUTOLOAD] = "1"
    try:
        code = int(pytest.main(args))
    finally:
        if saved is None:
            del os.environ[AUTOLOAD]
        else:
            os.environ[AUTOLOAD] = saved
    if code in (int(pytest.ExitCode.USAGE_ERROR), int(pytest.ExitCode.NO_TESTS_COLLECTED)):
        code = 2
    raise SystemExit(code)


def _matrix(servers: str | None, merge: tuple[str, ...], options: dict[str, Any]) -> None:
    """Run the servers of a servers file and/or merge earlier reports; print the matrix."""
    from conformance.matrix import merge_files
    from conformance.servers import MatrixConfigError, load_servers, run_matrix

    try:
        matrix = merge_files(merge)
        if servers:
            entries = load_servers(servers)
            matrix = matrix.merge(
                run_matrix(
                    entries,
                    strict=options["strict"],
                    repeat=options["repeat"],
                    timeout_s=options["request_timeout"],
                    stream_timeout_s=options["stream_timeout"],
                    property_examples=options["property_examples"],
                )
            )
    except (MatrixConfigError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    for line in matrix.terminal_lines():
        click.echo(line)
    if options["report"]:
        for path in matrix.write(options["report"]):
            click.echo(f"matrix written: {path}")
    raise SystemExit(0 if matrix.ok(strict=options["strict"]) else 1)
