"""Paced, coalesced edits of one Slack message per key, shared by every process.

A change bumps the key's version in the database and wakes this process's updater for the key,
then returns. The updater renders the newest state at most once every `interval` seconds per key
(chat.update is Tier 3) and keeps going until the message reflects the latest version, so bursts
coalesce and the last change is never lost. The edit slot is claimed in the database
(storage/edit_slots.py), so any number of processes share the pace. The live tally
(tally_worker.py) and each question's vote count (vote_count.py) are the two users.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from storage import edit_slots
from storage.db import session_scope
from storage.edit_slots import PacedTable
from storage.models import utcnow

logger = logging.getLogger(__name__)
MAX_FAILURES = 4
RETRY_BASE = 0.25  # seconds; doubled after each failed attempt


@dataclass
class Updater:
    """The background updater for one key."""

    client: WebClient
    pending: bool = True
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Look:
    """What the key's message needs: nothing (`done`), a short wait (`busy`), or an edit."""

    done: bool
    busy: bool = False
    updated_at: datetime = edit_slots.NEVER


class PacedEdits:
    """This process's updaters, one thread per key at most; subclasses say how to look and send."""

    what = "message"

    def __init__(
        self, engine: Engine, table: PacedTable, yield_to: Callable[[], None] = lambda: None
    ) -> None:
        self.engine, self.table = engine, table
        self.yield_to = yield_to  # before each edit: blocks (bounded) while Slack requests await their acks
        self._lock = threading.Lock()
        self._updaters: dict[int, Updater] = {}

    @property
    def interval(self) -> float:
        """Seconds between two edits of one key's message (a subclass's module constant)."""
        raise NotImplementedError

    def look(self, key: int) -> Look:
        """Whether the key's message shows its latest version (a subclass reads its row)."""
        raise NotImplementedError

    def send(self, client: WebClient, key: int) -> int | None:
        """Render and send the current state; the version it reflects, or None if nothing was sent."""
        raise NotImplementedError

    def drain(self, timeout: float = 15.0) -> bool:
        """Wait until no updater is running (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                running = list(self._updaters.values())
            if not running:
                return True
            running[0].done.wait(max(0.0, deadline - time.monotonic()))
        return False

    def wake(self, client: WebClient, key: int) -> Updater:
        """Make sure an updater for the key will look at the database after this call."""
        with self._lock:
            updater = self._updaters.get(key)
            if updater is not None:
                updater.pending, updater.client, updater.error = True, client, None
                return updater
            updater = self._updaters[key] = Updater(client)
        name = f"{self.what.replace(' ', '-')}-{key}"
        threading.Thread(target=self._run, args=(key, updater), name=name, daemon=True).start()
        return updater

    def _run(self, key: int, updater: Updater) -> None:
        """Catch up until nothing is pending; retry failures with back-off, then give up loudly."""
        failures = 0
        while True:
            with self._lock:
                if not updater.pending:
                    del self._updaters[key]
                    updater.done.set()
                    return
                updater.pending = False
            try:
                self._catch_up(updater.client, key)
                failures, updater.error = 0, None
            except Exception as exc:  # noqa: BLE001 - a background thread must never die silently
                failures += 1
                updater.error = describe(exc)
                logger.warning("%s %s update failed (%s)", self.what, key, updater.error, exc_info=True)
                if failures < MAX_FAILURES:
                    updater.pending = True
                    time.sleep(min(8.0, RETRY_BASE * 2**failures))
                else:
                    logger.error("giving up on %s %s until its next change", self.what, key)

    def _catch_up(self, client: WebClient, key: int) -> None:
        """Edit until the message reflects the latest version (or another process will)."""
        while True:
            seen = self.look(key)
            if seen.done:
                return
            if seen.busy:
                time.sleep(0.2)  # another process is posting the first message
                continue
            with session_scope(self.engine) as session:
                got_slot = edit_slots.claim_slot(
                    session=session, table=self.table, key=key, now=utcnow(), interval=self.interval
                )
            if not got_slot:
                wait = (seen.updated_at - utcnow()).total_seconds() + self.interval
                time.sleep(min(self.interval, max(0.05, wait)))
                continue
            self._edit(client, key)

    def _edit(self, client: WebClient, key: int) -> None:
        """Send once in the slot just taken, then restart the pause and record what it shows."""
        self.yield_to()
        try:
            version = self.send(client, key)
        finally:
            with session_scope(self.engine) as session:
                edit_slots.restart_slot(session=session, table=self.table, key=key, now=utcnow())
        if version is not None:
            with session_scope(self.engine) as session:
                edit_slots.mark_rendered(session=session, table=self.table, key=key, version=version)


def describe(exc: BaseException) -> str:
    """What Slack answered (its error code), else the exception's type."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "slack_error")
    return type(exc).__name__
