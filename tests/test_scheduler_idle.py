"""The idle gate: the minute tick skips the full computation only when nothing new can be due."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.runtime import Runtime
from bot.scheduler import DueTick
from handlers.deps import Deps
from handlers.schedule.due import due_messages, next_boundary
from handlers.schedule.jobs import SAFETY_RECHECK, IdleGate
from rules.course_file import parse_course
from storage.db import make_engine, session_scope, upgrade
from storage.models import Excuse, RecordingLink, Reflection, utcnow
from tests.factories import COURSE_TOML, local
from tests.fakes.slack_api import FakeSlack
from tests.live import FrozenClock
from tests.scheduling import client_for, enrol, posts
from tests.transactions import outbox

COURSE = parse_course(tomllib.loads(COURSE_TOML))
WEEK1_END = local(2021, 9, 23, 15, 0)


def test_the_gate_opens_for_what_can_add_work(engine: Engine) -> None:
    enrol(engine, ("Ada", "U0ADA"))
    deps = Deps(engine=engine, course=COURSE, clock=lambda: WEEK1_END)
    gate, now, wall = IdleGate(), WEEK1_END + timedelta(minutes=1), utcnow()
    assert gate.should_run(deps, now, wall)
    gate.ran(deps, now, wall)
    minute = timedelta(minutes=1)
    assert not gate.should_run(deps, now + minute, wall + minute)
    with session_scope(engine) as session:  # reflections, excuses only ever remove work
        session.add(Reflection(student_id=1, week=1, text="a. b.", sentences=2))
    assert not gate.should_run(deps, now + 2 * minute, wall + 2 * minute)
    assert gate.should_run(deps, now - minute, wall + minute)  # the clock went back
    assert gate.should_run(deps, WEEK1_END + timedelta(minutes=15), wall + minute)  # notices start
    assert gate.should_run(deps, now + minute, wall + SAFETY_RECHECK)
    enrol(engine, ("Bob", "U0BOB"))
    assert gate.should_run(deps, now + minute, wall + minute)
    gate.ran(deps, now + minute, wall + minute)
    assert not gate.should_run(deps, now + 2 * minute, wall + 2 * minute)
    with session_scope(engine) as session:
        session.add(RecordingLink(week=2, url="https://youtu.be/2", set_by="U0TA1"))
    assert gate.should_run(deps, now + 2 * minute, wall + 2 * minute)


def test_the_gate_opens_when_a_backed_off_claim_may_be_retried(engine: Engine) -> None:
    deps = Deps(engine=engine, course=COURSE, clock=lambda: WEEK1_END)
    wall = utcnow()
    envelope = outbox.Envelope("reflection_prompt:w1:s9", "reflection_prompt", "U9", 1)
    assert outbox.claim(engine, envelope, owner="a", at=wall)
    outbox.release(engine, envelope.key, owner="a", error="HTTP 503", at=wall)
    gate = IdleGate()
    gate.should_run(deps, WEEK1_END, wall)
    gate.ran(deps, WEEK1_END, wall)
    assert not gate.should_run(deps, WEEK1_END, wall + outbox.backoff(1) - timedelta(seconds=1))
    assert gate.should_run(deps, WEEK1_END, wall + outbox.backoff(1))


def test_a_tick_between_boundaries_is_skipped(
    runtime: Runtime, clock: FrozenClock, fake_slack: FakeSlack
) -> None:
    enrol(runtime.engine, ("Ada", "U0ADA"))
    tick = DueTick(runtime, client_for(runtime.settings))
    clock.set(WEEK1_END)
    first = tick.run_once()
    assert first is not None and first.sent["reflection_prompt"] == 1
    clock.set(WEEK1_END + timedelta(minutes=1))
    assert tick.run_once() is None
    clock.set(WEEK1_END + timedelta(minutes=15))
    notices = tick.run_once()
    assert notices is not None and notices.sent["absence_notice"] == 1
    assert notices.sent["tally_summary"] == 1  # /ask closed: the TA channel gets the week's summary
    assert len(fake_slack.calls_to("chat.postMessage", channel="U0ADA")) == 2
    assert len(posts(fake_slack)) == 3


@pytest.fixture(scope="module")
def calendar_db(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A class with a mix of reflections and excuses, read (never changed) by the property below."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gate') / 'g.db'}")
    upgrade(engine)
    people = enrol(engine, ("Ada", "U0ADA"), ("Bob", "U0BOB"), ("Cy", "U0CY"))
    with session_scope(engine) as session:
        for week in range(1, 11, 2):
            session.add(Reflection(student_id=people["Ada"].id, week=week, text="a. b.", sentences=2))
            session.add(Excuse(student_id=people["Bob"].id, week=week, reason="-", created_by="U0TA1"))
        session.add(RecordingLink(week=4, url="https://youtu.be/4", set_by="U0TA1"))
    return engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.datetimes(min_value=datetime(2021, 9, 20), max_value=datetime(2021, 12, 12)),
    step=st.floats(0, 1),
)
def test_between_boundaries_nothing_new_becomes_due(
    calendar_db: Engine, start: datetime, step: float
) -> None:
    """Whatever is due before the next calendar boundary was already due just after the last one."""
    t1 = start.replace(tzinfo=COURSE.timezone)
    boundary = next_boundary(COURSE, t1) or t1 + timedelta(days=30)
    t2 = t1 + (boundary - t1) * step
    if t2 >= boundary:
        t2 = t1
    with session_scope(calendar_db) as session:
        before = {o.envelope.key for o in due_messages(session=session, course=COURSE, now=t1)}
        after = {o.envelope.key for o in due_messages(session=session, course=COURSE, now=t2)}
    assert after <= before
