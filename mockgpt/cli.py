"""The ``mockgpt`` command. Exit codes: 0 ok, 1 failures, 2 usage errors."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os

import click
import uvicorn

from mockgpt.app import create_app
from mockgpt.config import DEFAULT_MODELS, ServerConfig, UpstreamTimeouts
from mockgpt.errors import ConfigError, ScenarioError
from mockgpt.quirks import QUIRKS
from mockgpt.scenarios import Scenario, builtin_names, load_scenario, validate_files


@click.group()
@click.version_option(package_name="mockgpt")
def main() -> None:
    """mockgpt: a mock OpenAI-compatible server."""


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    metavar="NAME_OR_PATH",
    help="Scenario file or built-in name (repeatable; searched in order). "
    "Default: the built-in 'default' scenario.",
)
@click.option("--watch", is_flag=True, help="Reload scenario files when they change.")
@click.option(
    "--upstream",
    default=None,
    metavar="URL",
    help="Proxy what no stub matches to this OpenAI-compatible base URL.",
)
@click.option(
    "--upstream-api-key-env",
    default="OPENAI_API_KEY",
    show_default=True,
    metavar="VAR",
    help="Environment variable holding the upstream's API key.",
)
@click.option(
    "--upstream-timeout",
    default="10,120,60",
    show_default=True,
    metavar="CONNECT,FIRST_BYTE,IDLE",
    help="Seconds the proxy waits for the upstream: to connect (else 502), for its first "
    "event (else 504) and between events (else the stream ends with an error event); "
    "one number sets all three.",
)
@click.option(
    "--record",
    "record",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Write each proxied exchange as a stub to this scenario file.",
)
@click.option(
    "--local-model",
    default=None,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Answer with a local transformers model (needs mockgpt[local]).",
)
@click.option(
    "--record-sequences",
    is_flag=True,
    help="A request recorded again adds to a sequence (default: keep the first).",
)
@click.option(
    "--quirk",
    "quirks",
    multiple=True,
    metavar="NAME",
    help="Depart from the spec in this one way (repeatable; `mockgpt quirks` lists them).",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--api-key",
    envvar="MOCKGPT_API_KEY",
    default=None,
    help="Require 'Authorization: Bearer KEY' (env MOCKGPT_API_KEY).",
)
@click.option(
    "--models",
    multiple=True,
    help="Serve only these models (comma-separated or repeated); others get 404.",
)
@click.option(
    "--ttft-ms",
    default=0.0,
    type=click.FloatRange(min=0),
    show_default=True,
    help="Time to first token of streams, ms.",
)
@click.option(
    "--tokens-per-second",
    default=None,
    type=click.FloatRange(min=0, min_open=True),
    help="Stream pacing after the first token (default: unpaced).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="Allowed browser origin (repeatable); default: any localhost origin.",
)
@click.option(
    "--max-body-bytes",
    default=8 * 1024 * 1024,
    type=click.IntRange(min=1),
    show_default=True,
    help="Larger request bodies get 413.",
)
@click.option(
    "--admin-token",
    envvar="MOCKGPT_ADMIN_TOKEN",
    default=None,
    help="Require 'Authorization: Bearer TOKEN' on /_mockgpt/ (env MOCKGPT_ADMIN_TOKEN; "
    "default: the --api-key, if any).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Serve requests whose Host is NAME too (repeatable; default: loopback names and "
    "--host only).",
)
@click.option(
    "--journal-size",
    default=1000,
    show_default=True,
    type=click.IntRange(min=0),
    help="Exchanges the journal keeps (0: the journal is off).",
)
@click.option(
    "--journal-body-bytes",
    default=1024 * 1024,
    show_default=True,
    type=click.IntRange(min=0),
    help="Bytes of each request and response body the journal keeps.",
)
@click.option(
    "--journal-bytes",
    default=128 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=0),
    help="Body bytes the whole journal keeps (the oldest entries go first).",
)
@click.option(
    "--max-stored",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Stored responses, conversations, assistants and threads kept, each (oldest dropped).",
)
@click.option(
    "--max-answer-bytes",
    default=64 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Requests whose n choices could make a larger answer get 400.",
)
@click.option(
    "--timeout-keep-alive",
    "timeout_keep_alive_s",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Close an idle keep-alive connection after this many seconds.",
)
@click.option(
    "--limit-concurrency",
    default=None,
    type=click.IntRange(min=1),
    help="Answer 503 beyond this many connections and tasks at once (default: no limit).",
)
@click.option(
    "--body-timeout",
    "body_timeout_s",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="A request body must arrive within this many seconds (else 408).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    host: str,
    scenarios: tuple[str, ...],
    watch: bool,
    upstream: str | None,
    upstream_api_key_env: str,
    record: str | None,
    record_sequences: bool,
    local_model: str | None,
    upstream_timeout: str,
    quirks: tuple[str, ...],
    port: int,
    api_key: str | None,
    models: tuple[str, ...],
    ttft_ms: float,
    tokens_per_second: float | None,
    cors_origins: tuple[str, ...],
    max_body_bytes: int,
    admin_token: str | None,
    allowed_hosts: tuple[str, ...],
    journal_size: int,
    journal_body_bytes: int,
    journal_bytes: int,
    max_stored: int,
    max_answer_bytes: int,
    timeout_keep_alive_s: float,
    limit_concurrency: int | None,
    body_timeout_s: float,
    log_level: str,
) -> None:
    """Serve the OpenAI API on HOST:PORT (echo answers by default)."""
    if record and not upstream:
        raise click.UsageError("--record needs --upstream URL (what to record from)")
    chosen = _split(models)
    try:
        config = ServerConfig(
            upstream_timeout=UpstreamTimeouts.parse(upstream_timeout),
            host=host,
            # a proxy serves the upstream's answers; the demo stubs would only get in the way
            scenarios=scenarios or (() if upstream or local_model else ("default",)),
            watch=watch,
            quirks=_split(quirks),
            upstream=upstream,
            upstream_api_key=os.environ.get(upstream_api_key_env) if upstream else None,
            record=record,
            record_sequences=record_sequences,
            local_model=local_model,
            port=port,
            api_key=api_key or None,
            models=chosen or DEFAULT_MODELS,
            strict_models=bool(chosen),
            ttft_ms=ttft_ms,
            tokens_per_second=tokens_per_second or math.inf,
            cors_origins=_split(cors_origins),
            max_body_bytes=max_body_bytes,
            admin_token=admin_token or None,
            allowed_hosts=_split(allowed_hosts),
            journal_size=journal_size,
            journal_body_bytes=journal_body_bytes,
            journal_bytes=journal_bytes,
            max_stored=max_stored,
            max_answer_bytes=max_answer_bytes,
            timeout_keep_alive_s=timeout_keep_alive_s,
            limit_concurrency=limit_concurrency,
            body_timeout_s=body_timeout_s,
            log_level=log_level,
        )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(config)
    except ScenarioError as exc:
        raise click.UsageError(f"invalid scenario: {exc}") from exc
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"mockgpt serving the OpenAI API at http://{shown}:{port}/v1")
    # never print a secret: the key is named by where it came from
    if not api_key:
        key = '"x"'
    elif os.environ.get("MOCKGPT_API_KEY") == api_key:
        key = "os.environ['MOCKGPT_API_KEY']"
    else:
        key = '"<the --api-key you gave>"'
    click.echo(f'  OpenAI(base_url="http://{shown}:{port}/v1", api_key={key})')
    _raise_open_files_limit()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level == "debug",
        timeout_keep_alive=max(1, round(timeout_keep_alive_s)),
        limit_concurrency=limit_concurrency,
    )


def _raise_open_files_limit() -> None:
    """Raise the soft limit of open files to the hard one, where the system allows.

    Each connection holds a descriptor; the common soft limit of 1024 runs out under load.
    """
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


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
