"""The ``mockgpt`` command.

Exit codes: 0 ok, 1 failures, 2 usage errors (a bad flag, an invalid scenario, a port that
cannot be bound, a missing extra), 3 a server that could not start once bound (its log says
why). ``mockgpt serve`` lives in ``mockgpt.cli.serve``.
"""

from __future__ import annotations

import json

import click

from mockgpt.cli.serve import serve
from mockgpt.errors import ScenarioError
from mockgpt.quirks import QUIRKS
from mockgpt.scenarios import Scenario, builtin_names, load_scenario, validate_files


@click.group()
@click.version_option(package_name="mockgpt")
def main() -> None:
    """mockgpt: a mock OpenAI-compatible server."""


main.add_command(serve)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print each error as file:line: field: reason (exit 1 on any)."""
    errors = validate_files(files)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        raise SystemExit(1)
    click.echo(f"{len(files)} scenario file(s) valid")


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors: see README)."""
    document = Scenario.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    click.echo(json.dumps(document, indent=2))


@main.command(name="scenarios")
def list_scenarios() -> None:
    """List the built-in scenarios by name."""
    for name in builtin_names():
        try:
            description = load_scenario(name).description or ""
        except ScenarioError as exc:
            description = f"(invalid: {exc})"
        click.echo(f"{name:32} {description}".rstrip())


@main.command(name="quirks")
def list_quirks() -> None:
    """List the quirks (deliberate departures from the spec) by name."""
    for name, description in sorted(QUIRKS.items()):
        click.echo(f"{name:36} {description}")


@main.command()
@click.option(
    "--upstream",
    required=True,
    metavar="URL",
    help="The OpenAI-compatible base URL to record from.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The scenario file to write (extended if it exists).",
)
@click.option(
    "--upstream-api-key-env",
    default="OPENAI_API_KEY",
    show_default=True,
    metavar="VAR",
    help="Environment variable holding the upstream's API key.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--sequences",
    is_flag=True,
    help="A request recorded again adds to a sequence (default: keep the first).",
)
@click.pass_context
def record(
    ctx: click.Context,
    upstream: str,
    out: str,
    upstream_api_key_env: str,
    host: str,
    port: int,
    sequences: bool,
) -> None:
    """Proxy to UPSTREAM and write every exchange to OUT as a replayable scenario.

    Replay it later with `mockgpt serve --scenario OUT` (no upstream needed).
    """
    ctx.invoke(
        serve,
        host=host,
        port=port,
        scenarios=(),
        upstream=upstream,
        upstream_api_key_env=upstream_api_key_env,
        record=out,
        record_sequences=sequences,
    )


# The conformance suite's command (`mockgpt conformance`); importing it loads no HTTP client
# and no pytest plugin (the conformance package imports those on first use).
from conformance.cli import conformance as _conformance  # noqa: E402

main.add_command(_conformance)
