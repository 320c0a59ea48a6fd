"""`seminar-bot doctor` run for real against the fake Slack Web API, the fake Zoom API and a database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import bot.checks.slack
import bot.checks.zoom
from bot.checks import Status
from bot.checks.slack import manifest_scopes, scopes
from bot.cli import app
from bot.config import load_settings
from storage.db import make_engine, upgrade
from tests.factories import COURSE_TOML, write_course
from tests.fakes.slack_api import TEAM_NAME, FakeSlack
from tests.fakes.zoom_api import FakeZoom
from tests.process import ROOT, SERVE, clean_env
from tests.signing import SLACK_SECRET, ZOOM_SECRET

MANIFEST_SCOPES = manifest_scopes(ROOT / "manifest.yml")
SLACK_TOKEN = "xoxb-doctor-test-token-7f3a9c"
ZOOM_CLIENT_SECRET = "zoom-client-secret-b81d2e"


@pytest.fixture
def env(tmp_path: Path, fake_slack: FakeSlack, fake_zoom: FakeZoom) -> dict[str, str]:
    """A deployment where everything is right: every variable, a migrated database, Slack and Zoom set up."""
    upgrade(make_engine(f"sqlite:///{tmp_path / 'bot.db'}"))
    write_course(tmp_path)
    fake_slack.oauth_scopes = ",".join(sorted(MANIFEST_SCOPES | {"im:write"}))
    fake_slack.add_channel("C0TAS", "seminar-tas", is_private=True)
    fake_slack.add_channel("C0QNA", "seminar-questions")
    fake_slack.add_user("U0TA1", "ta1@uni.edu", "TA One")
    fake_slack.add_user("U0TA2", "ta2@uni.edu", "TA Two")
    fake_zoom.client_secret = ZOOM_CLIENT_SECRET
    fake_zoom.add_webinar("81234567890")
    fake_zoom.add_meeting("81234567891")
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "COURSE_FILE": str(tmp_path / "course.toml"),
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "ZOOM_WEBHOOK_SECRET_TOKEN": ZOOM_SECRET,
        "ZOOM_ACCOUNT_ID": fake_zoom.account_id,
        "ZOOM_CLIENT_ID": fake_zoom.client_id,
        "ZOOM_CLIENT_SECRET": ZOOM_CLIENT_SECRET,
        "ZOOM_API_URL": fake_zoom.api_url,
        "ZOOM_OAUTH_URL": fake_zoom.oauth_url,
    }


def doctor(env: dict[str, str]) -> tuple[int, str]:
    """Run `seminar-bot doctor` in this process; its exit code and its stdout."""
    result = CliRunner().invoke(app, ["doctor"], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout


def failure(out: str, name: str) -> str:
    """The FAIL line for a check and its fix line, which must both be there."""
    lines = out.splitlines()
    index = next((i for i, line in enumerate(lines) if line.startswith(f"  [FAIL] {name}")), None)
    assert index is not None, f"no failed {name!r} in:\n{out}"
    assert lines[index + 1].strip().startswith("fix: "), out
    return lines[index] + "\n" + lines[index + 1]


def test_all_pass_as_a_subprocess_exits_0_and_prints_no_secret(env: dict[str, str], tmp_path: Path) -> None:
    """The installed command: every check ok, the workspace and next session named, no secret anywhere."""
    done = subprocess.run(
        [str(SERVE), "doctor"],
        env=clean_env({**env, "PYTHONPATH": str(ROOT)}),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("  [")]
    assert len(lines) == 14 and all(line.startswith("  [ok]") for line in lines), done.stdout
    assert f"workspace {TEAM_NAME!r}" in done.stdout
    assert "the bot is a member of #seminar-tas" in done.stdout
    assert "schedule.discussion.zoom_id 81234567891: a meeting" in done.stdout
    assert "no session left" in done.stdout  # the test course ran in 2021
    assert done.stdout.endswith("all 14 checks passed: seminar-bot is ready\n")
    for secret in (SLACK_TOKEN, SLACK_SECRET, ZOOM_SECRET, ZOOM_CLIENT_SECRET):
        assert secret not in done.stdout + done.stderr


def test_failures_print_no_secret_either(env: dict[str, str], fake_slack: FakeSlack) -> None:
    """A refused token and an unreachable database with a password: still no secret in the output."""
    fake_slack.fail("auth.test", error="invalid_auth")
    password = "db-password-5e1c0a"
    env["DATABASE_URL"] = f"postgresql://seminar:{password}@127.0.0.1:1/seminar"
    env["ZOOM_CLIENT_ID"] = "not-the-client"
    result = CliRunner().invoke(app, ["doctor"], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    for secret in (SLACK_TOKEN, SLACK_SECRET, ZOOM_SECRET, ZOOM_CLIENT_SECRET, password):
        assert secret not in result.stdout + result.stderr
    assert "postgresql+psycopg://seminar:***@127.0.0.1:1/seminar" in result.stdout


def test_missing_variables_are_each_named(env: dict[str, str]) -> None:
    del env["SLACK_SIGNING_SECRET"], env["ZOOM_CLIENT_ID"], env["ZOOM_CLIENT_SECRET"]
    code, out = doctor(env)
    assert code == 1
    assert "missing SLACK_SIGNING_SECRET\n" in failure(out, "Slack credentials") + "\n"
    assert "missing ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET" in failure(out, "Zoom OAuth credentials")
    assert "  [skip] OAuth token: needs ZOOM_ACCOUNT_ID" in out


def test_a_bad_value_is_named(env: dict[str, str]) -> None:
    env["PORT"] = "eighty"
    code, out = doctor(env)
    assert code == 1 and "PORT" in failure(out, "settings")


def test_bad_course_file_names_the_key_and_skips_what_needs_it(env: dict[str, str], tmp_path: Path) -> None:
    write_course(tmp_path, COURSE_TOML.replace('start = "13:30"', 'start = "25:61"'))
    code, out = doctor(env)
    assert code == 1
    assert "schedule.webinar.start" in failure(out, str(tmp_path / "course.toml"))
    assert "[skip] channels and TAs: needs a valid course file" in out
    assert "[skip] zoom ids: needs a valid course file" in out


def test_next_session_is_named(env: dict[str, str], tmp_path: Path) -> None:
    later = COURSE_TOML.replace("2021-09-23", "2099-09-24").replace("2021-12-02", "2099-12-03")
    write_course(tmp_path, later.replace("skip = [2021-11-25]", "skip = []"))
    code, out = doctor(env)
    assert code == 0, out
    assert "next session: week 1, Thu 2099-09-24 13:30 PDT" in out


def test_unmigrated_database(env: dict[str, str], tmp_path: Path) -> None:
    make_engine(f"sqlite:///{tmp_path / 'empty.db'}").connect().close()
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.db'}"
    code, out = doctor(env)
    assert code == 1
    assert "seminar-bot db upgrade" in failure(out, "migrated")


def test_missing_sqlite_file_is_not_created(env: dict[str, str], tmp_path: Path) -> None:
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'nowhere.db'}"
    code, out = doctor(env)
    assert code == 1 and "no such file" in failure(out, "reachable")
    assert not (tmp_path / "nowhere.db").exists()


def test_unreachable_database(env: dict[str, str]) -> None:
    env["DATABASE_URL"] = "postgresql+psycopg://seminar@127.0.0.1:1/seminar"
    code, out = doctor(env)
    assert code == 1 and "check DATABASE_URL" in failure(out, "reachable")


def test_a_database_url_that_is_no_url(env: dict[str, str]) -> None:
    env["DATABASE_URL"] = "seminar:hunter2-password@db"
    code, out = doctor(env)
    assert code == 1 and "not a database URL" in failure(out, "reachable")
    assert "hunter2-password" not in out


def test_refused_slack_token(env: dict[str, str], fake_slack: FakeSlack) -> None:
    fake_slack.fail("auth.test", error="invalid_auth")
    code, out = doctor(env)
    assert code == 1
    assert "invalid_auth" in failure(out, "auth.test") and "Bot User OAuth Token" in out


def test_missing_scopes_are_named(env: dict[str, str], fake_slack: FakeSlack) -> None:
    fake_slack.oauth_scopes = "chat:write,commands,users:read"
    code, out = doctor(env)
    assert code == 1
    line = failure(out, "scopes")
    missing = "channels:history, channels:read, chat:write.public, files:write, groups:history, groups:read"
    assert f"missing {missing}, users:read.email" in line
    assert "Reinstall to Workspace" in line


def test_bot_not_in_the_ta_channel(env: dict[str, str], fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("C0TAS", "seminar-tas", is_member=False)
    code, out = doctor(env)
    assert code == 1
    line = failure(out, "ta_channel C0TAS")
    assert "not a member of #seminar-tas" in line and "/invite @seminar-bot" in line


def test_private_questions_channel_the_bot_is_not_in(env: dict[str, str], fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("C0QNA", "questions", is_member=False, is_private=True)
    code, out = doctor(env)
    assert code == 1
    assert "channel_not_found" in failure(out, "questions_channel C0QNA")


def test_unknown_and_deactivated_tas(env: dict[str, str], fake_slack: FakeSlack) -> None:
    del fake_slack.users["U0TA2"]
    fake_slack.users["U0TA1"]["deleted"] = True
    code, out = doctor(env)
    assert code == 1
    line = failure(out, "TAs")
    assert "U0TA1: deactivated" in line and "U0TA2: users_not_found" in line and "member ID" in line


def test_zoom_refuses_the_credentials(env: dict[str, str]) -> None:
    env["ZOOM_CLIENT_ID"] = "someone-else"
    code, out = doctor(env)
    assert code == 1
    line = failure(out, "OAuth token")
    assert "Zoom refused the credentials (400: Invalid client_id or client_secret)" in line


def test_zoom_id_unknown_to_zoom(env: dict[str, str], fake_zoom: FakeZoom) -> None:
    fake_zoom.routes.pop("/v2/meetings/81234567891")
    code, out = doctor(env)
    assert code == 1
    line = failure(out, "schedule.discussion.zoom_id 81234567891")
    assert "Zoom knows no such webinar or meeting" in line and "webinar:read:admin" in line
    assert "schedule.webinar.zoom_id 81234567890: a webinar" in out


def test_zoom_events_need_a_webhook_secret_or_a_socket(env: dict[str, str]) -> None:
    del env["ZOOM_WEBHOOK_SECRET_TOKEN"]
    code, out = doctor(env)
    assert code == 1 and "ZOOM_WEBSOCKET_SUBSCRIPTION_ID" in failure(out, "events")
    env["ZOOM_WEBSOCKET_SUBSCRIPTION_ID"] = "sub-123456"
    code, out = doctor(env)
    assert code == 0 and "ZOOM_WEBSOCKET_SUBSCRIPTION_ID set" in out and "sub-123456" not in out


def test_a_slack_that_never_answers_times_out(
    env: dict[str, str], fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.checks.slack, "TIMEOUT_SECONDS", 0.3)
    fake_slack.delays["auth.test"] = 3
    code, out = doctor(env)
    assert code == 1 and "Slack did not answer" in failure(out, "auth.test")


def test_a_zoom_that_never_answers_times_out(
    env: dict[str, str], fake_zoom: FakeZoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.checks.zoom, "TIMEOUT_SECONDS", 0.3)
    fake_zoom.delays["/oauth/token"] = 3
    code, out = doctor(env)
    assert code == 1 and "Zoom did not answer" in failure(out, "OAuth token")


def test_the_settings_doctor_reads_are_the_bots(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """doctor checks what `serve` would run with: the same loader, the same variables."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert load_settings().zoom_client_secret == ZOOM_CLIENT_SECRET


