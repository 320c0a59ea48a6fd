"""The live tally: one message per week, coalesced edits within Slack's limits, nothing lost."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.app import make_web_client
from bot.config import Settings
from handlers.deps import Deps
from handlers.schedule import paced
from handlers.schedule import tally_worker as tally
from rules.course import Course
from storage.db import make_engine, session_scope
from storage.models import Excuse, Question, TallyMessage
from tests.factories import add_student, local
from tests.fakes.slack_api import Call, FakeSlack
from tests.live import FrozenClock


@pytest.fixture
def deps(engine: Engine, course: Course, clock: FrozenClock) -> Iterator[Deps]:
    """Handler deps on each database; their tally updaters finish before the database goes away."""
    deps = Deps(engine=engine, course=course, clock=clock)
    yield deps
    deps.tally.drain()


@pytest.fixture
def client(settings: Settings) -> WebClient:
    """The production Slack client (with retry handlers), pointed at the fake."""
    return make_web_client(settings)


@pytest.fixture
def fast_edits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests about what is sent (not how often) needn't wait Slack's pacing or retry back-off."""
    monkeypatch.setattr(tally, "MIN_INTERVAL", 0.2)
    monkeypatch.setattr(paced, "RETRY_BASE", 0.02)


def ask(session: Session, student_id: int, week: int = 1) -> None:
    """Store one question, as /ask does."""
    session.add(Question(student_id=student_id, week=week, text="q?", dedup_key=uuid.uuid4().hex))


def message_text(call: Call) -> str:
    """All text of a posted or updated message (fallback and blocks)."""
    blocks: list[dict[str, Any]] = call.body.get("blocks") or []
    parts = [str(call.body.get("text", ""))]
    for b in blocks:
        text = b.get("text") or {}
        parts.append(str(text.get("text", "")))
        parts += [str(e.get("text", "")) for e in b.get("elements", [])]
    return "\n".join(parts)


def last_message(fake: FakeSlack) -> Call:
    """The latest post or edit in the TA channel."""
    calls = [c for c in fake.calls if c.method in ("chat.postMessage", "chat.update")]
    return calls[-1]


def test_burst_of_50_questions(deps: Deps, client: WebClient, fake_slack: FakeSlack) -> None:
    """50 concurrent /asks: one post, a few spaced edits, and the last edit shows all 50."""
    with session_scope(deps.engine) as session:
        ids = [add_student(session, f"Student {i:02}", f"s{i}@example.edu").id for i in range(20)]
    asks = [sid for sid in ids[:15] for _ in range(3)] + ids[15:]  # 15 students × 3, 5 × 1

    def one(student_id: int | None) -> None:
        assert student_id is not None
        with session_scope(deps.engine) as session:
            ask(session, student_id)
        deps.tally.note_question(client, 1)

    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(one, asks))
    assert deps.tally.drain(timeout=20)

    posts = fake_slack.calls_to("chat.postMessage")
    updates = fake_slack.calls_to("chat.update")
    assert len(posts) == 1 and posts[0].body["channel"] == "C0TAS"
    assert len(updates) <= 5, "the burst was not coalesced"
    times = [c.at for c in posts + updates]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(g >= tally.MIN_INTERVAL - 0.3 for g in gaps), gaps  # ≤ 30 edits/min: Tier 3 is 50
    final = message_text(last_message(fake_slack))
    assert "50 questions" in final and "15 of 20" in final
    for i in range(15, 20):
        assert f"Student {i:02} (1)" in final
    assert "Student 00" not in final, "students who met the minimum are not named"
    with session_scope(deps.engine) as session:
        row = session.get(TallyMessage, 1)
        assert row is not None and row.rendered_version == row.version == 50
        assert row.ts and not row.ts.startswith("posting")
    assert {u.body["ts"] for u in updates} <= {row.ts}


