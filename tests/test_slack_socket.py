"""Slack over Socket Mode: the connection is re-opened however it ends, and nothing acknowledged is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from bot.config import load_settings
from storage.db import session_scope
from storage.models import Question
from tests.factories import add_student
from tests.send import slash
from tests.signing import slack_headers, slash_body

ROOT = Path(__file__).resolve().parent.parent
SOCKET = pytest.mark.parametrize("live", ["socket"], indirect=True)


@pytest.fixture
def ada(live: Any) -> Any:
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
    return live


def stored(live: Any) -> list[str]:
    with session_scope(live.runtime.engine) as session:
        return [q.text for q in session.exec(select(Question).order_by(Question.id)).all()]  # type: ignore[arg-type]


def ask(live: Any, text: str) -> None:
    reply = slash(live, "/ask", text, "U0ADA", trigger_id=f"trig-{text}")
    assert reply.status_code == 200 and reply.text == ""


@SOCKET
def test_healthz_names_the_transport_and_the_http_route_stays_shut(ada: Any) -> None:
    live = ada
    health = {"ok": True, "slack": "socket", "slack_connected": True, "zoom": "webhook"}
    assert live.http.get("/healthz").json() == health
    body = slash_body("/ask", "Over HTTP?", user_id="U0ADA", response_url=live.response_url)
    for secret in ("", "slack-signing-secret-for-tests"):  # no secret is configured: nothing verifies
        response = live.http.post("/slack/events", content=body, headers=slack_headers(body, secret=secret))
        assert response.status_code == 503 and "Socket Mode" in response.json()["error"]
    assert stored(live) == []


@SOCKET
def test_reconnects_however_the_connection_ends_and_keeps_every_acknowledged_delivery(ada: Any) -> None:
    live = ada
    socket = live.slack.socket
    ask(live, "before")
    socket.refresh()  # Slack's `disconnect` envelope: it rotates connections every few hours
    socket.wait_connected(2)
    ask(live, "after a refresh")
    socket.close_newest()  # a closing handshake
    socket.wait_connected(3)
    ask(live, "after a close")
    socket.cut_newest()  # the network drops: a reset, no goodbye
    socket.wait_connected(4)
    ask(live, "after a cut")
    live.slack.wait_for("response_url", 4)
    assert stored(live) == ["before", "after a refresh", "after a close", "after a cut"]
    assert len(live.slack.calls_to("apps.connections.open")) >= 4
    assert live.http.get("/healthz").json()["slack_connected"] is True


def test_settings_need_no_signing_secret_with_an_app_token() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A-secret-token"}, None)
    assert settings.slack_configured and settings.slack_socket_mode
    assert not load_settings({"SLACK_APP_TOKEN": "xapp-1-A-secret-token"}, None).slack_configured


def test_manifests_declare_the_same_app_for_both_transports() -> None:
    http = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    socket = yaml.safe_load((ROOT / "manifest.socket.yml").read_text(encoding="utf-8"))
    assert http["settings"]["socket_mode_enabled"] is False
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in str(socket), "Socket Mode needs no request URL"
    assert socket["oauth_config"] == http["oauth_config"]
    assert socket["settings"]["event_subscriptions"]["bot_events"] == http["settings"]["event_subscriptions"][
        "bot_events"
    ]
    strip = [{k: v for k, v in c.items() if k != "url"} for c in http["features"]["slash_commands"]]
    assert socket["features"]["slash_commands"] == strip
    assert socket["settings"]["interactivity"] == {"is_enabled": True}

