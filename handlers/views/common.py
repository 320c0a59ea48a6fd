"""Shared message text and small Block Kit builders."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

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
    """A local time for messages, e.g. "Thu Sep 30, 1:30 PM"."""
    local = instant.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%a %b} {local.day}, {hour}:{local:%M %p}"


def plain(text: str) -> dict[str, Any]:
    """A plain_text object (emoji allowed)."""
    return {"type": "plain_text", "text": text, "emoji": True}
