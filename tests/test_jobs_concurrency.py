"""Several runners at once (threads, and real `jobs run-due` processes) never send a message twice."""

from __future__ import annotations

import os
import threading
from collections import Counter

from sqlalchemy.engine import Engine

from bot.config import Settings
from handlers.deps import Deps
from handlers.schedule.jobs import RunSummary, run_due
from rules.course import Course
from storage.db import session_scope
from storage.models import Excuse
from tests.factories import local
from tests.fakes.slack_api import FakeSlack
from tests.process import run_due_together
from tests.scheduling import class_of, client_for, outbox_rows, posts

WEEK1_END = local(2021, 9, 23, 15, 0)


def _class(engine: Engine, n: int) -> None:
    students = class_of(engine, n)
    with session_scope(engine) as session:
        for s in students:
            assert s.id is not None
            session.add(Excuse(student_id=s.id, week=1, reason="-", created_by="U0TA1"))


def _each_student_once(fake: FakeSlack, engine: Engine, n: int) -> None:
    per_channel = Counter(c.body["channel"] for c in posts(fake) if c.body["channel"] != "C0TAS")
    assert len(per_channel) == n and set(per_channel.values()) == {1}, per_channel.most_common(3)
    assert {r.status for r in outbox_rows(engine).values()} == {"sent"}


def test_concurrent_runner_threads_send_each_prompt_once(
    engine: Engine, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    n, runners = 40, 4
    _class(engine, n)
    fake_slack.delays["chat.postMessage"] = 0.005
    deps = Deps(engine=engine, course=course, clock=lambda: WEEK1_END)
    start = threading.Barrier(runners)
    summaries: list[RunSummary] = []

    def runner() -> None:
        client = client_for(settings)
        start.wait()
        summaries.append(run_due(deps, client, WEEK1_END))

    threads = [threading.Thread(target=runner) for _ in range(runners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(summaries) == runners
    assert sum(s.sent["reflection_prompt"] for s in summaries) == n
    assert sum(s.busy for s in summaries) > 0  # they really did race for the same messages
    _each_student_once(fake_slack, engine, n)


def test_two_run_due_processes_at_once_send_each_prompt_once(
    engine: Engine, db_url: str, course: Course, settings: Settings, fake_slack: FakeSlack
) -> None:
    n = 30
    _class(engine, n)
    fake_slack.delays["chat.postMessage"] = 0.02
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "COURSE_FILE": str(settings.course_file),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": str(settings.slack_signing_secret),
        "SLACK_API_URL": fake_slack.api_url,
    }
    outputs = run_due_together(env, "2021-09-23T15:00")
    assert all("2021-09-23T22:00:00+00:00" in out for out in outputs)
    _each_student_once(fake_slack, engine, n)
