"""Fan-out: reflection prompts to 1,000 students against a rate-limited fake Slack.

The fake Slack (tests/fakes) answers 429 with Retry-After beyond one message per second per
channel and a sliding window of W messages per minute per workspace. The scheduler's own
`run_due` (what `serve` runs every minute and `jobs run-due` runs once) sends the prompts due
one minute after week 1's discussion ends, with the production Slack client; runs repeat, as the
scheduler would, until nothing is due. Prints the limit's minimum time, the actual time, the
ratio, what was delivered and how many 429s Slack answered.
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    DEFAULT_PG_URL,
    machine,
    postgres_reason,
    postgres_schema,
    print_table,
    save,
    scratch_dir,
)
from bot.config import Settings
from bot.runtime import build_runtime
from bot.scheduler import scheduler_client
from handlers.schedule.delivery import Pacer
from handlers.schedule.jobs import run_due
from storage.db import session_scope, upgrade
from storage.models import Student
from tests.factories import write_course
from tests.fakes.slack_api import FakeSlack


class CountingSlack(FakeSlack):
    """The fake Slack, also counting 429s and the channels each delivered post went to."""

    def __init__(self) -> None:
        super().__init__()
        self.limited = 0
        self.delivered: Counter[str] = Counter()
        self._counts = threading.Lock()

    def _rate_limited(self, method: str, body: dict[str, Any]) -> int | None:
        wait = super()._rate_limited(method, body)
        if wait is not None:
            with self._counts:
                self.limited += 1
        return wait

    def answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """Count a delivered post, then answer as the fake does."""
        if method == "chat.postMessage":
            with self._counts:
                self.delivered[str(body.get("channel", ""))] += 1
        return super().answer(method, body)


def minimum_seconds(messages: int, per_minute: int, per_channel: int = 1, channel_rate: float = 1.0) -> float:
    """The least time the limits allow from the first post to the last.

    A sliding window of `per_minute` posts: post k may not go before minute floor(k / per_minute);
    within one channel, posts go 1/channel_rate seconds apart.
    """
    window = 60.0 * math.floor((messages - 1) / per_minute)
    return max(window, (per_channel - 1) / channel_rate)


def seed(runtime_engine: Any, students: int) -> list[str]:
    """Put `students` active students with Slack ids on the roster."""
    ids = [f"U0F{n:05d}" for n in range(students)]
    with session_scope(runtime_engine) as session:
        for n, uid in enumerate(ids):
            session.add(Student(name=f"Fan Student {n}", email=f"f{n}@bench.example.edu", slack_user_id=uid))
    return ids


def run(db_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, then run_due until nothing is due; time it and count."""
    fake = CountingSlack().start()
    fake.per_channel_per_second = 1.0
    fake.workspace_per_minute = args.per_minute
    try:
        with scratch_dir("fanout") as work:
            settings = Settings(
                database_url=db_url,
                course_file=write_course(Path(work)),
                slack_bot_token="xoxb-bench-token",
                slack_signing_secret="bench-signing-secret",
                slack_api_url=fake.api_url,
            )
            runtime = build_runtime(settings)
            upgrade(runtime.engine)
            ids = seed(runtime.engine, args.students)
            week = runtime.course.weeks[0]
            now = week.discussion.end + timedelta(minutes=1)
            client = scheduler_client(settings)
            started, runs, sent = time.monotonic(), 0, 0
            while runs < args.max_runs:
                runs += 1
                pacer = Pacer(per_second=args.pacer_per_second) if args.pacer_per_second else None
                summary = run_due(runtime.deps, client, now, pacer=pacer)
                sent += sum(summary.sent.values())
                if summary.due == 0 or (summary.ok and not summary.retrying):
                    break
            elapsed = time.monotonic() - started
            runtime.engine.dispose()
    finally:
        fake.stop()
    delivered = len(set(ids) & set(fake.delivered))
    duplicates = sum(n - 1 for n in fake.delivered.values() if n > 1)
    minimum = minimum_seconds(args.students, args.per_minute)
    return {
        "students": args.students,
        "workspace_per_minute": args.per_minute,
        "minimum_s": minimum,
        "actual_s": elapsed,
        "ratio": elapsed / minimum if minimum else float("inf"),
        "steady_rate_s": 60.0 * (args.students - 1) / args.per_minute,
        "delivered": delivered,
        "duplicates": duplicates,
        "lost": args.students - delivered,
        "http_429": fake.limited,
        "runs": runs,
        "pacer_per_second": args.pacer_per_second,
        "sent_by_scheduler": sent,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=1000, help="students to prompt (default 1000)")
    parser.add_argument(
        "--per-minute", type=int, default=600, help="workspace limit per minute (default 600)"
    )
    parser.add_argument(
        "--pacer-per-second",
        type=float,
        default=None,
        help="override the scheduler's rate cap (default: its own)",
    )
    parser.add_argument("--max-runs", type=int, default=10, help="scheduler runs before giving up")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args(argv)
    print(
        f"fan-out: {args.students} prompts, 1/s per channel, {args.per_minute}/min per workspace, "
        f"{args.db}, pacer {args.pacer_per_second or 'default'}; machine {machine()}"
    )
    if args.db == "postgres":
        reason = postgres_reason(args.pg_url)
        if reason:
            raise SystemExit(f"postgres not available: {reason}")
        with postgres_schema(args.pg_url) as url:
            fig = run(url, args)
    else:
        with scratch_dir("fanout-db") as db_dir:
            fig = run(f"sqlite:///{Path(db_dir) / 'bench.db'}", args)
    print_table(
        "time from run_due's start to the last delivery",
        ["minimum s", "actual s", "ratio", "delivered", "lost", "duplicates", "429s", "runs"],
        [
            [
                fig["minimum_s"],
                fig["actual_s"],
                f"{fig['ratio']:.2f}",
                fig["delivered"],
                fig["lost"],
                fig["duplicates"],
                fig["http_429"],
                fig["runs"],
            ]
        ],
    )
    print(
        f"  minimum = the sliding window's: post k waits for minute floor(k/{args.per_minute}); "
        f"at a steady {args.per_minute}/min it would be {fig['steady_rate_s']:.0f}s"
    )
    save("fanout", fig)


if __name__ == "__main__":
    main()
