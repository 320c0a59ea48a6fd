"""A student's week-by-week record and standing: one builder for /standing and App Home."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.slack.views.common import context, header, plain, section, when
from handlers.slack.views.mrkdwn import escape
from rules.course import Course
from rules.credit import StudentRecord, WeekRecord

WATCHED_ACTION = "recording_watched"
BLOCK_PREFIX = "standing_week_"
MESSAGE_BLOCKS = 50
HOME_BLOCKS = 100
SECTION_CHARS = 3000
LABELS = {"on_track": "On track ✅", "at_risk": "At risk ⚠️", "no_credit": "No credit ❌"}
REFLECTION = {
    "on_time": "on time ✅",
    "late": "late (counted)",
    "missing": "missing ❌ (send it with /reflect)",
    "not_due": "not due yet",
}


def standing_blocks(
    course: Course, record: StudentRecord, now: datetime, links: dict[int, str], max_blocks: int
) -> list[dict[str, Any]]:
    """Header, totals, what to do, then each ended week (the latest ones if space runs out)."""
    policy = course.policy
    blocks = [
        header(f"Your standing: {LABELS[record.standing]}"),
        section(
            f"*{escape(record.student.name)}* · {escape(course.name)}\n"
            f"Absences: *{record.absences} of {policy.max_absences}* allowed · "
            f"Questions: {record.questions} · Reflections: {record.reflections}"
        ),
        section(_todo(record)),
        {"type": "divider"},
    ]
    ended = [w for w in record.weeks if w.ended]
    room = max_blocks - len(blocks) - 2
    if len(ended) > room:
        blocks.append(context(f"Weeks 1–{ended[-room - 1].week} are left out here for space; ask a TA."))
        ended = ended[-room:]
    blocks.extend(_week_block(course, w, links.get(w.week)) for w in ended)
    if not ended:
        blocks.append(section("No session has ended yet, so there is nothing to count."))
    blocks.append(context(_next_session(course, now)))
    return blocks


def standing_text(record: StudentRecord) -> str:
    """The notification fallback for the blocks."""
    return f"Your standing: {LABELS[record.standing]}"


def _todo(record: StudentRecord) -> str:
    """The reasons as bullets, as many as fit in one section."""
    if not record.reasons:
        return "*What to do:* nothing right now. Keep it up!"
    text = "*What to do:*"
    for shown, reason in enumerate(record.reasons):
        line = f"\n• {escape(reason)}"
        if len(text) + len(line) > SECTION_CHARS - 40:
            return text + f"\n…and {len(record.reasons) - shown} more."
        text += line
    return text


def _week_block(course: Course, w: WeekRecord, link: str | None) -> dict[str, Any]:
    week = course.week(w.week)
    assert week is not None
    detail = " — ".join(escape(p) for p in (week.speaker, week.title) if p)
    title = f"*Week {w.week}* · {week.date:%a %b} {week.date.day}" + (f" · {detail}" if detail else "")
    mark = {True: "✅", False: "✖️"}
    questions_ok = w.questions >= course.policy.min_questions
    lines = [
        title,
        f"Webinar {w.webinar_minutes} min {mark[w.webinar_present]} · "
        f"Discussion {w.discussion_minutes} min {mark[w.discussion_present]} · "
        f"Questions {w.questions}/{course.policy.min_questions} {mark[questions_ok]} · "
        f"Reflection {REFLECTION[w.reflection]}",
    ]
    block = section("\n".join(lines))
    block["block_id"] = f"{BLOCK_PREFIX}{w.week}"
    if w.absent:
        block["text"]["text"] += "\n" + _absence(w, link)
        if not w.excused and not w.recording_watched:
            block["accessory"] = watched_button(w.week)
    return block


def _absence(w: WeekRecord, link: str | None) -> str:
    if w.excused:
        return "Absent, excused" + (f": {escape(w.excuse_reason)}" if w.excuse_reason else "") + "."
    if w.recording_watched:
        return "Absent; you watched the recording ✅"
    watch = f"<{link}|Watch the recording>" if link and not set("<>|") & set(link) else "Watch the recording"
    return f"Absent: {watch}, then press the button."


def watched_button(week: int) -> dict[str, Any]:
    """The "I watched the recording" button (value = the week number)."""
    return {"type": "button", "action_id": WATCHED_ACTION, "value": str(week), "text": plain("I watched it")}


def _next_session(course: Course, now: datetime) -> str:
    upcoming = next((w for w in course.weeks if w.discussion.end > now), None)
    if upcoming is None:
        return "The last session has ended."
    verb = "Now" if upcoming.webinar.start <= now else "Next"
    return f"{verb}: week {upcoming.number}, {when(upcoming.webinar.start, course.timezone)}."


def home_view(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The App Home tab around some blocks."""
    return {"type": "home", "blocks": blocks[:HOME_BLOCKS]}


def home_notice(text: str) -> list[dict[str, Any]]:
    """App Home for someone who has no record to show."""
    return [section(text)]

