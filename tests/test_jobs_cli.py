"""`seminar-bot jobs run-due [--now]`: the instant it reads, its summary and its errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.jobs_command import BadInstant, parse_instant
from bot.runtime import Runtime
from tests.fakes.slack_api import FakeSlack
from tests.scheduling import enrol, outbox_rows, posts

PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def cli_env(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """The environment `seminar-bot` reads, pointing at the test database and the fake Slack."""
    s = runtime.settings
    monkeypatch.setenv("DATABASE_URL", s.database_url)
    monkeypatch.setenv("COURSE_FILE", str(s.course_file))
    monkeypatch.setenv("SLACK_BOT_TOKEN", str(s.slack_bot_token))
    monkeypatch.setenv("SLACK_SIGNING_SECRET", str(s.slack_signing_secret))
    monkeypatch.setenv("SLACK_API_URL", s.slack_api_url)
    return runtime


def test_run_due_prints_what_it_did_and_does_nothing_twice(cli_env: Runtime, fake_slack: FakeSlack) -> None:
    enrol(cli_env.engine, ("Ada", "U0ADA"))
    runner = CliRunner()
    first = runner.invoke(app, ["jobs", "run-due", "--now", "2021-09-23T15:00"])
    assert first.exit_code == 0, first.output
    assert "run at 2021-09-23T22:00:00+00:00: 1 due, sent 1 reflection_prompt" in first.stdout
    again = runner.invoke(app, ["jobs", "run-due", "--now", "2021-09-23T15:00:30-07:00"])
    assert again.exit_code == 0 and "0 due, sent nothing" in again.stdout
    assert len(posts(fake_slack)) == 1


def test_failures_are_reported_with_a_nonzero_status(cli_env: Runtime, fake_slack: FakeSlack) -> None:
    enrol(cli_env.engine, ("Ada", "U0ADA"))
    fake_slack.fail("chat.postMessage", error="user_not_found")
    out = CliRunner().invoke(app, ["jobs", "run-due", "--now", "2021-09-23T22:00:00Z"])
    assert out.exit_code == 1
    assert "failed reflection_prompt:w1:s1 (Ada): user_not_found (" in out.stdout
    assert "some messages were not sent" in out.stderr


@pytest.mark.parametrize("bad", ["yesterday", "2021-13-01T10:00", "2021-09-23T25:00", ""])
def test_a_bad_instant_is_refused_and_changes_nothing(
    cli_env: Runtime, fake_slack: FakeSlack, bad: str
) -> None:
    enrol(cli_env.engine, ("Ada", "U0ADA"))
    out = CliRunner().invoke(app, ["jobs", "run-due", "--now", bad])
    assert out.exit_code == 1
    assert "is not an ISO-8601 date and time" in out.stderr
    assert posts(fake_slack) == [] and outbox_rows(cli_env.engine) == {}


def test_without_slack_run_due_says_how_to_configure_it(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("COURSE_FILE", str(runtime.settings.course_file))
    out = CliRunner().invoke(app, ["jobs", "run-due"])
    assert out.exit_code == 1 and "SLACK_BOT_TOKEN" in out.stderr


def test_naive_instants_are_course_time_and_offsets_are_kept() -> None:
    assert parse_instant("2021-11-04T15:00", PACIFIC) == datetime(2021, 11, 4, 22, tzinfo=UTC)
    assert parse_instant("2021-11-11T15:00", PACIFIC) == datetime(2021, 11, 11, 23, tzinfo=UTC)
    assert parse_instant(" 2021-11-11T15:00+01:00 ", PACIFIC) == datetime(2021, 11, 11, 14, tzinfo=UTC)
    assert parse_instant("2021-11-11", PACIFIC) == datetime(2021, 11, 11, 8, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_any_text_is_an_instant_in_utc_or_a_clear_refusal(text: str) -> None:
    try:
        instant = parse_instant(text, PACIFIC)
    except BadInstant as exc:
        assert "ISO-8601" in str(exc)
    else:
        assert instant.tzinfo is UTC


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)),
    offset=st.integers(-14 * 60, 14 * 60),
)
def test_every_iso_instant_reads_back_exactly(moment: datetime, offset: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset)))
    assert parse_instant(aware.isoformat(), PACIFIC) == aware


def test_run_due_posts_an_ended_weeks_tally_summary_once(cli_env: Runtime, fake_slack: FakeSlack) -> None:
    """Once /ask has closed, the week's tally becomes its final summary in the TA channel, once."""
    enrol(cli_env.engine, ("Ada", "U0ADA"))
    runner = CliRunner()
    before = runner.invoke(app, ["jobs", "run-due", "--now", "2021-09-23T15:10"])
    assert before.exit_code == 0, before.output
    assert fake_slack.calls_to("chat.postMessage", channel="C0TAS") == []
    after = runner.invoke(app, ["jobs", "run-due", "--now", "2021-09-23T15:20"])
    assert after.exit_code == 0, after.output
    assert "1 tally_summary" in after.stdout
    summary = fake_slack.calls_to("chat.postMessage", channel="C0TAS")
    assert len(summary) == 1 and "Week 1" in json.dumps(summary[0].body)
    again = runner.invoke(app, ["jobs", "run-due", "--now", "2021-09-23T15:25"])
    assert again.exit_code == 0 and "tally_summary" not in again.stdout
    assert len(fake_slack.calls_to("chat.postMessage", channel="C0TAS")) == 1
