"""Slack text both ways: what a person typed from what Slack sends, and code that user text cannot break."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.slack.views.mrkdwn import code_block, code_span, typed, unescape
from tests.signing import MANIFEST, Pick, slack_text

# Text a person can type: anything, plus what looks like Slack's own escaping and markup.
TRICKY = st.sampled_from(
    ["&", "<", ">", "&amp;", "&lt;", "&gt;", "&amp;lt;", "<@U1|x>", "<!here>", "`", "```", "a@b.co", "http://x/?a&b"]
)
TYPED = st.lists(st.one_of(st.text(max_size=20), TRICKY), max_size=12).map("".join)


def test_manifest_asks_slack_to_escape_mentions_for_seminar_only() -> None:
    commands = {c["command"]: c for c in yaml.safe_load(MANIFEST.read_text())["features"]["slash_commands"]}
    assert commands["/seminar"]["should_escape"] is True
    assert {name: c.get("should_escape", False) for name, c in commands.items() if name != "/seminar"} == {
        "/ask": False,
        "/reflect": False,
        "/standing": False,
    }


@settings(max_examples=300)
@given(TYPED, st.booleans())
def test_typed_text_round_trips_through_slack(text: str, escaped: bool) -> None:
    """Whatever is typed (even `&amp;` or `<@U1>` literally), decoding gives it back exactly once."""
    assert typed(slack_text(text, escaped=escaped)) == text


def test_slack_markup_reads_as_it_was_shown() -> None:
    wire = slack_text(
        ["see ", Pick("U0ADA", "ada"), " in ", Pick("C0QNA", "qna"), " https://x.test/?a=1&b=2 or a@b.edu"],
        escaped=True,
    )
    assert wire == (
        "see <@U0ADA|ada> in <#C0QNA|qna> <https://x.test/?a=1&amp;b=2> or <mailto:a@b.edu|a@b.edu>"
    )
    assert typed(wire) == "see @ada in #qna https://x.test/?a=1&b=2 or a@b.edu"
    assert typed("<!here> <!subteam^S1|@mods> <http://x.org|x.org> <@U1>") == "@here @mods x.org @U1"
    assert slack_text(["hi ", Pick("U0ADA", "ada")], escaped=False) == "hi @ada"


@settings(max_examples=300)
@given(TYPED)
def test_a_code_block_stays_one_block(text: str) -> None:
    """No user text can close the block early or turn into a live mention inside it."""
    block = code_block(text)
    inner = block[3:-3]
    assert block.startswith("```") and block.endswith("```")
    assert "`" not in inner and "<" not in inner and ">" not in inner
    assert unescape(inner).replace("\u02cb", "`") == text.replace("\u02cb", "`")
    span = code_span(text)
    assert span.count("`") == 2 and span[1:-1] == inner
