"""Logging set-up, with a filter that keeps configured secrets out of every log line."""

from __future__ import annotations

import logging

from bot.config import Settings

SECRET_FIELDS = (
    "slack_bot_token",
    "slack_signing_secret",
    "zoom_webhook_secret_token",
    "zoom_client_secret",
)


class RedactSecrets(logging.Filter):
    """Replaces any configured secret value in a record's final message with ***."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, scrub it, and keep the record."""
        if not self.secrets:
            return True
        message = record.getMessage()
        scrubbed = message
        for secret in self.secrets:
            scrubbed = scrubbed.replace(secret, "***")
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def configure_logging(settings: Settings) -> None:
    """Console logging at the configured level, secrets redacted."""
    secrets = [getattr(settings, f) or "" for f in SECRET_FIELDS]
    root = logging.getLogger()
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    for handler in root.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets(secrets))
    root.setLevel(settings.log_level.upper())
    if root.level > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration check is noise
