"""Each question's channel message kept current: its upvote count and its asked mark.

A vote (or a TA's mark) bumps the question's version; the edit is paced and coalesced by
handlers/schedule/paced.py like the tally, one chat.update every `MIN_INTERVAL` seconds per
question at most, so a burst of votes becomes a few edits and the last count always lands.
The message is the question's copy (handlers/schedule/question_copy.py); until the copy is
posted there is nothing to edit, and the copy is posted with the count of that moment.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from handlers.schedule.paced import Look, PacedEdits
from handlers.slack.views.prompts import Message
from handlers.slack.views.question_post import question_post
from storage import outbox
from storage import question_votes as votes
from storage.db import session_scope
from storage.models import QuestionState
from storage.submissions import question_copy_key

logger = logging.getLogger(__name__)
MIN_INTERVAL = 2.0  # seconds between edits of one question's message
LOST_MESSAGE = {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}


def render(*, session: Session, question_id: int) -> Message | None:
    """The question's channel message as it stands now (its votes and mark); None if it is gone."""
    q = votes.question_row(session=session, question_id=question_id)
    if q is None:
        return None
    return question_post(q.id, q.asker, q.week, q.text, q.votes, q.marked_asked_at is not None)


class VoteCounts(PacedEdits):
    """This process's updaters of question messages, one thread per question at most."""

    what = "question message"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, QuestionState)

    @property
    def interval(self) -> float:
        """At most one edit every MIN_INTERVAL seconds per question."""
        return MIN_INTERVAL

    def changed(self, client: WebClient, question_id: int) -> None:
        """A vote or a mark was stored (and the version bumped): update the message soon."""
        self.wake(client, question_id)

    def touch(self, client: WebClient, question_id: int) -> None:
        """The copy was just posted: if votes came first, bring it up to date."""
        with session_scope(self.engine) as session:
            row = votes.state(session=session, question_id=question_id)
        if row is not None and row.rendered_version < row.version:
            self.wake(client, question_id)

    def look(self, key: int) -> Look:
        """Done when the message shows the latest version, or when there is no message yet."""
        with session_scope(self.engine) as session:
            row = votes.state(session=session, question_id=key)
            copy = outbox.get(session=session, key=question_copy_key(key))
        if row is None or row.rendered_version >= row.version:
            return Look(done=True)
        if copy is None or copy.status != outbox.SENT or not copy.slack_ts:
            return Look(done=True)
        return Look(done=False, updated_at=row.updated_at)

    def send(self, client: WebClient, key: int) -> int | None:
        """Edit the copy to show the current count; the version it reflects."""
        with session_scope(self.engine) as session:
            row = votes.state(session=session, question_id=key)
            copy = outbox.get(session=session, key=question_copy_key(key))
            message = render(session=session, question_id=key)
        if row is None or copy is None or message is None or not copy.slack_ts:
            return None
        version = row.version
        channel = copy.slack_channel or copy.channel
        try:
            client.chat_update(channel=channel, ts=copy.slack_ts, text=message.text, blocks=message.blocks)
        except SlackApiError as exc:
            if exc.response.get("error") not in LOST_MESSAGE:
                raise
            logger.info("question %s's message is gone (%s); not editing it", key, exc.response.get("error"))
        return version
