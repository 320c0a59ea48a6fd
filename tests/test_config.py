"""Settings: one loader, .env support, placeholders refused, secrets never logged."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from tests.factories import write_course
from tests.process import SERVE, clean_env


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


@pytest.mark.parametrize(
    ("key", "value"),
    [("PORT", "99999"), ("PORT", "0"), ("PORT", "-1")],
)
def test_values_out_of_range_or_unparsable_are_named(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"bad configuration: {key}: "):
        load_settings({key: value}, None)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://nobody:s3cret-pw@127.0.0.1:1/x", "cannot reach the database (DATABASE_URL): "),
        ("nobody:s3cret-pw@db", "bad configuration: DATABASE_URL is not a database URL"),
    ],
)
def test_a_database_url_that_fails_is_one_line_without_its_password(
    tmp_path: Path, url: str, said: str
) -> None:
    env = clean_env({"DATABASE_URL": url, "COURSE_FILE": str(write_course(tmp_path))})
    for command in (["report"], ["db", "upgrade"]):
        done = subprocess.run([str(SERVE), *command], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stderr
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("error: " + said) and "s3cret-pw" not in line
