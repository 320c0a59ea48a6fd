"""The moderator's queue (`/seminar queue`): open questions ranked by votes, each with *Mark asked*,
then the asked ones. Fits Slack's limits (50 blocks, 3,000 characters a section) for any week."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from handlers.slack.views.common import context, header, plain, section, time_of_day
from handlers.slack.views.mrkdwn import escape
from handlers.slack.views.question_post import quoted
from rules.week_markdown import RankedQuestion

ASKED_ACTION = "question_asked"
MAX_BLOCKS = 50
SECTION_LIMIT = 3000
MAX_OPEN = 30  # open questions shown with a button; the brief lists them all
QUESTION_CHARS = 600  # of each open question's text
ASKED_LINE = 200  # characters of each asked question's line
Reply = dict[str, Any]

NOT_A_TA = "Only the course's TAs can mark questions asked. Nothing was changed."


def queue_reply(week: int, open_: list[RankedQuestion], asked: list[RankedQuestion], tz: tzinfo) -> Reply:
    """The ephemeral queue: its fallback text and blocks."""
    text = f"Week {week} queue: {len(open_)} open, {len(asked)} asked."
    blocks = [header(f"Week {week} questions, ranked by votes"), context(_summary(open_, asked))]
    blocks += [_open_block(q, tz) for q in open_[:MAX_OPEN]]
    if len(open_) > MAX_OPEN:
        blocks.append(context(f"… and {len(open_) - MAX_OPEN} more open questions with fewer votes."))
    if asked:
        room = MAX_BLOCKS - len(blocks) - 1
        blocks.append(section("*Asked*"))
        blocks += _asked_blocks(asked, tz, room)
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}


def _summary(open_: list[RankedQuestion], asked: list[RankedQuestion]) -> str:
    if not open_ and not asked:
        return "No questions yet this week."
    return (
        f"{len(open_)} open · {len(asked)} asked · ties go to the earlier question. "
        "Press *Mark asked* when the moderator takes one; its message in the questions channel says so."
    )


def _line(q: RankedQuestion, tz: tzinfo) -> str:
    votes = "1 vote" if q.votes == 1 else f"{q.votes} votes"
    return f"*{votes}* · {escape(q.asker)} · {time_of_day(q.asked_at, tz)}"


def _open_block(q: RankedQuestion, tz: tzinfo) -> dict[str, Any]:
    block = section(f"{_line(q, tz)}\n{quoted(q.text, QUESTION_CHARS)}")
    block["block_id"] = f"queue:{q.id}"
    block["accessory"] = {
        "type": "button",
        "action_id": ASKED_ACTION,
        "value": str(q.id),
        "text": plain("Mark asked"),
    }
    return block


def _asked_blocks(asked: list[RankedQuestion], tz: tzinfo, room: int) -> list[dict[str, Any]]:
    """The asked questions as compact lines, packed into at most `room` sections."""
    lines = [f"{_line(q, tz)} {quoted(' '.join(q.text.split()), ASKED_LINE)}" for q in asked]
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    for i, line in enumerate(lines):
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_LIMIT - 60:
            if len(blocks) == room - 1:
                chunk.append(f"… and {len(lines) - i} more asked.")
                break
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk and len(blocks) < room:
        blocks.append(section("\n".join(chunk)))
    return blocks


def marked(newly: bool, by: str | None) -> str:
    """The mark's outcome, said to the TA who pressed."""
    if not newly:
        return f"That question was already marked asked{f' by <@{escape(by)}>' if by else ''}."
    return "Marked asked; its message in the questions channel now says so."


def no_question(value: str) -> str:
    """The button names no question."""
    shown = escape(value[:40]) or "nothing"
    return f"That button doesn't name a question I know (it says `{shown}`). Nothing was changed."
