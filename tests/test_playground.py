"""The playground through its JSON API: the real bot, signed requests, its own database, a movable clock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select
from starlette.applications import Starlette

from bot.config import ConfigError, Settings, load_settings
from bot.playground.mount import attach
from bot.playground.slack_requests import escape_typed
from storage.db import session_scope
from storage.models import Question
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zoom_api import FakeZoom
from tests.live import LiveServer
from tests.playground_live import Live, messages, serve_playground, texts
from tests.process import free_port
from tests.signing import SLACK_SECRET

ADA, GRACE, KATHERINE, GUEST, TA = "U0PGADA01", "U0PGGRACE", "U0PGKATH1", "U0PGGUEST", "U0PGTA001"


@pytest.fixture
def live(tmp_path: Path, course_file: Path) -> Iterator[Live]:
    """The app as `serve` builds it without Slack credentials: the playground is on."""
    with serve_playground(tmp_path, course_file) as server:
        yield server


def ask(live: Live, user: str, text: str) -> dict[str, Any]:
    """/ask in #general, as the page sends it."""
    return live.post("send", {"as": user, "command": "/ask", "text": text})


def test_ask_goes_through_the_real_bot_into_its_own_database(live: Live) -> None:
    state = live.state()
    assert {p["id"]: p["role"] for p in state["people"]}[TA] == "ta"
    ask(live, ADA, "Too early?")
    state = live.wait(lambda s: texts(s, "#general"))
    assert "isn't open right now" in texts(state, "#general")[0]
    live.post("clock", {"preset": "webinar"})
    assert ask(live, ADA, "Is p99 > p50 & why?")["status"] == 200
    state = live.wait(lambda s: texts(s, "#ta-room") and len(texts(s, "#general")) == 2)
    reply = messages(state, "#general")[-1]
    assert reply["only_for"] == ADA and reply["text"].startswith("Got it")
    assert texts(state, "#ta-room")[0].startswith("Week 1 tally: 1 question;")
    assert "Is p99 &gt; p50 &amp; why?" in texts(state, "#questions")[0]  # escaped once, as typed
    ask(live, GRACE, "A second one")  # not linked in the roster: the bot looks her up with users.info
    live.wait(lambda s: texts(s, "#ta-room")[0].startswith("Week 1 tally: 2 questions"))
    with session_scope(live.playground.world.runtime.engine) as session:
        stored = sorted(q.text for q in session.exec(select(Question)))
    assert len(stored) == 2 and stored[1].startswith("Is p99")
    with session_scope(live.runtime.engine) as session:
        assert session.exec(select(Question)).all() == []  # never the real database
    assert live.http.post("/slack/events", content=b"x").status_code == 503  # real Slack stays off


def test_the_bot_verifies_the_playgrounds_requests(live: Live) -> None:
    unsigned = live.http.post("/playground/bot/slack/events", content=b"command=%2Fask&text=hi")
    assert unsigned.status_code == 401
    zoom = live.http.post("/playground/bot/zoom/webhook", content=b"{}")
    assert zoom.status_code == 401
    api = live.http.post("/playground/slack/api/chat.postMessage", data={"channel": "C0PGTAS", "text": "x"})
    assert api.json() == {"ok": False, "error": "invalid_auth"}
    assert SLACK_SECRET != live.playground.secrets.slack_signing


def test_reflect_modal_errors_then_saves_and_dms(live: Live) -> None:
    live.post("clock", {"preset": "webinar"})
    live.post("send", {"as": ADA, "command": "/reflect", "text": ""})
    state = live.wait(lambda s: s["modals"].get(ADA))
    assert state["modals"][ADA][0]["view"]["callback_id"] == "reflection_submit"
    live.post("send", {"as": ADA, "submit": {"reflection": "Only one sentence."}})
    state = live.state()
    assert "at least 2" in state["modals"][ADA][0]["errors"]["reflection"]
    live.post("send", {"as": ADA, "submit": {"reflection": "Batching trades latency for cost. I liked it."}})
    state = live.wait(lambda s: texts(s, "Ada Lovelace"))
    assert ADA not in state["modals"]
    assert "your reflection on *Week 1*" in texts(state, "Ada Lovelace")[0]


