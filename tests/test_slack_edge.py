"""The Slack HTTP edge: every verified request reaches its listener; nothing else causes anything."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import Ack, BoltRequest
from sqlmodel import func, select

from bot.app import build_slack_app, make_web_client
from bot.runtime import Runtime
from bot.web import create_app
from handlers.mrkdwn import command_text
from handlers.views.common import ERROR_TRY_AGAIN
from storage.db import session_scope
from storage.models import Question, RecordingWatched, Reflection
from tests.conftest import Live
from tests.factories import add_student, local
from tests.fakes.slack_api import FakeSlack
from tests.live import FrozenClock, LiveServer
from tests.send import action, signed, submit_view
from tests.signing import SLACK_SECRET, payload_body, slack_headers, slash_body

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PAYLOAD_WORDS = ["payload", "payload=", "&payload=x", "payload=%7B%7D", "the payload size"]


@pytest.fixture
def ada(live: Live) -> Live:
    """Ada is on the roster and linked to Slack."""
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
    return live


def count(live: Live, model: Any) -> int:
    with session_scope(live.runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def replies(live: Live) -> list[str]:
    return [str(c.body.get("text", "")) for c in live.slack.calls_to("response_url")]


def send_command(live: Live, command: str, text: str, **names: str) -> httpx.Response:
    body = slash_body(command, text, user_id="U0ADA", response_url=live.response_url, **names)
    return signed(live, body)


def answered(live: Live, response: httpx.Response) -> bool:
    """The listener ran: it acked with text, or replied through response_url."""
    if response.status_code != 200:
        return False
    return bool(response.text) or bool(live.slack.wait_for("response_url", timeout=5))


# -- 1. The word "payload" anywhere in a form -------------------------------------------------


@pytest.mark.parametrize("where", ["text", "channel_name", "user_name"])
@pytest.mark.parametrize("command", ["/ask", "/reflect", "/standing", "/seminar"])
def test_every_command_reaches_its_listener_whatever_the_names_hold(
    ada: Live, command: str, where: str
) -> None:
    text = "What is the payload size? It matters." if where == "text" else "Why is it slow? It matters."
    names = {where: "payload-team"} if where != "text" else {}
    response = send_command(ada, command, text, **names)
    assert answered(ada, response), (response.status_code, response.text)
    assert ERROR_TRY_AGAIN not in replies(ada)


def test_a_question_about_the_payload_is_stored(ada: Live) -> None:
    assert send_command(ada, "/ask", "What is the payload size for all-reduce?").status_code == 200
    ada.slack.wait_for("response_url")
    with session_scope(ada.runtime.engine) as session:
        assert [q.text for q in session.exec(select(Question))] == [
            "What is the payload size for all-reduce?"
        ]


def test_a_button_and_a_form_whose_fields_hold_the_word_reach_their_listeners(ada: Live) -> None:
    ada.clock.set(local(2021, 9, 24, 9, 0))  # week 1's reflection is open
    assert action(ada, "U0ADA", "reflect_open", "1", block_id="payload=1").status_code == 200
    assert ada.slack.wait_for("views.open")
    values = {
        "reflection": {"text": {"type": "plain_text_input", "value": "The payload was big. I liked it."}}
    }
    response = submit_view(ada, "U0ADA", "reflection_submit", '{"week": 1, "note": "payload"}', values)
    assert response.status_code == 200, response.text
    with session_scope(ada.runtime.engine) as session:
        assert [r.text for r in session.exec(select(Reflection))] == ["The payload was big. I liked it."]


@pytest.fixture
def probed(runtime: Runtime, clock: FrozenClock, fake_slack: FakeSlack) -> Iterator[tuple[Live, list[Any]]]:
    """The real app with one more command, `/probe`, whose listener records what it was given."""
    seen: list[Any] = []
    listeners = ThreadPoolExecutor(max_workers=4)
    slack_app = build_slack_app(runtime.settings, runtime.deps, make_web_client(runtime.settings), listeners)

    @slack_app.command("/probe")
    def probe(ack: Ack, command: dict[str, Any]) -> None:
        seen.append((command_text(command), command["channel_name"], command["user_name"]))
        ack()

    app = create_app(runtime, slack_app=slack_app)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        yield Live(server.url, http, runtime, clock, fake_slack), seen
    listeners.shutdown(wait=True)


@FUZZ
@given(
    text=st.text(max_size=300) | st.sampled_from(PAYLOAD_WORDS),
    name=st.sampled_from(["class", *PAYLOAD_WORDS]),
)
def test_the_listener_sees_exactly_the_text_sent(
    probed: tuple[Live, list[Any]], text: str, name: str
) -> None:
    live, seen = probed
    seen.clear()
    body = slash_body(
        "/probe", text, user_id="U0ADA", response_url=live.response_url, channel_name=name, user_name=name
    )
    assert signed(live, body).status_code == 200
    assert seen == [(text, name, name)]


# -- 2. An unverified request causes nothing --------------------------------------------------


HEADER_VALUES = st.one_of(
    st.sampled_from(
        ["", "abc", "1e9", "-1", "0", "+1", "١٧٠٠٠٠٠٠٠٠", "9" * 5000, "NaN", "v0=é", "v0=" + "0" * 64]
    ),
    st.integers().map(str),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=80).map(lambda v: v.strip(" \t")),
)  # HTTP itself forbids control characters and outer spaces in a header value


def _unverified_headers(body: bytes, timestamp: str | None, signature: str | None) -> dict[str, Any]:
    headers: dict[str, Any] = {"content-type": "application/x-www-form-urlencoded"}
    if timestamp is not None:
        headers["x-slack-request-timestamp"] = timestamp.encode()
    if signature is not None:
        headers["x-slack-signature"] = signature.encode()
    return headers


@FUZZ
@given(timestamp=st.none() | HEADER_VALUES, signature=st.none() | HEADER_VALUES)
def test_malformed_verification_headers_get_401_and_cause_nothing(
    ada: Live, timestamp: str | None, signature: str | None
) -> None:
    ada.slack.reset()
    body = slash_body("/ask", "Why?", user_id="U0ADA", response_url=ada.response_url)
    response = ada.http.post(
        "/slack/events", content=body, headers=_unverified_headers(body, timestamp, signature)
    )
    assert response.status_code == 401, response.text
    assert ada.slack.calls == [] and count(ada, Question) == 0


@pytest.mark.parametrize(
    ("age", "secret"),
    [(-301, SLACK_SECRET), (301, SLACK_SECRET), (0, "not-the-secret")],
    ids=["future", "stale", "wrong-secret"],
)
def test_stale_or_wrongly_signed_requests_get_401_and_cause_nothing(ada: Live, age: int, secret: str) -> None:
    body = slash_body("/ask", "Why?", user_id="U0ADA", response_url=ada.response_url)
    headers = slack_headers(body, secret=secret, ts=int(time.time()) - age)
    assert ada.http.post("/slack/events", content=body, headers=headers).status_code == 401
    time.sleep(0.2)
    assert ada.slack.calls == [] and count(ada, Question) == 0


def test_the_error_handler_never_acts_on_an_unverified_body(runtime: Runtime, fake_slack: FakeSlack) -> None:
    """Bolt's own check raises on these headers: the app answers 401 and calls no one."""
    slack_app = build_slack_app(runtime.settings, runtime.deps, make_web_client(runtime.settings))
    body = slash_body("/ask", "Why?", user_id="U0ADA", response_url=fake_slack.url + "/response/cmd")
    for timestamp, signature in [("abc", "v0=00"), (str(int(time.time())), "v0=é")]:
        request = BoltRequest(
            body=body.decode(),
            headers={"x-slack-request-timestamp": timestamp, "x-slack-signature": signature},
        )
        assert slack_app.dispatch(request).status == 401
    time.sleep(0.2)
    assert fake_slack.calls == []


