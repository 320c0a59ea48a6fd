"""POST /zoom/webhook end to end: signed requests to the running app, then the report."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import func, select
from typer.testing import CliRunner

from bot.cli import app as cli
from handlers.records import class_record
from handlers.zoom.wire import url_validation
from storage.db import session_scope
from storage.models import ZoomEvent
from tests.conftest import Live
from tests.factories import add_student, local
from tests.signing import ZOOM_SECRET, zoom_headers
from tests.zoom_payloads import DISCUSSION_ID, WEBINAR_ID, lifecycle, post, raw, sample, visit


def stored(live: Live) -> int:
    with session_scope(live.runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(ZoomEvent)).one())


def week1_stream() -> list[dict[str, Any]]:
    """Week 1 (2021-09-23): the webinar as a webinar, the discussion as a meeting."""

    def w(action: str, h: int, m: int, **who: str) -> dict[str, Any]:
        return visit("webinar", action, WEBINAR_ID, "W1==", local(2021, 9, 23, h, m), **who)

    def d(action: str, h: int, m: int, **who: str) -> dict[str, Any]:
        return visit("meeting", action, DISCUSSION_ID, "D1//x==", local(2021, 9, 23, h, m), **who)

    ada = {"user_id": "101", "name": "Ada Lovelace", "email": "ADA@example.edu"}
    zoe1 = {"user_id": "201", "name": "Zoë Ångström", "email": "zoe.a@gmail.com"}
    zoe2 = {"user_id": "202", "name": "Zoë Ångström", "email": "zoe.a@gmail.com"}
    zoe_phone = {"user_id": "203", "name": "Zoë's iPhone", "email": "Zoe.A@gmail.com"}
    bob = {"user_id": "301", "name": "Bob", "email": "bob@example.edu"}
    jose = {"user_id": "401", "name": "josé  NÚÑEZ"}
    guest = {"user_id": "501", "name": "Guest Person", "email": "guest@example.com"}
    return [
        lifecycle("webinar", "started", WEBINAR_ID, "W1==", local(2021, 9, 23, 13, 28)),
        w("participant_joined", 13, 25, **ada),
        w("participant_left", 14, 35, **ada),
        w("participant_joined", 13, 40, **zoe1),
        w("participant_left", 13, 50, **zoe1),
        w("participant_joined", 13, 55, **zoe2),
        w("participant_left", 14, 10, **zoe2),
        w("participant_joined", 13, 45, **zoe_phone),
        w("participant_left", 14, 0, **zoe_phone),
        w("participant_joined", 14, 0, **bob),
        w("participant_joined", 13, 30, **jose),
        w("participant_left", 14, 30, **jose),
        w("participant_joined", 13, 30, **guest),
        w("participant_left", 13, 42, **guest),
        visit("webinar", "participant_joined", "99999999999", "X1", local(2021, 9, 23, 13, 30), **ada),
        lifecycle("webinar", "ended", WEBINAR_ID, "W1==", local(2021, 9, 23, 14, 31)),
        lifecycle("meeting", "started", DISCUSSION_ID, "D1//x==", local(2021, 9, 23, 14, 30)),
        d("participant_joined", 14, 31, **ada),
        d("participant_left", 15, 0, **ada),
        d("participant_joined", 14, 35, **zoe1),
        lifecycle("meeting", "ended", DISCUSSION_ID, "D1//x==", local(2021, 9, 23, 14, 50)),
    ]


def enrol(live: Live) -> None:
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Zoë Ångström", "zoe@example.edu", zoom_email="ZOE.A@gmail.com")
        add_student(session, "Bob Builder", "bob@example.edu")
        add_student(session, "José Núñez", "jose@example.edu")


def test_week_of_events_in_any_order_gives_the_report(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    enrol(live)
    events = week1_stream()
    deliveries = events + random.Random(7).sample(events, 8)  # redeliveries
    random.Random(3).shuffle(deliveries)
    for body in deliveries:
        response = post(live.http, body)
        assert response.status_code == 200, response.text
    assert stored(live) == len(events)
    monkeypatch.setenv("DATABASE_URL", live.runtime.settings.database_url)
    monkeypatch.setenv("COURSE_FILE", str(live.runtime.settings.course_file))
    out = CliRunner().invoke(cli, ["report", "--week", "1", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    weeks = {s["email"]: s["weeks"][0] for s in data["students"]}
    minutes = {e: (w["webinar_minutes"], w["discussion_minutes"]) for e, w in weeks.items()}
    assert minutes == {
        "ada@example.edu": (60, 29),
        "zoe@example.edu": (30, 15),
        "bob@example.edu": (30, 0),
        "jose@example.edu": (60, 0),
    }
    assert weeks["zoe@example.edu"]["webinar_present"] and weeks["zoe@example.edu"]["discussion_present"]
    assert weeks["bob@example.edu"]["webinar_present"] and weeks["bob@example.edu"]["absent"]
    assert not weeks["ada@example.edu"]["absent"]
    assert data["unmatched"] == [
        {"week": 1, "part": "webinar", "name": "Guest Person", "email": "guest@example.com", "minutes": 12}
    ]


def test_non_ascii_body_is_stored_verbatim(live: Live) -> None:
    body = visit(
        "webinar",
        "participant_joined",
        WEBINAR_ID,
        "W1==",
        local(2021, 9, 23, 13, 31),
        user_id="1",
        name="Zoë 李",
    )
    payload = raw(body)
    assert "Zoë 李".encode() in payload
    first, again = post(live.http, payload), post(live.http, payload)
    assert (first.status_code, first.headers["x-zoom-event"], first.content) == (200, "stored", b"")
    assert (again.status_code, again.headers["x-zoom-event"], again.content) == (200, "duplicate", b"")
    with session_scope(live.runtime.engine) as session:
        row = session.exec(select(ZoomEvent)).one()
    assert row.user_name == "Zoë 李" and row.body == payload.decode() and row.kind == "join"
    assert row.zoom_id == WEBINAR_ID and row.at == local(2021, 9, 23, 13, 31)


def test_url_validation(live: Live) -> None:
    body = sample("endpoint.url_validation")
    response = post(live.http, body)
    token = body["payload"]["plainToken"]
    expected = hmac.new(ZOOM_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
    assert response.status_code == 200
    assert response.json() == {"plainToken": token, "encryptedToken": expected}
    assert stored(live) == 0
    unsigned = live.http.post("/zoom/webhook", content=raw(body))
    assert unsigned.status_code == 401


def test_url_validation_vector() -> None:
    """The published vector (elastic/beats tests): secret secretValueTest."""
    reply = url_validation("secretValueTest", {"payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}})
    assert reply["encryptedToken"] == "70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff"


def test_unknown_events_are_stored_and_ignored(live: Live) -> None:
    registration = sample("webinar.registration_created")  # its id is a number
    assert post(live.http, registration).status_code == 200
    assert post(live.http, {"event": "meeting.participant_jbh_joined", "payload": []}).status_code == 200
    with session_scope(live.runtime.engine) as session:
        rows = session.exec(select(ZoomEvent).order_by(ZoomEvent.id)).all()
    assert [(r.kind, r.zoom_id) for r in rows] == [("other", "1234567890"), ("other", "")]


def ts_ago(seconds: int) -> int:
    return int(time.time()) - seconds


def signed_with_stamp(body: bytes, stamp: str) -> dict[str, Any]:
    """Zoom's headers with this timestamp (sent as Latin-1, as HTTP carries it), signed by the secret."""
    mac = hmac.new(ZOOM_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"x-zm-request-timestamp": stamp.encode("latin-1"), "x-zm-signature": "v0=" + mac.hexdigest()}


