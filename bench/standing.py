"""The read path: `/standing` and App Home at 50 / 500 / 2,000 students of a 10-week quarter.

Each size gets a fresh SQLite database with a whole ended quarter (every student joins and
leaves both parts every week, one rejoin in four, two questions and a reflection a week) and a
real `seminar-bot serve` subprocess; signed `/standing` commands and `app_home_opened` events are
sent one at a time, and each is timed from the request to the fake Slack receiving the answer
(the reply to its `response_url`, or `views.publish`). Then `report` and `export` are timed
in this process on the 500-student database (the work of the command, its start-up aside).
With `--live-events N`, `/standing` is timed again while a part is live: before each request, N
signed `webinar.participant_joined` events for one new instance of week 1's webinar are posted
to `/zoom/webhook` (each answered before the next), so every read follows new Zoom rows.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Table, insert

from bench.common import machine, percentile, print_table, save, scratch_dir
from bench.zoom_storm import joined_body
from bot.runtime import load_course
from handlers.records import class_record
from rules.export import to_csv, to_table
from storage.db import make_engine, session_scope, upgrade
from storage.models import Question, Reflection, Student, ZoomEvent
from tests.factories import write_course
from tests.fakes.slack_api import FakeSlack
from tests.process import serve
from tests.signing import SLACK_SECRET, ZOOM_SECRET, event_body, slack_headers, slash_body, zoom_headers

WEBINAR, DISCUSSION = "81234567890", "81234567891"


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


def seed(db_url: str, course_file: Path, students: int) -> list[str]:
    """Migrate and store a whole quarter for `students`; their Slack ids."""
    engine = make_engine(db_url)
    upgrade(engine)
    course = load_course(course_file)
    ids = [f"U0R{n:05d}" for n in range(students)]
    with session_scope(engine) as session:
        conn = session.connection()
        conn.execute(
            insert(_table(Student)),
            [
                {
                    "name": f"Read Student {n}",
                    "email": f"r{n}@bench.example.edu",
                    "slack_user_id": uid,
                    "status": "active",
                    "created_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                }
                for n, uid in enumerate(ids)
            ],
        )
        for week in course.weeks:
            conn.execute(insert(_table(ZoomEvent)), _week_events(week, students))
            conn.execute(insert(_table(Question)), _questions(week, students))
            conn.execute(insert(_table(Reflection)), _reflections(week, students))
    engine.dispose()
    return ids


def _event(key: str, zoom_id: str, kind: str, at: datetime, n: int | None) -> dict[str, Any]:
    who = (
        {}
        if n is None
        else {
            "participant_key": f"p{n}",
            "user_name": f"Read Student {n}",
            "email": f"r{n}@bench.example.edu",
        }
    )
    return {
        "dedup_key": key,
        "source": "webhook",
        "event": f"bench.{kind}",
        "zoom_id": zoom_id,
        "instance_uuid": f"{zoom_id}-{at.date()}",
        "kind": kind,
        "at": at,
        "body": "{}",
        "received_at": at,
        "participant_key": "",
        "user_name": "",
        "email": "",
        "registrant_id": "",
        "zoom_user_id": "",
        **who,
    }


def _week_events(week: Any, students: int) -> list[dict[str, Any]]:
    rows = []
    for part, zoom_id in (("webinar", WEBINAR), ("discussion", DISCUSSION)):
        window = week.window(part)
        start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
        tag = f"{week.number}-{part}"
        rows += [
            _event(f"{tag}-start", zoom_id, "start", start, None),
            _event(f"{tag}-end", zoom_id, "end", end, None),
        ]
        for n in range(students):
            join = start + timedelta(minutes=n % 7)
            leave = end - timedelta(minutes=n % 5)
            rows += [
                _event(f"{tag}-{n}-j", zoom_id, "join", join, n),
                _event(f"{tag}-{n}-l", zoom_id, "leave", leave, n),
            ]
            if n % 4 == 0:  # a rejoin
                rows += [
                    _event(f"{tag}-{n}-l2", zoom_id, "leave", join + timedelta(minutes=3), n),
                    _event(f"{tag}-{n}-j2", zoom_id, "join", join + timedelta(minutes=5), n),
                ]
    return rows


def _questions(week: Any, students: int) -> list[dict[str, Any]]:
    at = week.discussion.start.astimezone(UTC)
    return [
        {
            "student_id": n + 1,
            "week": week.number,
            "text": "Why?",
            "asked_at": at,
            "dedup_key": f"q-{week.number}-{n}-{k}",
            "channel_id": None,
        }
        for n in range(students)
        for k in range(2)
    ]


def _reflections(week: Any, students: int) -> list[dict[str, Any]]:
    at = week.discussion.end.astimezone(UTC)
    return [
        {
            "student_id": n + 1,
            "week": week.number,
            "text": "One. Two.",
            "sentences": 2,
            "late": False,
            "submitted_at": at,
        }
        for n in range(students)
    ]


def _timed(fake: FakeSlack, client: httpx.Client, url: str, body: bytes, method: str) -> float:
    """Send one signed request; seconds until the fake Slack receives its answer."""
    before = len(fake.calls_to(method))
    began = time.monotonic()
    response = client.post(url, content=body, headers=slack_headers(body))
    response.raise_for_status()
    calls = fake.wait_for(method, count=before + 1, timeout=30)
    return calls[before].at - began


def _live_event(n: int, run: str, students: int) -> bytes:
    """A roster student joining the live webinar instance `run` (Zoom's sample shape)."""
    event = json.loads(joined_body(n, run))
    who = event["payload"]["object"]["participant"]
    who["email"], who["user_name"] = f"r{n % students}@bench.example.edu", f"Read Student {n % students}"
    return json.dumps(event).encode()


def _standing_live(
    fake: FakeSlack, client: httpx.Client, base: str, ids: list[str], requests: int, events: int
) -> dict[str, float]:
    """`/standing` p50 and p99 when `events` Zoom events were stored before each request."""
    run, sent, times = f"live{time.monotonic_ns() % 10**6}", 0, []
    for n in range(requests + 3):  # the first three warm up
        for _ in range(events):
            body = _live_event(sent, run, len(ids))
            client.post(base + "/zoom/webhook", content=body, headers=zoom_headers(body)).raise_for_status()
            sent += 1
        uid = ids[(n * 7919) % len(ids)]
        body = slash_body("/standing", "", user_id=uid, response_url=f"{fake.url}/response/live{n}")
        took = _timed(fake, client, base + "/slack/events", body, "response_url")
        if n >= 3:
            times.append(took)
    return {"p50_ms": percentile(times, 50) * 1000, "p99_ms": percentile(times, 99) * 1000}


def measure(students: int, requests: int, fake: FakeSlack, live_events: int = 0) -> dict[str, Any]:
    """Seed one class, serve it, time `/standing` and App Home for students spread over the roster."""
    with scratch_dir("standing") as work:
        db_url = f"sqlite:///{Path(work) / 'bench.db'}"
        course_file = write_course(Path(work))
        ids = seed(db_url, course_file, students)
        env = {
            "DATABASE_URL": db_url,
            "COURSE_FILE": str(course_file),
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SLACK_SECRET,
            "SLACK_API_URL": fake.api_url,
            "ZOOM_WEBHOOK_SECRET_TOKEN": ZOOM_SECRET,
            "LOG_LEVEL": "WARNING",
        }
        figures: dict[str, Any] = {"students": students}
        with serve(env, work) as server, httpx.Client(timeout=30) as client:
            url = server.url + "/slack/events"
            for kind in ("standing", "home"):
                times = []
                for n in range(requests + 3):  # the first three warm up
                    uid = ids[(n * 7919) % students]
                    if kind == "standing":
                        body = slash_body(
                            "/standing", "", user_id=uid, response_url=f"{fake.url}/response/{n}"
                        )
                        took = _timed(fake, client, url, body, "response_url")
                    else:
                        event = {"type": "app_home_opened", "user": uid, "channel": "D0DM", "tab": "home"}
                        took = _timed(
                            fake, client, url, event_body(event, event_id=f"Ev{n:06d}"), "views.publish"
                        )
                    if n >= 3:
                        times.append(took)
                figures[kind] = {
                    "p50_ms": percentile(times, 50) * 1000,
                    "p99_ms": percentile(times, 99) * 1000,
                }
            if live_events:
                figures["standing_live"] = _standing_live(
                    fake, client, server.url, ids, requests, live_events
                )
        if students == 500:
            figures["report"] = _report_work(db_url, course_file)
    return figures


def _report_work(db_url: str, course_file: Path) -> dict[str, float]:
    """`report` (table) and `export` (CSV) for the whole class, timed without the CLI's start-up."""
    engine, course = make_engine(db_url), load_course(course_file)
    out = {}
    for name, render in (("report_s", to_table), ("export_s", to_csv)):
        began = time.perf_counter()
        with session_scope(engine) as session:
            record = class_record(session=session, course=course, now=datetime.now(UTC))
        render(record)
        out[name] = time.perf_counter() - began
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run each size, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50,500,2000", help="class sizes (default 50,500,2000)")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per kind and size")
    parser.add_argument(
        "--live-events", type=int, default=0, help="also time /standing with N Zoom events before each"
    )
    args = parser.parse_args(argv)
    print(f"/standing and App Home, 10-week quarter; machine {machine()}")
    fake = FakeSlack().start()
    try:
        runs = [measure(int(size), args.requests, fake, args.live_events) for size in args.sizes.split(",")]
    finally:
        fake.stop()
    base = runs[0]
    rows = []
    kinds = ("standing", "home", "standing_live") if args.live_events else ("standing", "home")
    for run in runs:
        for kind in kinds:
            growth = run[kind]["p50_ms"] / base[kind]["p50_ms"]
            rows.append([run["students"], kind, run[kind]["p50_ms"], run[kind]["p99_ms"], f"{growth:.2f}x"])
    print_table(
        "time from the request to Slack receiving the answer",
        ["students", "view", "p50 ms", "p99 ms", f"p50 / p50 at {base['students']}"],
        rows,
    )
    for run in runs:
        if "report" in run:
            print(
                f"\n  {run['students']} students x 10 weeks: report {run['report']['report_s']:.3f} s, "
                f"export {run['report']['export_s']:.3f} s of work (start-up aside)"
            )
    print(json.dumps(runs))
    save("standing", {"runs": runs})


if __name__ == "__main__":
    main()
