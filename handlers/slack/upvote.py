"""Slack: the upvote button on each question in the questions channel (`question_upvote`, value = id).

One vote per roster student per question: pressing again withdraws it. The asker's own vote
does not count, and votes close with the week's /ask window. The message's count follows,
paced (handlers/schedule/vote_count.py).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.slack.after_ack import best_effort, committed
from handlers.slack.guard import as_student
from handlers.slack.numbers import ascii_number, clicked_value
from handlers.slack.views import question_post as views
from storage import question_votes as votes
from storage.db import session_scope
from storage.models import Question, Student


def register(app: App) -> None:
    """Register this module's listeners."""
    app.action(views.UPVOTE_ACTION)(upvote)


def tell(respond: Respond, text: str) -> None:
    """An ephemeral reply to the person who pressed, leaving the channel message as it is."""
    respond(text=text, response_type="ephemeral", replace_original=False)


def upvote(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
    """Acknowledge, then vote or withdraw for the roster student pressing, or say why not."""
    ack()
    deps: Deps = context["deps"]
    now = deps.clock()
    value = clicked_value(body)
    question_id = ascii_number(value)
    if question_id is None:
        tell(respond, views.not_a_question(value))
        return
    act = partial(_vote, deps, client, context, respond, question_id, value, now)
    as_student(deps, client, body["user"]["id"], act, lambda exc: tell(respond, str(exc)))


def _vote(
    deps: Deps,
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    question_id: int,
    value: str,
    now: datetime,
    student: Student,
) -> None:
    """Toggle the student's vote in one transaction (with the message's new version), then reply."""
    assert student.id is not None
    with session_scope(deps.engine) as session:
        question = votes.get_question(session=session, question_id=question_id)
        refusal = _refusal(deps, question, student, value, now)
        if refusal is None:
            voted = votes.toggle_vote(
                session=session, question_id=question_id, student_id=student.id, now=now
            )
            votes.bump(session=session, question_id=question_id)
    if refusal is not None:
        tell(respond, refusal)
        return
    note = views.vote_noted(voted)
    committed(context, note)
    best_effort("update the question's count", lambda: deps.votes.changed(client, question_id))
    tell(respond, note)


def _refusal(
    deps: Deps, question: Question | None, student: Student, value: str, now: datetime
) -> str | None:
    """Why this vote can't be stored: no such question, voting closed, or the asker's own."""
    if question is None:
        return views.not_a_question(value)
    week = deps.course.week(question.week)
    if week is None or now >= week.ask_window.end:
        return views.voting_closed(question.week)
    if question.student_id == student.id:
        return views.OWN_QUESTION
    return None