# -- 3. Odd values in signed interactivity ----------------------------------------------------


@pytest.fixture
def absent(ada: Live) -> Live:
    """Weeks 1 and 2 have ended and Ada, with no Zoom presence, missed both."""
    ada.clock.set(local(2021, 10, 1, 9, 0))
    return ada


NOT_ASCII_DIGITS = st.one_of(
    st.sampled_from(["²", "١", "٣", "1e3", " 3", "3 ", "+1", "-1", "", "1.0", "1\n", "9" * 5000, "١٢"]),
    st.text(max_size=12).filter(lambda v: not (v.isascii() and v.isdigit())),
)


@FUZZ
@given(value=NOT_ASCII_DIGITS)
def test_button_values_that_are_not_ascii_digits_store_nothing(absent: Live, value: str) -> None:
    for action_id in ("recording_watched", "reflect_open"):
        absent.slack.reset()
        assert action(absent, "U0ADA", action_id, value).status_code == 200
        text = str(absent.slack.wait_for("response_url", timeout=5)[0].body["text"])
        assert text and ERROR_TRY_AGAIN not in text
        assert absent.slack.calls_to("views.open") == []
    assert count(absent, RecordingWatched) == 0


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda p: p["view"].pop("type"), "view.type"),
        (lambda p: p.pop("user"), "user.id"),
        (lambda p: p.update(user="U0ADA"), "user.id"),
        (lambda p: p.update(view=3), "view"),
        (lambda p: p["view"].pop("callback_id"), "view.callback_id"),
    ],
)
def test_malformed_view_submission_gets_a_clear_400(absent: Live, change: Any, why: str) -> None:
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": "U0ADA"},
        "trigger_id": "1.2.3",
        "response_url": absent.response_url,
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "reflection_submit",
            "private_metadata": '{"week": 1}',
        },
    }
    change(payload)
    response = signed(absent, payload_body(payload))
    assert response.status_code == 400 and why in response.json()["error"]
    time.sleep(0.2)
    assert absent.slack.calls == [] and count(absent, Reflection) == 0


@pytest.mark.parametrize(
    "actions",
    [
        [],
        [{}],
        [{"action_id": 7}],
        "recording_watched",
        [{"action_id": "recording_watched", "value": "1"}, 3],
    ],
)
def test_malformed_block_actions_get_a_clear_400(absent: Live, actions: Any) -> None:
    response = action(absent, "U0ADA", "recording_watched", "1", actions=actions)
    assert response.status_code == 400 and "actions" in response.json()["error"]
    time.sleep(0.2)
    assert absent.slack.calls == [] and count(absent, RecordingWatched) == 0
