"""Settings: one loader, .env support, placeholders refused, secrets never logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_and_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("PORT=4001\nSLACK_BOT_TOKEN=changeme\nDATABASE_URL=postgres://u@h/db\n", encoding="utf-8")
    settings = load_settings({"SLACK_SIGNING_SECRET": "  "}, env)
    assert settings.port == 4001
    assert settings.slack_bot_token is None and settings.slack_signing_secret is None
    assert not settings.slack_configured
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert load_settings({"PORT": "5000"}, env).port == 5000


def test_bad_value_is_named() -> None:
    with pytest.raises(ConfigError, match="PORT"):
        load_settings({"PORT": "eighty"}, None)
