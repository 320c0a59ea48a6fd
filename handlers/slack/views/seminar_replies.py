"""Replies to `/seminar` (all ephemeral: a student's record is for the student and TAs only)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from handlers.slack.seminar_args import USAGE, UsageError
from handlers.slack.student_ref import Unresolved
from handlers.slack.views.common import context, header, section
from handlers.slack.views.mrkdwn import code_block, code_safe, code_span, escape
from rules.course import Course, Week
from rules.presence import UnmatchedPresence

Reply = dict[str, Any]
SECTION_LIMIT = 3000
MAX_BLOCKS = 50
CODE_LIMIT = SECTION_LIMIT - 8  # room for the ``` fences

NOT_A_TA = (
    "Sorry, `/seminar` is only for the course's TAs. Students can use `/ask`, `/reflect` and `/standing`."
)

NO_STUDENTS = "No students on the roster yet. Import it with `seminar-bot roster import roster.csv`."

PLAIN_MENTION = (
    " Slack sent that mention as plain text (the app's /seminar command must have “Escape channels,"
    " users, and links” on, as in manifest.yml), so name the student by email or roster name instead."
)

HELP = """*`/seminar` — TA tools* (replies are visible only to you)
• {tally} — post or refresh the week's question tally in {channel}
• {report} — the class table; with a week, that week's detail
• {export} — upload the class CSV (every student and week, excuse reasons, standing) to {channel}; \
with `grades`, the gradebook (one row per student, credit CR, NC or pending)
• {unmatched} — Zoom participants not matched to a student, with minutes
• {match} — count that Zoom name's (or email's) past and future minutes for the student
• {excuse} — excuse a week; the reason shows in the report and export
• {unexcuse} — withdraw an excuse
• {recording} — set a week's recording link (absent students are sent it)
• {queue} — the week's open questions ranked by votes, each with *Mark asked*; then the asked ones
Name a student with an @mention, their email (roster or Zoom) or their name as on the roster \
(put a name with a number in quotes). Weeks can be written `3`, `w3` or `week 3`. \
Every change is recorded with who and when."""


def ephemeral(text: str, blocks: list[dict[str, Any]] | None = None) -> Reply:
    """A reply only the TA sees."""
    reply: Reply = {"response_type": "ephemeral", "text": text}
    if blocks:
        reply["blocks"] = blocks
    return reply


def help_reply(course: Course) -> Reply:
    """The command list."""
    usage = {name: code_span(line) for name, line in USAGE.items()}
    return ephemeral(HELP.format(channel=f"<#{course.ta_channel}>", **usage))


def usage_reply(error: UsageError) -> Reply:
    """What was wrong, and how to write it."""
    return ephemeral(f"{error.problem}\nUsage: {code_span(error.usage)} (try `/seminar help`)")


def week_label(course: Course, week: Week) -> str:
    """`week 3 (Thu Oct 7)`."""
    return f"week {week.number} ({_day(course, week.webinar.start)})"


def _day(course: Course, instant: datetime) -> str:
    local = course.local(instant)
    return f"{local:%a} {local:%b} {local.day}"


def tally_done(course: Course, week: Week, summary_text: str) -> Reply:
    """The tally was posted or refreshed."""
    return ephemeral(
        f"Week {week.number}'s tally is up to date in <#{course.ta_channel}>: {summary_text}\n"
        "It keeps itself current as questions arrive."
    )


def tally_not_started(course: Course, week: Week) -> Reply:
    """No tally for a week that has not begun."""
    return ephemeral(
        f"Week {week.number}'s session is on {_day(course, week.webinar.start)}; "
        "its tally appears with the first question."
    )


def slack_failed(course: Course, what: str, error: str) -> Reply:
    """Slack refused a post or upload; say how to fix the usual cause."""
    hint = ""
    if error in ("not_in_channel", "channel_not_found"):
        hint = f" Invite the bot to <#{course.ta_channel}> with `/invite @seminar-bot`, then try again."
    return ephemeral(f"Couldn't {what}: Slack said `{error}`.{hint}")


def code_blocks(title: str, body: str, note: str, *, note_is_mrkdwn: bool = False) -> list[Reply]:
    """A monospace table split into ≤3000-character sections and ≤50-block messages, then the note
    (escaped, unless the caller built it as mrkdwn: a time's date token)."""
    chunks = list(_chunks(body.rstrip("\n").splitlines(), CODE_LIMIT))
    blocks = [header(title)] + [section(code_block(c)) for c in chunks]
    blocks.append(context(note if note_is_mrkdwn else escape(note)))
    messages = [blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]
    return [ephemeral(title if i == 0 else f"{title} (continued)", m) for i, m in enumerate(messages)]


def _chunks(lines: Iterable[str], limit: int) -> Iterable[str]:
    """Lines grouped so each group, once made code-safe, fits `limit`."""
    buf: list[str] = []
    size = 0
    for line in lines:
        line = _fit(line, limit)
        length = len(code_safe(line))
        if buf and size + length + 1 > limit:
            yield "\n".join(buf)
            buf, size = [], 0
        buf.append(line)
        size += length + 1
    if buf:
        yield "\n".join(buf)


def _fit(line: str, limit: int) -> str:
    """The longest start of `line` whose code-safe form fits `limit` (never half an entity)."""
    line = line[:limit]
    while (excess := len(code_safe(line)) - limit) > 0:
        line = line[: len(line) - excess]
    return line


def export_started(course: Course) -> str:
    """The immediate ack of `export`."""
    return f"Exporting… the CSV will appear in <#{course.ta_channel}> in a moment."


def export_done(course: Course, filename: str, students: int, rows: int) -> Reply:
    """The CSV was uploaded."""
    return ephemeral(f"Uploaded `{filename}` to <#{course.ta_channel}>: {students} students, {rows} rows.")


def export_comment(user_id: str, week: int | None, grades: bool = False) -> str:
    """The comment posted with the CSV."""
    if grades:
        return f"Gradebook (one row per student, with credit), exported by <@{user_id}>."
    scope = f"week {week}" if week else "all weeks"
    return f"Class report ({scope}), exported by <@{user_id}>."


def unmatched_reply(items: list[UnmatchedPresence], week: int | None) -> list[Reply]:
    """Unmatched Zoom participants, with how to match them."""
    scope = f"week {week}" if week else "any week"
    if not items:
        return [ephemeral(f"Every Zoom participant in {scope} is matched to a student. :tada:")]
    lines = [
        f"Week {u.week} · {u.part} · {int(u.minutes)} min · {u.name or '(no name)'}"
        + (f" · {u.email}" if u.email else "")
        for u in items
    ]
    note = (
        'Match one with /seminar match "Zoom name" @student (or the email instead of the name), '
        "or with its Match button on the Home tab."
    )
    return code_blocks(f"Unmatched Zoom participants ({scope}): {len(items)}", "\n".join(lines), note)


def unresolved(u: Unresolved, usage: str) -> Reply:
    """The TA named no student, or several: say which, list candidates, change nothing."""
    ref = u.ref
    if ref.kind == "slack":
        problem = (
            f"<@{ref.value}> isn't on the roster (no student with that Slack account or email). "
            "Import the roster with `seminar-bot roster import`, then try again."
        )
    elif u.ambiguous:
        problem = f"{code_span(ref.value)} fits {len(u.candidates)} students; name one by email or @mention."
    else:
        what = "email (roster or Zoom)" if ref.kind == "email" else "name"
        problem = f"No student on the roster has the {what} {code_span(ref.value)}."
        if ref.kind == "name" and ref.value.startswith("@"):
            problem += PLAIN_MENTION
    if u.candidates:
        problem += "\nIt could be:" if u.ambiguous else "\nClose matches:"
        problem += "\n" + "\n".join(f"• {escape(s.name)} ({escape(s.email)})" for s in u.candidates)
    return ephemeral(f"{problem}\nNothing was changed. Usage: {code_span(usage)}")


def matched(
    identity: str, student_name: str, minutes: list[UnmatchedPresence], moved_from: str | None
) -> Reply:
    """A Zoom identity now counts for a student."""
    text = f"Linked Zoom “{escape(identity)}” to *{escape(student_name)}*."
    if moved_from:
        text += f" (It was linked to {escape(moved_from)} before.)"
    if minutes:
        counted = ", ".join(f"week {u.week} {u.part} {int(u.minutes)} min" for u in minutes)
        text += f"\nNow counted for them: {counted}."
    else:
        text += "\nNo unmatched Zoom minutes under that identity yet; it will count whenever it joins."
    return ephemeral(text)


def excused(course: Course, week: Week, student_name: str, reason: str, standing: str) -> Reply:
    """A week was excused."""
    why = f" — reason: {escape(reason)}" if reason else " (no reason given)"
    return ephemeral(
        f"Excused *{escape(student_name)}* for {week_label(course, week)}{why}.\n"
        f"Standing now: *{standing.replace('_', ' ')}*."
    )


def unexcused(course: Course, week: Week, student_name: str, had: bool, standing: str) -> Reply:
    """An excuse was withdrawn (or there was none)."""
    if not had:
        return ephemeral(f"*{escape(student_name)}* had no excuse for {week_label(course, week)}.")
    return ephemeral(
        f"Withdrew *{escape(student_name)}*'s excuse for {week_label(course, week)}.\n"
        f"Standing now: *{standing.replace('_', ' ')}*."
    )


def recording_set(course: Course, week: Week, url: str, previous: str | None) -> Reply:
    """A recording link was stored."""
    replaced = f" (replacing {escape(previous)})" if previous else ""
    return ephemeral(
        f"Recording for {week_label(course, week)} set to {escape(url)}{replaced}.\n"
        "Students who missed that week are sent the link with an “I watched the recording” button."
    )
