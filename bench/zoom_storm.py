"""Join storm: signed, distinct `webinar.participant_joined` events against the real `serve`.

Runs a hello-world ASGI app under the same uvicorn stack and flags first (the ceiling), then
`seminar-bot serve` on SQLite and on PostgreSQL, and checks that every event answered 200 is in
the database. `--repeat N` runs the three in turn N times, each ratio against its own round's
ceiling, and prints the spread. Each row names the event loop and HTTP parser its server loaded.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import (
    DEFAULT_PG_URL,
    Load,
    Request,
    drive_processes,
    hello,
    machine,
    postgres_reason,
    postgres_schema,
    print_table,
    save,
    scratch_dir,
)
from storage.db import make_engine
from tests.factories import write_course
from tests.process import Server, serve
from tests.signing import ZOOM_SECRET, zoom_headers

WEBINAR_ZOOM_ID = "81234567890"  # tests/factories.py COURSE_TOML, week 1 on 2021-09-23
WEBINAR_START = datetime(2021, 9, 23, 20, 30, tzinfo=UTC)  # 13:30 Pacific (PDT)


def joined_body(n: int, run: str) -> bytes:
    """One distinct participant_joined event, shaped like Zoom's sample."""
    at = WEBINAR_START + timedelta(seconds=n % 3000)
    participant = {
        "user_id": str(16_000_000 + n),
        "user_name": f"Bench Student {run} {n}",
        "id": f"bench{run}{n}",
        "join_time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "email": f"s{n}.{run}@bench.example.edu",
        "registrant_id": f"reg-{run}-{n}",
        "participant_user_id": f"bench{run}{n}",
        "participant_uuid": f"puuid-{run}-{n}",
    }
    event = {
        "event": "webinar.participant_joined",
        "event_ts": int(at.timestamp() * 1000) + n,
        "payload": {
            "account_id": "AAAAAABBBB",
            "object": {
                "id": WEBINAR_ZOOM_ID,
                "uuid": f"bench-{run}==",
                "host_id": "x1yCzABCDEfg23HiJKl4mN",
                "topic": "CS 528",
                "type": 5,
                "start_time": WEBINAR_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration": 60,
                "timezone": "America/Los_Angeles",
                "participant": participant,
            },
        },
    }
    return json.dumps(event).encode()


def prepare(count: int, secret: str = ZOOM_SECRET) -> list[Request]:
    """`count` signed events, keyed by the participant's email (unique per event)."""
    run = uuid.uuid4().hex[:6]
    requests = []
    for n in range(count):
        body = joined_body(n, run)
        key = json.loads(body)["payload"]["object"]["participant"]["email"]
        requests.append(Request(key, body, zoom_headers(body, secret=secret)))
    return requests


def stored_emails(db_url: str) -> set[str]:
    """Participant emails of every stored Zoom event (from the column and the verbatim body)."""
    engine = make_engine(db_url)
    found: set[str] = set()
    with engine.connect() as conn:
        for email, body in conn.execute(text("SELECT email, body FROM zoom_events")):
            found.add(email or "")
            try:
                found.add(json.loads(body)["payload"]["object"]["participant"]["email"])
            except (ValueError, KeyError, TypeError):
                pass
    engine.dispose()
    return found


@dataclass(frozen=True)
class Storm:
    """What one server went through: the warm-up, the measured storm, its CPU and its stack."""

    warm: Load
    load: Load
    server_cpu: float
    stack: str


def storm(server: Server, args: argparse.Namespace) -> Storm:
    """Warm up, then the measured storm."""
    url = server.url + "/zoom/webhook"
    warm = drive_processes(url, prepare(args.warmup), args.concurrency, 1, args.client)
    requests = prepare(args.events)
    cpu = server.cpu_seconds()
    load = drive_processes(url, requests, args.concurrency, args.processes, args.client)
    return Storm(warm, load, server.cpu_seconds() - cpu, server.stack())


def figures(name: str, run: Storm, stored: set[str] | None) -> dict[str, Any]:
    """One target's row."""
    warm, load, server_cpu = run.warm, run.load, run.server_cpu
    acked = set(warm.acked) | set(load.acked)
    return {
        "target": name,
        "stack": run.stack,
        "sent": sum(load.statuses.values()),
        "acked": len(load.acked),
        "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
        "events_per_s": load.acked_per_second,
        "p50_ms": load.percentile_ms(50),
        "p99_ms": load.percentile_ms(99),
        "elapsed_s": load.elapsed,
        "server_cpu_pct": 100 * server_cpu / load.elapsed if load.elapsed else 0.0,
        "server_cpu_us_per_event": 1e6 * server_cpu / len(load.acked) if load.acked else 0.0,
        "client_cpu_pct": 100 * load.client_cpu / load.elapsed if load.elapsed else 0.0,
        "acked_total": len(acked),
        "acked_stored": None if stored is None else len(acked & stored),
    }


def run_ceiling(args: argparse.Namespace) -> dict[str, Any]:
    """The hello-world app under the same server software."""
    with scratch_dir("hello") as work, hello(work, args.log_level) as server:
        run = storm(server, args)
    return figures("hello-world", run, None)


