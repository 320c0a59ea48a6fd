"""The question's copy in `questions_channel`: recorded in the outbox with the question, posted once.

/ask makes the first attempt right after replying to the student. Anything else — a Slack
error, a 5xx, a timeout or a dropped connection — leaves the copy claimed with a back-off, and
the scheduler's tick retries it. A retry first looks in the channel's history for a message
carrying the copy's key in its metadata, since a 5xx or a timeout may come after Slack posted
it, so the copy appears once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.deps import Deps
from handlers.schedule.delivery import HISTORY_PAGE, Delivery, post, search_history
from handlers.schedule.vote_count import render
from handlers.slack.views import ask_replies as views
from storage import outbox
from storage.db import session_scope
from storage.models import OutboundMessage, utcnow
from storage.submissions import question_id_of

logger = logging.getLogger(__name__)
FIRST_LEASE = timedelta(minutes=2)  # the inline attempt: far longer than the client's timeout
HISTORY_SLACK = timedelta(minutes=5)  # look this far before the copy was recorded (clock skew)
COPY_HISTORY_PAGES = 50  # pages of conversations.history a copy's retry may read (a minute's worth)


def send_first(deps: Deps, client: WebClient, key: str) -> None:
    """The inline attempt, right after /ask stored the question."""
    owner, at, channel = outbox.runner_id(), utcnow(), deps.course.questions_channel
    if channel and _reclaim(deps, key, owner, at, FIRST_LEASE):
        _settle(deps, client, key, owner, _attempt(deps, client, key, channel))


def retry_pending(deps: Deps, client: WebClient, wall: Callable[[], datetime] = utcnow) -> int:
    """Retry every copy whose back-off has ended, looking before posting; how many are now in."""
    owner, sent = outbox.runner_id(), 0
    with session_scope(deps.engine) as session:
        rows = outbox.claimable(session=session, kind=outbox.QUESTION_COPY, at=wall())
    for row in rows:
        if not _reclaim(deps, row.key, owner, wall()):
            continue
        result = _find(client, row) or _attempt(deps, client, row.key, row.channel)
        sent += _settle(deps, client, row.key, owner, result, wall())
    return sent


def _find(client: WebClient, row: OutboundMessage) -> Delivery | None:
    """The copy if an earlier attempt landed; a non-sent Delivery when we cannot tell.

    Every page since the copy was recorded: in a busy channel the copy may be far from the newest.
    """
    try:
        found = search_history(
            client, row.channel, row.created_at - HISTORY_SLACK, lambda m: views.is_copy(m, row.key),
            COPY_HISTORY_PAGES, include_all_metadata=True,
        )  # fmt: skip
    except (SlackApiError, SlackClientError, OSError) as exc:  # never "permanent": that would drop the copy
        return Delivery("transient", error=f"could not look for an earlier copy: {_describe(exc)}")
    if found is None:
        error = f"could not look through {COPY_HISTORY_PAGES * HISTORY_PAGE} messages"
        return Delivery("transient", error=error)
    return Delivery("sent", channel=row.channel, ts=found) if found else None


def _attempt(deps: Deps, client: WebClient, key: str, channel: str) -> Delivery:
    """Post the copy (mentions neutralised) with its upvote button and count, its key in the metadata."""
    with session_scope(deps.engine) as session:
        message = render(session=session, question_id=question_id_of(key))
    if message is None:
        return Delivery("permanent", error="the question is gone")
    return post(
        client,
        channel,
        message,
        parse="none",
        link_names=False,
        unfurl_media=False,
        metadata=views.copy_metadata(key),
    )


def _reclaim(deps: Deps, key: str, owner: str, at: datetime, lease: timedelta = outbox.LEASE) -> bool:
    """Take the copy's row for this attempt (its own transaction, so other runners see the claim)."""
    with session_scope(deps.engine) as session:
        return outbox.reclaim(session=session, key=key, owner=owner, at=at, lease=lease)


def _settle(
    deps: Deps, client: WebClient, key: str, owner: str, result: Delivery, at: datetime | None = None
) -> int:
    """Record what the attempt came to; 1 when the copy is in the channel.

    A vote or a mark stored before the copy was recorded as sent found nothing to edit, so the
    copy's count is brought up to date now.
    """
    at = at or utcnow()
    if result.outcome == "sent":
        ts, channel = result.ts, result.channel
        with session_scope(deps.engine) as session:
            outbox.mark_sent(session=session, key=key, owner=owner, at=at, slack_channel=channel, slack_ts=ts)
        deps.votes.touch(client, question_id_of(key))
        return 1
    if result.outcome == "permanent":
        with session_scope(deps.engine) as session:
            outbox.mark_failed(session=session, key=key, owner=owner, error=result.error)
        logger.error("question copy %s failed for good: %s", key, result.error)
        return 0
    with session_scope(deps.engine) as session:
        status = outbox.release(session=session, key=key, owner=owner, error=result.error, at=at)
    log = logger.error if status == outbox.FAILED else logger.warning
    log("question copy %s not posted (%s): %s", key, status, result.error)
    return 0


def _describe(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__
