"""`/ask` under load: bursts of 50 students at once against the real `serve`; time to the HTTP response.

The server is a real `seminar-bot serve` subprocess on SQLite, on the real clock, with a course
file whose week-1 webinar started five minutes ago (so `/ask` is open), and Slack's Web API is
the fake from tests/fakes (in this process). Every student is on the roster with a Slack id.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from bench.common import (
    Load,
    Request,
    drive_processes,
    machine,
    print_table,
    save,
    scratch_dir,
    write_live_course,
)
from storage.db import make_engine, session_scope, upgrade
from storage.models import Question, Student
from tests.fakes.slack_api import FakeSlack
from tests.process import serve
from tests.signing import SLACK_SECRET, slack_headers, slash_body


def seed(db_url: str, students: int) -> list[str]:
    """Migrate and put `students` on the roster; their Slack ids."""
    engine = make_engine(db_url)
    upgrade(engine)
    ids = [f"U0B{n:05d}" for n in range(students)]
    with session_scope(engine) as session:
        for n, uid in enumerate(ids):
            session.add(
                Student(name=f"Bench Student {n}", email=f"s{n}@bench.example.edu", slack_user_id=uid)
            )
    engine.dispose()
    return ids


def burst(ids: list[str], label: str, response_url: str) -> list[Request]:
    """One /ask from every student, all sent at once."""
    requests = []
    for uid in ids:
        text = f"Question {label} from {uid}: how does the serving stack batch requests?"
        body = slash_body("/ask", text, user_id=uid, response_url=f"{response_url}/{uid}/{label}")
        requests.append(Request(f"{uid}/{label}", body, slack_headers(body)))
    return requests


def stored_questions(db_url: str) -> int:
    """How many questions the database holds."""
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        count = session.exec(select(func.count()).select_from(Question)).one()
    engine.dispose()
    return int(count)


def settle(fake: FakeSlack, timeout: float = 30.0) -> Counter[str]:
    """Wait until the fake Slack has seen no new call for a second; calls per method."""
    deadline, seen, quiet_since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = len(fake.calls)
        if now != seen:
            seen, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since > 1.0:
            break
        time.sleep(0.1)
    return Counter(c.method for c in fake.calls)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve, send the asks, wait for the listeners, count."""
    fake = FakeSlack().start()
    try:
        with scratch_dir("ask") as work:
            db_url = f"sqlite:///{Path(work) / 'bench.db'}"
            ids = seed(db_url, args.students)
            env = {
                "DATABASE_URL": db_url,
                "COURSE_FILE": str(write_live_course(work)),
                "SLACK_BOT_TOKEN": "xoxb-bench-token",
                "SLACK_SIGNING_SECRET": SLACK_SECRET,
                "SLACK_API_URL": fake.api_url,
                "LOG_LEVEL": "WARNING",
            }
            with serve(env, work) as server:
                url = server.url + "/slack/events"
                drive_processes(url, burst(ids, "warm", fake.url + "/response"), args.students)
                warm_calls = settle(fake)
                stored_before = stored_questions(db_url)
                load, cpu = Load(), 0.0
                for n in range(args.rounds):
                    before = server.cpu_seconds()
                    load.merge(
                        drive_processes(url, burst(ids, str(n), fake.url + "/response"), args.students)
                    )
                    cpu += server.cpu_seconds() - before
                    calls = settle(fake)
                calls = calls - warm_calls
            stored = stored_questions(db_url) - stored_before
    finally:
        fake.stop()
    return {
        "students": args.students,
        "asks": sum(load.statuses.values()),
        "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
        "p50_ms": load.percentile_ms(50),
        "p99_ms": load.percentile_ms(99),
        "max_ms": load.percentile_ms(100),
        "questions_stored": stored,
        "slack_calls": dict(calls),
        "server_cpu_s_per_burst": cpu / args.rounds,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=50, help="concurrent students (default 50)")
    parser.add_argument(
        "--rounds", type=int, default=4, help="bursts: each student asks once per burst (default 4)"
    )
    args = parser.parse_args(argv)
    print(f"/ask: {args.students} concurrent students x {args.rounds}; machine {machine()}")
    fig = run(args)
    print_table(
        "time to the HTTP response (Slack allows 3 s)",
        ["asks", "200", "p50 ms", "p99 ms", "max ms", "stored", "server CPU"],
        [
            [
                fig["asks"],
                fig["statuses"].get("200", 0),
                fig["p50_ms"],
                fig["p99_ms"],
                fig["max_ms"],
                fig["questions_stored"],
                f"{fig['server_cpu_s_per_burst']:.2f}s/burst",
            ]
        ],
    )
    print(f"  statuses {fig['statuses']}; Slack API calls after the acks: {fig['slack_calls']}")
    save("slack_ack", fig)


if __name__ == "__main__":
    main()
