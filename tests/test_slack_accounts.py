"""`roster import` links students to Slack by email through users.lookupByEmail (the fake Slack)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import make_engine
from storage.models import Student
from tests.fakes.slack_api import FakeSlack
from tests.signing import SLACK_SECRET

ROSTER = (
    "name,email,slack_user_id,zoom_email\n"
    "Ada,ada@example.edu,U0ADA,\n"
    "Bob,bob@example.edu,,\n"
    "Cy,cy@example.edu,,cy.personal@gmail.com\n"
    "Dan,dan@example.edu,,\n"
)


def slack_ids(db: Path) -> dict[str, str | None]:
    with Session(make_engine(f"sqlite:///{db}")) as session:
        return {s.email: s.slack_user_id for s in session.exec(select(Student)).all()}


@pytest.fixture
def roster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack) -> Path:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SLACK_SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    fake_slack.add_user("U0BOB", "Bob@Example.edu", "Bob")
    fake_slack.add_user("U0CY", "cy.personal@gmail.com", "Cy")
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


def test_import_links_by_email_then_zoom_email(roster: Path, fake_slack: FakeSlack) -> None:
    result = CliRunner().invoke(app, ["roster", "import", str(roster)])
    assert result.exit_code == 0, result.output
    assert "slack: 2 linked, 1 not found in Slack" in result.output
    assert "no Slack account: dan@example.edu" in result.output
    assert slack_ids(roster.parent / "cli.db") == {
        "ada@example.edu": "U0ADA",
        "bob@example.edu": "U0BOB",
        "cy@example.edu": "U0CY",
        "dan@example.edu": None,
    }
    looked_up = [c.body["email"] for c in fake_slack.calls_to("users.lookupByEmail")]
    assert "ada@example.edu" not in looked_up
    again = CliRunner().invoke(app, ["roster", "import", str(roster)])
    assert "slack: 0 linked, 1 not found" in again.output


def test_a_slack_refusal_keeps_the_roster_and_exits_nonzero(roster: Path, fake_slack: FakeSlack) -> None:
    fake_slack.fail("users.lookupByEmail", error="missing_scope")
    result = CliRunner().invoke(app, ["roster", "import", str(roster)])
    assert result.exit_code == 1 and "missing_scope" in result.output
    assert len(slack_ids(roster.parent / "cli.db")) == 4


def test_without_slack_the_import_says_how_students_get_linked(
    roster: Path, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    result = CliRunner().invoke(app, ["roster", "import", str(roster)])
    assert result.exit_code == 0 and "slack: not configured" in result.output
    assert fake_slack.calls == []
