"""Plain-text renderings of the class record: aligned table, CSV, gradebook CSV (CLI and Slack export)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

from rules.credit import ClassRecord, StudentRecord, WeekRecord, credit_of

CSV_FIELDS = (
    "email", "name", "slack_user_id", "status", "week", "ended",
    "webinar_minutes", "webinar_present", "discussion_minutes", "discussion_present",
    "questions", "reflection", "absent", "excused", "excuse_reason", "recording_watched",
    "absences", "total_questions", "reflections", "standing",
)  # fmt: skip

GRADE_FIELDS = ("name", "email", "absences", "questions", "reflections", "standing", "credit")


# OWASP "CSV Injection": a spreadsheet runs a cell that starts with one of these (full-width
# forms too, which some spreadsheets read as the ASCII ones).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Spreadsheets that trim a cell on import (or drop its quotes) run ` =1+1` and `"=1+1"` too.
_PADDING = re.compile(r"[\s\"']*")


def formula_like(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula, once leading spaces and quotes go."""
    padding = _PADDING.match(text)
    rest = text[padding.end() :] if padding else text
    return text.startswith(FORMULA_STARTS) or rest.startswith(FORMULA_STARTS)


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet shows as text: a leading `'` before anything formula-like."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def write_csv(fields: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """The one CSV writer: header, then rows with every text cell made safe for spreadsheets."""
    out = io.StringIO()
    # CRLF rows (RFC 4180), so a cell holding a bare CR or LF is quoted rather than splitting its row.
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return out.getvalue()


def to_csv(record: ClassRecord, week: int | None = None) -> str:
    """One row per student and week, with the student's totals and standing on each row."""
    rows = (_csv_row(r, w) for r in record.students for w in r.weeks if week is None or w.week == week)
    return write_csv(CSV_FIELDS, rows)


def to_grades_csv(record: ClassRecord) -> str:
    """The gradebook: one row per student with totals, standing and credit (CR, NC or pending)."""
    rows = (
        {
            "name": r.student.name,
            "email": r.student.email,
            "absences": r.absences,
            "questions": r.questions,
            "reflections": r.reflections,
            "standing": r.standing,
            "credit": credit_of(r),
        }
        for r in record.students
    )
    return write_csv(GRADE_FIELDS, rows)


def _csv_row(r: StudentRecord, w: WeekRecord) -> dict[str, object]:
    s = r.student
    return {
        "email": s.email,
        "name": s.name,
        "slack_user_id": s.slack_user_id or "",
        "status": s.status,
        "week": w.week,
        "ended": w.ended,
        "webinar_minutes": w.webinar_minutes,
        "webinar_present": w.webinar_present,
        "discussion_minutes": w.discussion_minutes,
        "discussion_present": w.discussion_present,
        "questions": w.questions,
        "reflection": w.reflection,
        "absent": w.absent,
        "excused": w.excused,
        "excuse_reason": w.excuse_reason,
        "recording_watched": w.recording_watched,
        "absences": r.absences,
        "total_questions": r.questions,
        "reflections": r.reflections,
        "standing": r.standing,
    }


def to_table(record: ClassRecord, week: int | None = None) -> str:
    """An aligned terminal table: a class summary, or one week's detail with --week."""
    if week is None:
        header = ["name", "email", "status", "absences", "questions", "reflections", "standing"]
        rows = [
            [r.student.name, r.student.email, r.student.status, str(r.absences),
             str(r.questions), str(r.reflections), r.standing]
            for r in record.students
        ]  # fmt: skip
    else:
        header = ["name", "email", "webinar", "discussion", "questions", "reflection",
                  "absent", "excused", "recording"]  # fmt: skip
        rows = [_week_cells(r, r.weeks[week - 1]) for r in record.students]
    lines = [_aligned(header, rows)]
    unmatched = [u for u in record.unmatched if week is None or u.week == week]
    if unmatched:
        lines.append("")
        lines.append("Unmatched Zoom participants:")
        lines.append(
            _aligned(
                ["week", "part", "name", "email", "minutes"],
                [[str(u.week), u.part, u.name, u.email, str(int(u.minutes))] for u in unmatched],
            )
        )
    return "\n".join(lines) + "\n"


def _week_cells(r: StudentRecord, w: WeekRecord) -> list[str]:
    def mark(present: bool) -> str:
        return "✓" if present else "✗"

    return [
        r.student.name,
        r.student.email,
        f"{w.webinar_minutes} min {mark(w.webinar_present)}",
        f"{w.discussion_minutes} min {mark(w.discussion_present)}",
        str(w.questions),
        w.reflection,
        "yes" if w.absent else "no",
        f"yes ({w.excuse_reason})" if w.excused and w.excuse_reason else ("yes" if w.excused else "no"),
        "watched" if w.recording_watched else "-",
    ]


def _aligned(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(wd) for c, wd in zip(cells, widths, strict=False)).rstrip()

    rule = "  ".join("-" * wd for wd in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