def test_tally_redraw_lets_unanswered_requests_go_first(
    deps: Deps, client: WebClient, fake_slack: FakeSlack
) -> None:
    """After a burst, the redraw waits until the Slack requests still arriving are answered."""
    with session_scope(deps.engine) as session:
        student = add_student(session, "Ada Lovelace", "ada@example.edu")
        assert student.id is not None
        ask(session, student.id)
    deps.acks.max_wait = 30.0
    with deps.acks.pending():  # the next burst's /ask, not answered yet
        deps.tally.note_question(client, 1)
        time.sleep(0.5)
        assert fake_slack.calls_to("chat.postMessage") == []
    assert deps.tally.drain(timeout=10)
    assert "1 question" in message_text(fake_slack.wait_for("chat.postMessage")[0])


def test_tally_redraw_waits_for_other_acks_only_so_long(
    deps: Deps, client: WebClient, fake_slack: FakeSlack
) -> None:
    """A stream of requests never holds the redraw back for more than max_wait."""
    deps.acks.max_wait = 0.3
    with deps.acks.pending():
        deps.tally.note_question(client, 1)
        assert fake_slack.wait_for("chat.postMessage", timeout=10)


@pytest.mark.usefixtures("fast_edits")
def test_two_processes_share_one_message(
    deps: Deps, db_url: str, client: WebClient, fake_slack: FakeSlack, course: Course, clock: FrozenClock
) -> None:
    """Two processes (two engines, two updater registries) post one message and agree on it."""
    other_engine = make_engine(db_url)
    other = Deps(engine=other_engine, course=course, clock=clock)
    with session_scope(deps.engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu").id
        bob = add_student(session, "Bob", "bob@example.edu").id
    assert ada and bob

    def one(i: int) -> None:
        with session_scope(deps.engine) as session:
            ask(session, ada if i % 3 else bob)
        (other if i % 2 else deps).tally.note_question(client, 1)

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(one, range(12)))
        assert deps.tally.drain(timeout=20) and other.tally.drain(timeout=20)
    finally:
        other_engine.dispose()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    final = message_text(last_message(fake_slack))
    assert "12 questions" in final and "2 of 2" in final