BAD_DELIVERIES = (
    (
        "forged",
        b'{"event":"webinar.started"}',
        zoom_headers(b"{}", secret="wrong"),
        401,
        "does not match",
    ),
    ("no headers", b'{"event":"webinar.started"}', {}, 401, "missing"),
    (
        "other body",
        b'{"event":"webinar.ended"}',
        zoom_headers(b'{"event":"webinar.started"}'),
        401,
        "match",
    ),
    ("stale", b'{"event":"x.y"}', zoom_headers(b'{"event":"x.y"}', ts=ts_ago(4 * 3600)), 401, "window"),
    ("future", b'{"event":"x.y"}', zoom_headers(b'{"event":"x.y"}', ts=ts_ago(-900)), 401, "window"),
    ("superscript", b'{"event":"x.y"}', signed_with_stamp(b'{"event":"x.y"}', "\u00b2"), 401, "Unix seconds"),
    ("not json", b"event=webinar.started", None, 400, "not JSON"),
    ("latin-1", '{"event":"é"}'.encode("latin-1"), None, 400, "not JSON"),
    ("array", b'[{"event":"webinar.started"}]', None, 400, "JSON object"),
    ("no event", b'{"payload":{}}', None, 400, "event"),
    ("deep", b"[" * 100_000 + b"]" * 100_000, None, 400, "not JSON"),
    ("empty token", b'{"event":"endpoint.url_validation","payload":{}}', None, 400, "plainToken"),
)


