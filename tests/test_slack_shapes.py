"""Signed Slack bodies of odd shapes, over HTTP and Socket Mode: a clear refusal, never a failure."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlmodel import func, select

from storage.db import session_scope
from storage.models import Reflection
from tests.conftest import TRANSPORTS, ErrorRecords, Live
from tests.factories import add_student
from tests.send import signed
from tests.signing import event_body, payload_body

USER = {"id": "U0ADA", "username": "ada", "team_id": "T0TEAM"}


def _submission(**view: Any) -> dict[str, Any]:
    base = {"type": "modal", "callback_id": "reflection_submit", "private_metadata": '{"week": 1}'}
    return {"type": "view_submission", "user": USER, "trigger_id": "1.2.3", "view": {**base, **view}}


# Each is signed and names a listener we have (or a type Bolt reads for every listener).
INTERACTIONS = {
    "state not an object": _submission(state="x"),
    "values a list": _submission(state={"values": []}),
    "block not an object": _submission(state={"values": {"reflection": "x"}}),
    "input not an object": _submission(state={"values": {"reflection": {"text": "x"}}}),
    "metadata a number": _submission(private_metadata=5),
    "attachment action without actions": {
        "type": "interactive_message", "callback_id": "x", "user": USER, "actions": [],
    },
    "workflow step edit without its step": {
        "type": "workflow_step_edit", "callback_id": "x", "user": USER, "trigger_id": "1.2.3",
    },
}  # fmt: skip
EVENTS = {
    "home without user": {"type": "app_home_opened", "tab": "home"},
    "home user a number": {"type": "app_home_opened", "tab": "home", "user": 5},
    "home user an object": {"type": "app_home_opened", "tab": "home", "user": {"id": "U0ADA"}},
    "message user a number": {"type": "message", "user": 7, "channel": "D1", "text": "hi"},
}


@pytest.fixture
def errors(logged_errors: ErrorRecords) -> ErrorRecords:
    """Every ERROR logged meanwhile: a listener or Bolt failing on the body logs one."""
    return logged_errors


@pytest.fixture
def ada(live: Live) -> Live:
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
    return live


def _refused_quietly(live: Live, body: bytes, content_type: str, errors: ErrorRecords) -> None:
    reply = signed(live, body, content_type=content_type)
    time.sleep(0.3)
    if live.transport == "http":
        assert reply.status_code == 400 and "malformed" in reply.json()["error"], reply.text
    else:  # acknowledged, so Slack does not redeliver it, and taken no further
        assert reply.status_code == 200 and reply.text == ""
    assert [r.getMessage() for r in errors.records] == []
    assert [c.method for c in live.slack.calls if c.method != "apps.connections.open"] == []
    with session_scope(live.runtime.engine) as session:
        assert session.exec(select(func.count()).select_from(Reflection)).one() == 0


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
@pytest.mark.parametrize("payload", INTERACTIONS.values(), ids=INTERACTIONS.keys())
def test_odd_interactivity_is_refused_and_changes_nothing(
    ada: Live, errors: ErrorRecords, payload: dict[str, Any]
) -> None:
    _refused_quietly(ada, payload_body(payload), "application/x-www-form-urlencoded", errors)


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
@pytest.mark.parametrize("event", EVENTS.values(), ids=EVENTS.keys())
def test_odd_events_are_refused_and_change_nothing(
    ada: Live, errors: ErrorRecords, event: dict[str, Any]
) -> None:
    _refused_quietly(ada, event_body(event), "application/json", errors)
