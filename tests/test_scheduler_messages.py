"""Scheduled messages stay valid Block Kit, within Slack's limits, whatever names and links hold."""

from __future__ import annotations

import tomllib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from handlers.slack.views import prompts
from handlers.slack.views.prompts import Message, StandingChange
from rules.course_file import parse_course
from tests.factories import COURSE_TOML

COURSE = parse_course(tomllib.loads(COURSE_TOML))
WEEK = COURSE.weeks[0]
DUE = COURSE.reflection_due(WEEK)


def valid(message: Message) -> list[dict[str, Any]]:
    """slack_sdk's own validators accept every block; at most 50 blocks; text present."""
    assert message.text and len(message.blocks) <= 50
    parsed = [Block.parse(b) for b in message.blocks]
    return [b.to_dict() for b in parsed if b is not None]


def test_each_message_has_its_button() -> None:
    cases = {
        "reflect_open": [
            prompts.reflection_prompt(COURSE, WEEK, DUE),
            prompts.reflection_reminder(COURSE, WEEK, DUE),
        ],
        "recording_watched": [
            prompts.absence_notice(COURSE, WEEK, ["discussion"], "https://youtu.be/x?a=1&b=2"),
            prompts.absence_notice(COURSE, WEEK, ["webinar", "discussion"], None),
            prompts.recording_link(COURSE, WEEK, "https://youtu.be/x"),
        ],
    }
    for action, messages in cases.items():
        for message in messages:
            actions = [b for b in valid(message) if b["type"] == "actions"]
            assert [(e["action_id"], e["value"]) for e in actions[0]["elements"]] == [(action, "1")]
    notice = prompts.absence_notice(COURSE, WEEK, ["discussion"], "https://youtu.be/x?a=1&b=2")
    assert "<https://youtu.be/x?a=1&amp;b=2|the recording>" in notice.text
    due = "due <!date^1633033800^{date_short_pretty} {time}|Thu Sep 30, 1:30 PM PDT>"
    assert due in prompts.reflection_prompt(COURSE, WEEK, DUE).text


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=200), max_size=120),
    reasons=st.lists(st.text(max_size=300), max_size=4),
)
def test_any_digest_is_valid_and_names_cannot_mention_anyone(names: list[str], reasons: list[str]) -> None:
    changes = [
        StandingChange(name, "no_credit" if i % 3 == 0 else "at_risk", tuple(reasons))
        for i, name in enumerate(names)
    ]
    message = prompts.ta_digest(COURSE, WEEK, changes, {"at_risk": len(names)})
    blocks = valid(message)
    body = str([b for b in blocks if b["type"] == "section"])
    assert "<@" not in body and "<!" not in body
    shown = sum(1 for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("• "))
    assert shown == min(len(names), prompts.MAX_DIGEST_NAMES)
