"""Settings: the one place that reads the environment (and `.env`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PLACEHOLDERS = {"changeme", "change-me", "xxx", "todo", "secret", "your-secret-here"}
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_ZOOM_API_URL = "https://api.zoom.us/v2"
DEFAULT_ZOOM_OAUTH_URL = "https://zoom.us/oauth/token"
DEFAULT_ZOOM_WEBSOCKET_URL = "wss://ws.zoom.us/ws"


class ConfigError(Exception):
    """Raised when the environment holds a value the bot cannot run with."""


class Settings(BaseModel):
    """Every setting in README "Configuration", validated once at start-up."""

    model_config = ConfigDict(frozen=True)

    database_url: str = "sqlite:///seminar.db"
    course_file: Path = Path("course.toml")
    port: int = Field(default=3000, ge=1, le=65535)
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    zoom_webhook_secret_token: str | None = None
    zoom_websocket_subscription_id: str | None = None
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: str | None = None
    zoom_api_url: str = DEFAULT_ZOOM_API_URL
    zoom_oauth_url: str = DEFAULT_ZOOM_OAUTH_URL
    zoom_websocket_url: str = DEFAULT_ZOOM_WEBSOCKET_URL
    log_level: str = "INFO"
    playground: bool | None = None
    playground_db: Path = Path("playground.db")

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "zoom_webhook_secret_token",
        "zoom_websocket_subscription_id",
        "zoom_account_id",
        "zoom_client_id",
        "zoom_client_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty or placeholder secret counts as not configured, never as a real key."""
        if isinstance(value, str):
            value = value.strip()
            if not value or value.lower() in PLACEHOLDERS:
                return None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        """slack_sdk joins method names onto the base URL, so it must end with '/'."""
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        """Heroku-style `postgres://` URLs get the psycopg 3 driver we ship."""
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("playground", mode="before")
    @classmethod
    def _auto_is_unset(cls, value: object) -> object:
        """PLAYGROUND empty or `auto` leaves the choice to whether Slack is configured."""
        if isinstance(value, str) and value.strip().lower() in ("", "auto"):
            return None
        return value

    @property
    def slack_configured(self) -> bool:
        """True when Slack can reach the bot (signed HTTP or Socket Mode) and the bot can answer."""
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def slack_socket_mode(self) -> bool:
        """True when Slack is reached over Socket Mode (an app-level token is set): no public URL."""
        return bool(self.slack_bot_token and self.slack_app_token)

    @property
    def zoom_webhook_configured(self) -> bool:
        """True when Zoom webhooks can be verified."""
        return bool(self.zoom_webhook_secret_token)

    @property
    def playground_enabled(self) -> bool:
        """`/playground` is served when asked for, else only while Slack is not configured."""
        return self.playground if self.playground is not None else not self.slack_configured

    @property
    def zoom_api_configured(self) -> bool:
        """True when Server-to-Server OAuth credentials for back-fill are present."""
        return bool(self.zoom_account_id and self.zoom_client_id and self.zoom_client_secret)

    @property
    def zoom_socket_configured(self) -> bool:
        """True when Zoom's events come over its WebSocket (a subscription id and the OAuth app)."""
        return bool(self.zoom_websocket_subscription_id and self.zoom_api_configured)


DATABASE_URL_HOWTO = "set DATABASE_URL to e.g. postgresql+psycopg://user:password@host/db or sqlite:///seminar.db"
SLACK_HOWTO = (
    "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
    "(Slack app settings → OAuth & Permissions and → Basic Information), or SLACK_APP_TOKEN instead of "
    "the signing secret for Socket Mode; see README 'Slack app' and 'Run it from a laptop'."
)
SLACK_SOCKET_ROUTE = (
    "Slack is connected over Socket Mode (SLACK_APP_TOKEN is set), so this URL is not used; "
    "see README 'Run it from a laptop'."
)
ZOOM_SOCKET_HOWTO = (
    "ZOOM_WEBSOCKET_SUBSCRIPTION_ID is set but the Zoom WebSocket needs the Server-to-Server OAuth app too: "
    "set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET; see README 'Run it from a laptop'."
)
ZOOM_WEBHOOK_HOWTO = (
    "Zoom webhooks are not configured: set ZOOM_WEBHOOK_SECRET_TOKEN "
    "(Zoom Marketplace app → Feature → Event subscription → Secret Token); see README 'Zoom app'."
)
ZOOM_API_HOWTO = (
    "Zoom back-fill is not configured: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET "
    "(a Server-to-Server OAuth app with report:read:admin, webinar:read:admin and meeting:read:admin); "
    "see README 'Zoom app'."
)


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Build Settings from `.env` overlaid by the real environment (the environment wins)."""
    source = dict(os.environ if environ is None else environ)
    values: dict[str, str | None] = {}
    if env_file is not None and env_file.is_file():
        values.update(dotenv_values(env_file))
    values.update(source)
    fields = {name.upper(): name for name in Settings.model_fields}
    data = {fields[key]: val for key, val in values.items() if key in fields and val is not None}
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{str(err['loc'][0]).upper()}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"bad configuration: {problems}") from None
