"""What a week's tally says: questions, who met the minimum, attendance; only shortfalls are named.

Live while the week runs (who is here and asked enough so far), final once the discussion has
ended (attendance of both parts, absentees, unmatched Zoom participants); README "For TAs".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from rules.course import Week
from rules.credit import ClassRecord, WeekRecord
from rules.presence import UnmatchedPresence


class Backfill(Protocol):
    """A part's automatic back-fill from Zoom's report, as the final summary reports it."""

    @property
    def part(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def visits(self) -> int: ...
    @property
    def added(self) -> int: ...
    @property
    def error(self) -> str | None: ...


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
    backfills: list[Backfill] = field(default_factory=list)


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


def _final_student(summary: WeekSummary, name: str, questions: int, w: WeekRecord) -> None:
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
