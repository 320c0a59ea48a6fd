"""Faults on the way to Slack: 429 with Retry-After, 5xx, unreachable users, a bad token, a crash."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.runtime import Runtime
from handlers.schedule.due import PROMPT, due_messages, message_key
from rules.course import Course
from storage.db import session_scope
from storage.models import Excuse, utcnow
from tests.factories import local
from tests.fakes.slack_api import FakeSlack
from tests.scheduling import class_of, dms, enrol, outbox_rows, posts, run
from tests.transactions import outbox

WEEK1_END = local(2021, 9, 23, 15, 0)


def excuse_all(session: Session, ids: list[int | None], week: int = 1) -> None:
    """Excuse everyone for a week, so only prompts are due."""
    for sid in ids:
        assert sid is not None
        session.add(Excuse(student_id=sid, week=week, reason="-", created_by="U0TA1"))


@pytest.fixture
def db(runtime: Runtime) -> Engine:
    """The runtime's SQLite engine."""
    return runtime.engine


def test_429_waits_retry_after_and_loses_nothing(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    students = class_of(db, 5)
    with session_scope(db) as session:
        excuse_all(session, [s.id for s in students])
    fake_slack.fail("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    summary = run(db, course, settings, WEEK1_END)
    assert time.monotonic() - started >= 1.0
    assert dms(summary) == {PROMPT: 5} and summary.ok
    calls = posts(fake_slack)
    assert len(calls) == 6  # the refused one, then each student once
    assert calls[0].body["channel"] == calls[1].body["channel"]
    assert calls[1].at - calls[0].at >= 1.0
    rows = outbox_rows(db)
    assert {r.status for r in rows.values()} == {"sent"}


def test_per_channel_pacing_keeps_two_dms_to_one_student_a_second_apart(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    """Prompt and absence notice in one run: the fake enforces 1 msg/s per channel; no 429 happens."""
    enrol(db, ("Ada", "U0ADA"), ("Bob", "U0BOB"))
    fake_slack.per_channel_per_second = 1
    summary = run(db, course, settings, WEEK1_END + timedelta(minutes=30))
    assert summary.ok and sum(dms(summary).values()) == 4
    ada = posts(fake_slack, "U0ADA")
    assert len(ada) == 2 and ada[1].at - ada[0].at >= 1.0
    assert len(posts(fake_slack)) == 4  # nothing was refused


def test_5xx_is_retried_on_a_later_run(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    students = class_of(db, 3)
    with session_scope(db) as session:
        excuse_all(session, [s.id for s in students])
    fake_slack.fail("chat.postMessage", status=502)
    wall = utcnow()
    first = run(db, course, settings, WEEK1_END, wall=wall)
    assert dms(first) == {PROMPT: 2} and len(first.retrying) == 1 and not first.ok
    key = first.retrying[0][0].split(" ")[0]
    row = outbox_rows(db)[key]
    assert row.status == "claimed" and row.attempts == 1 and "502" in (row.error or "")
    assert run(db, course, settings, WEEK1_END, wall=wall + timedelta(seconds=30)).sent == {}
    later = run(db, course, settings, WEEK1_END + timedelta(minutes=2), wall=wall + timedelta(minutes=2))
    assert dms(later) == {PROMPT: 1} and later.ok
    row = outbox_rows(db)[key]
    assert row.status == "sent" and row.attempts == 2 and row.error is None
    assert sorted(c.body["channel"] for c in posts(fake_slack)).count(row.channel) == 2  # 502, then sent
    assert len({c.body["channel"] for c in posts(fake_slack)}) == 3


def test_a_user_who_cannot_be_reached_is_marked_failed_and_never_retried(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    students = class_of(db, 2)
    with session_scope(db) as session:
        excuse_all(session, [s.id for s in students])
    fake_slack.fail("chat.postMessage", error="user_not_found")
    wall = utcnow()
    first = run(db, course, settings, WEEK1_END, wall=wall)
    assert dms(first) == {PROMPT: 1} and first.failed[0][1].startswith("user_not_found (the student")
    much_later = wall + timedelta(days=2)
    assert dms(run(db, course, settings, WEEK1_END + timedelta(days=1), wall=much_later)) == {}
    assert len([c for c in posts(fake_slack) if c.body["channel"] != "C0TAS"]) == 2
    statuses = sorted(r.status for r in outbox_rows(db).values() if r.kind == PROMPT)
    assert statuses == ["failed", "sent"]


@pytest.mark.parametrize(
    ("error", "hint"),
    [("invalid_auth", "SLACK_BOT_TOKEN"), ("messages_tab_disabled", "enable the Messages tab")],
)
def test_an_app_level_refusal_stops_the_run_and_loses_nothing(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack, error: str, hint: str
) -> None:
    students = class_of(db, 3)
    with session_scope(db) as session:
        excuse_all(session, [s.id for s in students])
    fake_slack.fail("chat.postMessage", error=error)
    wall = utcnow()
    first = run(db, course, settings, WEEK1_END, wall=wall)
    assert first.stopped and hint in first.stopped and first.sent == {} and not first.failed
    assert len(posts(fake_slack)) == 1
    again = run(db, course, settings, WEEK1_END, wall=wall + timedelta(minutes=5))
    assert dms(again) == {PROMPT: 3}


def test_a_crash_between_claim_and_send_is_sent_once_after_the_lease(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    """A runner claimed Ada's prompt and died before sending: it goes out once its lease expires."""
    people = enrol(db, ("Ada", "U0ADA"), ("Bob", "U0BOB"))
    with session_scope(db) as session:
        excuse_all(session, [s.id for s in people.values()])
        pending = due_messages(session=session, course=course, now=WEEK1_END)
    ada_key = message_key(PROMPT, 1, people["Ada"].id)
    [ada] = [o for o in pending if o.envelope.key == ada_key]
    crashed_at = utcnow()
    assert outbox.claim(db, ada.envelope, owner="dead-runner", at=crashed_at)

    first = run(db, course, settings, WEEK1_END, wall=crashed_at + timedelta(minutes=1))
    assert dms(first) == {PROMPT: 1} and first.busy == 1
    assert posts(fake_slack, "U0ADA") == []
    after = crashed_at + outbox.LEASE + timedelta(seconds=1)
    second = run(db, course, settings, WEEK1_END + timedelta(minutes=20), wall=after)
    assert dms(second).get(PROMPT) == 1
    assert len(posts(fake_slack, "U0ADA")) == 1 and len(posts(fake_slack, "U0BOB")) == 1
    row = outbox_rows(db)[ada_key]
    assert row.status == "sent" and row.attempts == 2 and row.claimed_by != "dead-runner"
