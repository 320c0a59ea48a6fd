"""The TA Home dashboard (README "For TAs"): weeks, trend, students needing attention, unmatched Zoom
participants, within Block Kit's limits (100 blocks a Home view, 3000 characters a section)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from handlers.slack.views.common import context, header, plain, section, when
from handlers.slack.views.mrkdwn import code_block, escape
from rules.course import Course
from rules.credit import ClassRecord, StudentRecord
from rules.presence import UnmatchedPresence
from rules.week_totals import WeekTotals, active, needing_attention, week_totals

EXCUSE_OPEN = "ta_excuse_open"
MATCH_OPEN = "ta_match_open"
EXPORT = "ta_export"
REFRESH = "ta_refresh"
HOME_BLOCKS = 100
SECTION_CHARS = 3000
TEXT_ROOM = SECTION_CHARS - 100  # room for a title line and the code fences
STUDENTS_SHOWN = 40  # students named under "Needing attention"; the rest are counted
UNMATCHED_SHOWN = 25  # unmatched participants with a Match button each
LINE_CHARS = 400  # one student's line, reasons included
RECENT_WEEKS = 2  # unmatched participants of the latest weeks that have started
TREND_WEEKS = 20
BARS = "▁▂▃▄▅▆▇█"
LABELS = {"no_credit": "No credit ❌", "at_risk": "At risk ⚠️"}
DIVIDER = {"type": "divider"}


def ta_home_blocks(course: Course, record: ClassRecord, now: datetime) -> list[dict[str, Any]]:
    """The whole dashboard, at most HOME_BLOCKS blocks."""
    blocks = [*_top(course, record, now), *_weeks(week_totals(record)), DIVIDER]
    blocks += [*_attention(needing_attention(record)), DIVIDER, *_unmatched(course, record, now)]
    blocks.append(context("Changes made here are recorded with who and when, as `/seminar` commands are."))
    assert len(blocks) <= HOME_BLOCKS
    return blocks


def _top(course: Course, record: ClassRecord, now: datetime) -> list[dict[str, Any]]:
    students = active(record)
    counts = {s: sum(1 for r in students if r.standing == s) for s in ("on_track", "at_risk", "no_credit")}
    summary = (
        f"As of {when(now, course.timezone)} · {len(students)} students: {counts['on_track']} on track, "
        f"{counts['at_risk']} at risk, {counts['no_credit']} without credit"
    )
    buttons = [
        _button("Excuse a student", EXCUSE_OPEN, "excuse", style="primary"),
        _button("Export CSV", EXPORT, "report"),
        _button("Export gradebook", EXPORT, "grades"),
        _button("Refresh", REFRESH, "refresh"),
    ]
    return [
        header(f"{course.name} · TA dashboard"),
        context(summary),
        {"type": "actions", "block_id": "ta_home_actions", "elements": buttons},
        DIVIDER,
    ]


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button = {"type": "button", "action_id": action_id, "value": value, "text": plain(text)}
    if style:
        button["style"] = style
    return button


def _weeks(totals: list[WeekTotals]) -> list[dict[str, Any]]:
    """The ended weeks as a small table (the latest that fit) and a sparkline trend."""
    if not totals:
        return [section("*Weeks*\nNo week has ended yet, so there is nothing to count.")]
    head = "week  present   absent  excused  questions  on time"
    rows = [
        f"{t.week:>4}  {f'{t.present}/{t.students}':>9}  {t.absent:>6}  {t.excused:>7}"
        f"  {t.questions:>9}  {t.on_time:>7}"
        for t in totals
    ]
    shown = _latest_fitting(rows, TEXT_ROOM - len(head))
    title = "*Ended weeks* (present of the active students; unexcused and excused absences; questions; "
    title += "reflections on time)"
    blocks = [section(f"{title}\n{code_block(chr(10).join([head, *shown]))}")]
    if len(shown) < len(rows):
        left_out = f"{totals[0].week}–{totals[-len(shown) - 1].week}"
        blocks.append(context(f"Weeks {left_out} are left out for space; the CSV export has them."))
    blocks.append(context(_trend(totals[-TREND_WEEKS:])))
    return blocks


def _latest_fitting(rows: list[str], room: int) -> list[str]:
    """The newest rows whose lines fit in `room` characters, oldest first."""
    kept: list[str] = []
    for row in reversed(rows):
        room -= len(row) + 1
        if room < 0:
            break
        kept.append(row)
    return kept[::-1]


def _trend(totals: list[WeekTotals]) -> str:
    """Present, questions and on-time reflections per student as sparklines, oldest week first."""

    def share(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    present = [share(t.present, t.students) for t in totals]
    questions = [share(t.questions, t.students) for t in totals]
    on_time = [share(t.on_time, t.students) for t in totals]
    span = f"weeks {totals[0].week}–{totals[-1].week}" if len(totals) > 1 else f"week {totals[0].week}"
    return (
        f"Trend, {span}: present `{sparkline(present, 1.0)}` · questions per student "
        f"`{sparkline(questions, max([2.0, *questions]))}` · reflections on time `{sparkline(on_time, 1.0)}`"
    )


def sparkline(values: Iterable[float], top: float) -> str:
    """One bar per value, ▁ for 0 up to █ for `top`."""
    return "".join(BARS[min(len(BARS) - 1, max(0, round(v / top * (len(BARS) - 1))))] for v in values)


def _attention(flagged: list[StudentRecord]) -> list[dict[str, Any]]:
    """Students without credit, then at risk, each with the reasons; past STUDENTS_SHOWN, a count."""
    if not flagged:
        return [section("*Needing attention*\nEveryone is on track. :tada:")]
    no_credit = sum(1 for r in flagged if r.standing == "no_credit")
    title = f"*Needing attention* — {no_credit} without credit, {len(flagged) - no_credit} at risk"
    lines = [_student_line(r) for r in flagged[:STUDENTS_SHOWN]]
    blocks = [section(text) for text in _packed([title, *lines])]
    if len(flagged) > STUDENTS_SHOWN:
        more = len(flagged) - STUDENTS_SHOWN
        blocks.append(context(f"…and {more} more: the CSV export (or `/seminar report`) lists everyone."))
    return blocks


def _student_line(r: StudentRecord) -> str:
    reasons = " ".join(escape(reason) for reason in r.reasons)
    line = f"• *{escape(r.student.name)}* ({escape(r.student.email)}) — {LABELS[r.standing]}: {reasons}"
    return line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1].rsplit(" ", 1)[0] + " …"


def _packed(lines: list[str]) -> list[str]:
    """Lines joined into as few section texts as fit SECTION_CHARS each."""
    texts: list[str] = []
    for line in lines:
        if texts and len(texts[-1]) + 1 + len(line) <= SECTION_CHARS:
            texts[-1] += "\n" + line
        else:
            texts.append(line[:SECTION_CHARS])
    return texts


def _unmatched(course: Course, record: ClassRecord, now: datetime) -> list[dict[str, Any]]:
    """Unmatched Zoom participants of the latest weeks that have started, each with a Match button."""
    started = [w.number for w in course.weeks if w.webinar.start <= now][-RECENT_WEEKS:]
    if not started:
        return [section("*Unmatched Zoom participants*\nNo session has started yet.")]
    items = [u for u in record.unmatched if u.week in started]
    scope = f"week {started[0]}" if len(started) == 1 else f"weeks {started[0]}–{started[-1]}"
    if not items:
        return [section(f"*Unmatched Zoom participants* ({scope})\nEveryone in Zoom is matched. :tada:")]
    blocks = [section(f"*Unmatched Zoom participants* ({scope}): {len(items)}")]
    blocks += [_unmatched_block(u) for u in items[:UNMATCHED_SHOWN]]
    if len(items) > UNMATCHED_SHOWN:
        more = len(items) - UNMATCHED_SHOWN
        blocks.append(context(f"…and {more} more: `/seminar unmatched` lists them all."))
    return blocks


def _unmatched_block(u: UnmatchedPresence) -> dict[str, Any]:
    who = " · ".join(escape(part[:200]) for part in (u.name, u.email) if part) or "(no name)"
    block = section(f"Week {u.week} · {u.part} · {int(u.minutes)} min · {who}")
    identity = u.email or u.name
    if identity:
        block["accessory"] = _button("Match…", MATCH_OPEN, identity[:2000])
    return block
