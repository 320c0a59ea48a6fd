"""The records at an instant: what storage holds, through the rules, in the caller's transaction.

Presence comes from `storage/presence_cache.py`, so one student's view reads one student's rows:
after a TA's link, a roster import or a course change it is computed from every stored Zoom row
and stored again; after new Zoom rows only the weeks' parts they change are (`handlers/presence_parts.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from handlers.presence_parts import refresh
from rules.course import Course
from rules.credit import ClassRecord, Facts, StudentRecord
from rules.credit import class_record as records_of
from rules.identity import Matcher
from rules.presence import (
    Owned,
    PresenceTable,
    UnmatchedPresence,
    minutes_at,
    presence_fingerprint,
    presence_from_marks,
    presence_spans,
)
from rules.tally_summary import WeekSummary, summary_from_record
from storage import presence_cache, queries
from storage.backfills import for_week
from storage.models import Student
from storage.zoom_store import Mark, presence_marks


def compute_presence(*, session: Session, course: Course, now: datetime) -> PresenceTable:
    """Minutes per student, week and part from every stored Zoom row: the computation from scratch."""
    return presence_from_marks(_marks(session, course), course=course, now=now, match=_matcher(session).match)


def presence(
    *, session: Session, course: Course, now: datetime, student_id: int | None = None
) -> PresenceTable:
    """The same table as `compute_presence` (only `student_id`'s rows if given), from the stored copy."""
    return minutes_at(_owned(session, course, student_id), course=course, now=now)


def _owned(session: Session, course: Course, student_id: int | None) -> Sequence[Owned]:
    """The stored rows, brought up to date first; computed from scratch (and stored) when the
    course, roster or links changed since, or when the tables were never set up."""
    key = f"{presence_fingerprint(course)}:{presence_cache.roster_key(session=session)}"
    state = presence_cache.state(session=session)
    if state is not None and state.current(key):
        _catch_up(session, course)
        return presence_cache.rows(session=session, student_id=student_id)
    read = presence_cache.instances(session=session) if state is not None else []
    marks = _marks(session, course)
    owned = presence_spans(marks, course=course, match=_matcher(session).match)
    if state is not None:
        presence_cache.replace(session=session, owned=owned, version=state.source, key=key)
        presence_cache.caught_up(session=session, marks=marks, read=read)
    return [o for o in owned if student_id is None or o.student_id == student_id]


def _catch_up(session: Session, course: Course) -> None:
    """Recompute only the weeks' parts of instances written since; the write lock is taken after
    the computation, for the rewrite of those parts."""
    read = presence_cache.instances(session=session)
    if not any(i.dirty for i in read):
        return
    plan = refresh(read, course)
    if plan.parts:
        marks = presence_marks(session=session, zoom_ids=plan.zoom_ids, between=plan.ranges)
        owned = presence_spans(marks, course=course, match=_matcher(session).match)
        mine = [o for o in owned if (o.week, o.part) in plan.parts]
        presence_cache.replace_parts(session=session, parts=plan.parts, owned=mine)
    presence_cache.caught_up(session=session, marks=[], read=read)


def _marks(session: Session, course: Course) -> list[Mark]:
    return presence_marks(session=session, zoom_ids=[sched.zoom_id for sched in course.schedule.values()])


def _matcher(session: Session) -> Matcher:
    return Matcher(*queries.roster_and_links(session=session))


def unmatched_identities(
    *, session: Session, course: Course, now: datetime, week: int | None = None
) -> list[UnmatchedPresence]:
    """What `/seminar unmatched [week]` lists: identities no student matched, with minutes."""
    table = presence(session=session, course=course, now=now)
    return [u for u in table.unmatched if week is None or u.week == week]


def _facts(*, session: Session, course: Course, now: datetime, student_id: int | None = None) -> Facts:
    """What records are computed from: everyone's, or one student's rows only."""
    return Facts(
        presence=presence(session=session, course=course, now=now, student_id=student_id),
        questions=queries.question_counts(session=session, student_id=student_id),
        late=queries.reflections_late(session=session, student_id=student_id),
        excuses=queries.excuse_reasons(session=session, student_id=student_id),
        watched=queries.recordings_watched(session=session, student_id=student_id),
    )


def class_record(*, session: Session, course: Course, now: datetime) -> ClassRecord:
    """The record of every student at `now`."""
    students = list(queries.list_students(session=session))
    return records_of(course, now, students, _facts(session=session, course=course, now=now))


def student_record(*, session: Session, course: Course, now: datetime, student: Student) -> StudentRecord:
    """One student's record (what `/standing` and App Home show): one student's rows only."""
    assert student.id is not None
    facts = _facts(session=session, course=course, now=now, student_id=student.id)
    return records_of(course, now, [student], facts).students[0]


def summarize_week(*, session: Session, course: Course, now: datetime, week: int, final: bool) -> WeekSummary:
    """The tally of `week` at `now`; final once the discussion ended (or a TA finalised it)."""
    record = class_record(session=session, course=course, now=now)
    wk = course.weeks[week - 1]
    summary = summary_from_record(record, wk, now, final=final or course.ended(wk, now))
    summary.backfills = list(for_week(session=session, week=week))
    return summary
