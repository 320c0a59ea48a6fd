"""Presence through the database (SQLite and PostgreSQL): dedup, merging, matching, TA links."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from handlers.deps import Deps
from handlers.records import compute_presence, unmatched_identities
from handlers.zoom.identities import link_identity
from handlers.zoom.webhook import WebhookReply, receive
from handlers.zoom.wire import Attendance, attendance_rows, event_row
from rules.course import Course
from storage.db import session_scope
from storage.models import IdentityLink, ZoomEvent
from storage.queries import get_student_by_email
from storage.zoom_store import insert_events
from tests.factories import add_student, local
from tests.signing import ZOOM_SECRET, zoom_headers
from tests.test_presence import COURSE
from tests.zoom_payloads import DISCUSSION_ID, WEBINAR_ID, lifecycle, raw, visit

NOW = datetime(2021, 12, 31, tzinfo=UTC)


def webhook(body: dict[str, object]) -> ZoomEvent:
    return event_row(body, raw(body).decode(), NOW)  # type: ignore[arg-type]


def minutes(engine: Engine, course: Course = COURSE) -> dict[tuple[int, int, str], float]:
    with session_scope(engine) as session:
        return dict(compute_presence(session=session, course=course, now=NOW).minutes)


def w(action: str, h: int, m: int, **who: str) -> ZoomEvent:
    return webhook(visit("webinar", action, WEBINAR_ID, "W1", local(2021, 9, 23, h, m), **who))


def test_redelivery_inserts_nothing(engine: Engine) -> None:
    rows = [
        w("participant_joined", 13, 30, user_id="1", name="A"),
        w("participant_left", 13, 50, user_id="1", name="A"),
    ]
    with session_scope(engine) as session:
        assert insert_events(session=session, rows=rows + rows) == 2
    with session_scope(engine) as session:
        again = [w("participant_left", 13, 50, user_id="1", name="A")]
        assert insert_events(session=session, rows=again) == 0


def test_matching_order_and_ta_links(engine: Engine) -> None:
    with session_scope(engine) as session:
        ada = add_student(session, "Ada Lovelace", "ada@example.edu")
        bob = add_student(session, "Bob Builder", "bob@example.edu")
        add_student(session, "Sam Same", "sam1@example.edu")
        add_student(session, "Sam Same", "sam2@example.edu")
        ada_id, bob_id = ada.id, bob.id
        assert ada_id and bob_id
        rows = [
            w("participant_joined", 13, 30, user_id="1", name="Bob Builder", email="ada@example.edu"),
            w("participant_left", 13, 45, user_id="1", name="Bob Builder", email="ada@example.edu"),
            w("participant_joined", 13, 30, user_id="2", name="Sam Same"),
            w("participant_left", 14, 0, user_id="2", name="Sam Same"),
            w("participant_joined", 14, 0, user_id="3", name="B's iPad", registrant_id="reg-b", email=""),
            w("participant_left", 14, 20, user_id="3", name="B's iPad", registrant_id="reg-b"),
            w("participant_joined", 13, 30, user_id="4", name="Mystery", zoom_user_id="zu-4"),
            w("participant_left", 13, 35, user_id="4", name="Mystery", zoom_user_id="zu-4"),
        ]
        insert_events(session=session, rows=rows)
    assert minutes(engine) == {(ada_id, 1, "webinar"): 15.0}  # email beats a name that matches Bob
    with session_scope(engine) as session:
        names = {
            (u.name, u.minutes) for u in unmatched_identities(session=session, course=COURSE, now=NOW, week=1)
        }
        assert names == {
            ("Sam Same", 30.0),
            ("B's iPad", 20.0),
            ("Mystery", 5.0),
        }  # ambiguous name stays unmatched
        session.add(IdentityLink(kind="registrant_id", value="reg-b", student_id=bob_id, created_by="U0TA1"))
        result = link_identity(session=session, identity="  MYSTERY ", student_id=bob_id, created_by="U0TA1")
    assert result.links == [("name", "mystery"), ("zoom_user_id", "zu-4")] and result.identities_seen == 1
    assert minutes(engine) == {(ada_id, 1, "webinar"): 15.0, (bob_id, 1, "webinar"): 25.0}
    with session_scope(engine) as session:
        moved = link_identity(session=session, identity="mystery", student_id=ada_id, created_by="U0TA2")
        assert moved.reassigned == 2
        by_email = link_identity(session=session, identity="Guest@Example.COM", student_id=ada_id)
        assert by_email.links == [("email", "guest@example.com")] and by_email.identities_seen == 0
        with pytest.raises(ValueError, match="name or email"):
            link_identity(session=session, identity="  ", student_id=ada_id)
    assert minutes(engine) == {(ada_id, 1, "webinar"): 15.0, (bob_id, 1, "webinar"): 20.0}  # overlap: union


def test_report_rows_merge_with_webhooks_without_double_counting(engine: Engine) -> None:
    with session_scope(engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu")
        insert_events(
            session=session,
            rows=[
                webhook(lifecycle("webinar", "started", WEBINAR_ID, "W1", local(2021, 9, 23, 13, 30))),
                w("participant_joined", 13, 30, user_id="1", name="Ada", email="ada@example.edu"),
                w("participant_left", 13, 50, user_id="1", name="Ada", email="ada@example.edu"),
            ],
        )
    report = Attendance("Ada", "ada@example.edu", local(2021, 9, 23, 13, 30), local(2021, 9, 23, 13, 50))
    later = Attendance("Ada", "ADA@example.edu", local(2021, 9, 23, 14, 0), local(2021, 9, 23, 14, 5))
    for _ in range(2):
        with session_scope(engine) as session:
            for v in (report, later):
                insert_events(session=session, rows=attendance_rows(v, **ROW_ARGS))
        assert minutes(engine) == {(ada.id, 1, "webinar"): 25.0}


ROW_ARGS = {"source": "report", "zoom_id": WEBINAR_ID, "instance_uuid": "W1", "received_at": NOW}
clock_minutes = st.integers(min_value=-20, max_value=80)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    visits=st.lists(
        st.tuples(st.sampled_from(["ada@example.edu", "guest@x.com"]), clock_minutes, clock_minutes),
        min_size=1,
        max_size=6,
    ),
    source=st.sampled_from(["report", "csv"]),
    seed=st.integers(0, 1000),
)
def test_merging_a_report_or_csv_twice_changes_nothing(
    sqlite_engine: Engine, visits: list[tuple[str, int, int]], source: str, seed: int
) -> None:
    with session_scope(sqlite_engine) as session:
        session.connection().execute(delete(ZoomEvent))
        if get_student_by_email(session=session, email="ada@example.edu") is None:
            add_student(session, "Ada", "ada@example.edu")
    start = COURSE.weeks[0].webinar.start

    def merge(order: int) -> int:
        found = [
            Attendance("x", email, start + timedelta(minutes=min(a, b)), start + timedelta(minutes=max(a, b)))
            for email, a, b in visits
        ]
        random.Random(order).shuffle(found)
        rows = [r for v in found for r in attendance_rows(v, **{**ROW_ARGS, "source": source})]
        with session_scope(sqlite_engine) as session:
            return insert_events(session=session, rows=rows)

    assert merge(0) > 0
    first = minutes(sqlite_engine)
    assert merge(seed) == 0
    assert minutes(sqlite_engine) == first
    assert all(0 < m <= 60 for m in first.values())


def deliver(engine: Engine, body: bytes) -> WebhookReply:
    deps = Deps(engine=engine, course=COURSE, clock=lambda: NOW)
    return asyncio.run(receive(deps, ZOOM_SECRET, zoom_headers(body), body))


def test_webhook_storage_on_each_database(engine: Engine) -> None:
    """PostgreSQL is stricter than SQLite (NULs, lengths, encodings): every odd field still stores."""
    at = local(2021, 9, 23, 13, 31)
    body = visit("webinar", "participant_joined", WEBINAR_ID, "W1", at, user_id="1", name="Zoë 李 Ångström")
    assert deliver(engine, raw(body)).headers == (("x-zoom-event", "stored"),)
    assert deliver(engine, raw(body)).headers == (("x-zoom-event", "duplicate"),)
    odd = visit("webinar", "participant_left", WEBINAR_ID, "W1", at, user_id="1", name="x")
    odd["payload"]["object"]["participant"].update(user_name="N\u0000" + "é" * 999, email={"a": 1}, id=7.0)
    odd["payload"]["object"]["uuid"] = "\ud800" + "u" * 300
    odd["event"] = "webinar.participant_left" + "!" * 200
    assert deliver(engine, json.dumps(odd).encode()).status == 200
    with session_scope(engine) as session:
        first, second = session.exec(select(ZoomEvent).order_by(col(ZoomEvent.id))).all()
    assert first.user_name == "Zoë 李 Ångström" and first.body == raw(body).decode()
    assert second.user_name == "N" + "é" * 199 and second.email == "" and second.zoom_user_id == "7"
    assert second.kind == "other" and len(second.event) == 80


people_st = st.lists(
    st.tuples(
        st.sampled_from(["ada@example.edu", "guest@x.com", ""]),
        st.lists(
            st.tuples(st.integers(-30, 90), st.one_of(st.none(), st.integers(0, 80))), min_size=1, max_size=3
        ),
    ),
    min_size=1,
    max_size=4,
)


def webhook_stream(people: list[tuple[str, list[tuple[int, int | None]]]]) -> list[bytes]:
    """Signed-ready webhook bodies for week 1's webinar, in payload-time order."""
    base = COURSE.weeks[0].webinar.start
    bodies: list[tuple[datetime, dict[str, Any]]] = [
        (base, lifecycle("webinar", "started", WEBINAR_ID, "W1", base)),
    ]
    for p, (email, visits) in enumerate(people):
        for v, (start, length) in enumerate(visits):
            who = {"user_id": f"{p}-{v}", "name": f"Person {p}", "email": email}
            join = base + timedelta(minutes=start)
            bodies.append((join, visit("webinar", "participant_joined", WEBINAR_ID, "W1", join, **who)))
            if length is not None:
                leave = join + timedelta(minutes=length)
                bodies.append((leave, visit("webinar", "participant_left", WEBINAR_ID, "W1", leave, **who)))
    return [raw(b) for _, b in sorted(bodies, key=lambda pair: pair[0])]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=people_st, data=st.data())
