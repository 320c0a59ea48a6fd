"""Scheduled messages: reflection prompts and reminders, absence notices, recording links, TA digest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.slack.views.common import context, header, plain, section, when
from handlers.slack.views.mrkdwn import escape
from handlers.slack.views.reflection_form import OPEN_ACTION
from handlers.slack.views.standing_blocks import WATCHED_ACTION
from rules.course import Course, Week

MAX_DIGEST_NAMES = 40


@dataclass(frozen=True)
class Message:
    """A chat.postMessage body: the notification text and the blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class StandingChange:
    """A student whose standing got worse, with the reasons /standing would show."""

    name: str
    standing: str
    reasons: tuple[str, ...]


def week_title(week: Week) -> str:
    """'Week 3 (Dr. X: Title)' with whatever details the course file has."""
    detail = ": ".join(part for part in (week.speaker, week.title) if part)
    return f"Week {week.number} ({escape(detail)})" if detail else f"Week {week.number}"


def _link(url: str, label: str) -> str:
    """A Slack link; the URL's &, <, > are escaped (Slack decodes them) and | can't end it early."""
    return f"<{escape(url).replace('|', '%7C')}|{label}>"


def _button(text: str, action_id: str, value: str, primary: bool = True) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": plain(text),
    }
    if primary:
        button["style"] = "primary"
    return button


def _actions(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(buttons)}


def reflection_prompt(course: Course, week: Week, due: datetime) -> Message:
    """After the discussion: ask for the week's reflection, with a button that opens the form."""
    sentences = course.policy.reflection_sentences
    text = (
        f"Thanks for this week's seminar! Your reflection on {week_title(week)} is due "
        f"{when(due, course.timezone)}: {sentences[0]}–{sentences[1]} sentences on what you took away."
    )
    return Message(
        text=text,
        blocks=[
            section(f":memo: {text}"),
            _actions(_button("Write my reflection", OPEN_ACTION, str(week.number))),
            context("You can also type `/reflect` followed by your text in any channel."),
        ],
    )


def reflection_reminder(course: Course, week: Week, due: datetime) -> Message:
    """A day before the due time: remind those who have not reflected yet."""
    text = (
        f"Reminder: your reflection on {week_title(week)} is due {when(due, course.timezone)}, "
        "and I don't have it yet."
    )
    return Message(
        text=text,
        blocks=[
            section(f":alarm_clock: {text}"),
            _actions(_button("Write my reflection", OPEN_ACTION, str(week.number))),
            context("Submissions after the due time are still accepted, but marked late."),
        ],
    )


def absence_notice(course: Course, week: Week, missed: Sequence[str], link: str | None) -> Message:
    """After an absence: where the recording is (or that it is coming) and the 'watched' button."""
    parts = " and the ".join(missed)
    text = f"You were not counted present at the {parts} of {week_title(week)}."
    if link:
        how = f"Please watch {_link(link, 'the recording')}, then press the button below so it counts."
    else:
        how = "The recording isn't posted yet: I'll send you the link as soon as a TA adds it."
    return Message(
        text=f"{text} {how}",
        blocks=[
            section(f":movie_camera: {text}\n{how}"),
            _actions(_button("I watched the recording", WATCHED_ACTION, str(week.number))),
            context(
                f"A student may miss up to {course.policy.max_absences} sessions. If you were there, "
                "or had a reason to miss it, tell a TA: they can match your Zoom account or excuse the week."
            ),
        ],
    )


def recording_link(course: Course, week: Week, link: str) -> Message:
    """The recording a TA has just posted, for students who were told it was coming."""
    text = f"The recording of {week_title(week)} is up: {_link(link, 'watch it here')}."
    return Message(
        text=text,
        blocks=[
            section(f":movie_camera: {text} When you've watched it, press the button so it counts."),
            _actions(_button("I watched the recording", WATCHED_ACTION, str(week.number))),
        ],
    )


def ta_digest(
    course: Course, week: Week, changes: Sequence[StandingChange], totals: dict[str, int]
) -> Message:
    """The weekly TA summary: who became at risk or no credit since last week, and why."""
    counts = (
        f"{totals.get('on_track', 0)} on track · {totals.get('at_risk', 0)} at risk · "
        f"{totals.get('no_credit', 0)} no credit"
    )
    title = f"{week_title(week)} digest"
    if not changes:
        text = f"{title}: no student's standing got worse this week. Standing now: {counts}."
        return Message(text=text, blocks=[header(title), section(text), context(_report_hint())])
    blocks: list[dict[str, Any]] = [header(title)]
    room = MAX_DIGEST_NAMES  # Slack allows 50 blocks per message
    for standing, label in (("no_credit", "Now *no credit*"), ("at_risk", "Now *at risk*")):
        group = [c for c in changes if c.standing == standing]
        if group:
            shown = group[: max(room, 0)]
            room -= len(shown)
            blocks.append(section(f"{label} ({len(group)}):"))
            blocks.extend(section(_change_line(c)) for c in shown)
            if len(group) > len(shown):
                blocks.append(context(f"…and {len(group) - len(shown)} more."))
    blocks += [context(f"Standing now: {counts}"), context(_report_hint())]
    who = "1 student" if len(changes) == 1 else f"{len(changes)} students"
    text = f"{title}: {who} newly at risk or no credit. Standing now: {counts}."
    return Message(text=text, blocks=blocks)


def _change_line(change: StandingChange) -> str:
    reasons = "; ".join(change.reasons) or "see their record"
    return f"• *{escape(change.name)}*: {escape(reasons)}"


def _report_hint() -> str:
    return "Details: `/seminar report` in Slack, or `seminar-bot report` on the server."


def brief_comment(week: Week) -> str:
    """The comment on the week's question brief in the TA channel."""
    return (
        f"{week_title(week)}: /ask has closed. Here are the week's questions ranked by votes, "
        "ready to forward to the speaker."
    )


def reflections_comment(week: Week) -> str:
    """The comment on the week's reflection digest in the TA channel."""
    return f"{week_title(week)}: reflections are due. Here is every reflection, and who has none."
