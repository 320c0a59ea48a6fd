"""The tally and /seminar replies always fit Slack's Block Kit limits, whatever the names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.runtime import load_course
from handlers.slack.views.seminar_replies import code_blocks
from handlers.slack.views.tally_message import tally_message
from rules.course import Course
from rules.presence import UnmatchedPresence
from rules.tally_summary import Shortfall, WeekSummary
from tests.factories import write_course

NAMES = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=120)


def course(tmp: Path) -> Course:
    return load_course(write_course(tmp))


def check_blocks(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= 50
    for b in blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
        if b["type"] == "context":
            assert len(b["elements"]) <= 10 and all(len(e["text"]) <= 3000 for e in b["elements"])


@settings(max_examples=60, deadline=None)
@given(
    final=st.booleans(),
    below=st.lists(st.tuples(NAMES, st.integers(0, 5), st.booleans()), max_size=600),
    unmatched=st.lists(st.tuples(NAMES, st.emails(), st.floats(0, 60)), max_size=60),
)
def test_tally_fits_slack(
    tmp_path_factory: Any, final: bool, below: list[tuple[str, int, bool]], unmatched: list[Any]
) -> None:
    week = course(tmp_path_factory.mktemp("c")).weeks[0]
    summary = WeekSummary(
        week=week,
        final=final,
        min_questions=2,
        below=[Shortfall(n, q, a and final) for n, q, a in below],
        unmatched=[UnmatchedPresence(1, "webinar", n, e, m) for n, e, m in unmatched],
        zoom_data=bool(unmatched),
    )
    text, blocks = tally_message(summary)
    check_blocks(blocks)
    shown = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert text and "<" not in shown, "names are escaped: no mentions, links or broadcasts"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=4000), max_size=400))
def test_code_blocks_fit_slack(lines: list[str]) -> None:
    messages = code_blocks("Class report", "\n".join(lines), "note <!channel>")
    assert 1 <= len(messages)
    for m in messages:
        check_blocks(m["blocks"])
        assert m["response_type"] == "ephemeral"
    assert "<!channel>" not in str(messages)
