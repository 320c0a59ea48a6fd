"""Hostile input: fuzzed Zoom and Slack bodies, signed or not, never crash the server or change a record."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select

from handlers.slack.views.common import ERROR_TRY_AGAIN
from storage.db import session_scope
from storage.models import Question, Reflection, Student, ZoomEvent
from tests.conftest import ErrorRecords, Live
from tests.factories import add_student
from tests.signing import payload_body, slack_headers, slash_body, zoom_headers

FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KEPT = (Student, ZoomEvent, Question, Reflection)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
JOINED = json.loads(
    """{"event": "webinar.participant_joined", "event_ts": 1632429000000,
        "payload": {"account_id": "AAAAAABBBB", "object": {"id": "81234567890", "uuid": "u1==",
        "participant": {"user_id": "16778240", "user_name": "Ada Lovelace", "id": "p1",
        "join_time": "2021-09-23T20:31:00Z", "email": "ada@example.edu",
        "participant_uuid": "pu1"}}}}"""
)
ZOOM_FIELDS = [
    ("event",),
    ("event_ts",),
    ("payload",),
    ("payload", "object"),
    ("payload", "object", "id"),
    ("payload", "object", "uuid"),
    ("payload", "object", "participant"),
    ("payload", "object", "participant", "join_time"),
    ("payload", "object", "participant", "email"),
    ("payload", "object", "participant", "user_name"),
    ("payload", "object", "participant", "participant_uuid"),
]
EVENTS = st.sampled_from(
    [
        "webinar.participant_joined",
        "webinar.participant_left",
        "meeting.participant_joined",
        "meeting.participant_left",
        "webinar.started",
        "webinar.ended",
        "endpoint.url_validation",
    ]
)


def snapshot(engine: Engine) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """Every row of the tables a student's record is made of, by primary key."""
    with session_scope(engine) as session:
        return {
            str(model.__tablename__): {
                row.id: tuple(row.model_dump().values()) for row in session.exec(select(model))
            }
            for model in KEPT
        }


def assert_unchanged(
    before: dict[str, dict[Any, tuple[Any, ...]]], after: dict[str, dict[Any, tuple[Any, ...]]]
) -> None:
    """Rows may be added by valid input, never changed or removed."""
    for table, rows in before.items():
        for key, row in rows.items():
            assert after[table].get(key) == row, f"{table} row {key} changed"


def mutate(event: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `event` with `path` set to `value` (creating dicts on the way)."""
    copy = json.loads(json.dumps(event))
    node = copy
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return copy


@pytest.fixture
def no_errors(logged_errors: ErrorRecords) -> Iterator[None]:
    """Fails the test if anything logged an error, including a listener after its (200) ack.

    Set up before `live`, so its check runs after `live` has waited for the listeners' post-ack work.
    """
    yield
    assert not logged_errors.records, [f"{r.name}: {r.getMessage()}" for r in logged_errors.records]


@pytest.fixture
def seeded(no_errors: None, live: Live) -> Live:
    """A student with a question and a stored Zoom join, so there is something to corrupt."""
    with session_scope(live.runtime.engine) as session:
        ada = add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
        assert ada.id is not None
        session.add(Question(student_id=ada.id, week=1, text="Why?", dedup_key="seed-q1"))
        session.add(
            ZoomEvent(
                dedup_key="seed-join",
                event="webinar.participant_joined",
                zoom_id="81234567890",
                kind="join",
                email="ada@example.edu",
                user_name="Ada Lovelace",
                body=json.dumps(JOINED),
            )
        )
    return live


def _post(live: Live, path: str, body: bytes, headers: dict[str, str]) -> int:
    status = live.http.post(path, content=body, headers=headers).status_code
    assert live.http.get("/healthz").status_code == 200
    return status


@FUZZ
@given(body=st.binary(max_size=2000), signature=st.sampled_from(["", "v0=00", "v1=abc", "garbage"]))
def test_zoom_unsigned_is_refused(seeded: Live, body: bytes, signature: str) -> None:
    before = snapshot(seeded.runtime.engine)
    headers = {"content-type": "application/json", "x-zm-request-timestamp": str(int(time.time()))}
    if signature:
        headers["x-zm-signature"] = signature
    assert _post(seeded, "/zoom/webhook", body, headers) == 401
    assert snapshot(seeded.runtime.engine) == before


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=500),
        JSON.map(lambda v: json.dumps(v).encode()),
        st.tuples(st.sampled_from(ZOOM_FIELDS), JSON | EVENTS).map(
            lambda pv: json.dumps(mutate(JOINED, pv[0], pv[1])).encode()
        ),
    )
)
def test_zoom_signed_garbage_never_errors(seeded: Live, body: bytes) -> None:
    """Signed but malformed: a 2xx (stored and ignored) or 4xx, never 5xx; no row changes."""
    before = snapshot(seeded.runtime.engine)
    status = _post(seeded, "/zoom/webhook", body, zoom_headers(body))
    assert status < 500, (status, body)
    assert_unchanged(before, snapshot(seeded.runtime.engine))


@FUZZ
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded"]),
)
def test_slack_unsigned_is_refused(seeded: Live, body: bytes, content_type: str) -> None:
    before = snapshot(seeded.runtime.engine)
    headers = slack_headers(body, secret="not-the-secret", content_type=content_type)
    assert _post(seeded, "/slack/events", body, headers) in (400, 401)
    assert snapshot(seeded.runtime.engine) == before


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=500),
        JSON.map(lambda v: json.dumps(v).encode()),
        JSON.map(lambda v: payload_body(v if isinstance(v, dict) else {"type": v})),
        st.text(max_size=200).map(lambda t: b"payload=" + t.encode()),
    ),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded"]),
)
def test_slack_signed_garbage_never_errors(seeded: Live, body: bytes, content_type: str) -> None:
    before = snapshot(seeded.runtime.engine)
    status = _post(seeded, "/slack/events", body, slack_headers(body, content_type=content_type))
    assert status < 500, (status, body)
    assert_unchanged(before, snapshot(seeded.runtime.engine))


@FUZZ
@given(
    command=st.sampled_from(["/ask", "/reflect", "/standing", "/seminar", "/nonsense"]),
    text=st.text(max_size=1200),
    user=st.sampled_from(["U0ADA", "U0STRANGER"]),
)
def test_slash_commands_with_any_text_never_crash(seeded: Live, command: str, text: str, user: str) -> None:
    """Any text to any command: acknowledged, and no listener fails (no 'try again' apology)."""
    before = snapshot(seeded.runtime.engine)
    body = slash_body(command, text, user_id=user, response_url=seeded.response_url)
    assert _post(seeded, "/slack/events", body, slack_headers(body)) < 500
    assert_unchanged(before, snapshot(seeded.runtime.engine))


def test_no_listener_failed_during_fuzzing(seeded: Live) -> None:
    """Run a burst of odd commands and wait for their listeners: none apologises for an error."""
    for command in ("/ask", "/reflect", "/standing"):
        for text in ("", " ", "\u0000", "<!channel> " + "x" * 1001, "a. b. c." * 300, "🙂" * 999):
            body = slash_body(command, text, user_id="U0ADA", response_url=seeded.response_url)
            assert _post(seeded, "/slack/events", body, slack_headers(body)) < 500
    time.sleep(0.5)
    replies = [c.body.get("text", "") for c in seeded.slack.calls_to("response_url")]
    assert ERROR_TRY_AGAIN not in replies
