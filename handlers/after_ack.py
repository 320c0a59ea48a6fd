"""After a listener has stored what the user sent, no later failure may tell them it was not.

A listener calls `committed` right after its transaction; the error handler (bot/app.py) then
tells the user the stored fact instead of "nothing was saved". Work that follows the commit
and is not the user's answer (a channel copy, the tally) runs through `best_effort`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltContext

logger = logging.getLogger(__name__)
COMMITTED = "seminar_committed"


def committed(context: BoltContext, note: str) -> None:
    """The user's change is stored; `note` says so, should the listener fail before replying."""
    context[COMMITTED] = note


def committed_note(context: BoltContext) -> str | None:
    """What was stored, if the listener got as far as storing it."""
    note = context.get(COMMITTED)
    return note if isinstance(note, str) else None


def best_effort(what: str, step: Callable[[], object]) -> None:
    """Run a step that follows the commit; a failure is logged (with `what`), never reported as a loss."""
    try:
        step()
    except Exception:  # noqa: BLE001 - the record is stored; this step's failure must not undo the story
        logger.warning("stored, but could not %s", what, exc_info=True)
