"""Replies to /ask and the question as posted to the questions channel."""

from __future__ import annotations

from datetime import tzinfo

from handlers.mrkdwn import escape, quote
from handlers.views.common import when
from storage.course import Week

MAX_QUESTION_CHARS = 1000

USAGE = (
    "Type your question after the command, e.g. `/ask How do you keep training data fresh?` "
    "Nothing was saved."
)

NUL_CHARACTER = "Your question contains a NUL character, which can't be stored. Nothing was saved."


def too_long(length: int) -> str:
    """The question is over the limit."""
    return (
        f"Your question is {length:,} characters; the limit is {MAX_QUESTION_CHARS:,}. "
        "Please shorten it and send it again. Nothing was saved."
    )


def closed(next_week: Week | None, tz: tzinfo) -> str:
    """Outside every /ask window: when the next one opens."""
    rule = "/ask is open from the webinar's start until 15 minutes after the discussion ends."
    if next_week is None:
        return f"The last session has ended, so /ask is closed. Nothing was saved. ({rule})"
    opens = when(next_week.ask_window.start, tz)
    return f"/ask isn't open right now, so nothing was saved. {rule} Next: week {next_week.number}, {opens}."


def saved(week: int, count: int, minimum: int) -> str:
    """The question is stored: the week's count against the minimum."""
    noun = "question" if count == 1 else "questions"
    head = f"Got it — you've asked {count} {noun} in week {week}."
    if count >= minimum:
        return f"{head} You've met this week's minimum of {minimum}. :white_check_mark:"
    return f"{head} {minimum - count} more to reach this week's minimum of {minimum}."


def channel_post(student_name: str, week: int, text: str) -> str:
    """The question for the moderator: escaped, so mentions and broadcasts stay plain text."""
    return f"*Question from {escape(student_name)}* (week {week})\n{quote(text)}"


COPY_EVENT = "seminar_question"


def copy_metadata(copy_key: str) -> dict[str, object]:
    """Message metadata naming the copy, so a retry can see whether an earlier attempt landed."""
    return {"event_type": COPY_EVENT, "event_payload": {"key": copy_key}}


def is_copy(message: dict[str, object], copy_key: str) -> bool:
    """Whether a message from conversations.history is this copy."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != COPY_EVENT:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and payload.get("key") == copy_key
