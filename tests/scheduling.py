"""Helpers for the scheduler tests: a class of students, a run at an instant, what Slack got."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.config import Settings
from bot.scheduler import scheduler_client
from handlers.deps import Deps
from handlers.schedule.delivery import Pacer
from handlers.schedule.jobs import RunSummary, run_due
from rules.course import Course
from storage import outbox
from storage.db import session_scope
from storage.models import OutboundMessage, Question, Student, utcnow
from storage.submissions import question_copy_key
from tests.factories import add_student
from tests.fakes.slack_api import Call, FakeSlack


def enrol(engine: Engine, *people: tuple[str, str | None], status: str = "active") -> dict[str, Student]:
    """Add students (name, slack id) with name-based emails; return them by name."""
    out = {}
    with session_scope(engine) as session:
        for name, slack_id in people:
            out[name] = add_student(
                session, name, f"{name.lower()}@example.edu", slack_user_id=slack_id, status=status
            )
    return out


def class_of(engine: Engine, n: int, prefix: str = "S") -> list[Student]:
    """n active students with Slack ids U{prefix}0001…"""
    people = [(f"{prefix}{i:04d}", f"U{prefix}{i:04d}") for i in range(1, n + 1)]
    return list(enrol(engine, *people).values())


def client_for(settings: Settings) -> WebClient:
    """The scheduler's real slack_sdk client, pointed at the fake Slack."""
    return scheduler_client(settings)


def run(
    engine: Engine,
    course: Course,
    settings: Settings,
    now: datetime,
    *,
    wall: datetime | None = None,
    pacer: Pacer | None = None,
) -> RunSummary:
    """One run_due at the course instant `now` (and wall-clock instant `wall`, default real now)."""
    deps = Deps(engine=engine, course=course, clock=lambda: now)
    at = wall or utcnow()
    return run_due(deps, client_for(settings), now, wall=lambda: at, pacer=pacer)


def posts(fake: FakeSlack, channel: str | None = None) -> list[Call]:
    """chat.postMessage calls the fake got (optionally to one channel)."""
    calls = fake.calls_to("chat.postMessage")
    return [c for c in calls if channel is None or c.body.get("channel") == channel]


def blocks(call: Call) -> list[dict[str, Any]]:
    """The blocks of a recorded post."""
    raw = call.body.get("blocks") or "[]"
    loaded = json.loads(raw) if isinstance(raw, str) else raw
    assert isinstance(loaded, list)
    return loaded


def buttons(call: Call) -> list[tuple[str, str]]:
    """(action_id, value) of every button in a post."""
    return [
        (el["action_id"], el["value"])
        for block in blocks(call)
        if block["type"] == "actions"
        for el in block["elements"]
    ]


def outbox_rows(engine: Engine) -> dict[str, OutboundMessage]:
    """Every outbox row by key."""
    with session_scope(engine) as session:
        return {r.key: r for r in session.exec(select(OutboundMessage)).all()}


TA_CHANNEL_KINDS = {"ta_digest", "question_brief", "reflection_digest"}


def dms(summary: RunSummary) -> dict[str, int]:
    """What a run sent to students (everything but the TA channel's digest and files), by kind."""
    return {kind: n for kind, n in summary.sent.items() if kind not in TA_CHANNEL_KINDS}


def week_of(call: Call) -> int:
    """The week number a post talks about."""
    found = re.search(r"Week (\d+)", str(call.body.get("text", "")))
    assert found, call.body
    return int(found.group(1))


def copies_recorded(live: Any, timeout: float = 10.0) -> None:
    """Every question's channel copy is recorded as sent (the /ask listener does it after Slack
    answers), so an edit of it (a vote, *Mark asked*) finds the message instead of waiting for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(live.runtime.engine) as session:
            ids = [q.id for q in session.exec(select(Question)).all() if q.id is not None]
            rows = [outbox.get(session=session, key=question_copy_key(i)) for i in ids]
        if ids and all(row is not None and row.status == outbox.SENT for row in rows):
            return
        time.sleep(0.02)
    raise AssertionError("a question's channel copy was never recorded as sent")
