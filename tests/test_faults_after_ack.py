"""Slack slow or failing after /ask's ack: one true story for the student, one copy in the channel.

The fake Slack acts like Slack: a slow call is still processed after the client gave up, and a
5xx or a dropped connection may come after the message was posted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.scheduler import scheduler_client
from handlers.schedule.jobs import run_tick
from storage import outbox
from storage.db import session_scope
from storage.models import OutboundMessage, Question, utcnow
from tests.conftest import Live
from tests.factories import add_student, local
from tests.send import slash

QNA = "C0QNA"
LOST = "nothing was saved"


@pytest.fixture
def slack_timeout() -> int:
    """A short client timeout, so a slow Slack call outlasts it in a test."""
    return 1


@pytest.fixture
def ada(live: Live) -> Live:
    """Ada, on the roster and linked to Slack."""
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
    return live


def copy_row(live: Live) -> OutboundMessage:
    """The one question copy in the outbox."""
    with session_scope(live.runtime.engine) as session:
        rows = session.exec(select(OutboundMessage).where(OutboundMessage.kind == outbox.QUESTION_COPY)).all()
    assert len(rows) == 1, rows
    return rows[0]


def settled(live: Live, done: Callable[[OutboundMessage], bool], timeout: float = 10.0) -> OutboundMessage:
    """Wait until the listener's attempt at the copy is over (sent, or handed back for a retry)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = copy_row(live)
        if done(row):
            return row
        time.sleep(0.05)
    raise AssertionError(f"copy never settled: {copy_row(live)}")


def released(row: OutboundMessage) -> bool:
    return row.status == outbox.CLAIMED and row.claimed_by is None and row.attempts == 1


def tick(live: Live, minutes: int) -> None:
    """The scheduler's tick, `minutes` of wall-clock time later (past the copy's back-off)."""
    later = utcnow() + timedelta(minutes=minutes)
    client = scheduler_client(live.runtime.settings)
    run_tick(live.runtime.deps, client, live.clock(), wall=lambda: later)


def landed(live: Live, timeout: float = 5.0) -> None:
    """Wait until the slow post has been processed by the fake Slack."""
    deadline = time.monotonic() + timeout
    while not live.slack.posted(QNA):
        assert time.monotonic() < deadline, "the slow post never landed"
        time.sleep(0.05)


def replies(live: Live) -> list[str]:
    return [str(c.body.get("text")) for c in live.slack.calls_to("response_url")]


def stored(live: Live) -> list[Question]:
    with session_scope(live.runtime.engine) as session:
        return list(session.exec(select(Question)).all())


def ask(live: Live, text: str = "Does the copy land once?") -> None:
    assert slash(live, "/ask", text, "U0ADA", trigger_id="t-once").status_code == 200
    live.slack.wait_for("response_url")


def test_a_slow_copy_that_lands_is_reported_once_and_never_posted_twice(ada: Live) -> None:
    live = ada
    live.slack.slow("chat.postMessage", 2.0, channel=QNA)  # longer than the client's 1 s timeout
    ask(live)
    row = settled(live, released, timeout=15)
    assert "timeout" in (row.error or "").lower() or "reach" in (row.error or "")
    landed(live)  # Slack posted it after the client gave up
    assert len(replies(live)) == 1 and "Got it" in replies(live)[0]
    assert not any(LOST in r for r in replies(live))
    assert len(stored(live)) == 1
    tick(live, minutes=5)
    tick(live, minutes=30)
    assert len(live.slack.posted(QNA)) == 1 and len(live.slack.calls_to("chat.postMessage", QNA)) == 1
    row = copy_row(live)
    assert row.status == outbox.SENT and row.slack_ts == live.slack.posted(QNA)[0]["ts"]
    assert live.slack.calls_to("conversations.history")  # it looked before deciding
    assert len(replies(live)) == 1


LANDED = [
    {"status": 500, "landed": True},
    {"status": 503, "landed": True},
    {"drop": True, "landed": True},
]


