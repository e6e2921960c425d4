"""``mockgpt serve``: its options; ``mockgpt.cli.run`` binds the socket and runs uvicorn.

The socket is bound before anything is printed, so the banner names the port the server
really listens on (the one the system chose for ``--port 0``), and a port that cannot be
bound (in use, or not allowed) is a usage error: one line on stderr, exit status 2, no banner.
"""

from __future__ import annotations

import logging
import math
import os

import click

from mockgpt.cli.run import check_workers, run
from mockgpt.config import DEFAULT_MODELS, ServerConfig, UpstreamTimeouts
from mockgpt.errors import ConfigError


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


@click.command()
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
    "--seed",
    type=int,
    default=None,
    help="Make every id and timestamp reproducible (the same requests get the same ids).",
)
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
    "--test-header",
    default="X-Mockgpt-Test",
    show_default=True,
    metavar="NAME",
    help="Request header naming a test id: its requests see that id's stubs, sequences "
    "and journal on top of the shared ones.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes (uvicorn's multi-process mode). More than one needs --state, "
    "unless the scenarios count nothing (no sequence, no chaos).",
)
@click.option(
    "--state",
    envvar="MOCKGPT_STATE",
    metavar="URL",
    default=None,
    help="Keep the state every worker and replica shares (stubs added while serving, "
    "sequences, journal, stored objects) in this Redis: redis://HOST:PORT/DB "
    "(env MOCKGPT_STATE). Default: in this process's memory.",
)
@click.option(
    "--webhook-url",
    default=None,
    metavar="URL",
    help="POST an event here when a background response ends (response.completed, ...).",
)
@click.option(
    "--webhook-secret",
    envvar="MOCKGPT_WEBHOOK_SECRET",
    default=None,
    help="Sign webhook events with this whsec_<base64> secret, as client.webhooks.unwrap "
    "checks (env MOCKGPT_WEBHOOK_SECRET).",
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
    seed: int | None,
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
    test_header: str,
    workers: int,
    state: str | None,
    webhook_url: str | None,
    webhook_secret: str | None,
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
            seed=seed,
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
            test_header=test_header,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            log_level=log_level,
            state=state or None,
        )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    # watchfiles logs each batch of changes it sees; --watch logs its own reloads
    logging.getLogger("watchfiles").setLevel(max(logging.WARNING, logging.getLogger().level))
    check_workers(config, workers)
    run(config, workers)
