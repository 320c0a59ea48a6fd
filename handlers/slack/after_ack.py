"""After a listener has stored what the user sent, no later failure may tell them it was not.

A listener calls `committed` right after its transaction; the error handler (bot/app.py) then
tells the user the stored fact instead of "nothing was saved". Work that follows the commit
and is not the user's answer (a channel copy, the tally) runs through `best_effort`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from slack_bolt import BoltContext

logger = logging.getLogger(__name__)
COMMITTED = "seminar_committed"
ACKS_FIRST_MAX_WAIT = 1.0  # seconds a listener's post-ack work waits for other requests' acks, at most


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


class AcksFirst:
    """Slack requests still waiting for their answer, so that post-ack work lets them go first.

    An ack costs CPU in this process, and so does every listener's work after its ack (database,
    Slack calls): when a class sends /ask at once, the last students' acks queued behind the
    first students' stores and replies (README "Benchmarks"). The web layer marks each request
    `pending()` until it is answered; a listener calls `wait()` after its ack.
    """

    def __init__(self, max_wait: float = ACKS_FIRST_MAX_WAIT) -> None:
        self.max_wait = max_wait
        self._count = 0
        self._quiet = threading.Condition()

    @contextmanager
    def pending(self) -> Iterator[None]:
        """One request from its arrival to its answer."""
        with self._quiet:
            self._count += 1
        try:
            yield
        finally:
            with self._quiet:
                self._count -= 1
                if not self._count:
                    self._quiet.notify_all()

    def wait(self) -> None:
        """Return once no request waits for its answer (its own included), or after max_wait."""
        with self._quiet:
            self._quiet.wait_for(lambda: not self._count, timeout=self.max_wait)