@settings(deadline=None)  # a loaded CI machine, not the code, decides how long one example takes
@given(granted=st.sets(st.sampled_from(sorted(MANIFEST_SCOPES | {"im:write", "reactions:read"}))))
def test_scopes_fail_exactly_when_a_manifest_scope_is_missing(granted: set[str]) -> None:
    check = scopes(", ".join(sorted(granted)))
    missing = sorted(MANIFEST_SCOPES - granted)
    assert (check.status is Status.ok) == (not missing)
    if missing:
        assert check.detail == "missing " + ", ".join(missing)


def test_a_password_in_the_database_urls_query_is_never_printed(env: dict[str, str]) -> None:
    """libpq takes the password as a query parameter too; the URL doctor shows hides it there as well."""
    env["DATABASE_URL"] = "postgresql+psycopg://seminar@127.0.0.1:1/seminar?sslmode=require&password=pw"
    code, out = doctor(env)
    line = failure(out, "reachable")
    assert code == 1 and "password=***" in line and "sslmode=require" in line
    assert "pw" not in line.replace("password", "")


def test_a_database_driver_that_is_not_installed_is_a_failure_with_its_fix(env: dict[str, str]) -> None:
    env["DATABASE_URL"] = "mysql://seminar:db-password-93b1@127.0.0.1:1/seminar"
    result = CliRunner().invoke(app, ["doctor"], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    line = failure(result.stdout, "reachable")
    assert "mysql://seminar:***@127.0.0.1:1/seminar" in line and "postgresql+psycopg://" in line
    assert "db-password-93b1" not in result.stdout + result.stderr


def test_a_zoom_token_failure_says_how_to_fix_it_not_that_zoom_is_unconfigured(env: dict[str, str]) -> None:
    env["ZOOM_CLIENT_ID"] = "someone-else"
    code, out = doctor(env)
    line = failure(out, "OAuth token")
    assert code == 1 and "not configured" not in line
    assert "App Credentials" in line and "ZOOM_CLIENT_SECRET" in line


def test_socket_mode_checks_the_app_token_for_real(env: dict[str, str], fake_slack: FakeSlack) -> None:
    """With SLACK_APP_TOKEN doctor asks apps.connections.open, as `serve` will: a bot token pasted
    there by mistake, or a revoked one, fails here rather than as a bot that never connects."""
    del env["SLACK_SIGNING_SECRET"]
    env["SLACK_APP_TOKEN"] = "xapp-1-A0DOCTOR-secret-4d2f"
    code, out = doctor(env)
    assert code == 0, out
    assert "  [ok] Socket Mode: SLACK_APP_TOKEN opens a connection (apps.connections.open)" in out
    assert len(fake_slack.calls_to("apps.connections.open")) == 1
    env["SLACK_APP_TOKEN"] = "xoxb-pasted-by-mistake-7e21"
    code, out = doctor(env)
    line = failure(out, "Socket Mode")
    assert code == 1 and "not_allowed_token_type" in line and "connections:write" in line
    assert "xoxb-pasted-by-mistake-7e21" not in out and "xapp-1-A0DOCTOR-secret-4d2f" not in out
