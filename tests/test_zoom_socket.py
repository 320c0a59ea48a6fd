"""Zoom's event WebSocket end to end: the real app, a local WebSocket server standing in for Zoom's."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.runtime import Runtime
from bot.web import Connections, connections, create_app
from storage.db import session_scope
from storage.models import ZoomEvent
from tests.factories import local
from tests.fakes.zoom_api import FakeZoom
from tests.live import LiveServer
from tests.zoom_payloads import SAMPLES, WEBINAR_ID, post, visit

BEAT = 0.3  # seconds between heartbeats in these tests (30 in production)


@pytest.fixture
def zoom_live(runtime: Runtime, fake_zoom: FakeZoom) -> Iterator[tuple[httpx.Client, FakeZoom, Runtime]]:
    """The real app with Zoom's WebSocket configured (and its webhook too)."""
    update = {
        "zoom_websocket_subscription_id": fake_zoom.socket.subscription_id,
        "zoom_websocket_url": fake_zoom.socket.ws_url,
    }
    runtime.settings = runtime.settings.model_copy(update=update)

    def sockets(rt: Runtime, app: object) -> Connections:
        return connections(rt, None, zoom_heartbeat=BEAT, zoom_retry=0.1, zoom_timeout=1)

    with LiveServer(create_app(runtime, sockets=sockets)) as server:
        with httpx.Client(base_url=server.url) as http:
            yield http, fake_zoom, runtime


def rows(rt: Runtime) -> list[ZoomEvent]:
    with session_scope(rt.engine) as session:
        return list(session.exec(select(ZoomEvent).order_by(ZoomEvent.id)).all())  # type: ignore[arg-type]


def wait_rows(rt: Runtime, count: int, timeout: float = 10.0) -> list[ZoomEvent]:
    deadline = time.monotonic() + timeout
    while (found := rows(rt)) and len(found) < count or not found and count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} stored events, found {len(found)}")
        time.sleep(0.05)
    return found


def joined(user: str, minute: int) -> dict[str, Any]:
    at = local(2021, 9, 23, 13, minute)
    return visit("webinar", "participant_joined", WEBINAR_ID, "W1==", at, user_id=user, name=user)


def test_events_are_stored_through_the_webhooks_path_and_heartbeats_keep_it_alive(zoom_live: Any) -> None:
    http, zoom, rt = zoom_live
    zoom.socket.wait_connected()
    frame = (SAMPLES / "websocket.message.constructed.json").read_text(encoding="utf-8")
    zoom.socket.raw(frame)
    [row] = wait_rows(rt, 1)
    assert row.source == "websocket" and row.kind == "join" and row.email == "jchill@example.com"
    inner = json.loads(json.loads(frame)["content"])
    assert post(http, inner).headers["x-zoom-event"] == "duplicate"  # by webhook too: stored once
    zoom.socket.wait_heartbeats(3)
    gaps = [b - a for a, b in zip(zoom.socket.heartbeats, zoom.socket.heartbeats[1:], strict=False)]
    assert all(gap > BEAT * 0.6 for gap in gaps), gaps
    assert json.loads((SAMPLES / "websocket.heartbeat.request.json").read_text()) == {"module": "heartbeat"}
    health = http.get("/healthz").json()
    assert health["zoom"] == "websocket+webhook" and health["zoom_connected"] is True
    assert len(zoom.socket.tokens) == 1, "answered heartbeats keep the one connection"


def test_unreadable_frames_are_logged_and_skipped(zoom_live: Any, caplog: pytest.LogCaptureFixture) -> None:
    http, zoom, rt = zoom_live
    caplog.set_level(logging.WARNING)
    for frame in (
        b"\x00\xffbinary",
        "not json",
        "[1, 2]",
        '{"module": 7}',
        '{"module": "message", "content": "{broken"}',
        '{"module": "message", "content": 12}',
        json.dumps({"module": "message", "content": json.dumps({"no_event": True})}),
        '{"module": "something_new"}',
    ):
        zoom.socket.raw(frame)
    zoom.socket.event(joined("after-garbage", 40))
    [row] = wait_rows(rt, 1)
    assert row.user_name == "after-garbage" and len(zoom.socket.tokens) == 1
    assert caplog.text.count("Zoom WebSocket: skipped") >= 8


def test_reconnects_with_a_fresh_token_after_close_cut_or_missed_heartbeat(zoom_live: Any) -> None:
    http, zoom, rt = zoom_live
    socket = zoom.socket
    socket.event(joined("a", 31))
    wait_rows(rt, 1)
    socket.close_newest()
    socket.wait_connected(2)
    socket.event(joined("b", 32))
    wait_rows(rt, 2)
    socket.cut_newest()
    socket.wait_connected(3)
    socket.event(joined("c", 33))
    wait_rows(rt, 3)
    socket.answer_heartbeats = False  # Zoom stops answering: the next heartbeat finds the last unanswered
    socket.wait_connected(4, timeout=10)
    socket.answer_heartbeats = True
    socket.event(joined("d", 34))
    assert [r.user_name for r in wait_rows(rt, 4)] == ["a", "b", "c", "d"]
    assert len(set(socket.tokens)) == len(socket.tokens) >= 4, "each connection gets a fresh token"


def test_a_refusing_zoom_gets_backed_off_attempts_never_a_tight_loop(zoom_live: Any) -> None:
    http, zoom, rt = zoom_live
    zoom.socket.wait_connected()
    zoom.socket.subscription_id = "another-subscription"  # every new connection is refused (404)
    zoom.socket.close_newest()
    time.sleep(3.0)
    # 0.1 s first, doubling: at most about 5 attempts in 3 s, where a tight loop would make hundreds
    assert 2 <= zoom.socket.refused <= 6, zoom.socket.refused
    assert http.get("/healthz").json()["zoom_connected"] is False


def test_a_zoom_that_stops_answering_stalls_neither_the_app_nor_the_webhook(zoom_live: Any) -> None:
    http, zoom, rt = zoom_live
    zoom.socket.wait_connected()
    zoom.stall = 3.0  # the token endpoint hangs: each connection attempt times out after 1 s
    zoom.socket.cut_newest()
    started = time.monotonic()
    for n in range(5):
        assert post(http, joined(f"hook-{n}", 40 + n)).status_code == 200
        assert http.get("/healthz").status_code == 200
    assert time.monotonic() - started < 2.0
    assert len(rows(rt)) == 5
