"""The web app: /healthz, unconfigured integrations answer 503, big bodies are refused."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.runtime import build_runtime
from bot.web import create_app
from storage.db import make_engine, upgrade
from tests.live import LiveServer


def test_starts_without_credentials(
    tmp_path: Path, course_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", course_file=course_file)
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    with caplog.at_level(logging.INFO):
        app = create_app(runtime)
    assert "Slack is not configured: set SLACK_BOT_TOKEN" in caplog.text
    assert "Zoom webhooks are not configured: set ZOOM_WEBHOOK_SECRET_TOKEN" in caplog.text
    assert "Zoom back-fill is not configured: set ZOOM_ACCOUNT_ID" in caplog.text
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/healthz").json() == {"ok": True, "slack": "off", "zoom": "off"}
        slack = http.post("/slack/events", content=b"x")
        assert slack.status_code == 503 and "SLACK_SIGNING_SECRET" in slack.json()["error"]
        zoom = http.post("/zoom/webhook", content=b"{}")
        assert zoom.status_code == 503 and "ZOOM_WEBHOOK_SECRET_TOKEN" in zoom.json()["error"]


def test_healthz_503_when_database_is_gone(tmp_path: Path, course_file: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'nodir' / 'x.db'}", course_file=course_file)
    app = create_app(build_runtime(settings))
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        response = http.get("/healthz")
    assert response.status_code == 503 and response.json()["ok"] is False


def test_body_over_a_megabyte_is_refused(live) -> None:  # type: ignore[no-untyped-def]
    big = b"x" * 1_100_000
    for path in ("/slack/events", "/zoom/webhook"):
        assert live.http.post(path, content=big).status_code == 413

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"y" * 100_000

    assert live.http.post("/zoom/webhook", content=chunks()).status_code == 413


def _healthz(settings: Settings) -> httpx.Response:
    runtime = build_runtime(settings)
    with LiveServer(create_app(runtime)) as server, httpx.Client(base_url=server.url) as http:
        response = http.get("/healthz")
    runtime.engine.dispose()
    return response


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def test_healthz_503_on_a_read_only_sqlite_file(tmp_path: Path, course_file: Path) -> None:
    path = tmp_path / "x.db"
    _migrate(f"sqlite:///{path}")
    writable = Settings(database_url=f"sqlite:///{path}", course_file=course_file)
    assert _healthz(writable).status_code == 200
    read_only = Settings(database_url=f"sqlite:///file:{path}?mode=ro&uri=true", course_file=course_file)
    response = _healthz(read_only)
    assert response.status_code == 503 and response.json()["ok"] is False


@pytest.mark.postgres
def test_healthz_503_on_a_read_only_postgres_session(pg_url: str, course_file: Path) -> None:
    _migrate(pg_url)
    assert _healthz(Settings(database_url=pg_url, course_file=course_file)).status_code == 200
    read_only = f"{pg_url}%20-cdefault_transaction_read_only%3Don"
    response = _healthz(Settings(database_url=read_only, course_file=course_file))
    assert response.status_code == 503 and response.json()["ok"] is False


def test_zoom_webhook_takes_post_only(live) -> None:  # type: ignore[no-untyped-def]
    """The route Zoom deliveries skip the router for still answers other methods as the router does."""
    response = live.http.get("/zoom/webhook")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
