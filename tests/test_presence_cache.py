"""Stored presence equals the computation from scratch, whatever arrives in whatever order.

Random streams of Zoom events (redelivered, out of order, several instances, weeks and both
parts, rows without an instance uuid as a CSV import stores them, times in year 9998), TA
matches arriving later, roster changes and course changes, with reads in between at random
instants: every read through `storage/presence_cache.py` (the whole class's or one student's,
after which only the changed weeks' parts are recomputed) gives what `compute_presence` gives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from handlers.records import compute_presence, presence, student_record
from handlers.zoom.identities import link_identity
from handlers.zoom.wire import event_row
from rules.course import Course
from storage import presence_cache
from storage.db import make_engine, session_scope, upgrade
from storage.models import ZoomEvent
from storage.presence_cache import PresenceSpan
from storage.queries import list_students
from storage.zoom_store import insert_events
from tests.factories import add_student, local
from tests.test_presence import COURSE
from tests.zoom_payloads import DISCUSSION_ID, WEBINAR_ID, lifecycle, raw, visit

PEOPLE = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Guest Phone"]
DATES = [(2021, 9, 23), (2021, 9, 30), (2021, 10, 7), (2021, 9, 24)]  # three weeks and a day off
STAFFED = dataclasses.replace(COURSE, zoom=dataclasses.replace(COURSE.zoom, staff=("Grace Hopper",)))
READS = [local(2021, 9, 23, 14, 0), local(2021, 9, 30, 14, 45), datetime(2021, 12, 31, tzinfo=UTC)]

ABSURD = 4_190_000_000  # minutes: an instant in year 9988, on a date no week has
events = st.tuples(
    st.sampled_from(["webinar", "meeting"] * 3 + ["stray", "noid"]),
    st.sampled_from(["participant_joined", "participant_left", "started", "ended"]),
    st.integers(0, len(DATES) - 1),
    st.one_of(st.integers(-40, 140), st.integers(-40, 140), st.integers(-40, 140), st.just(ABSURD)),
    st.integers(0, len(PEOPLE) - 1),
    st.sampled_from([0, 0, 1, 1, 1, 2]),  # 2: no instance uuid, as in a CSV or report import
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("events"), st.lists(events, min_size=1, max_size=6)),
        st.tuples(st.just("match"), st.integers(0, len(PEOPLE) - 1), st.integers(0, 1)),
        st.tuples(st.just("student"), st.integers(0, len(PEOPLE) - 1)),
        st.tuples(st.just("course"), st.booleans()),
        st.tuples(st.just("read"), st.integers(0, len(READS) - 1), st.booleans()),
    ),
    max_size=20,
)


def _row(family: str, action: str, day: int, minute: int, person: int, uuid: int) -> ZoomEvent:
    """One event; "stray": a webinar's in the discussion's instance; "noid": a discussion's, no id."""
    body_family, zoom_id, of = {
        "webinar": ("webinar", WEBINAR_ID, "webinar"),
        "meeting": ("meeting", DISCUSSION_ID, "meeting"),
        "stray": ("webinar", WEBINAR_ID, "meeting"),
        "noid": ("meeting", "", "meeting"),
    }[family]
    at = local(*DATES[day], 13, 30) + timedelta(minutes=minute)
    instance = f"{of}-{DATES[day]}-{uuid}" if uuid < 2 else ""
    family = body_family
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


def _check(engine: Engine, course: Course, now: datetime, students_first: bool = False) -> None:
    """The class's presence, and each student's record, as a computation from scratch gives them
    (the first read after a change may be one student's, which brings the stored copy up to date)."""
    with session_scope(engine) as session:
        truth = compute_presence(session=session, course=course, now=now)
    with session_scope(engine) as session:
        if not students_first:
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
        assert presence(session=session, course=course, now=now) == truth


CROSS_DATE = [  # read, then visits whose rows reach dates no week has: only the wide path gets them
    ("read", 2, False),
    ("events", [("webinar", "participant_joined", 3, 0, 0, 2), ("webinar", "participant_left", 1, 20, 0, 2)]),
    ("read", 1, True),
    ("events", [("webinar", "participant_joined", 1, 10, 0, 2), ("webinar", "ended", 3, 0, 0, 2)]),
    ("read", 2, False),
    (
        "events",
        [("meeting", "participant_left", 1, ABSURD, 2, 0), ("meeting", "participant_joined", 1, 70, 2, 0)],
    ),
    (
        "events",
        [("meeting", "participant_joined", 2, 65, 2, 1), ("meeting", "participant_left", 2, 75, 2, 1)],
    ),
    ("match", 2, 0),
]


