"""run_due: send, exactly once, every message due at an instant (what `serve` and `jobs run-due` do).

Each message is claimed in the outbox right before it is posted, then marked sent with
Slack's ts; a runner that loses the claim skips it. Transient failures (5xx, network, too
many 429s) are handed back for a later run; permanent ones (the user can't be reached) are
marked failed; an app-level refusal (bad token, Messages tab off) or Slack being unreachable
stops the run, losing nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.exc import DBAPIError

from handlers.deps import Deps
from handlers.schedule import question_copy
from handlers.schedule.delivery import Delivery, Pacer, post, upload
from handlers.schedule.due import Outgoing, due_messages, next_boundary
from storage import outbox
from storage.db import session_scope
from storage.models import utcnow
from storage.outbox import QUESTION_COPY, runner_id

logger = logging.getLogger(__name__)
MAX_RATE_LIMITED = 30
LOOKAHEAD = 50
SAFETY_RECHECK = timedelta(minutes=15)
SENT_MARK_TRIES = 5
FILE_LOOKBACK = timedelta(days=14)  # longer than a week file's window: an earlier share is found


@dataclass
class RunSummary:
    """What one run did: counts by kind, and the messages that failed or wait for a retry."""

    now: datetime
    due: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    failed: list[tuple[str, str]] = field(default_factory=list)
    retrying: list[tuple[str, str]] = field(default_factory=list)
    busy: int = 0
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing failed, nothing waits for a retry and the run finished."""
        return not self.failed and not self.retrying and self.stopped is None

    def lines(self) -> list[str]:
        """A short human summary, one fact per line."""
        sent = ", ".join(f"{n} {kind}" for kind, n in sorted(self.sent.items())) or "nothing"
        out = [f"run at {self.now.isoformat()}: {self.due} due, sent {sent}"]
        if self.busy:
            out.append(f"skipped {self.busy} claimed by another runner")
        out += [f"failed {key}: {error}" for key, error in self.failed]
        out += [f"will retry {key}: {error}" for key, error in self.retrying]
        if self.stopped:
            out.append(f"stopped early: {self.stopped}")
        return out


@dataclass
class _Run:
    """One run's collaborators, so each step is a short function."""

    deps: Deps
    client: WebClient
    pacer: Pacer
    wall: Callable[[], datetime]
    stop: threading.Event
    owner: str
    summary: RunSummary


def run_due(
    deps: Deps,
    client: WebClient,
    now: datetime,
    *,
    pacer: Pacer | None = None,
    wall: Callable[[], datetime] = utcnow,
    stop: threading.Event | None = None,
    owner: str | None = None,
) -> RunSummary:
    """Send everything due at `now` (course instant); `wall` times the claims' leases."""
    with session_scope(deps.engine) as session:
        pending = due_messages(session=session, course=deps.course, now=now)
    run = _Run(
        deps, client, pacer or Pacer(), wall, stop or threading.Event(), owner or runner_id(), RunSummary(now)
    )
    run.summary.due = len(pending)
    while pending and run.summary.stopped is None:
        item = _next_ready(run, pending)
        if not run.pacer.wait(item.envelope.channel, run.stop):
            run.summary.stopped = "shutting down"
            break
        pending.remove(item)
        _deliver(run, item)
    if run.summary.sent or not run.summary.ok:
        logger.info("scheduler: %s", "; ".join(run.summary.lines()))
    return run.summary


def run_tick(
    deps: Deps,
    client: WebClient,
    now: datetime,
    *,
    gate: IdleGate | None = None,
    stop: threading.Event | None = None,
    wall: Callable[[], datetime] = utcnow,
) -> RunSummary | None:
    """Everything the scheduler does at `now`: ended weeks' tally summaries, question copies, then `run_due`.

    The summaries and the question copies whose back-off has ended are looked at every time
    (cheap, and a refused one is tried again next minute); `run_due` is skipped when the gate
    shows nothing new can be due. `serve` passes its gate; `jobs run-due` runs everything.
    """
    summaries = deps.tally.finalize_ended(client, now)
    copies = question_copy.retry_pending(deps, client, wall)
    if gate is not None and not gate.should_run(deps, now, wall()):
        return None
    summary = run_due(deps, client, now, stop=stop, wall=wall)
    if summaries:
        summary.sent["tally_summary"] += len(summaries)
    if copies:
        summary.sent[QUESTION_COPY] += copies
    if gate is not None:
        gate.ran(deps, now, wall())
    return summary


def _next_ready(run: _Run, pending: list[Outgoing]) -> Outgoing:
    """The earliest-ready of the next few messages, so one busy channel never holds up the rest."""
    window = pending[:LOOKAHEAD]
    return min(window, key=lambda o: run.pacer.ready_at(o.envelope.channel))


