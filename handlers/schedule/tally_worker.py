"""The live question tally in the TA channel: one message per week, edited as questions arrive.

`note_question` is on the /ask hot path: it bumps the week's version in the database and wakes
this process's updater for the week, then returns. The edits are paced and coalesced by
handlers/schedule/paced.py, at most one every `MIN_INTERVAL` seconds per week. The right to post
the first message is claimed in the database too, so any number of processes share one message
per week.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from handlers.records import summarize_week
from handlers.schedule.paced import Look, PacedEdits
from handlers.slack.views.tally_message import tally_message
from rules.course import Course
from storage import tally_rows as store
from storage.db import session_scope
from storage.models import TallyMessage

logger = logging.getLogger(__name__)
MIN_INTERVAL = 2.0  # seconds between edits of one week's message
POST_LEASE = 60.0  # a `posting:` claim older than this belongs to a dead process
FINAL_WINDOW = timedelta(days=1)  # how long after /ask closes a missed summary is still posted
LOST_MESSAGE = {"message_not_found", "cant_update_message", "edit_window_closed"}


class TallyError(Exception):
    """The tally could not be sent; the message says what Slack answered."""


@dataclass(frozen=True)
class _Message:
    """A rendered tally and where it goes (`ts` None or a stale claim: not posted yet)."""

    week: int
    channel: str
    ts: str | None
    text: str
    blocks: list[dict[str, Any]]


class TallyWorker(PacedEdits):
    """This process's tally updaters, one thread per week at most; the runtime owns one."""

    what = "week tally"

    def __init__(
        self,
        engine: Engine,
        course: Course,
        clock: Callable[[], datetime],
        yield_to: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(engine, TallyMessage, yield_to)
        self.course, self.clock = course, clock

    @property
    def interval(self) -> float:
        """At most one edit every MIN_INTERVAL seconds per week."""
        return MIN_INTERVAL

    def note_question(self, client: WebClient, week: int) -> None:
        """A question was stored for `week`: bring the week's tally message up to date (soon)."""
        with session_scope(self.engine) as session:
            store.bump(session=session, week=week, channel=self.course.ta_channel)
        self.wake(client, week)

    def touch(self, client: WebClient, week: int) -> None:
        """Something a tally shows changed (a match, an excuse): update it if the week has one."""
        with session_scope(self.engine) as session:
            exists = store.bump_existing(session=session, week=week)
        if exists:
            self.wake(client, week)

    def refresh(
        self, client: WebClient, week: int, final: bool = False, timeout: float = 15.0
    ) -> TallyMessage:
        """Post or update the week's tally now (`final`: as the week's summary) and wait for it.

        `/seminar tally` and `finalize_ended` call it. Raises TallyError when Slack refused or time
        ran out (the background updater keeps retrying a few times either way).
        """
        with session_scope(self.engine) as session:
            version = store.bump(session=session, week=week, channel=self.course.ta_channel, final=final)
        updater = self.wake(client, week)
        deadline = time.monotonic() + timeout
        while True:
            with session_scope(self.engine) as session:
                row = store.get(session=session, week=week)
            if row is not None and row.rendered_version >= version and _posted(row.ts):
                return row
            if updater.error:
                raise TallyError(updater.error)
            if time.monotonic() > deadline:
                raise TallyError("timed out waiting for Slack")
            time.sleep(0.05)

    def finalize_ended(self, client: WebClient, now: datetime) -> list[int]:
        """Turn each week's tally into its final summary once /ask has closed (the scheduler's tick).

        Cheap when nothing is due (calendar only); a week is finalised once, within a day of its
        end, even if nobody asked a question (the summary still reports attendance). The summary
        itself is computed at `clock()`, like every tally.
        """
        weeks = [
            w.number for w in self.course.weeks if w.ask_window.end <= now < w.ask_window.end + FINAL_WINDOW
        ]
        if not weeks:
            return []
        with session_scope(self.engine) as session:
            finished = {w for w in weeks if _summary_sent(store.get(session=session, week=w))}
        done = []
        for week in (w for w in weeks if w not in finished):
            try:
                self.refresh(client, week, final=True)
                done.append(week)
            except TallyError as error:
                logger.warning("could not post week %s's summary: %s", week, error)
        return done

    def look(self, key: int) -> Look:
        """Done when the message shows the latest version; busy while another process posts it."""
        with session_scope(self.engine) as session:
            row = store.get(session=session, week=key)
        if row is None or (row.rendered_version >= row.version and _posted(row.ts)):
            return Look(done=True)
        busy = bool(row.ts) and not _posted(row.ts) and not store.posting_expired(row.ts, POST_LEASE)
        return Look(done=False, busy=busy, updated_at=row.updated_at)

    def send(self, client: WebClient, key: int) -> int | None:
        """Render the current state and post or update the one message; the version it reflects.

        Called after `yield_to` (handlers/schedule/paced.py): the Slack requests still unanswered
        (`AcksFirst` in handlers/slack/after_ack.py) go first, or after a burst of /ask the redraw
        would take the CPU from the next burst's acks.
        """
        week = key
        with session_scope(self.engine) as session:
            row = store.get(session=session, week=week)
            assert row is not None
            version, ts, channel = row.version, row.ts, row.channel
            if ts and not _posted(ts) and not store.posting_expired(ts, POST_LEASE):
                return None  # another process is posting; the catch-up waits for it
            summary = summarize_week(
                session=session, course=self.course, now=self.clock(), week=week, final=row.final
            )
        text, blocks = tally_message(summary)
        message = _Message(week, channel, ts, text, blocks)
        sent = self._update(client, message) if _posted(ts) else self._post(client, message)
        return version if sent else None

    def _post(self, client: WebClient, m: _Message) -> bool:
        """Claim and post the week's first message; False when another process has the claim."""
        with session_scope(self.engine) as session:
            token = store.claim_post(session=session, week=m.week, seen_ts=m.ts)
        if token is None:
            return False
        try:
            resp = client.chat_postMessage(
                channel=m.channel, text=m.text, blocks=m.blocks, unfurl_links=False
            )
        except BaseException:
            with session_scope(self.engine) as session:
                store.set_ts(session=session, week=m.week, old=token, new=None)
            raise
        with session_scope(self.engine) as session:
            store.set_ts(
                session=session, week=m.week, old=token, new=str(resp["ts"]), channel=str(resp["channel"])
            )
        return True

    def _update(self, client: WebClient, m: _Message) -> bool:
        """Edit the message; if someone deleted it, forget it so the next round posts a new one."""
        assert m.ts is not None
        try:
            client.chat_update(channel=m.channel, ts=m.ts, text=m.text, blocks=m.blocks)
        except SlackApiError as exc:
            if exc.response.get("error") not in LOST_MESSAGE:
                raise
            logger.info("week %s tally message %s is gone; posting a new one", m.week, m.ts)
            with session_scope(self.engine) as session:
                store.set_ts(session=session, week=m.week, old=m.ts, new=None)
            return False
        return True


def _summary_sent(row: TallyMessage | None) -> bool:
    """The week's message is final and shows its latest state."""
    return row is not None and row.final and row.rendered_version >= row.version and _posted(row.ts)


def _posted(ts: str | None) -> bool:
    return bool(ts) and not str(ts).startswith(store.POSTING)
