"""Shared bench plumbing: server subprocesses, a scratch PostgreSQL schema, load driving, figures."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

from storage.db import make_engine
from tests.factories import COURSE_TOML, write_course
from tests.process import Server, free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Request:
    """One prepared request: an id to track it by, the raw body and its headers."""

    key: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Load:
    """What a load run observed, from the client's side."""

    started: float = 0.0
    finished: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    acked: list[str] = field(default_factory=list)
    client_cpu: float = 0.0

    @property
    def elapsed(self) -> float:
        """Wall time from the first request sent to the last answer."""
        return self.finished - self.started

    @property
    def acked_per_second(self) -> float:
        """Requests answered 200 per second of wall time."""
        return len(self.acked) / self.elapsed if self.elapsed > 0 else 0.0

    def merge(self, other: Load) -> Load:
        """Combine the runs of several client processes."""
        self.started = min(self.started, other.started) if self.started else other.started
        self.finished = max(self.finished, other.finished)
        self.latencies += other.latencies
        self.statuses += other.statuses
        self.acked += other.acked
        self.client_cpu += other.client_cpu
        return self

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile of latency, in milliseconds."""
        return percentile(self.latencies, q) * 1000


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def hello(workdir: Path, log_level: str) -> Server:
    """The hello-world ASGI app under the same server software and flags (not started yet)."""
    port = free_port()
    env = {"PYTHONPATH": str(ROOT), "LOG_LEVEL": log_level}
    return Server([sys.executable, "-m", "bench.hello_app", str(port)], env, port, workdir)


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary working directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"seminar-bench-{prefix}-") as name:
        yield Path(name)


def postgres_reason(url: str) -> str | None:
    """Why PostgreSQL cannot be used at `url`, or None when it answers."""
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def drive(url: str, requests: Sequence[Request], concurrency: int) -> Load:
    """POST every request over `concurrency` keep-alive connections; time each answer."""
    load = Load()
    queue = iter(requests)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    cpu = time.process_time()
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            for req in queue:
                began = time.perf_counter()
                try:
                    response = await client.post(url, content=req.body, headers=req.headers)
                    status = response.status_code
                except httpx.TransportError:
                    status = 0
                load.latencies.append(time.perf_counter() - began)
                load.statuses[status] += 1
                if status == 200:
                    load.acked.append(req.key)

        load.started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        load.finished = time.monotonic()
    load.client_cpu = time.process_time() - cpu
    return load


class _Connection:
    """One keep-alive HTTP/1.1 connection, reopened when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, head: bytes, body: bytes) -> int:
        """Send one request and read the whole answer; the HTTP status."""
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(head + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            self.writer.close()
            self.reader = self.writer = None
        return status


def _request_head(host: str, port: int, path: str, req: Request) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"host: {host}:{port}", f"content-length: {len(req.body)}"]
    lines += [f"{k}: {v}" for k, v in req.headers.items() if k.lower() not in ("host", "content-length")]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def drive_raw(url: str, requests: Sequence[Request], concurrency: int) -> Load:
    """Like `drive`, with a minimal asyncio HTTP/1.1 client that spends little CPU of its own."""
    target = httpx.URL(url)
    host, port, path = target.host, target.port or 80, target.raw_path.decode()
    prepared = [(req, _request_head(host, port, path, req)) for req in requests]
    queue = iter(prepared)
    load = Load()
    cpu = time.process_time()

    async def worker() -> None:
        conn = _Connection(host, port)
        for req, head in queue:
            began = time.perf_counter()
            try:
                status = await conn.post(head, req.body)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                conn = _Connection(host, port)
                status = 0
            load.latencies.append(time.perf_counter() - began)
            load.statuses[status] += 1
            if status == 200:
                load.acked.append(req.key)
        if conn.writer is not None:
            conn.writer.close()

    load.started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    load.finished = time.monotonic()
    load.client_cpu = time.process_time() - cpu
    return load


CLIENTS = {"raw": drive_raw, "httpx": drive}


def _drive_slice(args: tuple[str, str, Sequence[Request], int]) -> Load:
    client, url, requests, concurrency = args
    return asyncio.run(CLIENTS[client](url, requests, concurrency))


def drive_processes(
    url: str, requests: Sequence[Request], concurrency: int, processes: int = 1, client: str = "raw"
) -> Load:
    """Drive with `client` ("raw" or "httpx"), split over several processes sharing the connections."""
    if processes <= 1:
        return _drive_slice((client, url, requests, concurrency))
    slices = [
        (client, url, requests[i::processes], max(1, concurrency // processes)) for i in range(processes)
    ]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        loads = pool.map(_drive_slice, slices)
    total = Load()
    for load in loads:
        total.merge(load)
    return total


def machine() -> dict[str, Any]:
    """The machine the figures came from."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned table on stdout."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  " + "  ".join(c.rjust(w) if n else c.ljust(w) for c, w in zip(row, widths, strict=True)))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return str(value)


def save(name: str, figures: dict[str, Any]) -> Path:
    """Write the figures and the machine to bench/results/<name>.json (git-ignored)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"bench": name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine()}
    path.write_text(json.dumps({**data, **figures}, indent=2) + "\n")
    return path


def write_live_course(workdir: Path, now: datetime | None = None) -> Path:
    """A course whose week 1 webinar started 5 minutes ago, so `/ask` is open on the real clock.

    The time zone is chosen so the local time is late morning: the windows never cross midnight.
    """
    now = now or datetime.now(UTC)
    shift = 11 - now.hour
    zone = "UTC" if shift == 0 else f"Etc/GMT{'-' if shift > 0 else '+'}{abs(shift)}"
    local = now.astimezone(ZoneInfo(zone)).replace(second=0, microsecond=0) - timedelta(minutes=5)
    webinar_end = local + timedelta(minutes=60)
    discussion_end = webinar_end + timedelta(minutes=30)
    toml = COURSE_TOML.replace("America/Los_Angeles", zone)
    toml = toml.replace("first_session = 2021-09-23", f"first_session = {local.date()}")
    toml = toml.replace("last_session = 2021-12-02", f"last_session = {local.date() + timedelta(days=21)}")
    toml = toml.replace("skip = [2021-11-25]", "skip = []")
    toml = toml.replace(
        'start = "13:30", end = "14:30"', f'start = "{local:%H:%M}", end = "{webinar_end:%H:%M}"'
    )
    toml = toml.replace(
        'start = "14:30", end = "15:00"', f'start = "{webinar_end:%H:%M}", end = "{discussion_end:%H:%M}"'
    )
    return write_course(workdir, toml)
