"""Fixtures: a clean environment, databases (SQLite and PostgreSQL), fakes and a live app."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.app import LISTENER_THREADS, build_slack_app, make_web_client
from bot.config import Settings
from bot.runtime import Runtime, build_runtime
from bot.web import Connections, connections, create_app
from rules.course import Course
from storage.db import make_engine, upgrade
from tests.factories import local, write_course
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zoom_api import FakeZoom
from tests.live import FrozenClock, LiveServer
from tests.signing import SLACK_SECRET, ZOOM_SECRET

# `make test` (and so CI) draws the same hypothesis examples every run, so a green suite stays green;
# `HYPOTHESIS_PROFILE=explore make test` draws fresh ones to hunt for new counterexamples (README).
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ISOLATE = (
    "SLACK_",
    "ZOOM_",
    "DATABASE_URL",
    "COURSE_FILE",
    "PORT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "LOG_LEVEL",
    "PLAYGROUND",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real credentials, proxies or .env leak into a test (bolt's tests do the same)."""
    for key in list(os.environ):
        if key.startswith(ISOLATE) and key != "TEST_DATABASE_URL":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def _postgres_available() -> str | None:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at TEST_DATABASE_URL ({type(exc).__name__})"


_PG_SKIP: list[str | None] = []


def postgres_skip_reason() -> str | None:
    """Why PostgreSQL tests are skipped here, or None when it answers (checked once)."""
    if not _PG_SKIP:
        _PG_SKIP.append(_postgres_available())
    return _PG_SKIP[0]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    reason = postgres_skip_reason()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


class ErrorRecords(logging.Handler):
    """Keeps every ERROR record: the app's error handler logs each listener failure at ERROR."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged_errors() -> Iterator[ErrorRecords]:
    """Every ERROR logged meanwhile, uvicorn's too (its logger does not propagate)."""
    handler = ErrorRecords()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on SQLite (a file, WAL) and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on each database."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite engine, for tests whose subject is not the database."""
    eng = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    """One fake Slack Web API server per test session."""
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack) -> FakeSlack:
    """The fake Slack, reset for this test."""
    fake_slack_server.reset()
    return fake_slack_server


@pytest.fixture(scope="session")
def fake_zoom_server() -> Iterator[FakeZoom]:
    """One fake Zoom API server per test session."""
    server = FakeZoom().start()
    yield server
    server.stop()


@pytest.fixture
def fake_zoom(fake_zoom_server: FakeZoom) -> FakeZoom:
    """The fake Zoom API, reset for this test."""
    fake_zoom_server.reset()
    return fake_zoom_server


@pytest.fixture
def course_file(tmp_path: Path) -> Path:
    """The spec's course.toml written to a temporary folder."""
    return write_course(tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen in week 1's webinar (2021-09-23 13:45 Pacific)."""
    return FrozenClock(local(2021, 9, 23, 13, 45))


@pytest.fixture
def settings(tmp_path: Path, course_file: Path, fake_slack: FakeSlack, fake_zoom: FakeZoom) -> Settings:
    """Settings with test secrets, a SQLite file and the fakes' URLs."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        course_file=course_file,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SLACK_SECRET,
        slack_api_url=fake_slack.api_url,
        zoom_webhook_secret_token=ZOOM_SECRET,
        zoom_account_id=fake_zoom.account_id,
        zoom_client_id=fake_zoom.client_id,
        zoom_client_secret=fake_zoom.client_secret,
        zoom_api_url=fake_zoom.api_url,
        zoom_oauth_url=fake_zoom.oauth_url,
    )


@pytest.fixture
def runtime(settings: Settings, clock: FrozenClock) -> Iterator[Runtime]:
    """The runtime the app and CLI share, migrated, on SQLite."""
    rt = build_runtime(settings, clock=clock)
    upgrade(rt.engine)
    yield rt
    rt.deps.drain()  # background tally and vote-count updates finish before the database goes away
    rt.engine.dispose()


@pytest.fixture
def course(runtime: Runtime) -> Course:
    """The spec's course."""
    return runtime.course


@dataclass
class Live:
    """A running app: its URL, an HTTP client, the runtime, the clock, the fake Slack, and how
    Slack reaches the app (`http`: signed requests to /slack/events; `socket`: Socket Mode)."""

    url: str
    http: httpx.Client
    runtime: Runtime
    clock: FrozenClock
    slack: FakeSlack
    transport: str = "http"

    @property
    def response_url(self) -> str:
        """A response_url on the fake Slack."""
        return self.slack.url + "/response/cmd"


TRANSPORTS = ("http", "socket")
SOCKET_PING = 0.5  # seconds: a dropped Socket Mode connection is noticed within a few of these


@pytest.fixture
def slack_timeout() -> int:
    """The live app's Slack client timeout in seconds (a module overrides it to test slow calls)."""
    return 10


@pytest.fixture
def live(
    request: pytest.FixtureRequest,
    runtime: Runtime,
    clock: FrozenClock,
    fake_slack: FakeSlack,
    slack_timeout: int,
) -> Iterator[Live]:
    """The real ASGI app under uvicorn, talking to the fake Slack through a real WebClient.

    Over HTTP by default; a test parametrized with `pytest.mark.parametrize("live", TRANSPORTS,
    indirect=True)` runs over Socket Mode too (an app-level token and no signing secret).
    """
    transport = getattr(request, "param", "http")
    if transport == "socket":
        update = {"slack_app_token": "xapp-1-A0APP-test", "slack_signing_secret": None}
        runtime.settings = runtime.settings.model_copy(update=update)
    client = make_web_client(runtime.settings, timeout=slack_timeout)
    listeners = ThreadPoolExecutor(max_workers=LISTENER_THREADS)
    slack_app = build_slack_app(runtime.settings, runtime.deps, client, listeners)

    def sockets(rt: Runtime, app: object) -> Connections:
        return connections(rt, slack_app, slack_ping=SOCKET_PING)

    app = create_app(runtime, slack_app=slack_app, sockets=sockets)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        if transport == "socket":
            fake_slack.socket.wait_connected()
        yield Live(server.url, http, runtime, clock, fake_slack, transport)
    listeners.shutdown(wait=True)  # post-ack work (and the tally updates it starts) ends in this test
