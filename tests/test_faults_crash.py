"""`kill -9` of `serve` during a join storm: every acknowledged event survives, the restart is clean."""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from storage.db import make_engine
from tests.factories import write_course
from tests.process import serve
from tests.signing import ZOOM_SECRET, zoom_headers

SENDERS = 8
KILL_AFTER = 60


def joined(n: int) -> bytes:
    """A distinct webinar join for week 1 (the participant's email identifies it)."""
    participant = {
        "user_id": str(16_000_000 + n),
        "user_name": f"Storm Student {n}",
        "id": f"storm{n}",
        "participant_uuid": f"storm-{n}",
        "join_time": f"2021-09-23T20:{30 + n % 30:02d}:{n % 60:02d}Z",
        "email": f"storm{n}@example.edu",
    }
    event = {
        "event": "webinar.participant_joined",
        "event_ts": 1632429000000 + n,
        "payload": {
            "account_id": "A",
            "object": {"id": "81234567890", "uuid": "storm==", "participant": participant},
        },
    }
    return json.dumps(event).encode()


class Storm:
    """Senders posting distinct signed joins until stopped; remembers what was sent and acknowledged."""

    def __init__(self, url: str) -> None:
        self.url = url + "/zoom/webhook"
        self.numbers = itertools.count()
        self.sent: set[int] = set()
        self.acked: set[int] = set()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._send, daemon=True) for _ in range(SENDERS)]

    def _send(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self.stop.is_set():
                n = next(self.numbers)
                body = joined(n)
                with self.lock:
                    self.sent.add(n)
                try:
                    status = client.post(self.url, content=body, headers=zoom_headers(body)).status_code
                except httpx.TransportError:
                    continue
                if status == 200:
                    with self.lock:
                        self.acked.add(n)

    def __enter__(self) -> Storm:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)


def stored(db_url: str) -> list[str]:
    """Participant emails of every stored Zoom event."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        emails = [row[0] for row in conn.execute(text("SELECT email FROM zoom_events"))]
        if db_url.startswith("sqlite"):
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()
    return emails


def test_kill_9_during_a_storm_loses_no_acknowledged_event(tmp_path: Path, db_url: str) -> None:
    env = {
        "DATABASE_URL": db_url,
        "COURSE_FILE": str(write_course(tmp_path)),
        "ZOOM_WEBHOOK_SECRET_TOKEN": ZOOM_SECRET,
        "LOG_LEVEL": "WARNING",
    }
    first = serve(env, tmp_path).start()
    try:
        with Storm(first.url) as storm:
            deadline = time.monotonic() + 30
            while len(storm.acked) < KILL_AFTER and time.monotonic() < deadline:
                time.sleep(0.01)
            first.kill()
    finally:
        first.stop()
    assert len(storm.acked) >= KILL_AFTER, first.log_tail()

    with serve(env, tmp_path) as again, httpx.Client(base_url=again.url) as http:  # migrates on start
        assert http.get("/healthz").json()["ok"] is True
        emails = stored(db_url)
        assert {f"storm{n}@example.edu" for n in storm.acked} <= set(emails)
        for n in sorted(storm.sent - storm.acked):  # Zoom redelivers what got no 200
            body = joined(n)
            assert http.post("/zoom/webhook", content=body, headers=zoom_headers(body)).status_code == 200
    emails = stored(db_url)
    assert sorted(emails) == sorted(f"storm{n}@example.edu" for n in storm.sent)