def run_app(name: str, db_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """`seminar-bot serve` on one database, then count what it stored."""
    with scratch_dir(name) as work:
        env = {
            "DATABASE_URL": db_url,
            "COURSE_FILE": str(write_course(work)),
            "ZOOM_WEBHOOK_SECRET_TOKEN": ZOOM_SECRET,
            "LOG_LEVEL": args.log_level,
        }
        with serve(env, work) as server:
            run = storm(server, args)
        return figures(name, run, stored_emails(db_url))


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run every target, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000, help="events per target (default 5000)")
    parser.add_argument("--warmup", type=int, default=300, help="warm-up events, not timed")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent connections")
    parser.add_argument("--processes", type=int, default=1, help="client processes sharing them")
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="raw: a minimal asyncio HTTP/1.1 client (little client CPU); httpx: AsyncClient",
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL (a scratch schema is used)")
    parser.add_argument("--targets", default="hello,sqlite,postgres", help="comma-separated subset")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        help="LOG_LEVEL of every server (default WARNING; INFO adds uvicorn's access log line per request)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="run every target this many times, in turn")
    args = parser.parse_args(argv)
    print(
        f"zoom storm: {args.events} events/target, {args.concurrency} connections, "
        f"{args.processes} {args.client} client process(es), LOG_LEVEL={args.log_level}; machine {machine()}"
    )
    rows = [row for n in range(args.repeat) for row in run_round(n, args.targets.split(","), args)]
    report(rows)
    save(
        "zoom_storm",
        {
            "events": args.events,
            "concurrency": args.concurrency,
            "processes": args.processes,
            "client": args.client,
            "log_level": args.log_level,
            "targets": rows,
            "spread": spread(rows),
        },
    )


def run_round(n: int, targets: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every target once, the ceiling first; each row carries its ratio to this round's ceiling."""
    rows: list[dict[str, Any]] = []
    if "hello" in targets:
        rows.append(run_ceiling(args))
    if "sqlite" in targets:
        with scratch_dir("sqlite-db") as db_dir:
            rows.append(run_app("sqlite", f"sqlite:///{Path(db_dir) / 'bench.db'}", args))
    if "postgres" in targets:
        reason = postgres_reason(args.pg_url)
        if reason:
            print(f"postgres skipped: {reason}")
        else:
            with postgres_schema(args.pg_url) as pg_url:
                rows.append(run_app("postgres", pg_url, args))
    ceiling = next((r["events_per_s"] for r in rows if r["target"] == "hello-world"), None)
    for row in rows:
        row["round"] = n + 1
        row["x_ceiling"] = row["events_per_s"] / ceiling if ceiling else None
    return rows


def spread(rows: list[dict[str, Any]]) -> dict[str, dict[str, list[float]]]:
    """Per target, the lowest and highest events/s, ratio and p99 over the rounds."""
    out: dict[str, dict[str, list[float]]] = {}
    for target in dict.fromkeys(r["target"] for r in rows):
        mine = [r for r in rows if r["target"] == target]
        out[target] = {
            key: [min(r[key] for r in mine), max(r[key] for r in mine)]
            for key in ("events_per_s", "x_ceiling", "p99_ms", "server_cpu_us_per_event")
            if all(r[key] is not None for r in mine)
        }
    return out


def report(rows: list[dict[str, Any]]) -> None:
    """Print the table (each ratio against the ceiling of its own round) and the spread."""
    table = []
    for r in rows:
        ratio = "-" if r["x_ceiling"] is None else f"{r['x_ceiling']:.2f}"
        stored = "-" if r["acked_stored"] is None else f"{r['acked_stored']}/{r['acked_total']}"
        table.append(
            [
                r["round"],
                r["target"],
                r["stack"],
                r["sent"],
                r["acked"],
                r["events_per_s"],
                ratio,
                r["p50_ms"],
                r["p99_ms"],
                stored,
                f"{r['server_cpu_pct']:.0f}%",
                f"{r['server_cpu_us_per_event']:.0f}",
                f"{r['client_cpu_pct']:.0f}%",
            ]
        )
    print_table(
        "results (events/s = 200s per second; stored = acknowledged events found in the database)",
        [
            "round",
            "target",
            "server stack",
            "sent",
            "200",
            "events/s",
            "x ceiling",
            "p50 ms",
            "p99 ms",
            "stored",
            "server CPU",
            "CPU µs/event",
            "client CPU",
        ],
        table,
    )
    if len({r["round"] for r in rows}) > 1:
        for target, ranges in spread(rows).items():
            text = ", ".join(f"{key} {low:,.2f}–{high:,.2f}" for key, (low, high) in ranges.items())
            print(f"  spread {target}: {text}")
    for r in rows:
        if r["statuses"].keys() - {"200"}:
            print(f"  {r['target']}: statuses {r['statuses']}")
        if r["acked_stored"] is not None and r["acked_stored"] != r["acked_total"]:
            print(f"  {r['target']}: LOST {r['acked_total'] - r['acked_stored']} acknowledged events")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"\ndone in {time.monotonic() - started:.0f}s")
