"""Slack down, 5xx or slow: scheduled prompts wait in the outbox and are sent once; acks never wait."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.runtime import Runtime
from handlers.schedule.due import BRIEF, PROMPT
from rules.course import Course
from storage.db import session_scope
from storage.models import Excuse, utcnow
from tests.conftest import Live
from tests.factories import add_student, local
from tests.fakes.slack_api import FakeSlack
from tests.process import free_port
from tests.scheduling import class_of, dms, outbox_rows, posts, run
from tests.signing import slack_headers, slash_body

WEEK1_END = local(2021, 9, 23, 15, 0)
BURST = 60


def excuse(session: Session, ids: list[int | None]) -> None:
    """Excused for week 1, so the reflection prompt is the only message due."""
    for sid in ids:
        assert sid is not None
        session.add(Excuse(student_id=sid, week=1, reason="-", created_by="U0TA1"))


def test_slack_down_then_5xx_then_back_sends_every_prompt_once(
    runtime: Runtime, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    db: Engine = runtime.engine
    wall = utcnow()
    first = class_of(db, 3, prefix="A")
    with session_scope(db) as session:
        excuse(session, [s.id for s in first])

    down = settings.model_copy(update={"slack_api_url": f"http://127.0.0.1:{free_port()}/api/"})
    summary = run(db, course, down, WEEK1_END, wall=wall)  # connection refused (after the client's retries)
    assert summary.sent == {} and [e for _, e in summary.retrying] == ["cannot reach Slack: URLError"]
    assert summary.stopped and len(outbox_rows(db)) == 1  # it stops at once: the others wait, unclaimed

    more = class_of(db, 2, prefix="B")
    with session_scope(db) as session:
        excuse(session, [s.id for s in more])
    fake_slack.fail("chat.postMessage", status=502, times=10)
    summary = run(db, course, settings, WEEK1_END + timedelta(minutes=2), wall=wall + timedelta(minutes=2))
    assert summary.sent == {} and len(summary.retrying) == 5 and all("502" in e for _, e in summary.retrying)
    assert {r.status for r in outbox_rows(db).values()} == {"claimed"}

    fake_slack.reset()
    later = wall + timedelta(minutes=10)
    summary = run(db, course, settings, WEEK1_END + timedelta(minutes=10), wall=later)
    assert dms(summary) == {PROMPT: 5} and summary.ok
    assert sorted(c.body["channel"] for c in posts(fake_slack)) == sorted(
        str(s.slack_user_id) for s in [*first, *more]
    )
    assert {r.status for r in outbox_rows(db).values()} == {"sent"}
    again = run(db, course, settings, WEEK1_END + timedelta(minutes=30), wall=later + timedelta(minutes=20))
    assert again.sent == {BRIEF: 1} and len(posts(fake_slack)) == 5  # nothing twice; the brief is new


def test_a_burst_of_asks_is_acked_at_once_while_slack_is_slow(live: Live) -> None:
    """60 students /ask at the same instant while every Slack API call takes 3 s: no ack waits for
    the earlier students' post-ack work (the listener pool is larger than a class's burst)."""
    with session_scope(live.runtime.engine) as session:
        for n in range(BURST):
            add_student(session, f"Student {n}", f"s{n}@example.edu", slack_user_id=f"U0S{n:03d}")
    live.slack.delays["chat.postMessage"] = 3.0
    go, acks = threading.Event(), []

    def ask(n: int) -> None:
        body = slash_body("/ask", f"Question {n}?", user_id=f"U0S{n:03d}", response_url=live.response_url)
        with httpx.Client(base_url=live.url, timeout=10) as http:
            go.wait()
            started = time.monotonic()
            assert http.post("/slack/events", content=body, headers=slack_headers(body)).status_code == 200
            acks.append(time.monotonic() - started)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(BURST)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join()
    assert len(acks) == BURST and max(acks) < 2.0, sorted(acks)[-5:]
    live.slack.wait_for("response_url", BURST, timeout=15)
