"""The /reflect modal and every reply about reflections (spec §7)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from handlers.mrkdwn import escape
from handlers.views.common import context, plain, section, when
from storage.course import Course, Week
from storage.models import Reflection
from storage.submissions import ReflectionSaved

CALLBACK_ID = "reflection_submit"
OPEN_ACTION = "reflect_open"
BLOCK_ID = "reflection"
INPUT_ID = "text"
MAX_REFLECTION_CHARS = 2000
NUL_CHARACTER = "Your reflection contains a NUL character, which can't be stored. Nothing was saved."
STALE_FORM = "This reflection form is out of date. Please run /reflect again."


def not_open_yet(course: Course) -> str:
    """Before week 1's webinar there is nothing to reflect on."""
    first = course.weeks[0] if course.weeks else None
    opens = f" on {when(first.webinar.start, course.timezone)}" if first else ""
    return f"Reflections open when the first session's webinar starts{opens}. Nothing was saved."


def week_not_open(number: str) -> str:
    """A button or form named a week that has not started (or does not exist)."""
    return f"Week {escape(number)}'s reflection isn't open. Type /reflect to write this week's."


def too_long(length: int) -> str:
    """Over the character limit."""
    return (
        f"Your reflection is {length:,} characters; the limit is {MAX_REFLECTION_CHARS:,}. "
        "Please shorten it. Nothing was saved."
    )


def too_few(found: int, minimum: int) -> str:
    """Fewer sentences than the policy's minimum."""
    noun = "sentence" if found == 1 else "sentences"
    return f"I found {found} {noun}; a reflection needs at least {minimum}. Nothing was saved."


def usage(course: Course) -> str:
    """How /reflect works, added to refusals sent as slash-command replies."""
    lo, hi = course.policy.reflection_sentences
    return f"Type `/reflect` alone to open the form, or `/reflect` followed by your {lo}–{hi} sentences."


def _about(course: Course, week: Week) -> str:
    detail = " — ".join(escape(p) for p in (week.speaker, week.title) if p)
    return f"*Week {week.number}*" + (f": {detail}" if detail else "")


def saved(course: Course, week: Week, result: ReflectionSaved) -> str:
    """Confirmation: on time or late, and a gentle note when longer than asked."""
    row, due = result.reflection, course.reflection_due(week)
    lo, hi = course.policy.reflection_sentences
    about = _about(course, week)
    if result.outcome == "kept_on_time":
        return kept_on_time(course, week, row)
    verb = "updated" if result.outcome == "replaced" else "received"
    if row.late:
        text = f"Your reflection on {about} is {verb}, marked late (it was due {when(due, course.timezone)})."
    else:
        text = (
            f"Thanks, your reflection on {about} is {verb} ({row.sentences} sentences). "
            f"You can change it with /reflect until {when(due, course.timezone)}."
        )
    if row.sentences > hi:
        text += f"\nA gentle note: {lo}–{hi} sentences is plenty; yours has {row.sentences}, and that's fine."
    return text


def kept_on_time(course: Course, week: Week, row: Reflection) -> str:
    """After the due time an on-time reflection is kept as it is, never replaced by a late one."""
    due = when(course.reflection_due(week), course.timezone)
    return (
        f"You sent your reflection on {_about(course, week)} on time "
        f"({when(row.submitted_at, course.timezone)}). The due time ({due}) has passed, "
        "so it stays as it is and nothing new was saved."
    )


def modal(course: Course, week: Week, now: datetime, existing: Reflection | None = None) -> dict[str, Any]:
    """The reflection form for a week, prefilled with the current text when there is one."""
    due = course.reflection_due(week)
    if existing is not None and not existing.late and now >= due:
        return notice(f"Week {week.number} reflection", kept_on_time(course, week, existing))
    lo, hi = course.policy.reflection_sentences
    timing = (
        f"Due {when(due, course.timezone)}."
        if now < due
        else f"It was due {when(due, course.timezone)}, so it will be marked late."
    )
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": INPUT_ID,
        "multiline": True,
        "max_length": MAX_REFLECTION_CHARS,
        "placeholder": plain("What did you take away from the talk?"),
    }
    if existing is not None:
        element["initial_value"] = existing.text
        timing += " You're editing the reflection you already sent."
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"week": week.number}),
        "title": plain(f"Week {week.number} reflection"[:24]),
        "submit": plain("Submit"),
        "close": plain("Cancel"),
        "blocks": [
            section(_about(course, week)),
            context(f"{timing} Write {lo}–{hi} sentences (at most {MAX_REFLECTION_CHARS:,} characters)."),
            {
                "type": "input",
                "block_id": BLOCK_ID,
                "label": plain("Your reflection"),
                "element": element,
            },
        ],
    }


def notice(title: str, text: str) -> dict[str, Any]:
    """A modal that only tells the student something (no submit button)."""
    return {
        "type": "modal",
        "title": plain(title[:24]),
        "close": plain("Close"),
        "blocks": [section(text)],
    }
