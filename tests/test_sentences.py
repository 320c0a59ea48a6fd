"""The sentence counter: the README's cases (abbreviations, initials, decimals, URLs) and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.sentences import MAY_END, NEVER_END, count_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("  \n ", 0),
        ("!!! ... ?", 0),
        ("No final stop", 1),
        ("One. Two.", 2),
        ("Is it? Yes! Really.", 3),
        ("Wow!!! Amazing?! Yes.", 3),
        ("See e.g. transformers. And i.e. attention.", 2),
        ("Smith et al. showed it. Dr. Who agreed.", 2),
        ("Mr. Smith and Ms. Jones met Mrs. Brown vs. Prof. Green. They argued.", 2),
        ("J. R. R. Tolkien wrote it. I liked it.", 2),
        ("I. M. Pei built it.", 1),
        ("So did I. Then we left.", 2),
        ("Accuracy rose from 3.5 to 4.25 points. That is 21.4%.", 2),
        ("We tried GPUs, TPUs, etc. and it worked. Then etc. Then more.", 3),
        ("We tried GPUs, TPUs, etc. Then it ended.", 2),
        ("The U.S. economy grew. Ph.D. students agreed.", 2),
        ("I wondered... maybe not. Then... Then I knew.", 3),
        ("Wait… what? Really…", 2),
        ("Read https://example.com/a.b?c=d.e&f=1. It is good.", 2),
        ("Slides at www.example.org/talk. They help.", 2),
        ("Mail a.b@cs.example.edu. Thanks.", 2),
        ('He said "it works." Then he left.', 2),
        ("(This is an aside.) And the main point.", 2),
        ("First point\n\nSecond point", 2),
        ("Line one\nstill the same sentence.", 1),
        ("他来了。我走了。", 2),
        ("Version 2.0.1 shipped. Fig. 3 shows it.", 2),
    ],
)
def test_examples(text: str, expected: int) -> None:
    assert count_sentences(text) == expected


WORD = st.text("abcdefghijklmnopqrstuvwxyzéüñøåß", min_size=1, max_size=8)
LAST = st.text("abcdefghijklmnopqrstuvwxyzéüñ", min_size=2, max_size=8).filter(
    lambda w: w not in NEVER_END | MAY_END
)
NOISE = st.sampled_from(
    [
        "e.g.",
        "i.e.",
        "et al. showed",
        "etc. and",
        "Dr.",
        "Mr.",
        "Ms.",
        "vs.",
        "3.5",
        "J. R. R.",
        "https://x.io/a.b?q=1",
        "…and",
    ]
)
SENTENCE = st.tuples(
    LAST,
    st.lists(st.one_of(WORD, NOISE), max_size=8),
    LAST,
    st.sampled_from([".", "!", "?", "?!", "...", "…"]),
).map(lambda t: " ".join([t[0].capitalize(), *t[1], t[2]]) + t[3])
GAP = st.sampled_from([" ", "  ", "\n", " \t"])


@settings(max_examples=300)
@given(sentences=st.lists(SENTENCE, max_size=12), gap=GAP)
def test_generated_sentences_are_counted_exactly(sentences: list[str], gap: str) -> None:
    assert count_sentences(gap.join(sentences)) == len(sentences)


@settings(max_examples=300)
@given(text=st.text(max_size=300))
def test_any_text_counts_within_bounds(text: str) -> None:
    n = count_sentences(text)
    words = sum(1 for token in text.split() if any(ch.isalnum() for ch in token))
    assert 0 <= n <= max(words, 0) + text.count("\n\n") + 1
    assert (n == 0) == (not any(ch.isalnum() for ch in text))


@settings(max_examples=200)
@given(sentences=st.lists(SENTENCE, min_size=1, max_size=6))
def test_whitespace_around_does_not_change_the_count(sentences: list[str]) -> None:
    text = " ".join(sentences)
    assert count_sentences(f"  \n{text}\n  ") == count_sentences(text)
