"""Slack: the moderator's queue — `/seminar queue [week]` and its *Mark asked* button
(`question_asked`, value = the question's id), for TAs only; every mark is audited."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.slack.accounts import is_ta
from handlers.slack.after_ack import best_effort, committed
from handlers.slack.numbers import ascii_number, clicked_value
from handlers.slack.upvote import tell
from handlers.slack.views import queue_blocks as views
from handlers.week_files import ranked_questions
from rules.week_markdown import split
from storage import question_votes as votes
from storage import ta_changes
from storage.db import session_scope


def register(app: App) -> None:
    """Register this module's listeners."""
    app.action(views.ASKED_ACTION)(mark_asked)


def queue_reply(deps: Deps, week: int) -> dict[str, Any]:
    """The week's queue as the TA sees it: open questions ranked, then the asked ones."""
    with session_scope(deps.engine) as session:
        questions = ranked_questions(session=session, week=week)
    open_, asked = split(questions)
    return views.queue_reply(week, open_, asked, deps.course.timezone)


def mark_asked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """A TA marks a question asked (audited); its channel message and the queue then show it."""
    ack()
    deps: Deps = context["deps"]
    user_id = str(body["user"]["id"])
    if not is_ta(deps, user_id):
        tell(respond, views.NOT_A_TA)
        return
    value = clicked_value(body)
    question_id = ascii_number(value)
    marked = _mark(deps, question_id, user_id) if question_id is not None else None
    if marked is None or question_id is None:
        tell(respond, views.no_question(value))
        return
    week, newly, by = marked
    note = views.marked(newly, by)
    committed(context, note)
    best_effort("update the question's message", lambda: deps.votes.changed(client, question_id))
    respond(**queue_reply(deps, week), replace_original=True)
    tell(respond, note)


def _mark(deps: Deps, question_id: int, ta: str) -> tuple[int, bool, str | None] | None:
    """Mark the question asked (audited): its week, whether it was new, who marked it; None if gone."""
    with session_scope(deps.engine) as session:
        question = votes.get_question(session=session, question_id=question_id)
        if question is None:
            return None
        newly = ta_changes.mark_question_asked(
            session=session, question_id=question_id, week=question.week, ta_user_id=ta, now=deps.clock()
        )
        state = votes.state(session=session, question_id=question_id)
        return question.week, newly, state.asked_by if state is not None else None
