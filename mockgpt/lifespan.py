"""The ASGI lifespan of a mockgpt server: ``--watch`` reloads, and closing the backends."""

from __future__ import annotations

import logging

import anyio
from starlette.types import Receive, Send

from mockgpt.engine import Engine
from mockgpt.errors import ScenarioError
from mockgpt.scenarios import load_scenario, resolve_scenario
from mockgpt.scenarios.watch import scenario_changes

logger = logging.getLogger(__name__)


async def lifespan(engine: Engine, receive: Receive, send: Send) -> None:
    """Serve the ASGI lifespan: start and stop what a server runs beside its requests.

    With ``--watch``, the scenario files are reloaded when they change (an invalid new
    version is logged and the last good one keeps serving); other files in their folders are
    not watched. The engine's tasks (job timers, webhook deliveries) run on the server's loop.
    At shutdown they are cancelled and the backends are closed.
    """
    config = engine.config
    paths = [resolve_scenario(s) for s in config.scenarios] if config.watch else []

    async def reload_on_change() -> None:
        async for changed in scenario_changes(paths):
            try:
                scenarios = [load_scenario(p) for p in paths]
            except ScenarioError as exc:
                logger.error("scenario not reloaded, keeping the last good version: %s", exc)
                continue
            engine.registry.replace_base(scenarios)
            logger.info(
                "scenarios reloaded (%s changed): %s",
                ", ".join(sorted(p.name for p in changed)),
                ", ".join(str(p) for p in paths),
            )

    await receive()  # lifespan.startup
    engine.tasks.attach()  # job timers and webhook deliveries run on this loop
    async with anyio.create_task_group() as group:
        if paths:
            group.start_soon(reload_on_change)
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        group.cancel_scope.cancel()
    with anyio.CancelScope(shield=True):
        await engine.aclose()
    await send({"type": "lifespan.shutdown.complete"})
