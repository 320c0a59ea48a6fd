"""Logging set-up: one console handler whose formatter keeps configured secrets out of every line."""

from __future__ import annotations

import logging
import re

from bot.config import Settings

SECRET_FIELDS = (
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "zoom_webhook_secret_token",
    "zoom_client_secret",
)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn's loggers get their own handlers unless `serve` passes log_config=None (bot/cli.py);
# routed to the root, their lines (the access log holds query strings) are redacted too.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


# Short-lived credentials travel in WebSocket URLs (Zoom's access_token, Slack's ticket): whoever
# logs such a URL (a library at DEBUG) never shows them.
URL_CREDENTIALS = re.compile(r"((?:access_token|ticket)=)[^&\s\"']+")


class RedactingFormatter(logging.Formatter):
    """Formats with `base`, then replaces each secret, and credentials in URLs, in the whole text."""

    def __init__(self, secrets: list[str], base: logging.Formatter | None = None) -> None:
        super().__init__()
        self.secrets = sorted((s for s in secrets if s and len(s) >= 6), key=len, reverse=True)
        self.base = base or logging.Formatter(FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """The base formatter's text with every secret replaced by ***."""
        text = URL_CREDENTIALS.sub(r"\1***", self.base.format(record))
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def configure_logging(settings: Settings) -> None:
    """Console logging at the configured level; every root handler redacts the secrets."""
    secrets = [getattr(settings, f) or "" for f in SECRET_FIELDS]
    root = logging.getLogger()
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        base = handler.formatter
        if isinstance(base, RedactingFormatter):
            base = base.base
        handler.setFormatter(RedactingFormatter(secrets, base))
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    root.setLevel(settings.log_level.upper())
    if root.level > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration check is noise
