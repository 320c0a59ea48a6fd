"""/ask end to end: signed requests to the running app, a real WebClient, the fake Slack."""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from handlers.slack.after_ack import AcksFirst
from storage.db import session_scope
from storage.models import Question
from tests.conftest import TRANSPORTS
from tests.factories import add_student, local
from tests.send import signed, slash
from tests.signing import SLACK_SECRET, slack_headers, slash_body


@pytest.fixture
def students(live: Any) -> Any:
    """Ada is linked to Slack; Bob is found through users.info; Dee was dropped."""
    with session_scope(live.runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu", slack_user_id="U0ADA")
        add_student(session, "Bob Babbage", "bob@example.edu")
        add_student(session, "Dee Dropped", "dee@example.edu", slack_user_id="U0DEE", status="dropped")
    live.slack.add_user("U0BOB", "Bob@Example.edu", "Bob")
    live.slack.add_user("U0EVE", "eve@example.edu", "Eve")
    return live


def questions(live: Any) -> list[Question]:
    with session_scope(live.runtime.engine) as session:
        return list(session.exec(select(Question).order_by(Question.id)).all())  # type: ignore[arg-type]


def reply(live: Any, count: int = 1) -> str:
    return str(live.slack.wait_for("response_url", count)[count - 1].body["text"])


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_ask_stores_replies_posts_and_counts(students: Any) -> None:
    live = students
    first = slash(live, "/ask", "How do you *version* data? <!channel>", "U0ADA", trigger_id="t1")
    assert first.status_code == 200 and first.text == ""
    assert "asked 1 question in week 1" in reply(live) and "1 more" in reply(live)
    slash(live, "/ask", "Second one", "U0ADA", trigger_id="t2")
    assert "asked 2 questions in week 1" in reply(live, 2) and "met this week's minimum of 2" in reply(
        live, 2
    )
    rows = questions(live)
    assert [q.text for q in rows] == ["How do you *version* data? <!channel>", "Second one"]
    assert {q.week for q in rows} == {1} and rows[0].channel_id == "C0CLASS"
    posts = live.slack.wait_for("chat.postMessage", 2, channel="C0QNA")
    post = next(p.body for p in posts if "version" in p.body["text"])  # two listeners: either may post first
    assert post["channel"] == "C0QNA" and post["link_names"] is False and post["parse"] == "none"
    assert "<" not in post["text"] and "&lt;!channel&gt;" in post["text"]
    assert "*Question from Ada Lovelace* (week 1)" in post["text"]


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_same_delivery_twice_is_stored_once(students: Any) -> None:
    live = students
    body = slash_body("/ask", "Once only?", user_id="U0ADA", response_url=live.response_url, trigger_id="tX")
    for _ in range(2):
        assert signed(live, body).status_code == 200
    live.slack.wait_for("response_url", 2)
    assert len(questions(live)) == 1
    assert all("asked 1 question" in c.body["text"] for c in live.slack.calls_to("response_url"))
    live.slack.wait_for("chat.postMessage", channel="C0QNA")
    time.sleep(0.2)
    assert len(live.slack.calls_to("chat.postMessage", channel="C0QNA")) == 1


def test_resolves_by_email_then_remembers(students: Any) -> None:
    live = students
    slash(live, "/ask", "From Bob", "U0BOB")
    assert "asked 1 question" in reply(live)
    assert questions(live)[0].text == "From Bob"
    assert len(live.slack.calls_to("users.info")) == 1


OFF_ROSTER = {
    "U0EVE": "couldn't find you on the roster",
    "U0NOBODY": "couldn't find you",
    "U0DEE": "dropped",
    "U0TA1": "You're a TA",
}


def test_off_roster_dropped_and_tas_are_told_and_nothing_stored(students: Any) -> None:
    live = students
    for n, (user, expected) in enumerate(OFF_ROSTER.items(), start=1):
        assert slash(live, "/ask", "Let me in", user).status_code == 200
        assert expected in reply(live, n) and "nothing was saved" in reply(live, n)
    assert questions(live) == [] and live.slack.calls_to("chat.postMessage") == []


REFUSED = {"": "Type your question", "   \n\t": "Type your question", "x" * 1001: "1,001 characters"}


@pytest.mark.parametrize("live", TRANSPORTS, indirect=True)
def test_blank_over_long_and_nul_are_refused_at_once(students: Any) -> None:
    live = students
    for text, expected in {**REFUSED, "a\x00b": "NUL character"}.items():
        response = slash(live, "/ask", text, "U0ADA")
        assert (
            response.status_code == 200 and expected in response.text and "Nothing was saved" in response.text
        )
    assert questions(live) == [] and live.slack.calls_to("users.info") == []


def test_exactly_a_thousand_characters_is_accepted(students: Any) -> None:
    live = students
    slash(live, "/ask", "é" * 1000, "U0ADA")
    reply(live)
    assert questions(live)[0].text == "é" * 1000


def test_the_limit_counts_what_was_typed_not_slacks_entities(students: Any) -> None:
    live = students
    typed = "<&>" * 333 + "?"  # 1,000 typed; Slack sends 4,000 characters of entities
    assert slash(live, "/ask", typed, "U0ADA").text == ""
    reply(live)
    assert questions(live)[0].text == typed
    assert "1,001 characters" in slash(live, "/ask", typed + "&", "U0ADA").text


WINDOW = [
    (local(2021, 9, 23, 13, 29), False),
    (local(2021, 9, 23, 13, 30), True),
    (local(2021, 9, 23, 15, 14), True),
    (local(2021, 9, 23, 15, 15), False),
    (local(2021, 12, 2, 16, 0), False),
]


def test_window_from_webinar_start_to_15_minutes_after_the_discussion(students: Any) -> None:
    live = students
    stored = 0
    for when, accepted in WINDOW:
        live.clock.set(when)
        response = slash(live, "/ask", "In time?", "U0ADA")
        if accepted:
            stored += 1
            assert response.text == "" and "week 1" in reply(live, stored)
        else:
            assert "isn't open" in response.text or "last session has ended" in response.text
        assert len(questions(live)) == stored


def test_closed_reply_names_the_next_window(students: Any) -> None:
    live = students
    live.clock.set(local(2021, 9, 24, 9, 0))
    text = slash(live, "/ask", "Now?", "U0ADA").text
    assert "Next: week 2, <!date^1633033800^{date_short_pretty} {time}|Thu Sep 30, 1:30 PM PDT>" in text


def test_bad_signatures_are_401_and_change_nothing(students: Any) -> None:
    live = students
    body = slash_body("/ask", "sneaky", user_id="U0ADA", response_url=live.response_url)
    for headers in (
        slack_headers(body, secret="not-" + SLACK_SECRET),
        slack_headers(body, ts=int(time.time()) - 301),
        {"content-type": "application/x-www-form-urlencoded"},
    ):
        assert live.http.post("/slack/events", content=body, headers=headers).status_code == 401
    time.sleep(0.1)
    assert questions(live) == [] and live.slack.calls == []


def test_a_failing_questions_channel_keeps_the_question(students: Any) -> None:
    live = students
    live.slack.fail("chat.postMessage", error="not_in_channel")
    slash(live, "/ask", "Still saved?", "U0ADA")
    assert "asked 1 question" in reply(live)
    live.slack.wait_for("chat.postMessage")
    assert len(questions(live)) == 1


MENTIONS = st.sampled_from(
    [
        "<@U0TA1>",
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<!subteam^S0MOD>",
        "<#C0QNA|qna>",
        "@channel",
        "&",
        "<https://x.test|click>",
        "&lt;",
        "&amp;",
        "&amp;lt;",
        ">",
    ]
)
TEXT = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40), MENTIONS
    ),
    max_size=30,
).map("".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT.filter(lambda t: t.strip() and len(t) <= 1000))
def test_any_text_is_stored_exactly_and_posted_without_live_mentions(students: Any, text: str) -> None:
    live = students
    before = len(live.slack.calls_to("chat.postMessage", channel="C0QNA"))
    assert slash(live, "/ask", text, "U0ADA").status_code == 200
    post = live.slack.wait_for("chat.postMessage", before + 1, channel="C0QNA")[before].body["text"]
    assert questions(live)[-1].text == text
    assert "<" not in post and ">" not in post.replace("\n>", "\n")
    quoted = post.split("\n", 1)[1]
    assert html.unescape("\n".join(line[1:] for line in quoted.split("\n"))) == text