@pytest.mark.usefixtures("fast_edits")
def test_deleted_message_is_posted_again(deps: Deps, client: WebClient, fake_slack: FakeSlack) -> None:
    with session_scope(deps.engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu").id
        assert ada
        ask(session, ada)
    first = deps.tally.refresh(client, 1)
    fake_slack.fail("chat.update", error="message_not_found")
    with session_scope(deps.engine) as session:
        ask(session, ada)
    deps.tally.note_question(client, 1)
    assert deps.tally.drain(timeout=20)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 2
    with session_scope(deps.engine) as session:
        row = session.get(TallyMessage, 1)
        assert row is not None and row.ts != first.ts and row.rendered_version == row.version
    assert "2 questions" in message_text(posts[-1])


@pytest.mark.usefixtures("fast_edits")
def test_slack_failure_is_reported_then_retried(deps: Deps, client: WebClient, fake_slack: FakeSlack) -> None:
    """refresh tells the TA what Slack said; the updater retries and the tally still lands."""
    with session_scope(deps.engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu").id
        assert ada
        ask(session, ada)
    fake_slack.fail("chat.postMessage", error="not_in_channel", times=2)
    with pytest.raises(tally.TallyError, match="not_in_channel"):
        deps.tally.refresh(client, 1)
    assert deps.tally.drain(timeout=20)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 3 and "1 question" in message_text(posts[-1])


@pytest.mark.usefixtures("fast_edits")
def test_rate_limited_update_still_lands(deps: Deps, client: WebClient, fake_slack: FakeSlack) -> None:
    with session_scope(deps.engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu").id
        assert ada
        ask(session, ada)
    deps.tally.refresh(client, 1)
    fake_slack.fail("chat.update", status=429, retry_after=1)
    with session_scope(deps.engine) as session:
        ask(session, ada)
    deps.tally.note_question(client, 1)
    assert deps.tally.drain(timeout=20)
    assert "2 questions" in message_text(last_message(fake_slack))


@pytest.mark.usefixtures("fast_edits")
def test_final_summary_names_only_shortfalls(
    deps: Deps, client: WebClient, fake_slack: FakeSlack, clock: FrozenClock
) -> None:
    """After the discussion: attendance of both parts, questions, absentees; excused not named."""
    with session_scope(deps.engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu").id
        bob = add_student(session, "Bob", "bob@example.edu").id
        add_student(session, "Cy", "cy@example.edu", status="dropped")
        assert ada and bob
        ask(session, ada)
        ask(session, ada)
        session.add(Excuse(student_id=bob, week=1, reason="sick", created_by="U0TA1"))
    deps.tally.refresh(client, 1)
    assert "Week 1 question tally" in message_text(last_message(fake_slack))
    clock.set(local(2021, 9, 23, 15, 5))
    row = deps.tally.refresh(client, 1, final=True)
    assert row.final
    final = message_text(last_message(fake_slack))
    assert "Week 1 summary" in final and "webinar 0 of 2" in final and "1 excused" in final
    assert "Absent (not excused):* Ada" in final  # no Zoom data yet: Ada counts as absent
    assert "Bob" not in final and "Cy" not in final
    assert "No Zoom attendance" in final and "zoom backfill --week 1" in final


def test_note_question_is_cheap(deps: Deps, client: WebClient, fake_slack: FakeSlack) -> None:
    """The /ask hot path only bumps a counter; Slack is called in the background."""
    fake_slack.delays["chat.postMessage"] = 2.0
    with session_scope(deps.engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu").id
        assert ada
        ask(session, ada)
    start = time.monotonic()
    deps.tally.note_question(client, 1)
    assert time.monotonic() - start < 1.5  # posting takes 2 s
    assert deps.tally.drain(timeout=20)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_touch_only_updates_existing_tallies(deps: Deps, client: WebClient, fake_slack: FakeSlack) -> None:
    deps.tally.touch(client, 2)
    assert deps.tally.drain()
    assert fake_slack.calls_to("chat.postMessage") == []
    with session_scope(deps.engine) as session:
        assert session.get(TallyMessage, 2) is None


@pytest.mark.usefixtures("fast_edits")
def test_finalize_ended_posts_each_summary_once(
    deps: Deps, client: WebClient, fake_slack: FakeSlack, clock: FrozenClock
) -> None:
    """The scheduler hook: once /ask closes the tally becomes the summary, once, even without questions."""
    with session_scope(deps.engine) as session:
        add_student(session, "Ada", "ada@example.edu")

    def at(*when: int) -> list[int]:
        clock.set(local(2021, *when))
        return deps.tally.finalize_ended(client, clock())

    assert at(9, 23, 15, 10) == []  # /ask is still open
    fake_slack.fail("chat.postMessage", error="channel_not_found", times=1000)
    assert at(9, 23, 15, 15) == []  # Slack refused: tried again at the next tick
    assert deps.tally.drain()  # the background retries gave up too
    fake_slack.faults.clear()  # Slack accepts again (however many retries the updater made)
    assert at(9, 23, 15, 16) == [1]
    assert at(9, 23, 18, 0) == []
    assert at(9, 25, 12, 0) == []  # too late for week 1, too early for week 2
    post = fake_slack.calls_to("chat.postMessage", channel="C0TAS")[-1]
    assert "Week 1 summary" in message_text(post) and "Absent (not excused):* Ada" in message_text(post)
    with session_scope(deps.engine) as session:
        row = session.get(TallyMessage, 1)
        assert row is not None and row.final


@pytest.mark.usefixtures("fast_edits")
def test_a_dead_posters_claim_expires(deps: Deps, client: WebClient, fake_slack: FakeSlack) -> None:
    """A process that died mid-post leaves `posting:<time>`; after the lease another one posts."""
    with session_scope(deps.engine) as session:
        ada = add_student(session, "Ada", "ada@example.edu").id
        assert ada
        ask(session, ada)
        session.add(TallyMessage(week=1, channel="C0TAS", ts=f"posting:{time.time() - 3600:.3f}", version=1))
    deps.tally.note_question(client, 1)
    assert deps.tally.drain(timeout=20)
    [post] = fake_slack.calls_to("chat.postMessage", channel="C0TAS")
    assert "1 question" in message_text(post)
    with session_scope(deps.engine) as session:
        row = session.get(TallyMessage, 1)
        assert row is not None and row.ts and not row.ts.startswith("posting") and row.version == 2
