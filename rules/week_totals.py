"""The class at a glance, week by week: what the TA Home's table and trend show (README "For TAs")."""

from __future__ import annotations

from dataclasses import dataclass

from rules.credit import ClassRecord, StudentRecord, WeekRecord

ORDER = {"no_credit": 0, "at_risk": 1, "on_track": 2}


@dataclass(frozen=True)
class WeekTotals:
    """One ended week over the active students: presence, unexcused and excused absences, questions,
    reflections sent on time."""

    week: int
    students: int
    present: int
    absent: int
    excused: int
    questions: int
    on_time: int


def active(record: ClassRecord) -> list[StudentRecord]:
    """The students who count: everyone on the roster but the dropped."""
    return [r for r in record.students if r.student.status != "dropped"]


def week_totals(record: ClassRecord) -> list[WeekTotals]:
    """Each ended week's totals, oldest first."""
    ended = [w.number for w in record.course.weeks if record.course.ended(w, record.generated_at)]
    weeks: dict[int, list[WeekRecord]] = {n: [] for n in ended}
    for r in active(record):
        for w in r.weeks:
            weeks.get(w.week, []).append(w)
    return [_totals(n, rows) for n, rows in weeks.items()]


def _totals(number: int, rows: list[WeekRecord]) -> WeekTotals:
    return WeekTotals(
        week=number,
        students=len(rows),
        present=sum(1 for w in rows if not w.absent),
        absent=sum(1 for w in rows if w.absent and not w.excused),
        excused=sum(1 for w in rows if w.absent and w.excused),
        questions=sum(w.questions for w in rows),
        on_time=sum(1 for w in rows if w.reflection == "on_time"),
    )


def needing_attention(record: ClassRecord) -> list[StudentRecord]:
    """Active students without credit, then at risk, each group by name."""
    flagged = [r for r in active(record) if r.standing != "on_track"]
    return sorted(flagged, key=lambda r: (ORDER[r.standing], r.student.name.casefold(), r.student.email))
