"""Upvotes through the running app: signed button presses, the question's message kept current."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from handlers.schedule import question_copy, vote_count
from storage.db import session_scope
from storage.models import Question, QuestionVote, utcnow
from tests.conftest import Live
from tests.factories import add_student
from tests.scheduling import client_for, copies_recorded
from tests.send import action, slash

QNA = "C0QNA"


@pytest.fixture(autouse=True)
def quick_edits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The count's pace is measured in the burst test; the others needn't wait 2 s per edit."""
    monkeypatch.setattr(vote_count, "MIN_INTERVAL", 0.3)


@pytest.fixture
def room(live: Live) -> Live:
    """Ada asked one question (posted to the questions channel); Bob and 60 others may vote."""
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Bob Babbage", "bob@example.edu", slack_user_id="U0BOB")
        add_student(session, "Dee Dropped", "dee@example.edu", slack_user_id="U0DEE", status="dropped")
        for i in range(60):
            add_student(session, f"Voter {i:02}", f"v{i}@example.edu", slack_user_id=f"U0V{i:02}")
    assert slash(live, "/ask", "Why is p99 > p50?", "U0ADA", trigger_id="ask-1").status_code == 200
    live.slack.wait_for("chat.postMessage", channel=QNA)
    copies_recorded(live)
    return live



def copy(live: Live) -> dict[str, Any]:
    """The question's message as it now stands in the questions channel."""
    return live.slack.posted(QNA)[0]


def button(message: dict[str, Any]) -> dict[str, Any]:
    """The upvote button of a question's message."""
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    return dict(actions[0]["elements"][0])


def press(live: Live, user: str, value: str) -> None:
    """A student presses the upvote button (on the questions channel's message)."""
    assert action(live, user, "question_upvote", value, channel={"id": QNA}).status_code == 200


def votes(live: Live) -> int:
    with session_scope(live.runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(QuestionVote)).one())


def settle(live: Live) -> None:
    """Every background count update has landed."""
    assert live.runtime.deps.votes.drain(timeout=20)


def replies(live: Live, count: int) -> list[str]:
    return [str(c.body["text"]) for c in live.slack.wait_for("response_url", count)]


def test_the_copy_carries_an_upvote_button_with_the_question_id(room: Live) -> None:
    up = button(copy(room))
    assert up["action_id"] == "question_upvote" and up["text"]["text"].endswith("· 0")
    assert up["value"].isdigit()


def test_vote_then_withdraw_updates_the_count(room: Live) -> None:
    value = button(copy(room))["value"]
    press(room, "U0BOB", value)
    assert "upvote is counted" in replies(room, 2)[-1]
    settle(room)
    assert votes(room) == 1 and button(copy(room))["text"]["text"].endswith("· 1")
    press(room, "U0BOB", value)
    assert "withdrawn" in replies(room, 3)[-1]
    settle(room)
    assert votes(room) == 0 and button(copy(room))["text"]["text"].endswith("· 0")


def test_the_askers_own_vote_does_not_count(room: Live) -> None:
    press(room, "U0ADA", button(copy(room))["value"])
    assert "your own question" in replies(room, 2)[-1]
    assert votes(room) == 0


@pytest.mark.parametrize("user", ["U0DEE", "U0NOBODY"])
def test_off_the_roster_or_dropped_is_refused(room: Live, user: str) -> None:
    press(room, user, button(copy(room))["value"])
    assert "nothing was saved" in replies(room, 2)[-1]
    assert votes(room) == 0


def test_voting_closes_with_ask(room: Live) -> None:
    week = room.runtime.course.weeks[0]
    room.clock.set(week.ask_window.end + timedelta(seconds=1))
    press(room, "U0BOB", button(copy(room))["value"])
    assert "closed when /ask closed" in replies(room, 2)[-1]
    assert votes(room) == 0


def test_an_unknown_question_id_is_refused(room: Live) -> None:
    press(room, "U0BOB", "999999")
    assert "doesn't name a question" in replies(room, 2)[-1]
    assert votes(room) == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=12).filter(lambda v: not (v.isascii() and v.isdigit() and 0 < len(v) <= 6)))
def test_a_button_value_that_is_not_ascii_digits_stores_nothing(room: Live, value: str) -> None:
    before = len(room.slack.calls_to("response_url"))
    press(room, "U0BOB", value)
    text = replies(room, before + 1)[before]
    assert "doesn't name a question" in text and votes(room) == 0


def test_fifty_students_at_once_each_counted_once(room: Live) -> None:
    value = button(copy(room))["value"]
    voters = [f"U0V{i:02}" for i in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(lambda user: press(room, user, value), voters))
    room.slack.wait_for("response_url", 51, timeout=30)
    settle(room)
    assert votes(room) == 50
    assert button(copy(room))["text"]["text"].endswith("· 50")
    edits = room.slack.calls_to("chat.update", channel=QNA)
    assert 1 <= len(edits) < 50  # coalesced
    times = [c.at for c in edits]
    assert all(b - a >= vote_count.MIN_INTERVAL - 0.1 for a, b in zip(times, times[1:], strict=False))
    last = json.loads(edits[-1].body["blocks"]) if isinstance(edits[-1].body["blocks"], str) else None
    assert last is None or button({"blocks": last})["text"]["text"].endswith("· 50")


def test_a_double_press_ends_as_one_vote_or_none_and_the_count_agrees(room: Live) -> None:
    """Two presses by the same student at once: never two rows, and the message shows what is stored."""
    value = button(copy(room))["value"]
    for round_ in range(1, 7):
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda _: press(room, "U0BOB", value), range(2)))
        said = replies(room, 1 + 2 * round_)[-2:]
        assert votes(room) in (0, 1)
        counted = sum("is counted" in s for s in said) - sum("withdrawn" in s for s in said)
        assert counted in (0, 1) and len(said) == 2
    settle(room)
    assert button(copy(room))["text"]["text"].endswith(f"· {votes(room)}")


def test_a_vote_before_the_copy_is_posted_shows_once_it_is(live: Live) -> None:
    """The copy's first post fails (nothing to edit yet); Bob votes; the retried copy shows his vote."""
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Bob Babbage", "bob@example.edu", slack_user_id="U0BOB")
    live.slack.fail("chat.postMessage", status=503, times=1, channel=QNA)
    assert slash(live, "/ask", "Why?", "U0ADA", trigger_id="ask-1").status_code == 200
    live.slack.wait_for("chat.postMessage", channel=QNA)
    with session_scope(live.runtime.engine) as session:
        [question_id] = session.exec(select(Question.id)).all()
    press(live, "U0BOB", str(question_id))
    assert "upvote is counted" in replies(live, 2)[-1]
    settle(live)
    assert live.slack.posted(QNA) == [] and live.slack.calls_to("chat.update") == []
    later = utcnow() + timedelta(minutes=10)
    client = client_for(live.runtime.settings)
    assert question_copy.retry_pending(live.runtime.deps, client, lambda: later) == 1
    settle(live)
    assert len(live.slack.posted(QNA)) == 1 and button(copy(live))["text"]["text"].endswith("· 1")
