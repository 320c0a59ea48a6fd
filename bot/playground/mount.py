"""Adding /playground to the app `serve` runs, when the settings allow it."""

from __future__ import annotations

import logging

from starlette.applications import Starlette

from bot.config import Settings
from bot.playground.routes import Playground

logger = logging.getLogger(__name__)


def attach(app: Starlette, settings: Settings, port: int) -> Playground | None:
    """Serve the playground on the app's own port; None (and a log line) when it is off.

    Off by default once Slack is configured; its demo world lives in its own SQLite file
    (PLAYGROUND_DB) and talks only to itself.
    """
    if not settings.playground_enabled:
        logger.info("playground off: Slack is configured (PLAYGROUND=true serves it anyway)")
        return None
    playground = Playground(settings, port)
    app.router.routes.extend(playground.routes())
    logger.warning(
        "playground: open http://localhost:%d/playground to try the bot with a pretend Slack and Zoom "
        "(demo data in %s; README 'Try it in your browser')",
        port,
        settings.playground_db,
    )
    return playground
