"""Adding /playground to the app `serve` runs, when the settings allow it."""

from __future__ import annotations

import logging
import os

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
    bypass_proxies_for_loopback()
    playground = Playground(settings, port)
    app.router.routes.extend(playground.routes())
    logger.warning(
        "playground: open http://localhost:%d/playground to try the bot with a pretend Slack and Zoom "
        "(demo data in %s; README 'Try it in your browser')",
        port,
        settings.playground_db,
    )
    return playground


LOOPBACK = ("127.0.0.1", "localhost")


def bypass_proxies_for_loopback() -> None:
    """The playground's requests and its bot's Web API calls go to 127.0.0.1, never through a proxy.

    slack_sdk sends every call through HTTPS_PROXY/HTTP_PROXY when set, and both it (via urllib's
    proxy_bypass) and requests skip the proxy only for hosts in no_proxy/NO_PROXY (lowercase wins),
    so loopback is added to whichever is set. Nothing ever reaches loopback through a proxy.
    """
    names = [name for name in ("no_proxy", "NO_PROXY") if os.environ.get(name)] or ["no_proxy", "NO_PROXY"]
    for name in names:
        hosts = [h.strip() for h in os.environ.get(name, "").split(",") if h.strip()]
        os.environ[name] = ",".join([*hosts, *(h for h in LOOPBACK if h not in hosts)])
