"""The writer process `serve` stores Zoom deliveries with (bot/zoom_writer.py), through the real `serve`.

Every test posts signed deliveries to a real `seminar-bot serve` subprocess and reads the rows
back from the database; the child is found, and killed, through /proc.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.zoom_writer import Frames, WriterGone, ZoomWriter, frame, serve_writes
from handlers.zoom.ingest import Delivery, Outcome, Store, ZoomWrites
from storage.db import make_engine, upgrade
from tests.factories import local, write_course
from tests.process import Server, serve
from tests.signing import ZOOM_SECRET
from tests.zoom_payloads import WEBINAR_ID, post, raw, visit


def joined(n: int) -> bytes:
    """A distinct week-1 webinar join."""
    at = local(2021, 9, 23, 13, 30 + n % 29)
    return raw(visit("webinar", "participant_joined", WEBINAR_ID, "W1==", at, user_id=str(n), name=f"S {n}"))


def gone(pid: int) -> bool:
    """The process has exited (a zombie left for a reaper counts as exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def rows(db_url: str) -> list[tuple[str, str]]:
    """(user_name, source) of every stored event."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        out = [(r[0], r[1]) for r in conn.execute(text("SELECT user_name, source FROM zoom_events"))]
    engine.dispose()
    return out


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[Server]:
    """`serve` with the webhook configured (so it starts its writer process)."""
    env = {
        "DATABASE_URL": db_url,
        "COURSE_FILE": str(write_course(tmp_path)),
        "ZOOM_WEBHOOK_SECRET_TOKEN": ZOOM_SECRET,
        "LOG_LEVEL": "INFO",
    }
    with serve(env, tmp_path) as running:
        yield running


def test_serve_stores_through_its_writer_process(server: Server, db_url: str) -> None:
    [child] = server.children()
    assert f"stored by a writer process (pid {child})" in server.log_tail(50)
    assert server.proc is not None  # its own process group: Ctrl-C at a terminal reaches serve alone
    assert os.getpgid(child) != os.getpgid(server.proc.pid)
    with httpx.Client(base_url=server.url) as http:
        first, again = post(http, joined(1)), post(http, joined(1))
        assert (first.status_code, first.headers["x-zoom-event"]) == (200, "stored")
        assert (again.status_code, again.headers["x-zoom-event"]) == (200, "duplicate")
        bad = post(http, b'{"event": ')
        assert (bad.status_code, bad.json()) == (400, {"error": "the body is not JSON"})
        unsigned = http.post("/zoom/webhook", content=joined(2))
        assert unsigned.status_code == 401
    assert rows(db_url) == [("S 1", "webhook")]


@pytest.mark.parametrize("spelling", ["endpoint.url_validation", "endpoint\\u002eurl_validation"])
def test_url_validation_is_answered_however_the_json_spells_it(
    server: Server, db_url: str, spelling: str
) -> None:
    body = b'{"event":"' + spelling.encode() + b'","payload":{"plainToken":"tok"},"event_ts":1}'
    with httpx.Client(base_url=server.url) as http:
        answer = post(http, body)
    assert answer.status_code == 200 and answer.json()["plainToken"] == "tok"
    assert len(answer.json()["encryptedToken"]) == 64
    assert rows(db_url) == []  # Zoom's endpoint check is never stored


def test_a_killed_writer_loses_no_acknowledged_event_and_comes_back(server: Server, db_url: str) -> None:
    [child] = server.children()
    acked: set[int] = set()
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for n in range(20):
            if post(http, joined(n)).status_code == 200:
                acked.add(n)
        assert http.get("/healthz").json()["zoom_writer_running"] is True
        os.kill(child, 9)
        deadline = time.monotonic() + 5
        while http.get("/healthz").json()["zoom_writer_running"] and time.monotonic() < deadline:
            time.sleep(0.05)
        health = {"ok": True, "slack": "off", "zoom": "webhook", "zoom_writer_running": False}
        assert http.get("/healthz").json() == health  # still 200: the next delivery restarts it
        deadline = time.monotonic() + 20
        statuses: list[int] = []
        n = 100
        while time.monotonic() < deadline and statuses[-5:] != [200] * 5:
            status = post(http, joined(n)).status_code
            statuses.append(status)
            if status == 200:
                acked.add(n)
            n += 1
            time.sleep(0.05)
    assert set(statuses) <= {200, 503} and statuses[-5:] == [200] * 5, statuses
    assert "restarting the Zoom writer process" in server.log_tail(80)
    assert httpx.get(server.url + "/healthz").json()["zoom_writer_running"] is True
    [again] = server.children()
    assert again != child
    stored = {int(name.split()[1]) for name, _ in rows(db_url)}
    assert acked <= stored


def test_deliveries_arriving_together_restart_one_writer(server: Server, db_url: str) -> None:
    [child] = server.children()
    os.kill(child, 9)
    time.sleep(1.2)  # past the restart pause: the next deliveries start a new writer

    def deliver(n: int) -> int:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            return post(http, joined(n)).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(deliver, range(16)))
    assert statuses == [200] * 16
    [again] = server.children()
    assert again != child and server.log_tail(80).count("restarting the Zoom writer process") == 1
    assert len(rows(db_url)) == 16


def test_the_writer_exits_with_serve_even_when_serve_is_killed(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "COURSE_FILE": str(write_course(tmp_path)),
        "ZOOM_WEBHOOK_SECRET_TOKEN": ZOOM_SECRET,
    }
    for end in ("stop", "kill"):
        server = serve(env, tmp_path).start()
        [child] = server.children()
        getattr(server, end)()
        deadline = time.monotonic() + 15
        while not gone(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(child), end


def test_serve_without_zoom_starts_no_writer(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}", "COURSE_FILE": str(write_course(tmp_path))}
    with serve(env, tmp_path) as server:
        assert server.children() == []


def test_a_writer_that_stops_answering_is_killed_and_replaced(tmp_path: Path) -> None:
    """A stopped (or looping) child never closes its socket: the wait for it is bounded."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime(2021, 9, 23, 20, 31, tzinfo=UTC)

    async def scenario() -> tuple[Outcome, float, Outcome]:
        writer = ZoomWriter(Settings(database_url=url), reply_seconds=30)
        await writer.start()
        try:
            first = await writer.store(Delivery(joined(1), now))  # the child's start-up: up to 30 s
            writer.reply_seconds = 1.0
            assert writer.process is not None
            stuck = writer.process.pid
            os.kill(stuck, signal.SIGSTOP)
            started = time.monotonic()
            with pytest.raises(WriterGone, match="answered nothing for 1 s"):
                await writer.store(Delivery(joined(2), now))
            waited = time.monotonic() - started
            await asyncio.sleep(0.5)  # the killed child's socket closes; past the restart pause
            writer.reply_seconds = 30
            again = await writer.store(Delivery(joined(3), now))
            assert writer.process is not None and writer.process.pid != stuck and gone(stuck)
            return first, waited, again
        finally:
            await writer.stop()

    first, waited, again = asyncio.run(scenario())
    assert first == again == Outcome(new=True) and 0.9 < waited < 5
    engine.dispose()


def _child(tmp_path: Path) -> tuple[socket.socket, threading.Thread, str]:
    """The child's loop (`serve_writes`) in a thread, on a real socket pair and a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    ours, theirs = socket.socketpair()

    def run() -> None:
        with theirs:
            serve_writes(theirs)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return ours, thread, url


def _replies(sock: socket.socket, count: int) -> list[tuple[int, Any]]:
    frames, out = Frames(), list[tuple[int, Any]]()
    while len(out) < count:
        out += frames.items(sock.recv(1 << 16))
    return out


def test_deliveries_that_arrive_with_the_settings_are_not_dropped(tmp_path: Path) -> None:
    """The first read can hold the settings and the first deliveries together (found by `serve`)."""
    ours, thread, url = _child(tmp_path)
    now = datetime(2021, 9, 23, 20, 31, tzinfo=UTC)
    sources = ["webhook", "websocket", "webhook"]
    batch = [(n, joined(n), now, sources[n]) for n in range(3)] + [(9, b"[]", now, "webhook")]
    ours.sendall(frame(Settings(database_url=url)) + frame(batch[:2]) + frame(batch[2:]))
    replies = dict(_replies(ours, 4))
    stored = (True, "", False)
    assert replies == {0: stored, 1: stored, 2: stored, 9: (False, "the body must be a JSON object", False)}
    ours.close()
    thread.join(timeout=10)
    assert not thread.is_alive()  # the socket closed: the child's loop ends
    assert sorted(rows(url)) == [("S 0", "webhook"), ("S 1", "websocket"), ("S 2", "webhook")]


def test_a_database_error_is_each_deliverys_answer_not_the_childs_end(tmp_path: Path) -> None:
    ours, thread, url = _child(tmp_path)
    Path(url.removeprefix("sqlite:///")).unlink()  # the tables are gone: every insert fails
    now = datetime(2021, 9, 23, 20, 31, tzinfo=UTC)
    ours.sendall(frame(Settings(database_url=url)) + frame([(1, joined(1), now, "webhook")]))
    [(key, why)] = _replies(ours, 1)
    assert key == 1 and isinstance(why, str) and "zoom_events" in why
    ours.sendall(frame([(2, joined(2), now, "webhook")]))
    assert [k for k, _ in _replies(ours, 1)] == [2]
    ours.close()
    thread.join(timeout=10)


@given(st.lists(st.binary(max_size=300), max_size=8), st.lists(st.integers(1, 400), max_size=12))
def test_frames_come_out_whole_however_the_stream_is_cut(values: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(frame(v) for v in values)
    frames, out, at = Frames(), [], 0
    for size in [*cuts, len(stream)]:
        out += frames.feed(stream[at : at + size])
        at += size
    assert out == values


def _table(engine: Engine) -> list[tuple[object, ...]]:
    """Every stored event, every column but the id."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM zoom_events")).mappings().all()
    return sorted(tuple(str(v) for k, v in row.items() if k != "id") for row in rows)