MIXED = [  # an instance with both parts' ids and a row without one, then the discussion alone changes
    ("read", 2, False),
    (
        "events",
        [
            ("stray", "participant_joined", 0, 0, 0, 0),
            ("noid", "participant_joined", 0, 65, 2, 0),
            ("meeting", "participant_joined", 0, 60, 1, 0),
        ],
    ),
    ("read", 2, False),
    ("events", [("meeting", "participant_joined", 0, 62, 1, 1)]),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(CROSS_DATE)
@example(MIXED)
@given(steps)
def test_stored_presence_equals_computation_from_scratch(plan: list[tuple[object, ...]]) -> None:
    for engine in _engine():
        course, stored = COURSE, 0
        with session_scope(engine) as session:
            add_student(session, "Ada Lovelace", "ada@x.edu")
        for step in [*plan, ("read", 2, False)]:
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
                _check(engine, course, READS[int(step[1])], bool(step[2]))  # type: ignore[call-overload]


def test_a_read_stores_presence_and_the_next_one_reads_it(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        add_student(session, "Ada Lovelace", "ada@x.edu")
        insert_events(session=session, rows=[_row("webinar", "participant_joined", 0, 0, 0, 0)])
    now = READS[2]
    with session_scope(sqlite_engine) as session:
        assert any(i.dirty for i in presence_cache.instances(session=session))
        first = presence(session=session, course=COURSE, now=now)
    with session_scope(sqlite_engine) as session:
        state = presence_cache.state(session=session)
        assert state is not None and state.cached == state.source
        assert not any(i.dirty for i in presence_cache.instances(session=session))
        assert presence(session=session, course=COURSE, now=now) == first
        assert len(presence_cache.rows(session=session)) == 1


def _visit(family: str, day: int, person: int = 0, uuid: int = 0) -> list[ZoomEvent]:
    start = 0 if family == "webinar" else 60  # minutes after 13:30: each part's window
    return [
        _row(family, "participant_joined", day, start, person, uuid),
        _row(family, "participant_left", day, start + 30, person, uuid),
    ]


def _mark_stored(engine: Engine, marks: dict[tuple[int, str], str]) -> None:
    """Write a label into stored rows, to see afterwards which ones a read rewrote."""
    with session_scope(engine) as session:
        for (week, part), label in marks.items():
            session.connection().execute(
                update(PresenceSpan).where(col(PresenceSpan.week) == week, col(PresenceSpan.part) == part),
                {"name": label},
            )


def _labels(engine: Engine) -> dict[tuple[int, str], str]:
    with session_scope(engine) as session:
        return {(r.week, r.part): r.name for r in presence_cache.rows(session=session)}


def _read_equals_truth(engine: Engine) -> None:
    with session_scope(engine) as session:
        truth = compute_presence(session=session, course=COURSE, now=READS[2])
    with session_scope(engine) as session:
        assert presence(session=session, course=COURSE, now=READS[2]).minutes == truth.minutes


def test_new_zoom_rows_recompute_only_their_week_and_part(engine: Engine) -> None:
    with session_scope(engine) as session:
        ada = add_student(session, "Ada Lovelace", "ada@x.edu")
        insert_events(session=session, rows=_visit("webinar", 0) + _visit("meeting", 1))
    _read_equals_truth(engine)
    _mark_stored(engine, {(1, "webinar"): "kept", (2, "discussion"): "kept"})
    with session_scope(engine) as session:  # week 2's webinar, live
        insert_events(session=session, rows=_visit("webinar", 1))
    _read_equals_truth(engine)
    assert _labels(engine) == {(1, "webinar"): "kept", (2, "discussion"): "kept", (2, "webinar"): ""}
    with session_scope(engine) as session:  # a row with no instance uuid: every webinar
        insert_events(session=session, rows=_visit("webinar", 2, uuid=2))
    _read_equals_truth(engine)
    assert _labels(engine) == {
        (1, "webinar"): "",
        (2, "discussion"): "kept",
        (2, "webinar"): "",
        (3, "webinar"): "",
    }
    _mark_stored(engine, {(1, "webinar"): "kept", (2, "webinar"): "kept"})
    with session_scope(engine) as session:  # a visit left in year 9988: every discussion
        visit = [
            _row("meeting", "participant_joined", 0, 60, 1, 0),
            _row("meeting", "participant_left", 0, ABSURD, 1, 0),
        ]
        insert_events(session=session, rows=visit)
    _read_equals_truth(engine)
    assert _labels(engine)[(2, "discussion")] == ""
    assert _labels(engine)[(1, "webinar")] == "kept"
    with session_scope(engine) as session:  # a TA's match: the whole class
        assert ada.id is not None
        link_identity(session=session, identity="Alan Turing", student_id=ada.id)
    _read_equals_truth(engine)
    assert "kept" not in _labels(engine).values()