def test_replay_clock_and_buttons(live: Live) -> None:
    live.post("zoom", {"action": "replay"})
    state = live.wait(lambda s: "6 questions" in (texts(s, "#ta-room") or [""])[0])
    webinar = next(r for r in state["zoom"] if r["part"] == "webinar")
    assert webinar["ended"] and webinar["minutes"][KATHERINE] == 20.0 and GUEST in webinar["minutes"]
    assert any("Write my reflection" in str(m["blocks"]) for m in messages(state, "Katherine Johnson"))
    moved = live.post("clock", {"preset": "notice"})
    assert any("absence" in line for line in moved["scheduler"]), moved
    state = live.wait(lambda s: "summary" in str(messages(s, "#ta-room")[0]["blocks"]).lower())
    notice = messages(state, "Katherine Johnson")[-1]
    assert "not counted present" in notice["text"]
    live.post("send", {"as": KATHERINE, "action": {"action_id": "recording_watched", "where": notice["id"]}})
    live.wait(lambda s: messages(s, "Katherine Johnson")[-1]["edited"] or any(
        m["only_for"] == KATHERINE for m in messages(s, "Katherine Johnson")))
    live.post("send", {"as": KATHERINE, "home": True})
    state = live.wait(lambda s: KATHERINE in s["homes"])
    assert state["homes"][KATHERINE]["type"] == "home"


def test_ta_export_uploads_a_file(live: Live) -> None:
    live.post("clock", {"preset": "webinar"})
    live.post("send", {"as": TA, "command": "/seminar", "text": "export"})
    state = live.wait(lambda s: any(m["files"] for m in messages(s, "#ta-room")))
    shared = next(m for m in messages(state, "#ta-room") if m["files"])["files"][0]
    csv = live.http.get(f"/playground/files/{shared['id']}").text
    assert csv.startswith("name,") or "Ada Lovelace" in csv


def test_ta_home_excuses_a_student_with_the_pickers(live: Live) -> None:
    live.post("clock", {"preset": "notice"})  # week 1 has ended
    live.post("send", {"as": TA, "home": True})
    state = live.wait(lambda s: TA in s["homes"])
    assert "TA dashboard" in str(state["homes"][TA]["blocks"])
    live.post("send", {"as": TA, "action": {"action_id": "ta_excuse_open", "where": "home"}})
    state = live.wait(lambda s: s["modals"].get(TA))
    assert state["modals"][TA][0]["view"]["callback_id"] == "ta_excuse_submit"
    live.post("send", {"as": TA, "submit": {"student": ADA, "week": "9"}})
    assert "Pick a week that has ended" in live.state()["modals"][TA][0]["errors"]["week"]
    live.post("send", {"as": TA, "submit": {"student": ADA, "week": "1", "reason": "demo"}})
    state = live.wait(lambda s: "Excused" in str(s["modals"].get(TA)))
    assert "Excused *Ada Lovelace* for week 1" in str(state["modals"][TA][0]["view"]["blocks"])


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("send", {"as": "U0NOBODY", "command": "/ask", "text": "x"}, "unknown person"),
        ("send", {"as": ADA}, "send needs"),
        ("send", {"as": ADA, "submit": {}}, "no modal open"),
        ("send", {"as": ADA, "action": {"action_id": "recording_watched"}}, "sees no button"),
        ("zoom", {"action": "join", "part": "webinar", "as": ADA}, "not running"),
        ("zoom", {"action": "start", "part": "breakout"}, "part must be"),
        ("clock", {"to": "2000-01-01T00:00"}, "only moves forward"),
        ("clock", {"minutes": -5}, "whole number"),
        ("clock", {"preset": "tea"}, "unknown preset"),
    ],
)
def test_bad_requests_get_a_reason_and_change_nothing(
    live: Live, path: str, body: dict[str, Any], error: str
) -> None:
    before = live.state()
    answer = live.http.post(f"/playground/api/{path}", json=body)
    assert answer.status_code == 400 and error in answer.json()["error"]
    after = live.state()
    assert after["now"] == before["now"] and after["conversations"] == before["conversations"]
    assert live.http.post("/playground/api/send", content=b"{not json").status_code == 400


def test_unknown_command_is_answered_as_slack_does(live: Live) -> None:
    live.post("send", {"as": ADA, "command": "/asks", "text": "typo"})
    assert "not a valid command" in texts(live.state(), "#general")[0]