@pytest.mark.parametrize("fault", LANDED, ids=["500", "503", "dropped"])
def test_a_copy_that_landed_before_the_failure_is_posted_once(ada: Live, fault: dict[str, Any]) -> None:
    live = ada
    live.slack.fail("chat.postMessage", channel=QNA, **fault)
    ask(live)
    settled(live, released)
    assert len(live.slack.posted(QNA)) == 1  # no client-level retry resent it
    tick(live, minutes=5)
    assert len(live.slack.posted(QNA)) == 1 and copy_row(live).status == outbox.SENT
    assert not any(LOST in r for r in replies(live)) and len(stored(live)) == 1


def test_a_landed_copy_is_found_however_many_messages_came_after_it(ada: Live) -> None:
    """The retry looks through every page of the channel's history, not only the newest 200."""
    live = ada
    live.slack.fail("chat.postMessage", channel=QNA, status=500, landed=True)
    ask(live)
    settled(live, released)
    client = scheduler_client(live.runtime.settings)
    for i in range(450):  # other students' copies, posted since
        client.chat_postMessage(channel=QNA, text=f"another question {i}")
    tick(live, minutes=5)
    copies = [m for m in live.slack.posted(QNA) if "Does the copy land once?" in str(m["text"])]
    assert len(copies) == 1 and copy_row(live).status == outbox.SENT
    assert copy_row(live).slack_ts == copies[0]["ts"]


NOT_LANDED = [{"status": 503}, {"status": 200, "error": "not_in_channel"}, {"drop": True}]


@pytest.mark.parametrize("fault", NOT_LANDED, ids=["503", "not_in_channel", "dropped"])
def test_a_copy_that_did_not_land_is_retried_by_the_tick_and_posted_once(
    ada: Live, fault: dict[str, Any]
) -> None:
    live = ada
    live.slack.fail("chat.postMessage", channel=QNA, **fault)
    ask(live)
    settled(live, released)
    assert live.slack.posted(QNA) == [], [(c.method, c.body.get("channel")) for c in live.slack.calls]
    tick(live, minutes=0)  # still backing off: nothing yet
    assert live.slack.posted(QNA) == []
    tick(live, minutes=5)
    tick(live, minutes=30)
    posted = live.slack.posted(QNA)
    assert len(posted) == 1 and "Does the copy land once?" in str(posted[0]["text"])
    assert copy_row(live).status == outbox.SENT and len(replies(live)) == 1


def test_a_copy_that_posts_at_once_is_sent_once(ada: Live) -> None:
    live = ada
    ask(live)
    row = settled(live, lambda r: r.status == outbox.SENT)
    assert row.slack_ts == live.slack.posted(QNA)[0]["ts"] and row.attempts == 1
    assert live.slack.posted(QNA)[0]["metadata"]["event_payload"]["key"] == row.key
    tick(live, minutes=5)
    assert len(live.slack.posted(QNA)) == 1 and live.slack.calls_to("conversations.history") == []


def test_a_reply_that_fails_after_the_commit_never_says_nothing_was_saved(ada: Live) -> None:
    """The confirmation reaches the student but the connection drops (twice): no resend, no 'lost'."""
    live = ada
    live.slack.fail("response_url", drop=True, landed=True, times=2)
    ask(live)
    settled(live, lambda r: r.status == outbox.SENT)
    time.sleep(0.5)
    assert len(replies(live)) == 1 and "Got it" in replies(live)[0]
    assert len(stored(live)) == 1 and len(live.slack.posted(QNA)) == 1


def test_ask_reads_the_clock_once_even_as_the_window_closes(ada: Live) -> None:
    """Read at 15:14:59 (open), and at 15:15:00 (closed) were it read again: stored for week 1."""
    live = ada
    live.clock.set(local(2021, 9, 23, 15, 14) + timedelta(seconds=59))
    live.clock.step = timedelta(seconds=1)
    ask(live, "Just in time?")
    live.clock.step = None
    assert len(replies(live)) == 1 and "week 1" in replies(live)[0], replies(live)
    assert [q.week for q in stored(live)] == [1]
