"""The TA Home's modals: excuse a student, match a Zoom participant, and what they answer (README "For TAs").

Input errors are plain text (Slack shows a modal's errors as such), so they carry no mrkdwn.
"""

from __future__ import annotations

import json
from typing import Any

from handlers.slack.views.common import plain, section
from handlers.slack.views.mrkdwn import escape
from rules.course import Course, Week

EXCUSE_CALLBACK = "ta_excuse_submit"
MATCH_CALLBACK = "ta_match_submit"
STUDENT_BLOCK, STUDENT_ACTION = "student", "user"
WEEK_BLOCK, WEEK_ACTION = "week", "week"
REASON_BLOCK, REASON_ACTION = "reason", "reason"
MAX_OPTIONS = 100  # a static select's limit

NOT_A_TA = "Only the course's TAs can do this. Nothing was changed."
PICK_STUDENT = "Pick the student from the list."
PICK_WEEK = "Pick a week that has ended."
NO_WEEK_ENDED = "No week has ended yet, so there is nothing to excuse."
STALE_MATCH = "This form is out of date. Press Match on the Home tab again."
NUL_CHARACTER = "The reason contains a NUL character, which can't be stored."


def not_on_roster(user_id: str) -> str:
    """The picked person is not an active roster student."""
    return f"That person ({user_id}) isn't on the roster, so there is nothing to change."


def reason_too_long(length: int, limit: int) -> str:
    """Over the reason's limit."""
    return f"The reason is {length:,} characters; the limit is {limit:,}."


def excuse_modal(course: Course, ended: list[Week], max_reason: int) -> dict[str, Any]:
    """Pick the student (Slack's users_select), an ended week (newest first) and a reason."""
    options = [
        {"text": plain(f"Week {w.number} · {w.date:%a %b} {w.date.day}"), "value": str(w.number)}
        for w in reversed(ended)
    ][:MAX_OPTIONS]
    return {
        "type": "modal",
        "callback_id": EXCUSE_CALLBACK,
        "title": plain("Excuse a student"),
        "submit": plain("Excuse"),
        "close": plain("Cancel"),
        "blocks": [
            section(f"Excuse a week for a student of *{escape(course.name)}*; the reason shows in exports."),
            _student_input(),
            {
                "type": "input",
                "block_id": WEEK_BLOCK,
                "label": plain("Week"),
                "element": {
                    "type": "static_select",
                    "action_id": WEEK_ACTION,
                    "placeholder": plain("An ended week"),
                    "options": options,
                },
            },
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": True,
                "label": plain("Reason"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_ACTION,
                    "max_length": max_reason,
                    "placeholder": plain("e.g. conference travel"),
                },
            },
        ],
    }


def match_modal(identity: str) -> dict[str, Any]:
    """Pick the student whose minutes this Zoom participant's are."""
    return {
        "type": "modal",
        "callback_id": MATCH_CALLBACK,
        "private_metadata": json.dumps({"identity": identity}),
        "title": plain("Match a participant"),
        "submit": plain("Match"),
        "close": plain("Cancel"),
        "blocks": [
            section(
                f"Zoom participant *{escape(identity)}*: their past and future minutes will "
                "count for the student you pick."
            ),
            _student_input(),
        ],
    }


def _student_input() -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": STUDENT_BLOCK,
        "label": plain("Student"),
        "element": {
            "type": "users_select",
            "action_id": STUDENT_ACTION,
            "placeholder": plain("Pick a student"),
        },
    }


def notice(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (a refusal, a result)."""
    return {"type": "modal", "title": plain(title[:24]), "close": plain("Close"), "blocks": [section(text)]}
