"""Student submissions on SQLite and PostgreSQL: stored once, late rules, idempotent attestations."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.db import session_scope
from storage.models import Question, RecordingWatched, Reflection, Student
from tests.factories import add_student, local
from tests.transactions import save_question, save_recording_watched, save_reflection

NOW = local(2021, 9, 23, 14, 40)
DUE = local(2021, 9, 30, 13, 30)


def _student(engine: Engine) -> int:
    with session_scope(engine) as session:
        sid = add_student(session, "Ada", "ada@example.edu").id
    assert sid is not None
    return sid


def test_question_is_stored_once_per_delivery(engine: Engine) -> None:
    sid = _student(engine)
    kw: dict[str, Any] = {"student_id": sid, "week": 1, "asked_at": NOW, "channel_id": "C1"}
    assert save_question(engine, text="a", dedup_key="k1", **kw).created
    again = save_question(engine, text="a", dedup_key="k1", **kw)
    assert not again.created and again.count == 1
    assert save_question(engine, text="b", dedup_key="k2", **kw).count == 2


def test_concurrent_duplicates_store_one_question(engine: Engine) -> None:
    sid = _student(engine)

    def save(_: int) -> bool:
        return save_question(
            engine, student_id=sid, week=1, text="q", asked_at=NOW, dedup_key="same", channel_id=None
        ).created

    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(save, range(8)))
    assert created.count(True) == 1
    with session_scope(engine) as session:
        assert len(session.exec(select(Question)).all()) == 1


def test_reflection_replaced_before_due_late_after_and_on_time_kept(engine: Engine) -> None:
    sid = _student(engine)
    first = save_reflection(engine, student_id=sid, week=1, text="v1", sentences=2, now=NOW, due=DUE)
    assert first.outcome == "created" and not first.reflection.late
    second = save_reflection(
        engine, student_id=sid, week=1, text="v2", sentences=3, now=NOW + timedelta(days=1), due=DUE
    )
    assert second.outcome == "replaced" and second.reflection.text == "v2"
    late = save_reflection(engine, student_id=sid, week=1, text="v3", sentences=2, now=DUE, due=DUE)
    assert late.outcome == "kept_on_time" and late.reflection.text == "v2"
    new_late = save_reflection(engine, student_id=sid, week=2, text="w", sentences=2, now=DUE, due=DUE)
    assert new_late.outcome == "created" and new_late.reflection.late
    again = save_reflection(
        engine, student_id=sid, week=2, text="w2", sentences=2, now=DUE + timedelta(hours=1), due=DUE
    )
    assert again.outcome == "replaced" and again.reflection.late
    with session_scope(engine) as session:
        rows = {r.week: r for r in session.exec(select(Reflection)).all()}
    assert rows[1].text == "v2" and not rows[1].late and rows[1].sentences == 3
    assert rows[2].text == "w2" and rows[2].late


def test_recording_watched_is_idempotent(engine: Engine) -> None:
    sid = _student(engine)
    assert save_recording_watched(engine, student_id=sid, week=2, now=NOW)
    assert not save_recording_watched(engine, student_id=sid, week=2, now=NOW)
    with session_scope(engine) as session:
        assert len(session.exec(select(RecordingWatched)).all()) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=1000))
def test_any_question_text_round_trips_exactly(engine: Engine, text: str) -> None:
    sid = _student_id(engine)
    key = uuid.uuid4().hex
    save_question(engine, student_id=sid, week=1, text=text, asked_at=NOW, dedup_key=key, channel_id=None)
    with session_scope(engine) as session:
        stored = session.exec(select(Question).where(Question.dedup_key == key)).one()
    assert stored.text == text


def _student_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        existing = session.exec(select(Student)).first()
    return existing.id if existing and existing.id else _student(engine)
