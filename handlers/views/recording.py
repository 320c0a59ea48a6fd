"""Replies for the "I watched the recording" button."""

from __future__ import annotations

import copy
from typing import Any

from handlers.mrkdwn import escape
from handlers.views.common import context


def no_such_week(value: str) -> str:
    """The button named no week of the course."""
    return f"There is no week {escape(value[:20])} in this course, so nothing was recorded."


def not_ended(week: int) -> str:
    """A recording can only be watched for a week that is over."""
    return f"Week {week} hasn't ended yet, so nothing was recorded."


def not_absent(week: int) -> str:
    """Only a missed week needs the recording."""
    return f"You were counted present in week {week}, so there's nothing to record. Nothing was changed."


def recorded(week: int, created: bool) -> str:
    """The attestation is stored (now or before)."""
    if created:
        return f"✅ Recorded: you watched the week {week} recording. Thanks!"
    return f"✅ Already recorded: you watched the week {week} recording."


def with_confirmation(blocks: list[dict[str, Any]], block_id: str, text: str) -> list[dict[str, Any]]:
    """The original message with the clicked button's block replaced by the confirmation."""
    out: list[dict[str, Any]] = []
    for block in copy.deepcopy(blocks):
        if block.get("block_id") != block_id:
            out.append(block)
        elif block.get("type") == "section":
            block.pop("accessory", None)
            out.extend([block, context(text)])
        else:
            out.append(context(text))
    return out if any(b.get("block_id") == block_id for b in blocks) else [*out, context(text)]