def test_slow_slack_call_never_delays_another_ack(students: Any) -> None:
    live = students
    live.slack.delays["users.info"] = 2.5  # Bob is unknown by id, so his /ask looks him up slowly
    acks: dict[str, float] = {}

    def send(user: str) -> None:
        started = time.monotonic()
        assert slash(live, "/ask", f"from {user}", user).status_code == 200
        acks[user] = time.monotonic() - started

    slow = threading.Thread(target=send, args=("U0BOB",))
    slow.start()
    time.sleep(0.2)
    send("U0ADA")
    slow.join()
    assert acks["U0ADA"] < 1.5 and acks["U0BOB"] < 1.5  # users.info takes 2.5 s
    ada_reply = live.slack.wait_for("response_url")[0]
    bob_lookup = live.slack.wait_for("users.info")[0]  # `at` is its arrival, 2.5 s before its answer
    assert ada_reply.at - bob_lookup.at < 1.5 and "asked 1 question" in ada_reply.body["text"]
    live.slack.wait_for("response_url", 2)


def test_a_held_database_lock_never_delays_the_ack(students: Any) -> None:
    live = students
    raw = live.runtime.engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's write lock
    try:
        started = time.monotonic()
        assert slash(live, "/ask", "while locked", "U0ADA").status_code == 200
        assert time.monotonic() - started < 1.5
        time.sleep(0.5)
        assert live.slack.calls_to("response_url") == []
    finally:
        raw.rollback()
        raw.close()
    assert "asked 1 question" in reply(live)


def test_post_ack_work_lets_unanswered_requests_go_first(students: Any) -> None:
    """In a burst, a student's store and reply wait until the other students' requests are answered."""
    live = students
    acks = live.runtime.deps.acks
    acks.max_wait = 30.0
    with acks.pending():  # another student's /ask, not answered yet
        assert slash(live, "/ask", "after the others", "U0ADA").status_code == 200  # acked at once
        time.sleep(0.5)
        assert live.slack.calls_to("response_url") == [] and questions(live) == []
    assert "asked 1 question" in reply(live)


def test_post_ack_work_waits_for_other_acks_only_so_long() -> None:
    """A stream of requests never holds a listener's post-ack work back for more than max_wait."""
    acks = AcksFirst(max_wait=0.2)
    with acks.pending():
        started = time.monotonic()
        acks.wait()
        assert time.monotonic() - started >= 0.2
    acks.wait()  # nothing pending: at once