def test_reset_starts_over(live: Live) -> None:
    live.post("clock", {"preset": "webinar"})
    ask(live, ADA, "Before the reset")
    live.wait(lambda s: texts(s, "#ta-room"))
    live.post("reset", {})
    state = live.state()
    assert texts(state, "#ta-room") == [] and "T13:20:00" in state["now"]


def status(app: Starlette, path: str) -> int:
    """GET a path from the app under uvicorn."""
    with LiveServer(app) as server:
        return httpx.get(server.url + path, timeout=10).status_code


def test_off_when_slack_is_configured_unless_asked(tmp_path: Path) -> None:
    slack = {"slack_bot_token": "xoxb-real", "slack_signing_secret": "real-secret"}
    off = Starlette()
    assert attach(off, Settings(playground_db=tmp_path / "p.db", **slack), 3000) is None
    assert status(off, "/playground") == 404
    on = Starlette()
    playground = attach(on, Settings(playground_db=tmp_path / "p.db", playground=True, **slack), 3000)
    assert playground is not None
    try:
        assert status(on, "/playground") == 200
    finally:
        playground.close()
    env = {"PLAYGROUND": "auto", **{k.upper(): v for k, v in slack.items()}}
    assert load_settings(env, None).playground is None
    assert not load_settings({"PLAYGROUND": "false"}, None).playground_enabled


def test_the_start_up_log_describes_only_the_real_bot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The playground's inner bot is set up with made-up secrets: its "Slack: HTTP" lines would
    tell a newcomer their Slack is configured when it is not."""
    caplog.set_level(logging.INFO)
    playground = attach(Starlette(), Settings(playground_db=tmp_path / "p.db"), 3000)
    assert playground is not None
    try:
        logged = [r.getMessage() for r in caplog.records if r.name == "bot.web"]
    finally:
        playground.close()
    assert logged == []
    assert any("open http://localhost:3000/playground" in r.getMessage() for r in caplog.records)


def test_never_the_real_database(tmp_path: Path) -> None:
    same = tmp_path / "seminar.db"
    with pytest.raises(ConfigError, match="PLAYGROUND_DB"):
        attach(Starlette(), Settings(database_url=f"sqlite:///{same}", playground_db=same), 3000)


@given(st.text())
def test_typed_text_is_escaped_as_slack_escapes_it(text: str) -> None:
    sent = escape_typed("/ask", text)
    assert "<" not in sent and ">" not in sent
    assert sent.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text


def test_seminar_mentions_and_links_arrive_escaped() -> None:
    sent = escape_typed("/seminar", "excuse @ada 2 & https://x.test/?a=1&b=2")
    assert sent == "excuse <@U0PGADA01|ada> 2 &amp; <https://x.test/?a=1&amp;b=2>"
    assert escape_typed("/ask", "@ada") == "@ada"


def test_never_the_real_slack_or_zoom_and_never_through_a_proxy(
    tmp_path: Path,
    course_file: Path,
    fake_slack: FakeSlack,
    fake_zoom: FakeZoom,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slack and Zoom configured (PLAYGROUND=true) and a proxy in the environment, as on many campus
    networks: the playground still reaches only itself, on 127.0.0.1, never the proxy nor the real APIs."""
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.setenv("NO_PROXY", "campus.example.edu")
    monkeypatch.setenv("no_proxy", "campus.example.edu")
    real = {
        "playground": True,
        "slack_bot_token": "xoxb-real-token",
        "slack_signing_secret": "real-signing-secret",
        "slack_api_url": fake_slack.api_url,
        "zoom_webhook_secret_token": "real-zoom-secret",
        "zoom_account_id": fake_zoom.account_id,
        "zoom_client_id": fake_zoom.client_id,
        "zoom_client_secret": fake_zoom.client_secret,
        "zoom_api_url": fake_zoom.api_url,
        "zoom_oauth_url": fake_zoom.oauth_url,
    }
    with serve_playground(tmp_path, course_file, **real) as live:
        live.post("clock", {"preset": "webinar"})
        assert ask(live, ADA, "Through a proxy?")["status"] == 200
        live.post("zoom", {"action": "replay"})
        live.wait(lambda s: any("6 questions" in text for text in texts(s, "#ta-room")))
        live.post("clock", {"preset": "due"})
    assert fake_slack.calls == [] and fake_zoom.calls == []
