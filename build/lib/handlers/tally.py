"""The live question tally in the TA channel: one message per week, edited as questions arrive.

`note_question` is on the /ask hot path: it bumps the week's version in the database and wakes
this process's updater for the week, then returns. The updater renders the newest state at most
once every `MIN_INTERVAL` seconds per week (chat.update is Tier 3) and keeps going until the
message reflects the latest version, so bursts coalesce and the last change is never lost. The
edit slot and the right to post the first message are claimed in the database, so any number
of processes share one message per week.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import Deps
from handlers.views.tally import tally_message
from storage import tally as store
from storage.db import session_scope
from storage.models import TallyMessage, utcnow

logger = logging.getLogger(__name__)
MIN_INTERVAL = 2.0  # seconds between edits of one week's message
POST_LEASE = 60.0  # a `posting:` claim older than this belongs to a dead process
MAX_FAILURES = 4
RETRY_BASE = 0.25  # seconds; doubled after each failed attempt
FINAL_WINDOW = timedelta(days=1)  # how long after /ask closes a missed summary is still posted
LOST_MESSAGE = {"message_not_found", "cant_update_message", "edit_window_closed"}


@dataclass
class _Updater:
    """This process's background updater for one week."""

    deps: Deps
    client: WebClient
    pending: bool = True
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


_lock = threading.Lock()
_updaters: dict[tuple[int, int], _Updater] = {}


def note_question(deps: Deps, client: WebClient, week: int) -> None:
    """A question was stored for `week`: bring the week's tally message up to date (soon)."""
    with session_scope(deps.engine) as session:
        store.bump(session=session, week=week, channel=deps.course.ta_channel)
    _wake(deps, client, week)


def touch(deps: Deps, client: WebClient, week: int) -> None:
    """Something a tally shows changed (a match, an excuse): update it if the week has one."""
    with session_scope(deps.engine) as session:
        exists = store.bump_existing(session=session, week=week)
    if exists:
        _wake(deps, client, week)


def refresh(
    deps: Deps, client: WebClient, week: int, final: bool = False, timeout: float = 15.0
) -> TallyMessage:
    """Post or update the week's tally now (`final`: as the week's summary) and wait for it.

    `/seminar tally` and `finalize_ended` call it. Raises TallyError when Slack refused or time
    ran out (the background updater keeps retrying a few times either way).
    """
    with session_scope(deps.engine) as session:
        version = store.bump(session=session, week=week, channel=deps.course.ta_channel, final=final)
    updater = _wake(deps, client, week)
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(deps.engine) as session:
            row = store.get(session=session, week=week)
        if row is not None and row.rendered_version >= version and _posted(row.ts):
            return row
        if updater.error:
            raise TallyError(updater.error)
        if time.monotonic() > deadline:
            raise TallyError("timed out waiting for Slack")
        time.sleep(0.05)


def finalize_ended(deps: Deps, client: WebClient, now: datetime) -> list[int]:
    """Turn each week's tally into its final summary once /ask has closed (for the scheduler's tick).

    Cheap when nothing is due (calendar only); a week is finalised once, within a day of its end,
    even if nobody asked a question (the summary still reports attendance). The summary itself
    is computed at `deps.clock()`, like every tally.
    """
    weeks = [w.number for w in deps.course.weeks if w.ask_window.end <= now < w.ask_window.end + FINAL_WINDOW]
    if not weeks:
        return []
    with session_scope(deps.engine) as session:
        finished = {w for w in weeks if _summary_sent(store.get(session=session, week=w))}
    done = []
    for week in (w for w in weeks if w not in finished):
        try:
            refresh(deps, client, week, final=True)
            done.append(week)
        except TallyError as error:
            logger.warning("could not post week %s's summary: %s", week, error)
    return done


class TallyError(Exception):
    """The tally could not be sent; the message says what Slack answered."""


