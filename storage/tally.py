"""The week's tally: what it says (from the class record) and its row's version/lease bookkeeping.

Many processes may edit one tally. `version` counts changes; `rendered_version` is the newest
version a sent message reflects; `updated_at` is the last edit slot taken (it paces chat.update);
`ts` is the Slack message, or `posting:<epoch>` while one process holds the right to post it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.backfills import BackfillState, for_week
from storage.course import Course, Week
from storage.db import changed_one_row, insert_ignoring_duplicates
from storage.models import TallyMessage
from storage.presence import UnmatchedPresence
from storage.records import ClassRecord, class_record

NEVER = datetime(2000, 1, 1, tzinfo=UTC)
POSTING = "posting:"


@dataclass(frozen=True)
class Shortfall:
    """A student below a requirement, named in the tally (only those are named)."""

    name: str
    questions: int
    absent: bool = False


@dataclass
class WeekSummary:
    """Everything a week's tally shows, live or final."""

    week: Week
    final: bool
    min_questions: int
    questions: int = 0
    active: int = 0
    zoom_data: bool = False
    considered: int = 0
    met: int = 0
    below: list[Shortfall] = field(default_factory=list)
    webinar_present: int = 0
    discussion_present: int = 0
    excused: int = 0
    unmatched: list[UnmatchedPresence] = field(default_factory=list)
    backfills: list[BackfillState] = field(default_factory=list)


def summarize_week(*, session: Session, course: Course, now: datetime, week: int, final: bool) -> WeekSummary:
    """The tally of `week` at `now`; final once the discussion ended (or a TA finalised it)."""
    record = class_record(session=session, course=course, now=now)
    wk = course.weeks[week - 1]
    summary = summary_from_record(record, wk, now, final=final or course.ended(wk, now))
    summary.backfills = for_week(session=session, week=week)
    return summary


def summary_from_record(record: ClassRecord, wk: Week, now: datetime, *, final: bool) -> WeekSummary:
    """Count one week of a class record; name only students below a requirement."""
    minimum = record.course.policy.min_questions
    summary = WeekSummary(week=wk, final=final, min_questions=minimum)
    summary.unmatched = [u for u in record.unmatched if u.week == wk.number]
    discussion_started = now >= wk.discussion.start
    for r in record.students:
        w = r.weeks[wk.number - 1]
        summary.questions += w.questions
        summary.zoom_data = summary.zoom_data or w.webinar_minutes > 0 or w.discussion_minutes > 0
        if r.student.status != "active":
            continue
        summary.active += 1
        summary.webinar_present += w.webinar_present
        summary.discussion_present += w.discussion_present
        if final:
            _final_student(summary, r.student.name, w.questions, w)
            continue
        here = w.discussion_minutes > 0 if discussion_started else w.webinar_minutes > 0
        if here or w.questions > 0:
            summary.considered += 1
            if w.questions >= minimum:
                summary.met += 1
            else:
                summary.below.append(Shortfall(r.student.name, w.questions))
    summary.zoom_data = summary.zoom_data or bool(summary.unmatched)
    return summary


def _final_student(summary: WeekSummary, name: str, questions: int, w: Any) -> None:
    """After the discussion: absent (unexcused) or too few questions is a shortfall."""
    if w.absent:
        if w.excused:
            summary.excused += 1
        else:
            summary.below.append(Shortfall(name, questions, absent=True))
        return
    summary.considered += 1
    if questions >= summary.min_questions:
        summary.met += 1
    else:
        summary.below.append(Shortfall(name, questions))


# -- the row ------------------------------------------------------------------------------


def bump(*, session: Session, week: int, channel: str, final: bool = False) -> int:
    """Record that the week's tally changed (creating its row once); returns the new version."""
    session.execute(
        insert_ignoring_duplicates(session, TallyMessage, key="week").values(
            week=week, channel=channel, version=0, rendered_version=0, final=False, updated_at=NEVER
        )
    )
    values: dict[str, Any] = {"version": col(TallyMessage.version) + 1}
    if final:
        values["final"] = True
    session.execute(update(TallyMessage).where(col(TallyMessage.week) == week).values(**values))
    return int(session.exec(select(TallyMessage.version).where(TallyMessage.week == week)).one())


def bump_existing(*, session: Session, week: int) -> bool:
    """Record a change (a match, an excuse) only if the week already has a tally."""
    stmt = (
        update(TallyMessage)
        .where(col(TallyMessage.week) == week)
        .values(version=col(TallyMessage.version) + 1)
    )
    return changed_one_row(session, stmt)


def get(*, session: Session, week: int) -> TallyMessage | None:
    """The week's tally row."""
    return session.get(TallyMessage, week)


def claim_slot(*, session: Session, week: int, now: datetime, interval: float) -> bool:
    """Take the right to edit now, if nobody edited in the last `interval` seconds."""
    cutoff = now - timedelta(seconds=interval)
    stmt = (
        update(TallyMessage)
        .where(col(TallyMessage.week) == week, col(TallyMessage.updated_at) <= cutoff)
        .values(updated_at=now)
    )
    return changed_one_row(session, stmt)


def restart_slot(*, session: Session, week: int, now: datetime) -> None:
    """Measure the pause from when a send finished, so Slack sees edits `interval` apart."""
    stmt = update(TallyMessage).where(col(TallyMessage.week) == week, col(TallyMessage.updated_at) < now)
    session.execute(stmt.values(updated_at=now))


def claim_post(*, session: Session, week: int, seen_ts: str | None) -> str | None:
    """Take the right to post the week's first message; returns the claim token, or None."""
    token = f"{POSTING}{time.time():.3f}"
    where = col(TallyMessage.ts).is_(None) if seen_ts is None else col(TallyMessage.ts) == seen_ts
    stmt = update(TallyMessage).where(col(TallyMessage.week) == week, where).values(ts=token)
    return token if changed_one_row(session, stmt) else None


def posting_expired(ts: str | None, lease: float) -> bool:
    """A `posting:` claim older than `lease` seconds (its process died mid-post)."""
    if ts is None or not ts.startswith(POSTING):
        return False
    try:
        return time.time() - float(ts.removeprefix(POSTING)) > lease
    except ValueError:
        return True


def set_ts(
    *, session: Session, week: int, old: str | None, new: str | None, channel: str | None = None
) -> bool:
    """Replace the message ts (posted, released, or lost) if it is still `old`."""
    where = col(TallyMessage.ts).is_(None) if old is None else col(TallyMessage.ts) == old
    values: dict[str, Any] = {"ts": new}
    if channel:
        values["channel"] = channel
    stmt = update(TallyMessage).where(col(TallyMessage.week) == week, where).values(**values)
    return changed_one_row(session, stmt)


def mark_rendered(*, session: Session, week: int, version: int) -> None:
    """The sent message reflects `version` (never move backwards)."""
    session.execute(
        update(TallyMessage)
        .where(col(TallyMessage.week) == week, col(TallyMessage.rendered_version) < version)
        .values(rendered_version=version)
    )
