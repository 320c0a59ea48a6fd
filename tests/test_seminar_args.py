"""`/seminar` argument parsing: forgiving input, and a usage line (never a traceback) for mistakes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.slack.seminar_args import Command, StudentRef, UsageError, parse, tokenize, valid_url

WEEKS = 10
SLACK_ADA = StudentRef("slack", "U0ADA")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("help", Command("help")),
        ("HELP", Command("help")),
        ("tally", Command("tally")),
        ("tally 3", Command("tally", week=3)),
        ("tally w3", Command("tally", week=3)),
        ("tally week 3", Command("tally", week=3)),
        ("tally Week3", Command("tally", week=3)),
        ("report wk.10", Command("report", week=10)),
        ("export", Command("export")),
        ("export Grades", Command("export", grades=True)),
        ("export w2", Command("export", week=2)),
        ("unmatched  2 ", Command("unmatched", week=2)),
        (
            'match "Jane  Z" <@U0ADA|ada>',
            Command("match", student=SLACK_ADA, identity="Jane  Z"),
        ),
        ("match “Jane Z” <@U0ADA>", Command("match", student=SLACK_ADA, identity="Jane Z")),
        ("match Jane Zhang <@U0ADA|ada>", Command("match", student=SLACK_ADA, identity="Jane Zhang")),
        (
            "match <mailto:jz@gmail.com|jz@gmail.com> <@U0ADA|ada>",
            Command("match", student=SLACK_ADA, identity="jz@gmail.com"),
        ),
        ("match <@U0ADA|ada> jz@gmail.com", Command("match", student=SLACK_ADA, identity="jz@gmail.com")),
        ("excuse <@U0ADA|ada> 3", Command("excuse", week=3, student=SLACK_ADA)),
        (
            "excuse <@U0ADA|ada> week 3 was sick, doctor's note",
            Command("excuse", week=3, student=SLACK_ADA, reason="was sick, doctor's note"),
        ),
        (
            'excuse <@U0ADA> w3 "family emergency"',
            Command("excuse", week=3, student=SLACK_ADA, reason="family emergency"),
        ),
        ("unexcuse <@U0ADA> 3", Command("unexcuse", week=3, student=SLACK_ADA)),
        (
            "recording 3 <https://youtu.be/abc?t=1|youtu.be/abc>",
            Command("recording", week=3, url="https://youtu.be/abc?t=1"),
        ),
        (
            "recording w3 https://www.youtube.com/watch?v=x",
            Command("recording", week=3, url="https://www.youtube.com/watch?v=x"),
        ),
    ],
)
def test_parses(text: str, expected: Command) -> None:
    assert parse(text, WEEKS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "excuse Ada  Lovelace week 3 flu &amp; cold",
            Command("excuse", week=3, student=StudentRef("name", "Ada Lovelace"), reason="flu & cold"),
        ),
        ('unexcuse "Louis 14" 2', Command("unexcuse", week=2, student=StudentRef("name", "Louis 14"))),
        (
            "excuse <mailto:A@B.edu|A@B.edu> w3 a &lt;b&gt; &amp;amp;",
            Command("excuse", week=3, student=StudentRef("email", "A@B.edu"), reason="a <b> &amp;"),
        ),
        ("excuse a@b.edu 3", Command("excuse", week=3, student=StudentRef("email", "a@b.edu"))),
        ("excuse @ada 3", Command("excuse", week=3, student=StudentRef("name", "@ada"))),
        (
            'match "Jane &amp; Z" ada lovelace',
            Command("match", student=StudentRef("name", "ada lovelace"), identity="Jane & Z"),
        ),
        (
            "match <mailto:jz@x.org|jz@x.org> <mailto:a@b.edu|a@b.edu>",
            Command("match", student=StudentRef("email", "a@b.edu"), identity="jz@x.org"),
        ),
        (
            "recording 3 <https://youtu.be/a?b=1&amp;c=2>",
            Command("recording", week=3, url="https://youtu.be/a?b=1&c=2"),
        ),
    ],
)
def test_parses_what_slack_sends(text: str, expected: Command) -> None:
    """Entities decoded once; a student named by email or a roster name of any number of words."""
    assert parse(text, WEEKS) == expected


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        ("dance", "don't know `dance`", "/seminar help"),
        ("tally 11", "no week 11", "/seminar tally [week]"),
        ("tally 0", "no week 0", "/seminar tally [week]"),
        ("tally three", "`three` is not a week", "/seminar tally [week]"),
        ("tally ٣", "is not a week", "/seminar tally [week]"),
        ("tally ²", "is not a week", "/seminar tally [week]"),
        ("excuse <@U0ADA> ٣", "is not a week", "/seminar excuse"),
        ("report 3 extra", "Unexpected `extra`", "/seminar report [week]"),
        ("export grades 3", "`grades` is not a week", "/seminar export [week | grades]"),
        ("match <@U0ADA|ada>", "Zoom name", "/seminar match"),
        ("match ada@example.edu", "then the student", "/seminar match"),
        ('match "Jane" <@U0ADA> <@U0BOB>', "exactly one student", "/seminar match"),
        ('match "Jane"', "then the student", "/seminar match"),
        ("excuse 3 <@U0ADA>", "Start with the student", "/seminar excuse"),
        ("excuse <@U0ADA> <@U0BOB> 3", "is not a week", "/seminar excuse"),
        ("excuse Ada <@U0BOB> 3", "one student", "/seminar excuse"),
        ("excuse <@U0ADA>", "Which week?", "/seminar excuse"),
        ("unexcuse <@U0ADA> 3 because", "Unexpected", "/seminar unexcuse"),
        ("recording 3", "one link", "/seminar recording"),
        ("recording 3 ftp://x.org/v", "not an http(s) link", "/seminar recording"),
        ("recording 3 <javascript:alert(1)>", "not an http(s) link", "/seminar recording"),
        ("recording 3 https://", "not an http(s) link", "/seminar recording"),
        ("recording https://youtu.be/x", "not a week", "/seminar recording"),
        ("excuse <@U0ADA> 3 " + "x" * 1001, "over 1000", "/seminar excuse"),
    ],
)
def test_mistakes_get_usage(text: str, problem: str, usage: str) -> None:
    with pytest.raises(UsageError) as info:
        parse(text, WEEKS)
    assert problem in info.value.problem
    assert info.value.usage.startswith(usage)


def test_tokenize_keeps_quotes_and_links_together() -> None:
    tokens = tokenize("match 'Ana María' <@U1|a b> <https://x.y/|z w>")
    assert [t.raw for t in tokens][2:] == ["<@U1|a b>", "<https://x.y/|z w>"]
    assert [t.text for t in tokens] == ["match", "Ana María", "@a b", "z w"]
    assert tokens[1].quoted and not tokens[2].quoted


def test_valid_url() -> None:
    assert valid_url("https://youtu.be/x") and valid_url("HTTP://example.org")
    assert not valid_url("https://exa mple.org") and not valid_url("mailto:a@b.c")
    assert not valid_url("https://" + "x" * 2000 + ".org")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_gives_usage(text: str) -> None:
    """Whatever a TA types, the answer is a command or a usage line, never another error."""
    try:
        cmd = parse(text, WEEKS)
    except UsageError as error:
        assert error.usage.startswith("/seminar") and error.problem
        return
    assert cmd.week is None or 1 <= cmd.week <= WEEKS
    assert cmd.url is None or valid_url(cmd.url)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["excuse", "unexcuse", "tally", "report", "unmatched", "export", "match", "recording"]),
    st.lists(
        st.one_of(
            st.sampled_from(
                ["<@U0ADA|ada>", "<@W0X>", "3", "w3", "week", "11", '"', "“", "<https://a.b/>", "<>"]
            ),
            st.text(alphabet="ab <>|@\"'“”", max_size=8),
        ),
        max_size=6,
    ),
)
def test_command_shaped_noise(name: str, words: list[str]) -> None:
    try:
        cmd = parse(" ".join([name, *words]), WEEKS)
    except UsageError:
        return
    assert cmd.name == name
