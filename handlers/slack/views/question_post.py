"""A question as posted to the questions channel: the text, its upvote button and count, its asked mark."""

from __future__ import annotations

from typing import Any

from handlers.slack.views.ask_replies import channel_post
from handlers.slack.views.common import context, plain, section
from handlers.slack.views.mrkdwn import escape
from handlers.slack.views.prompts import Message

UPVOTE_ACTION = "question_upvote"
SECTION_LIMIT = 3000


def question_post(question_id: int, asker: str, week: int, text: str, votes: int, asked: bool) -> Message:
    """The channel message: fallback text, then the question, the asked mark and the upvote button."""
    head = f"*Question from {escape(asker)}* (week {week})\n"
    blocks: list[dict[str, Any]] = [section(head + quoted(text, SECTION_LIMIT - len(head)))]
    if asked:
        blocks.append(context(":white_check_mark: Asked in the discussion"))
    blocks.append(
        {
            "type": "actions",
            "block_id": f"question_votes:{question_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": UPVOTE_ACTION,
                    "value": str(question_id),
                    "text": plain(f":arrow_up: Upvote · {votes}"),
                }
            ],
        }
    )
    return Message(channel_post(asker, week, text), blocks)


def quoted(text: str, limit: int) -> str:
    """The text as an escaped block quote of at most `limit` characters (cut whole, with `…`)."""
    out, used = [">"], 1
    for char in text:
        piece = "\n>" if char == "\n" else escape(char)
        if used + len(piece) > limit - 1:
            out.append("…")
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)


def not_a_question(value: str) -> str:
    """The button's value names no question (a stale or forged button)."""
    shown = escape(value[:40]) or "nothing"
    return f"That button doesn't name a question I know (it says `{shown}`), so no vote was counted."


def voting_closed(week: int) -> str:
    """The week's /ask window has closed, and votes with it."""
    return (
        f"Voting on week {week}'s questions closed when /ask closed, so your vote wasn't counted. "
        "Thanks for taking part!"
    )


OWN_QUESTION = (
    "That's your own question, so your vote doesn't count — but it's in the list, and classmates "
    "can upvote it. Nothing was changed."
)


def vote_noted(voted: bool) -> str:
    """The student's vote is stored (or withdrawn)."""
    if voted:
        return "Your upvote is counted. Press the button again to take it back."
    return "Your upvote is withdrawn. Press the button again to vote."
