"""The week's tally message row: its version, edit slot and posting claim, shared by every process.

Many processes may edit one tally. `version` counts changes; `rendered_version` and `updated_at`
pace its edits (storage/edit_slots.py); `ts` is the Slack message, or `posting:<epoch>` while
one process holds the right to post it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from storage import edit_slots
from storage.db import changed_one_row
from storage.models import TallyMessage

POSTING = "posting:"


def bump(*, session: Session, week: int, channel: str, final: bool = False) -> int:
    """Record that the week's tally changed (creating its row once); returns the new version."""
    create: dict[str, object] = {"channel": channel, "final": False}
    change: dict[str, object] | None = {"final": True} if final else None
    return edit_slots.bump(session=session, table=TallyMessage, key=week, create=create, change=change)


def bump_existing(*, session: Session, week: int) -> bool:
    """Record a change (a match, an excuse) only if the week already has a tally."""
    stmt = (
        update(TallyMessage)
        .where(col(TallyMessage.week) == week)
        .values(version=col(TallyMessage.version) + 1)
    )
    return changed_one_row(session, stmt)


def get(*, session: Session, week: int) -> TallyMessage | None:
    """The week's tally row."""
    return session.get(TallyMessage, week)


def claim_post(*, session: Session, week: int, seen_ts: str | None) -> str | None:
    """Take the right to post the week's first message; returns the claim token, or None."""
    token = f"{POSTING}{time.time():.3f}"
    where = col(TallyMessage.ts).is_(None) if seen_ts is None else col(TallyMessage.ts) == seen_ts
    stmt = update(TallyMessage).where(col(TallyMessage.week) == week, where).values(ts=token)
    return token if changed_one_row(session, stmt) else None


def posting_expired(ts: str | None, lease: float) -> bool:
    """A `posting:` claim older than `lease` seconds (its process died mid-post)."""
    if ts is None or not ts.startswith(POSTING):
        return False
    try:
        return time.time() - float(ts.removeprefix(POSTING)) > lease
    except ValueError:
        return True


def set_ts(
    *, session: Session, week: int, old: str | None, new: str | None, channel: str | None = None
) -> bool:
    """Replace the message ts (posted, released, or lost) if it is still `old`."""
    where = col(TallyMessage.ts).is_(None) if old is None else col(TallyMessage.ts) == old
    values: dict[str, Any] = {"ts": new}
    if channel:
        values["channel"] = channel
    stmt = update(TallyMessage).where(col(TallyMessage.week) == week, where).values(**values)
    return changed_one_row(session, stmt)