def _deliver(run: _Run, item: Outgoing) -> None:
    """Claim, post (waiting out 429s), and record the outcome."""
    env = item.envelope
    with session_scope(run.deps.engine) as session:
        claimed = outbox.claim(session=session, envelope=env, owner=run.owner, at=run.wall())
    if not claimed:
        run.summary.busy += 1
        return
    result = _post_until_not_limited(run, item)
    engine, key = run.deps.engine, env.key
    if result.outcome == "sent":
        _record_sent(run, key, result)
        run.summary.sent[env.kind] += 1
    elif result.outcome == "permanent":
        with session_scope(engine) as session:
            outbox.mark_failed(session=session, key=key, owner=run.owner, error=result.error)
        run.summary.failed.append((item.label, result.error))
    else:
        with session_scope(engine) as session:
            status = outbox.release(
                session=session, key=key, owner=run.owner, error=result.error, at=run.wall()
            )
        target = run.summary.failed if status == outbox.FAILED else run.summary.retrying
        target.append((item.label, result.error))
        if result.outcome == "config":
            run.summary.stopped = f"Slack refused the app itself: {result.error}"
        elif result.outcome == "unreachable":  # each further post would wait out the same timeouts
            run.summary.stopped = f"{result.error}; the rest waits for the next run"


def _record_sent(run: _Run, key: str, result: Delivery) -> None:
    """Mark the message sent, riding out a brief database hiccup: a lost mark means a resend."""
    for attempt in range(SENT_MARK_TRIES):
        try:
            with session_scope(run.deps.engine) as session:
                held = outbox.mark_sent(
                    session=session,
                    key=key,
                    owner=run.owner,
                    at=run.wall(),
                    slack_channel=result.channel,
                    slack_ts=result.ts,
                )
        except DBAPIError:
            if attempt == SENT_MARK_TRIES - 1:
                raise
            logger.warning("outbox: could not mark %s sent; trying again", key, exc_info=True)
            time.sleep(0.5 * 2**attempt)
            continue
        if not held:
            logger.warning("outbox: %s was sent but its claim had been lost", key)
        return


def _post_until_not_limited(run: _Run, item: Outgoing) -> Delivery:
    """Post; on a 429, pause everyone for Retry-After and post the same message again."""
    channel = item.envelope.channel
    for _ in range(MAX_RATE_LIMITED):
        result = _send(run, item)
        run.pacer.posted(channel)
        if result.outcome != "rate_limited":
            return result
        run.pacer.rate_limited(result.retry_after)
        hold = run.wall() + timedelta(seconds=result.retry_after) + outbox.LEASE
        with session_scope(run.deps.engine) as session:
            held = outbox.extend(session=session, key=item.envelope.key, owner=run.owner, until=hold)
        if not held:
            return Delivery("transient", error="claim lost while rate limited")
        if not run.pacer.wait(channel, run.stop):
            return Delivery("transient", error="stopped while rate limited")
    return Delivery("transient", error=f"still rate limited after {MAX_RATE_LIMITED} tries")


def _send(run: _Run, item: Outgoing) -> Delivery:
    """A message is posted; a week's file is uploaded with the message as its comment."""
    channel = item.envelope.channel
    if item.file is None:
        return post(run.client, channel, item.message)
    return upload(run.client, channel, item.file, item.message.text, run.wall() - FILE_LOOKBACK)


class IdleGate:
    """Lets the once-a-minute tick skip the full computation when nothing new can be due.

    Computing what is due reads every student's record (Zoom presence included): seconds for
    a large class. It can only change when a calendar boundary passes, a student or a
    recording link is added or changed, or a claim's lease ends; otherwise the last run's
    answer stands. A full run still happens every SAFETY_RECHECK, whatever the marks say.
    """

    def __init__(self) -> None:
        self._marks: tuple[object, ...] | None = None
        self._seen: tuple[object, ...] | None = None
        self._now: datetime | None = None
        self._boundary: datetime | None = None
        self._lease: datetime | None = None
        self._recheck: datetime | None = None

    def should_run(self, deps: Deps, now: datetime, wall: datetime) -> bool:
        """True unless the last full run's answer provably still holds."""
        with session_scope(deps.engine) as session:
            marks, self._seen = self._marks, outbox.wake_marks(session=session)
        if marks is None or self._now is None or self._recheck is None:
            return True
        if now < self._now or (self._boundary is not None and now >= self._boundary):
            return True
        if wall >= self._recheck or (self._lease is not None and wall >= self._lease):
            return True
        return self._seen != marks

    def ran(self, deps: Deps, now: datetime, wall: datetime) -> None:
        """Remember the state a full run started from (marks) and left behind (leases)."""
        with session_scope(deps.engine) as session:
            self._lease = outbox.next_lease_end(session=session, after=wall)
        self._marks, self._now, self._boundary = self._seen, now, next_boundary(deps.course, now)
        self._recheck = wall + SAFETY_RECHECK