def drain(timeout: float = 15.0) -> bool:
    """Wait until no tally updater is running in this process (tests, shutdown)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            running = list(_updaters.values())
        if not running:
            return True
        running[0].done.wait(max(0.0, deadline - time.monotonic()))
    return False


def _wake(deps: Deps, client: WebClient, week: int) -> _Updater:
    """Make sure an updater for the week will look at the database after this call."""
    key = (id(deps.engine), week)
    with _lock:
        updater = _updaters.get(key)
        if updater is not None:
            updater.pending, updater.client, updater.error = True, client, None
            return updater
        updater = _updaters[key] = _Updater(deps, client)
    name = f"tally-week-{week}"
    threading.Thread(target=_run, args=(key, week, updater), name=name, daemon=True).start()
    return updater


def _run(key: tuple[int, int], week: int, updater: _Updater) -> None:
    """Catch up until nothing is pending; retry failures with back-off, then give up loudly."""
    failures = 0
    while True:
        with _lock:
            if not updater.pending:
                del _updaters[key]
                updater.done.set()
                return
            updater.pending = False
        try:
            _catch_up(updater.deps, updater.client, week)
            failures, updater.error = 0, None
        except Exception as exc:  # noqa: BLE001 - a background thread must never die silently
            failures += 1
            updater.error = _describe(exc)
            logger.warning("week %s tally update failed (%s)", week, updater.error, exc_info=True)
            if failures < MAX_FAILURES:
                updater.pending = True
                time.sleep(min(8.0, RETRY_BASE * 2**failures))
            else:
                logger.error("giving up on week %s's tally until the next question", week)


def _catch_up(deps: Deps, client: WebClient, week: int) -> None:
    """Render and send until the message reflects the latest version (or another process will)."""
    while True:
        with session_scope(deps.engine) as session:
            row = store.get(session=session, week=week)
        if row is None or (row.rendered_version >= row.version and _posted(row.ts)):
            return
        if row.ts and not _posted(row.ts) and not store.posting_expired(row.ts, POST_LEASE):
            time.sleep(0.2)  # another process is posting the first message
            continue
        with session_scope(deps.engine) as session:
            got_slot = store.claim_slot(session=session, week=week, now=utcnow(), interval=MIN_INTERVAL)
        if not got_slot:
            wait = (row.updated_at - utcnow()).total_seconds() + MIN_INTERVAL
            time.sleep(min(MIN_INTERVAL, max(0.05, wait)))
            continue
        _send(deps, client, week)


def _send(deps: Deps, client: WebClient, week: int) -> None:
    """Render the current state and post or update the one message; record what it reflects."""
    with session_scope(deps.engine) as session:
        row = store.get(session=session, week=week)
        assert row is not None
        version, ts, channel = row.version, row.ts, row.channel
        if ts and not _posted(ts) and not store.posting_expired(ts, POST_LEASE):
            return  # another process is posting; _catch_up waits for it
        summary = store.summarize_week(
            session=session, course=deps.course, now=deps.clock(), week=week, final=row.final
        )
    text, blocks = tally_message(summary)
    message = _Message(week, channel, ts, text, blocks)
    try:
        sent = _update(deps, client, message) if _posted(ts) else _post(deps, client, message)
    finally:
        with session_scope(deps.engine) as session:
            store.restart_slot(session=session, week=week, now=utcnow())
    if not sent:
        return
    with session_scope(deps.engine) as session:
        store.mark_rendered(session=session, week=week, version=version)


@dataclass(frozen=True)
class _Message:
    """A rendered tally and where it goes (`ts` None or a stale claim: not posted yet)."""

    week: int
    channel: str
    ts: str | None
    text: str
    blocks: list[dict[str, Any]]


def _post(deps: Deps, client: WebClient, m: _Message) -> bool:
    """Claim and post the week's first message; False when another process has the claim."""
    with session_scope(deps.engine) as session:
        token = store.claim_post(session=session, week=m.week, seen_ts=m.ts)
    if token is None:
        return False
    try:
        resp = client.chat_postMessage(channel=m.channel, text=m.text, blocks=m.blocks, unfurl_links=False)
    except BaseException:
        with session_scope(deps.engine) as session:
            store.set_ts(session=session, week=m.week, old=token, new=None)
        raise
    with session_scope(deps.engine) as session:
        store.set_ts(
            session=session, week=m.week, old=token, new=str(resp["ts"]), channel=str(resp["channel"])
        )
    return True


def _update(deps: Deps, client: WebClient, m: _Message) -> bool:
    """Edit the message; if someone deleted it, forget it so the next round posts a new one."""
    assert m.ts is not None
    try:
        client.chat_update(channel=m.channel, ts=m.ts, text=m.text, blocks=m.blocks)
    except SlackApiError as exc:
        if exc.response.get("error") not in LOST_MESSAGE:
            raise
        logger.info("week %s tally message %s is gone; posting a new one", m.week, m.ts)
        with session_scope(deps.engine) as session:
            store.set_ts(session=session, week=m.week, old=m.ts, new=None)
        return False
    return True


def _summary_sent(row: TallyMessage | None) -> bool:
    """The week's message is final and shows its latest state."""
    return row is not None and row.final and row.rendered_version >= row.version and _posted(row.ts)


def _posted(ts: str | None) -> bool:
    return bool(ts) and not str(ts).startswith(store.POSTING)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "slack_error")
    return type(exc).__name__
