"""The week's tally message in the TA channel: live during the session, a summary after it."""

from __future__ import annotations

from typing import Any

from handlers.mrkdwn import escape
from handlers.views.common import context, header, section
from storage.backfills import DONE, FAILED, BackfillState
from storage.tally import Shortfall, WeekSummary

SECTION_LIMIT = 3000
MAX_NAME_SECTIONS = 12
MAX_UNMATCHED = 25


def tally_message(s: WeekSummary) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) for the week's one tally message."""
    return (final_text(s), _final_blocks(s)) if s.final else (live_text(s), _live_blocks(s))


def live_text(s: WeekSummary) -> str:
    """The one-line fallback of the live tally."""
    return (
        f"Week {s.week.number} tally: {_n(s.questions, 'question')}; "
        f"{s.met} of {s.considered} present met the minimum of {s.min_questions}."
    )


def final_text(s: WeekSummary) -> str:
    """The one-line fallback of the final summary."""
    return (
        f"Week {s.week.number} summary: webinar {s.webinar_present}/{s.active}, "
        f"discussion {s.discussion_present}/{s.active}, {_n(s.questions, 'question')}."
    )


def _title(s: WeekSummary, what: str) -> dict[str, Any]:
    speaker = f" — {s.week.speaker}" if s.week.speaker else ""
    return header(f"Week {s.week.number} {what}{speaker}")


def _live_blocks(s: WeekSummary) -> list[dict[str, Any]]:
    who = "present (in Zoom or asked)" if s.zoom_data else "who asked so far"
    blocks = [
        _title(s, "question tally"),
        section(
            f"*{_n(s.questions, 'question')}* so far · *{s.met} of {s.considered}* students "
            f"{who} have asked at least {s.min_questions}."
        ),
    ]
    if s.below:
        blocks += _names(f"*Not yet at {s.min_questions}:* ", s.below)
    elif s.considered:
        blocks.append(section(":white_check_mark: Everyone counted so far has met the minimum."))
    note = "" if s.zoom_data else " Zoom attendance has not arrived yet, so only students who asked count."
    blocks.append(context(f"Updates live as questions arrive.{note}"))
    return blocks


def _final_blocks(s: WeekSummary) -> list[dict[str, Any]]:
    blocks = [
        _title(s, "summary"),
        section(
            f"*Attendance:* webinar {s.webinar_present} of {s.active} · "
            f"discussion {s.discussion_present} of {s.active}"
            + (f" · {s.excused} excused" if s.excused else "")
            + f"\n*Questions:* {s.questions} · {s.met} of {s.considered} who attended asked "
            f"at least {s.min_questions}"
        ),
    ]
    absent = [b for b in s.below if b.absent]
    few = [b for b in s.below if not b.absent]
    if absent:
        blocks += _names("*Absent (not excused):* ", absent)
    if few:
        blocks += _names(f"*Fewer than {s.min_questions} questions:* ", few)
    if not s.below:
        blocks.append(section(":white_check_mark: Everyone attended and met the question minimum."))
    if s.unmatched:
        blocks.append(section(_unmatched(s)))
    if s.backfills:
        blocks.append(context(_backfilled(s.backfills)))
    if not s.zoom_data:
        blocks.append(
            context(
                "No Zoom attendance was recorded this week. Check the Zoom webhook, or run "
                f"`seminar-bot zoom backfill --week {s.week.number}`."
            )
        )
    return blocks


def _backfilled(states: list[BackfillState]) -> str:
    """Which parts were back-filled from Zoom's participant report and what each added."""
    parts = []
    for b in states:
        if b.status == DONE:
            parts.append(f"{b.part}: {_n(b.added, 'visit')} added ({b.visits} in Zoom's report)")
        else:
            state = "failed" if b.status == FAILED else "not yet, will retry"
            parts.append(f"{b.part}: {state} ({escape((b.error or 'in progress')[:300])})")
    return "Back-filled from Zoom's participant reports: " + "; ".join(parts) + "."


def _names(label: str, people: list[Shortfall]) -> list[dict[str, Any]]:
    """Names in as few sections as Slack's 3000-character limit allows."""
    items = [escape(p.name) if p.absent else f"{escape(p.name)} ({p.questions})" for p in people]
    blocks: list[dict[str, Any]] = []
    text = label
    for i, item in enumerate(items):
        piece = item if text.endswith(" ") else ", " + item
        if len(text) + len(piece) > SECTION_LIMIT - 40:
            blocks.append(section(text))
            if len(blocks) == MAX_NAME_SECTIONS:
                blocks.append(context(f"…and {len(items) - i} more: see `/seminar report`."))
                return blocks
            text, piece = "", item
        text += piece
    blocks.append(section(text))
    return blocks


def _unmatched(s: WeekSummary) -> str:
    lines = [f"*Unmatched Zoom participants ({len(s.unmatched)}):*"]
    for u in s.unmatched[:MAX_UNMATCHED]:
        email = f" ({escape(u.email)})" if u.email else ""
        lines.append(f"• {escape(u.name) or '(no name)'}{email} · {u.part} · {int(u.minutes)} min")
    if len(s.unmatched) > MAX_UNMATCHED:
        lines.append(f"…and {len(s.unmatched) - MAX_UNMATCHED} more: `/seminar unmatched {s.week.number}`")
    lines.append('Link one with `/seminar match "Zoom name" @student`.')
    return "\n".join(lines)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