def test_webhooks_in_any_order_with_redeliveries_give_the_ordered_minutes(
    sqlite_engine: Engine, people: list[tuple[str, list[tuple[int, int | None]]]], data: st.DataObject
) -> None:
    with session_scope(sqlite_engine) as session:
        if get_student_by_email(session=session, email="ada@example.edu") is None:
            add_student(session, "Ada", "ada@example.edu")
    ordered = webhook_stream(people)
    results = []
    redelivered = data.draw(st.lists(st.sampled_from(ordered), max_size=8))
    shuffled = data.draw(st.permutations(ordered + redelivered))
    for stream in (ordered, shuffled):
        with session_scope(sqlite_engine) as session:
            session.connection().execute(delete(ZoomEvent))
        for body in stream:
            assert deliver(sqlite_engine, body).status == 200
        with session_scope(sqlite_engine) as session:
            results.append(compute_presence(session=session, course=COURSE, now=NOW))
    assert results[0] == results[1]


def test_time_in_a_breakout_room_counts(engine: Engine) -> None:
    with session_scope(engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu")
    who = {"user_id": "16778240", "name": "Ada", "email": "ada@example.edu"}
    steps = [
        ("participant_joined", 14, 30),
        ("participant_left", 14, 40),  # "Reason : left the meeting to join breakout room"
        ("participant_joined_breakout_room", 14, 40),
        ("participant_left_breakout_room", 14, 55),
        ("participant_joined", 14, 55),
        ("participant_left", 15, 0),
    ]
    for action, h, m in steps:
        body = visit("meeting", "participant_joined", DISCUSSION_ID, "D1", local(2021, 9, 23, h, m), **who)
        body["event"] = f"meeting.{action}"
        if "left" in action:
            person = body["payload"]["object"]["participant"]
            person["leave_time"] = person.pop("join_time")
        assert deliver(engine, raw(body)).status == 200
    assert minutes(engine) == {(ada.id, 1, "discussion"): 30.0}


def test_a_leave_time_in_year_9998_is_credited_only_up_to_now(engine: Engine) -> None:
    """Zoom's own leave_time, however absurd, is stored as sent and counted only as time passes."""
    far = datetime(9998, 1, 1, tzinfo=UTC)
    rows = [
        w("participant_joined", 13, 30, user_id="1", name="Ada", email="ada@example.edu"),
        webhook(visit("webinar", "participant_left", WEBINAR_ID, "W1", far, user_id="1", name="Ada")),
    ]
    with session_scope(engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu")
        insert_events(session=session, rows=rows)
    with session_scope(engine) as session:
        during = compute_presence(session=session, course=COURSE, now=local(2021, 9, 23, 13, 40)).minutes
        before = compute_presence(session=session, course=COURSE, now=local(2021, 9, 23, 13, 0)).minutes
    assert during == {(ada.id, 1, "webinar"): 10.0}
    assert before == {}
    assert minutes(engine) == {(ada.id, 1, "webinar"): 60.0}
