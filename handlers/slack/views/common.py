"""Shared message text and small Block Kit builders."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

# Slack's date token: each reader sees the instant in their own time zone; the text after `|` is
# what a client that cannot render it shows instead.
DATE_FORMAT = "{date_short_pretty} {time}"
_DATE_TOKEN = re.compile(r"<!date\^-?[0-9]+\^[^|<>]*\|([^<>]*)>")

ERROR_TRY_AGAIN = (
    "Sorry — something went wrong on our side and nothing was saved. Please try again in a minute."
)
SAVED_THEN_ERROR = (
    "That was saved, but something went wrong on our side before I could finish this reply. "
    "There is no need to send it again."
)


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block (Slack caps section text at 3000 characters)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def context(text: str) -> dict[str, Any]:
    """A small grey context line."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def header(text: str) -> dict[str, Any]:
    """A header block (150 characters at most)."""
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def when(instant: datetime, tz: tzinfo) -> str:
    """Every time the bot shows a person, as Slack's date token in the reader's own time zone;
    the fallback is the course's wall clock (`course_clock`)."""
    return f"<!date^{int(instant.timestamp())}^{DATE_FORMAT}|{course_clock(instant, tz)}>"


def time_of_day(instant: datetime, tz: tzinfo) -> str:
    """A time within a day already named (e.g. when a question was asked), as a date token."""
    local = instant.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    return f"<!date^{int(instant.timestamp())}^{{time}}|{hour}:{local:%M %p}>"


def course_clock(instant: datetime, tz: tzinfo) -> str:
    """The course's wall clock, e.g. "Thu Sep 30, 1:30 PM PDT"."""
    local = instant.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%a %b} {local.day}, {hour}:{local:%M %p %Z}"


def plain_times(text: str) -> str:
    """Text for a plain_text field (a modal's input error, a header), where Slack renders no date
    token: each token becomes its course-time fallback."""
    return _DATE_TOKEN.sub(lambda m: m.group(1), text)


def plain(text: str) -> dict[str, Any]:
    """A plain_text object (emoji allowed)."""
    return {"type": "plain_text", "text": text, "emoji": True}
