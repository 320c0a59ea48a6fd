"""The moderator's queue: `/seminar queue`, ranking (hypothesis), *Mark asked* (TAs only, audited),
and Block Kit limits for a 500-question week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from handlers.schedule import vote_count
from handlers.slack.views.queue_blocks import MAX_BLOCKS, queue_reply
from rules.week_markdown import RankedQuestion, ranked, split
from storage.db import session_scope
from storage.models import Question, QuestionState, QuestionVote, TaAction
from tests.conftest import Live
from tests.factories import add_student
from tests.scheduling import copies_recorded
from tests.send import action, slash
from tests.signing import slack_headers, slash_body

QNA = "C0QNA"
T0 = datetime(2021, 9, 23, 21, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def quick_edits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vote_count, "MIN_INTERVAL", 0.3)


def seminar(live: Live, text: str, user: str = "U0TA1") -> None:
    body = slash_body("/seminar", text, user_id=user, response_url=live.response_url)
    assert live.http.post("/slack/events", content=body, headers=slack_headers(body)).status_code == 200


@pytest.fixture
def asked(live: Live) -> Live:
    """Three questions by Ada and Bob; the second has two votes, the third one."""
    with session_scope(live.runtime.engine) as session:
        ids = [
            add_student(session, name, f"{name.lower()}@example.edu", slack_user_id=f"U0{name.upper()}").id
            for name in ("Ada", "Bob", "Cy", "Dot")
        ]
    for n, who in enumerate(("U0ADA", "U0BOB", "U0ADA")):
        slash(live, "/ask", f"Question {n}?", who, trigger_id=f"q{n}")
        live.clock.set(live.clock() + timedelta(minutes=1))
    live.slack.wait_for("chat.postMessage", 3, channel=QNA)
    copies_recorded(live)
    with session_scope(live.runtime.engine) as session:
        by_time = select(Question).order_by(Question.asked_at)  # type: ignore[arg-type]
        q = [x.id for x in session.exec(by_time).all()]
        for qid, voter in ((q[1], ids[2]), (q[1], ids[3]), (q[2], ids[2])):
            assert qid is not None and voter is not None
            session.add(QuestionVote(question_id=qid, student_id=voter))
    return live


def last_reply(live: Live, count: int) -> dict[str, Any]:
    return dict(live.slack.wait_for("response_url", count)[count - 1].body)


def texts(message: dict[str, Any]) -> list[str]:
    return [str((b.get("text") or {}).get("text", "")) for b in message.get("blocks") or []]


def test_queue_ranks_open_questions_by_votes_then_time(asked: Live) -> None:
    before = len(asked.slack.calls_to("response_url"))
    seminar(asked, "queue 1")
    reply = last_reply(asked, before + 1)
    order = [t for t in texts(reply) if "Question" in t]
    assert ["Question 1" in order[0], "Question 2" in order[1], "Question 0" in order[2]] == [True] * 3
    assert "*2 votes* · Bob" in order[0] and reply["response_type"] == "ephemeral"


def test_mark_asked_moves_it_under_asked_audits_and_updates_the_channel(asked: Live) -> None:
    with session_scope(asked.runtime.engine) as session:
        first = session.exec(select(Question).order_by(Question.asked_at)).first()  # type: ignore[arg-type]
        assert first is not None and first.id is not None
        qid = first.id
    before = len(asked.slack.calls_to("response_url"))
    assert action(asked, "U0TA1", "question_asked", str(qid)).status_code == 200
    queue = last_reply(asked, before + 1)
    assert queue.get("replace_original") is True
    assert "*Asked*" in texts(queue) and "Question 0" in texts(queue)[-1]
    assert asked.runtime.deps.votes.drain(timeout=20)
    message = next(m for m in asked.slack.posted(QNA) if "Question 0" in str(m["text"]))
    assert any("Asked in the discussion" in str(b) for b in message["blocks"])
    with session_scope(asked.runtime.engine) as session:
        audit = session.exec(select(TaAction).where(TaAction.action == "question_asked")).all()
        assert len(audit) == 1 and audit[0].ta_user_id == "U0TA1"


@pytest.mark.parametrize("user", ["U0ADA", "U0NOBODY"])
def test_only_tas_mark_asked(asked: Live, user: str) -> None:
    before = len(asked.slack.calls_to("response_url"))
    action(asked, user, "question_asked", "1")
    assert "Only the course's TAs" in str(last_reply(asked, before + 1)["text"])
    with session_scope(asked.runtime.engine) as session:
        assert session.exec(select(QuestionState)).all() == []
        assert session.exec(select(TaAction)).all() == []


@pytest.mark.parametrize("value", ["", "x", "٣", "²", "999999", "1 ", "-1"])
def test_a_bad_mark_asked_value_changes_nothing(asked: Live, value: str) -> None:
    before = len(asked.slack.calls_to("response_url"))
    action(asked, "U0TA1", "question_asked", value)
    assert "doesn't name a question" in str(last_reply(asked, before + 1)["text"])
    with session_scope(asked.runtime.engine) as session:
        assert session.exec(select(TaAction)).all() == []


questions = st.lists(
    st.builds(
        RankedQuestion,
        id=st.integers(1, 10_000),
        asker=st.text(max_size=30),
        text=st.text(max_size=1000),
        asked_at=st.integers(0, 120).map(lambda m: T0 + timedelta(minutes=m)),
        votes=st.integers(0, 60),
        asked=st.booleans(),
    ),
    max_size=40,
    unique_by=lambda q: q.id,
)


@given(questions)
def test_ranking_is_by_votes_then_earlier_and_splits_asked(qs: list[RankedQuestion]) -> None:
    order = ranked(qs)
    keys = [(-q.votes, q.asked_at, q.id) for q in order]
    assert keys == sorted(keys) and sorted(q.id for q in order) == sorted(q.id for q in qs)
    open_, done = split(qs)
    assert [q for q in order if not q.asked] == open_ and [q for q in order if q.asked] == done


@given(questions, st.integers(0, 39))
def test_a_withdrawn_vote_ranks_the_question_as_if_never_cast(qs: list[RankedQuestion], pick: int) -> None:
    if not qs:
        return
    target = qs[pick % len(qs)]
    voted = [RankedQuestion(**{**q.__dict__, "votes": q.votes + (q is target)}) for q in qs]
    withdrawn = [RankedQuestion(**{**q.__dict__, "votes": q.votes - (q.id == target.id)}) for q in voted]
    assert [q.id for q in ranked(withdrawn)] == [q.id for q in ranked(qs)]


def test_a_500_question_week_fits_block_kit() -> None:
    long = "&<>" * 333 + "x"
    qs = [RankedQuestion(i, f"Student {i} & <co>", long, T0, i % 7, i % 2 == 0) for i in range(1, 501)]
    open_, done = split(qs)
    reply = queue_reply(1, open_, done, UTC)
    assert len(reply["blocks"]) <= MAX_BLOCKS
    assert all(len(t) <= 3000 for t in texts(reply))
    assert "more asked" in texts(reply)[-1]
