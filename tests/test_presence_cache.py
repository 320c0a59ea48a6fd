"""Stored presence equals the computation from scratch, whatever arrives in whatever order.

Random streams of Zoom events (redelivered, out of order, several instances and dates), TA
matches arriving later, roster changes and course changes, with reads in between at random
instants: every read through `storage/presence_cache.py` gives what `compute_presence` gives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from handlers.records import compute_presence, presence, student_record
from handlers.zoom.identities import link_identity
from handlers.zoom.wire import event_row
from rules.course import Course
from storage import presence_cache
from storage.db import make_engine, session_scope, upgrade
from storage.models import ZoomEvent
from storage.queries import list_students
from storage.zoom_store import insert_events
from tests.factories import add_student, local
from tests.test_presence import COURSE
from tests.zoom_payloads import DISCUSSION_ID, WEBINAR_ID, lifecycle, raw, visit

PEOPLE = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Guest Phone"]
DATES = [(2021, 9, 23), (2021, 9, 30), (2021, 10, 7), (2021, 9, 24)]  # three weeks and a day off
STAFFED = dataclasses.replace(COURSE, zoom=dataclasses.replace(COURSE.zoom, staff=("Grace Hopper",)))
READS = [local(2021, 9, 23, 14, 0), local(2021, 9, 30, 14, 45), datetime(2021, 12, 31, tzinfo=UTC)]

events = st.tuples(
    st.sampled_from(["webinar", "meeting"]),
    st.sampled_from(["participant_joined", "participant_left", "started", "ended"]),
    st.integers(0, len(DATES) - 1),
    st.integers(-40, 140),
    st.integers(0, len(PEOPLE) - 1),
    st.integers(0, 1),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("events"), st.lists(events, min_size=1, max_size=6)),
        st.tuples(st.just("match"), st.integers(0, len(PEOPLE) - 1), st.integers(0, 1)),
        st.tuples(st.just("student"), st.integers(0, len(PEOPLE) - 1)),
        st.tuples(st.just("course"), st.booleans()),
        st.tuples(st.just("read"), st.integers(0, len(READS) - 1)),
    ),
    max_size=14,
)


def _row(family: str, action: str, day: int, minute: int, person: int, uuid: int) -> ZoomEvent:
    zoom_id = WEBINAR_ID if family == "webinar" else DISCUSSION_ID
    at = local(*DATES[day], 13, 30) + timedelta(minutes=minute)
    instance = f"{family}-{DATES[day]}-{uuid}"
    if action in ("started", "ended"):
        body = lifecycle(family, action, zoom_id, instance, at)
    else:
        name = PEOPLE[person]
        email = f"{name.split()[0].lower()}@x.edu" if person % 2 == 0 else ""
        body = visit(family, action, zoom_id, instance, at, user_id=str(person), name=name, email=email)
    return event_row(body, raw(body).decode(), at)  # type: ignore[arg-type]


def _engine() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    upgrade(engine)
    yield engine
    engine.dispose()


def _check(engine: Engine, course: Course, now: datetime) -> None:
    """The class's presence, and each student's record, as a computation from scratch gives them."""
    with session_scope(engine) as session:
        truth = compute_presence(session=session, course=course, now=now)
        assert presence(session=session, course=course, now=now) == truth
        for student in list_students(session=session):
            assert student.id is not None
            mine = presence(session=session, course=course, now=now, student_id=student.id)
            assert mine.minutes == {k: v for k, v in truth.minutes.items() if k[0] == student.id}
            record = student_record(session=session, course=course, now=now, student=student)
            assert [(w.webinar_minutes, w.discussion_minutes) for w in record.weeks] == [
                (
                    int(truth.minutes.get((student.id, w.number, "webinar"), 0) // 1),
                    int(truth.minutes.get((student.id, w.number, "discussion"), 0) // 1),
                )
                for w in course.weeks
            ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_stored_presence_equals_computation_from_scratch(plan: list[tuple[object, ...]]) -> None:
    for engine in _engine():
        course, stored = COURSE, 0
        with session_scope(engine) as session:
            add_student(session, "Ada Lovelace", "ada@x.edu")
        for step in [*plan, ("read", 2)]:
            kind = step[0]
            if kind == "events":
                rows = [_row(*e) for e in step[1]]  # type: ignore[attr-defined]
                with session_scope(engine) as session:
                    insert_events(session=session, rows=rows + rows[:1])  # one redelivered
            elif kind == "match":
                with session_scope(engine) as session:
                    students = list_students(session=session)
                    target = students[int(step[2]) % len(students)]  # type: ignore[call-overload]
                    assert target.id is not None
                    seen = PEOPLE[int(step[1])]  # type: ignore[call-overload]
                    link_identity(session=session, identity=seen, student_id=target.id)
            elif kind == "student":
                name = PEOPLE[int(step[1])]  # type: ignore[call-overload]
                stored += 1
                with session_scope(engine) as session:
                    add_student(session, name, f"s{stored}@roster.edu")
            elif kind == "course":
                course = STAFFED if step[1] else COURSE
            else:
                _check(engine, course, READS[int(step[1])])  # type: ignore[call-overload]


def test_a_read_stores_presence_and_the_next_one_reads_it(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        add_student(session, "Ada Lovelace", "ada@x.edu")
        insert_events(session=session, rows=[_row("webinar", "participant_joined", 0, 0, 0, 0)])
    now = READS[2]
    with session_scope(sqlite_engine) as session:
        state = presence_cache.state(session=session)
        assert state is not None and state.cached != state.source
        first = presence(session=session, course=COURSE, now=now)
    with session_scope(sqlite_engine) as session:
        state = presence_cache.state(session=session)
        assert state is not None and state.cached == state.source
        assert presence(session=session, course=COURSE, now=now) == first
        assert len(presence_cache.rows(session=session)) == 1