def _visit_body(n: int, action: str, minute: int) -> bytes:
    at = local(2021, 9, 23, 13, minute)
    return raw(visit("webinar", action, WEBINAR_ID, "W1==", at, user_id=str(n), name=f"S {n}"))


_BODIES = st.one_of(
    st.builds(
        _visit_body,
        st.integers(0, 4),
        st.sampled_from(["participant_joined", "participant_left"]),
        st.integers(30, 59),
    ),
    st.binary(max_size=40),
    st.text(max_size=30).map(lambda event: json.dumps({"event": event, "payload": {}}).encode()),
    st.sampled_from(
        [
            b'{"event":"endpoint.url_validation","payload":{"plainToken":"t"}}',
            b'{"event":"endpoint\\u002eurl_validation","payload":{"plainToken":"t"}}',
            b'{"event":"endpoint.url_validation","payload":{}}',
        ]
    ),
)


def test_the_writer_process_and_the_in_process_path_agree(tmp_path: Path) -> None:
    """The fast path (serve's writer process) beside the simple one (this process's group commit):
    the same deliveries in the same order give the same outcomes and the same stored rows."""
    engines = []
    for name in ("process", "inline"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade(engine)
        engines.append(engine)
    loop = asyncio.new_event_loop()
    writer = ZoomWriter(Settings(database_url=str(engines[0].url)))
    inline = ZoomWrites(engines[1])
    now = datetime(2021, 9, 23, 20, 31, tzinfo=UTC)
    loop.run_until_complete(writer.start())

    async def outcomes(store: Store, batch: list[Delivery]) -> list[Outcome]:
        return list(await asyncio.gather(*(store(delivery) for delivery in batch)))

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(_BODIES, st.sampled_from(["webhook", "websocket"])), max_size=10))
    def agree(bodies: list[tuple[bytes, str]]) -> None:
        batch = [Delivery(body, now, source) for body, source in bodies]
        assert loop.run_until_complete(outcomes(writer.store, batch)) == loop.run_until_complete(
            outcomes(inline.store, batch)
        )
        assert _table(engines[0]) == _table(engines[1])

    try:
        agree()
    finally:
        loop.run_until_complete(writer.stop())
        loop.close()
        for engine in engines:
            engine.dispose()
