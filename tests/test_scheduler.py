"""The scheduler inside `serve`: runs due work off the event loop, stops cleanly, needs Slack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.app import build_slack_app, make_web_client
from bot.config import Settings
from bot.runtime import Runtime, build_runtime
from bot.scheduler import DueTick, due_tick, scheduler_client
from bot.web import create_app
from tests.factories import local
from tests.fakes.slack_api import FakeSlack
from tests.live import FrozenClock, LiveServer
from tests.scheduling import class_of, outbox_rows, posts, run

WEEK1_END = local(2021, 9, 23, 15, 0)


def _serve(runtime: Runtime) -> LiveServer:
    slack_app = build_slack_app(runtime.settings, runtime.deps, make_web_client(runtime.settings))
    tick = DueTick(runtime, scheduler_client(runtime.settings))
    return LiveServer(create_app(runtime, slack_app=slack_app, scheduler_tick=tick))


def test_serve_runs_due_work_without_blocking_requests(
    runtime: Runtime, clock: FrozenClock, fake_slack: FakeSlack
) -> None:
    class_of(runtime.engine, 3)
    clock.set(WEEK1_END)
    fake_slack.delays["chat.postMessage"] = 1.0
    with _serve(runtime) as server, httpx.Client(base_url=server.url, timeout=5) as http:
        fake_slack.wait_for("chat.postMessage", 1)
        started = time.monotonic()
        assert http.get("/healthz").status_code == 200
        assert time.monotonic() - started < 0.8  # a post takes 1 s: the fan-out runs in a worker thread
        fake_slack.wait_for("chat.postMessage", 3, timeout=15)
    assert {r.status for r in outbox_rows(runtime.engine).values()} == {"sent"}


def test_stopping_serve_ends_the_run_after_the_current_message(
    runtime: Runtime, clock: FrozenClock, fake_slack: FakeSlack, settings: Settings
) -> None:
    n = 20
    class_of(runtime.engine, n)
    clock.set(WEEK1_END)
    fake_slack.delays["chat.postMessage"] = 0.1
    with _serve(runtime):
        fake_slack.wait_for("chat.postMessage", 2)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 1.0
    done = len(posts(fake_slack))
    assert done < n
    assert len(outbox_rows(runtime.engine)) == done  # nothing is left claimed
    fake_slack.delays.clear()
    assert run(runtime.engine, runtime.course, settings, WEEK1_END).sent["reflection_prompt"] == n - done
    assert len({c.body["channel"] for c in posts(fake_slack)}) == n == len(posts(fake_slack))


def test_without_slack_the_scheduler_stays_idle(tmp_path: Path, course_file: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", course_file=course_file)
    assert due_tick(build_runtime(settings)) is None


def test_the_serve_command_runs_the_scheduler(settings: Settings, fake_slack: FakeSlack) -> None:
    """`seminar-bot serve` on the real clock: the course (2021) is over, so week 10's digest is due."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "COURSE_FILE": str(settings.course_file),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": str(settings.slack_signing_secret),
        "SLACK_API_URL": fake_slack.api_url,
    }
    script = Path(sys.executable).parent / "seminar-bot"
    proc = subprocess.Popen(
        [str(script), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        [call] = fake_slack.wait_for("chat.postMessage", 1, timeout=20)
        assert call.body["channel"] == "C0TAS" and "Week 10" in call.body["text"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
