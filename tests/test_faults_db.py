"""The database goes away: Zoom gets 503 (so it retries), Slack users are told to try again,
/healthz says so, and once the database is back the retried delivery is stored."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.app import build_slack_app, make_web_client
from bot.config import Settings
from bot.runtime import build_runtime
from bot.web import create_app
from handlers.slack.views.common import ERROR_TRY_AGAIN
from storage.db import make_engine, session_scope, upgrade
from storage.models import Question, ZoomEvent
from tests.conftest import Live
from tests.factories import add_student
from tests.fakes.slack_api import FakeSlack
from tests.live import FrozenClock, LiveServer
from tests.signing import slack_headers, slash_body, zoom_headers

JOIN = {
    "event": "webinar.participant_joined",
    "event_ts": 1632429060000,
    "payload": {
        "account_id": "AAAAAABBBB",
        "object": {
            "id": "81234567890",
            "uuid": "outage==",
            "participant": {
                "user_id": "16778240",
                "user_name": "Ada Lovelace",
                "id": "p-ada",
                "participant_uuid": "pu-ada",
                "join_time": "2021-09-23T20:31:00Z",
                "email": "ada@example.edu",
            },
        },
    },
}


def _live(
    settings: Settings, clock: FrozenClock, fake_slack: FakeSlack, zoom_writer: bool = False
) -> Iterator[Live]:
    runtime = build_runtime(settings, clock=clock)
    slack_app = build_slack_app(settings, runtime.deps, make_web_client(settings))
    with LiveServer(create_app(runtime, slack_app=slack_app, zoom_writer=zoom_writer)) as server:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            yield Live(server.url, http, runtime, clock, fake_slack)
    runtime.engine.dispose()


@pytest.fixture
def outage(tmp_path: Path, settings: Settings, clock: FrozenClock, fake_slack: FakeSlack) -> Iterator[Live]:
    """The app pointed at a SQLite file in a folder that does not exist (yet): every query fails."""
    url = f"sqlite:///{tmp_path / 'not-yet' / 'app.db'}"
    yield from _live(settings.model_copy(update={"database_url": url}), clock, fake_slack)


def _zoom(live: Live) -> httpx.Response:
    body = json.dumps(JOIN).encode()
    return live.http.post("/zoom/webhook", content=body, headers=zoom_headers(body))


def _ask(live: Live, trigger: str) -> httpx.Response:
    body = slash_body(
        "/ask", "Is it back?", user_id="U0ADA", response_url=live.response_url, trigger_id=trigger
    )
    return live.http.post("/slack/events", content=body, headers=slack_headers(body))


def _restore(live: Live) -> None:
    """The database comes back: its folder exists, it is migrated and Ada is on the roster."""
    url = str(live.runtime.settings.database_url)
    Path(url.removeprefix("sqlite:///")).parent.mkdir()
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
    engine.dispose()


def test_outage_then_recovery_on_sqlite(outage: Live) -> None:
    live = outage
    assert live.http.get("/healthz").status_code == 503
    zoom = _zoom(live)
    assert zoom.status_code == 503 and "Traceback" not in zoom.text

    began = time.monotonic()
    assert _ask(live, "t-down").status_code == 200  # Slack gets its ack at once, not after 3 s
    assert time.monotonic() - began < 2.0
    apology = live.slack.wait_for("response_url")[0].body
    assert apology["text"] == ERROR_TRY_AGAIN and apology.get("response_type") == "ephemeral"

    _restore(live)
    assert live.http.get("/healthz").json()["ok"] is True
    assert _zoom(live).status_code == 200  # Zoom's retry of the same delivery
    assert _ask(live, "t-up").status_code == 200
    assert "asked 1 question" in live.slack.wait_for("response_url", 2)[1].body["text"]
    with session_scope(live.runtime.engine) as session:
        assert [e.email for e in session.exec(select(ZoomEvent))] == ["ada@example.edu"]
        assert [q.text for q in session.exec(select(Question))] == ["Is it back?"]


def test_outage_then_recovery_through_serves_writer_process(
    tmp_path: Path, settings: Settings, clock: FrozenClock, fake_slack: FakeSlack
) -> None:
    """As `serve` runs it: the writer process's database errors come back as 503s, then 200s."""
    url = f"sqlite:///{tmp_path / 'not-yet' / 'app.db'}"
    for live in _live(settings.model_copy(update={"database_url": url}), clock, fake_slack, zoom_writer=True):
        assert live.http.get("/healthz").json()["zoom_writer_running"] is True
        zoom = _zoom(live)
        assert zoom.status_code == 503 and zoom.json() == {"error": "temporarily unavailable"}
        _restore(live)
        again = _zoom(live)
        assert (again.status_code, again.headers["x-zoom-event"]) == (200, "stored")
        with session_scope(live.runtime.engine) as session:
            assert [e.email for e in session.exec(select(ZoomEvent))] == ["ada@example.edu"]


@pytest.mark.postgres
def test_tables_gone_on_postgres(
    pg_url: str, settings: Settings, clock: FrozenClock, fake_slack: FakeSlack
) -> None:
    """PostgreSQL answers but the schema is renamed away mid-run (a botched migration, a restore)."""
    engine = make_engine(pg_url)
    upgrade(engine)
    with session_scope(engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
    schema = pg_url.rsplit("%3D", 1)[1]
    for live in _live(settings.model_copy(update={"database_url": pg_url}), clock, fake_slack):
        with engine.begin() as conn:
            conn.execute(text(f'ALTER SCHEMA "{schema}" RENAME TO "{schema}_away"'))
        try:
            assert _zoom(live).status_code == 503
            assert _ask(live, "pg-down").status_code == 200
            assert live.slack.wait_for("response_url")[0].body["text"] == ERROR_TRY_AGAIN
        finally:
            with engine.begin() as conn:
                conn.execute(text(f'ALTER SCHEMA "{schema}_away" RENAME TO "{schema}"'))
        assert _zoom(live).status_code == 200
        with session_scope(engine) as session:
            assert len(session.exec(select(ZoomEvent)).all()) == 1
    engine.dispose()
