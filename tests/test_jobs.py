"""run_due at chosen instants against the fake Slack: the right message, to the right people, once."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.runtime import Runtime
from handlers.schedule.due import (
    BRIEF,
    DIGEST,
    LINK,
    NOTICE,
    NOTICE_NO_LINK,
    PROMPT,
    REFLECTIONS,
    REMINDER,
    message_key,
    reminder_time,
)
from rules.course import Course
from rules.course_file import parse_course
from storage.db import session_scope
from storage.models import Excuse, RecordingLink, RecordingWatched, Reflection
from tests.factories import COURSE_TOML, local
from tests.fakes.slack_api import FakeSlack
from tests.scheduling import buttons, dms, enrol, outbox_rows, posts, run, week_of

WEEK1_END = local(2021, 9, 23, 15, 0)
WEEK1_DUE = local(2021, 9, 30, 13, 30)


@pytest.fixture
def db(runtime: Runtime) -> Engine:
    """The runtime's SQLite engine (tests that need both databases use `engine`)."""
    return runtime.engine


def test_prompts_go_when_the_discussion_ends_to_active_students_who_have_not_reflected(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    people = enrol(db, ("Ada", "U0ADA"), ("Bob", "U0BOB"), ("Di", None))
    enrol(db, ("Cy", "U0CY"), status="dropped")
    with session_scope(db) as session:
        session.add(Reflection(student_id=people["Bob"].id, week=1, text="a. b.", sentences=2))

    assert run(db, course, settings, WEEK1_END - timedelta(minutes=1)).due == 0
    summary = run(db, course, settings, WEEK1_END)
    assert dms(summary) == {PROMPT: 1} and summary.ok
    [call] = posts(fake_slack)
    assert call.body["channel"] == "U0ADA"
    assert buttons(call) == [("reflect_open", "1")]
    assert "Week 1 (Dr. Ada Example: Serving at scale)" in call.body["text"]
    row = outbox_rows(db)[message_key(PROMPT, 1, people["Ada"].id)]
    assert row.status == "sent" and row.slack_channel == "D0ADA" and row.slack_ts

    again = run(db, course, settings, WEEK1_END + timedelta(minutes=5))
    assert again.due == 0 and len(posts(fake_slack)) == 1


def test_absence_notices_carry_the_recording_and_skip_excused_and_watched(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    """Nobody attended (no Zoom data): absent unless excused; a watched recording needs no notice."""
    people = enrol(db, ("Ada", "U0ADA"), ("Bob", "U0BOB"), ("Eve", "U0EVE"))
    with session_scope(db) as session:
        session.add(Excuse(student_id=people["Bob"].id, week=1, reason="sick", created_by="U0TA1"))
        session.add(RecordingWatched(student_id=people["Eve"].id, week=1))
        for name in people:
            session.add(Reflection(student_id=people[name].id, week=1, text="a. b.", sentences=2))

    assert run(db, course, settings, WEEK1_END + timedelta(minutes=14)).due == 0
    summary = run(db, course, settings, WEEK1_END + timedelta(minutes=15))
    assert dms(summary) == {NOTICE: 1}
    [call] = posts(fake_slack)
    assert call.body["channel"] == "U0ADA"
    assert "https://www.youtube.com/watch?v=week1" in call.body["text"]
    assert "webinar and the discussion" in call.body["text"]
    assert buttons(call) == [("recording_watched", "1")]


def test_a_recording_posted_later_reaches_those_told_it_was_coming_once(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    people = enrol(db, ("Ada", "U0ADA"), ("Bob", "U0BOB"))
    week2_end = local(2021, 9, 30, 15, 0)
    with session_scope(db) as session:
        for s in people.values():
            session.add(Reflection(student_id=s.id, week=2, text="a. b.", sentences=2))
            session.add(Excuse(student_id=s.id, week=1, reason="-", created_by="U0TA1"))
    first = run(db, course, settings, week2_end + timedelta(minutes=20))
    assert dms(first) == {NOTICE_NO_LINK: 2}
    assert all("isn't posted yet" in c.body["text"] for c in posts(fake_slack) if c.body["channel"][0] == "U")

    with session_scope(db) as session:
        session.add(RecordingWatched(student_id=people["Bob"].id, week=2))
        session.add(RecordingLink(week=2, url="https://youtu.be/week2", set_by="U0TA1"))
    later = local(2021, 10, 7, 14, 0)  # after the week's notices stopped: the link still goes
    summary = run(db, course, settings, later)
    assert dms(summary) == {LINK: 1}
    [link_call] = posts(fake_slack, "U0ADA")[-1:]
    assert "https://youtu.be/week2" in link_call.body["text"]
    assert buttons(link_call) == [("recording_watched", "2")]
    assert dms(run(db, course, settings, later + timedelta(minutes=30))) == {}
    assert len(posts(fake_slack, "U0BOB")) == 1


def test_reminder_a_day_before_the_due_time_and_never_after_it(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    people = enrol(db, ("Ada", "U0ADA"), ("Bob", "U0BOB"))
    with session_scope(db) as session:
        session.add(Excuse(student_id=people["Ada"].id, week=1, reason="-", created_by="U0TA1"))
        session.add(Excuse(student_id=people["Bob"].id, week=1, reason="-", created_by="U0TA1"))
    assert dms(run(db, course, settings, WEEK1_END)) == {PROMPT: 2}
    with session_scope(db) as session:
        session.add(Reflection(student_id=people["Bob"].id, week=1, text="a. b.", sentences=2))

    assert dms(run(db, course, settings, WEEK1_DUE - timedelta(hours=24, minutes=1))) == {}
    summary = run(db, course, settings, WEEK1_DUE - timedelta(hours=24))
    assert dms(summary) == {REMINDER: 1}
    assert len(posts(fake_slack, "U0ADA")) == 2 and len(posts(fake_slack, "U0BOB")) == 1
    assert buttons(posts(fake_slack, "U0ADA")[-1]) == [("reflect_open", "1")]
    assert dms(run(db, course, settings, WEEK1_DUE - timedelta(minutes=1))) == {}


def test_after_downtime_what_became_due_is_sent_but_a_passed_reminder_is_not(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    """First run ever, 23 h before week 1's due time: the reminder only (no prompt on top)."""
    enrol(db, ("Ada", "U0ADA"))
    summary = run(db, course, settings, WEEK1_DUE - timedelta(hours=23))
    assert summary.sent == {REMINDER: 1, NOTICE: 1, DIGEST: 1, BRIEF: 1}
    # Down again until after week 1's due time and week 2's end: for week 1 only its digest of reflections.
    after = local(2021, 9, 30, 15, 20)
    summary = run(db, course, settings, after)
    assert summary.sent == {PROMPT: 1, NOTICE_NO_LINK: 1, BRIEF: 1, REFLECTIONS: 1}
    assert [week_of(c) for c in posts(fake_slack, "U0ADA")] == [1, 1, 2, 2]


def test_dst_week_runs_at_local_time_and_the_skipped_week_sends_nothing(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    """Week 7 (Nov 4, PDT) ends 22:00 UTC; week 8 (Nov 11, PST) ends 23:00 UTC; Nov 25 is skipped."""
    people = enrol(db, ("Ada", "U0ADA"))
    with session_scope(db) as session:
        for week in range(1, 11):
            session.add(Excuse(student_id=people["Ada"].id, week=week, reason="-", created_by="U0TA1"))
        for week in range(1, 7):
            session.add(Reflection(student_id=people["Ada"].id, week=week, text="a. b.", sentences=2))

    def utc(*args: int) -> datetime:
        return datetime(*args, tzinfo=UTC)

    def sent(now: datetime) -> dict[str, int]:
        return dms(run(db, course, settings, now))

    assert sent(utc(2021, 11, 4, 21, 59)) == {}
    assert sent(utc(2021, 11, 4, 22, 0)) == {PROMPT: 1}
    with session_scope(db) as session:
        session.add(Reflection(student_id=people["Ada"].id, week=7, text="a. b.", sentences=2))
    assert sent(utc(2021, 11, 11, 22, 30)) == {}
    assert sent(utc(2021, 11, 11, 23, 0)) == {PROMPT: 1}
    # Week 8 is due at week 9's start (Nov 18 13:30 PST = 21:30 UTC): reminder 24 h before.
    assert sent(utc(2021, 11, 17, 21, 29)) == {}
    assert sent(utc(2021, 11, 17, 21, 30)) == {REMINDER: 1}
    # Week 9 (Nov 18) is due Dec 2 (Nov 25 is skipped): nothing on Thanksgiving, a reminder Dec 1.
    assert sent(local(2021, 11, 18, 15, 0)) == {PROMPT: 1}
    assert sent(local(2021, 11, 25, 15, 30)) == {}
    assert sent(local(2021, 12, 1, 13, 29)) == {}
    assert sent(local(2021, 12, 1, 13, 30)) == {REMINDER: 1}
    assert [week_of(c) for c in posts(fake_slack, "U0ADA")] == [7, 8, 8, 9, 9]


def test_weekly_ta_digest_names_who_became_at_risk_or_no_credit(
    db: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    people = enrol(db, ("Ada", None), ("Bob", None))  # no Slack ids: no DMs, only the digest
    with session_scope(db) as session:
        for week in (1, 2, 3):
            session.add(Excuse(student_id=people["Bob"].id, week=week, reason="-", created_by="U0TA1"))
            for s in people.values():
                session.add(Reflection(student_id=s.id, week=week, text="a. b.", sentences=2))

    def digest(now: datetime) -> str:
        run(db, course, settings, now)
        calls = posts(fake_slack, "C0TAS")
        return str(calls[-1].body["text"]) if calls else ""

    assert digest(WEEK1_END + timedelta(minutes=59)) == ""
    week1 = digest(WEEK1_END + timedelta(hours=1))
    assert "Week 1" in week1 and "1 student newly at risk" in week1
    [call] = posts(fake_slack, "C0TAS")
    assert "Ada" in str(call.body["blocks"]) and "Bob" not in str(call.body["blocks"])
    assert digest(WEEK1_END + timedelta(hours=2)) == week1  # once
    week2 = digest(local(2021, 9, 30, 16, 0))
    assert "no student's standing got worse" in week2
    week3 = digest(local(2021, 10, 7, 16, 0))
    assert "1 student newly" in week3
    assert "no credit" in str(posts(fake_slack, "C0TAS")[-1].body["blocks"])
    assert len(posts(fake_slack, "C0TAS")) == 3


def test_the_reminder_is_24_real_hours_before_a_due_time_just_after_a_dst_change(
    db: Engine, settings: Settings, fake_slack: FakeSlack
) -> None:
    """Sundays from Oct 31 2021: week 1 is due Nov 7 13:30 PST, 25 wall-clock hours after Nov 6 13:30 PDT."""
    text = COURSE_TOML.replace("first_session = 2021-09-23", "first_session = 2021-10-31")
    text = text.replace("last_session = 2021-12-02", "last_session = 2021-11-14").replace(
        "skip = [2021-11-25]", "skip = []"
    )
    sundays = parse_course(tomllib.loads(text))
    week1 = sundays.weeks[0]
    assert sundays.reflection_due(week1) == datetime(2021, 11, 7, 21, 30, tzinfo=UTC)
    assert reminder_time(sundays, week1) == datetime(2021, 11, 6, 21, 30, tzinfo=UTC)  # 14:30 PDT
    people = enrol(db, ("Ada", "U0ADA"))
    with session_scope(db) as session:
        session.add(Excuse(student_id=people["Ada"].id, week=1, reason="-", created_by="U0TA1"))
    assert dms(run(db, sundays, settings, datetime(2021, 11, 6, 21, 29, tzinfo=UTC))) == {PROMPT: 1}
    assert dms(run(db, sundays, settings, datetime(2021, 11, 6, 21, 30, tzinfo=UTC))) == {REMINDER: 1}