def test_bad_deliveries_change_nothing(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    """Each bad delivery gets its clear error, stores nothing, and the server stays up."""
    caplog.set_level(logging.WARNING)
    for name, body, headers, status, needle in BAD_DELIVERIES:
        response = live.http.post(
            "/zoom/webhook", content=body, headers=zoom_headers(body) if headers is None else headers
        )
        assert response.status_code == status, name
        assert needle in response.json()["error"], name
        assert stored(live) == 0, name
        assert live.http.get("/healthz").json()["ok"] is True
    assert "Zoom webhook refused (401)" in caplog.text and ZOOM_SECRET not in caplog.text


def test_a_retry_with_its_first_timestamp_is_accepted(live: Live) -> None:
    body = lifecycle("webinar", "started", WEBINAR_ID, "W1==", local(2021, 9, 23, 13, 30))
    assert post(live.http, body, ts=ts_ago(90 * 60)).status_code == 200


def test_odd_fields_are_stored_safely(live: Live) -> None:
    body = visit(
        "webinar", "participant_joined", WEBINAR_ID, "W1==", local(2021, 9, 23, 13, 31), user_id="9", name="x"
    )
    person = body["payload"]["object"]["participant"]
    person.update(
        user_name="N\u0000" + "ü" * 5000, email=["not", "a", "string"], registrant_id=12345, join_time="soon"
    )
    body["payload"]["object"]["id"] = 81234567890
    body["payload"]["object"]["uuid"] = "\ud800" + "u" * 500
    payload = json.dumps(body).encode()  # ASCII escapes, including a lone surrogate
    assert post(live.http, payload).status_code == 200
    odd = {"event": "webinar.participant_left", "event_ts": "yesterday", "payload": {"object": "nope"}}
    assert post(live.http, odd).status_code == 200
    with session_scope(live.runtime.engine) as session:
        row, other = session.exec(select(ZoomEvent).order_by(ZoomEvent.id)).all()
    assert row.user_name.startswith("Nüü") and len(row.user_name) == 200
    assert row.email == "" and row.registrant_id == "12345" and row.zoom_id == WEBINAR_ID
    assert row.at is not None and len(row.instance_uuid) == 128
    assert other.kind == "leave" and other.at is None


def test_storage_failure_answers_503_and_zoom_retries(live: Live) -> None:
    body = lifecycle("webinar", "started", WEBINAR_ID, "W1==", local(2021, 9, 23, 13, 30))
    with live.runtime.engine.begin() as conn:
        conn.execute(text("ALTER TABLE zoom_events RENAME TO zoom_events_away"))
    failed = post(live.http, body)
    assert failed.status_code == 503
    assert live.http.get("/healthz").status_code == 200
    with live.runtime.engine.begin() as conn:
        conn.execute(text("ALTER TABLE zoom_events_away RENAME TO zoom_events"))
    assert post(live.http, body).status_code == 200  # Zoom's retry
    assert stored(live) == 1


def test_report_while_the_webinar_runs(live: Live) -> None:
    """A join with no leave counts up to now while the part is running."""
    enrol(live)
    at = local(2021, 9, 23, 13, 30)
    post(
        live.http,
        visit("webinar", "participant_joined", WEBINAR_ID, "W1==", at, user_id="1", name="Bob Builder"),
    )
    live.clock.set(local(2021, 9, 23, 13, 52))
    with session_scope(live.runtime.engine) as session:
        record = class_record(session=session, course=live.runtime.course, now=live.clock())
    bob = next(r for r in record.students if r.student.email == "bob@example.edu")
    assert bob.weeks[0].webinar_minutes == 22 and not bob.weeks[0].ended
