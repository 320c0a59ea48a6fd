"""Count sentences in a reflection, knowing abbreviations, initials, decimals, ellipses and URLs.

A sentence ends at `.`, `!` or `?` (or a run of them, or an ellipsis, or CJK `。！？`), possibly
followed by closing quotes or brackets, then whitespace or the end of the text; a blank line also
ends one. A trailing fragment without final punctuation still counts. Segments with no letter or
digit ("!!!") are not sentences. Known limits: a single capital letter before a period is read as
an initial ("plan B. Then" is one sentence), and an ellipsis ends a sentence only before a capital.
"""

from __future__ import annotations

import re

# Never end a sentence: titles and Latin abbreviations that precede more words.
NEVER_END = frozenset(
    "e.g eg i.e ie cf vs v dr mr mrs ms mx prof st fig figs eq eqs approx ca vol pp p sec ch"
    " dept univ gen sgt capt lt col rev hon".split()
)
# End a sentence only when the next word starts with a capital ("etc. Then" vs "etc. and").
MAY_END = frozenset("etc al inc ltd co corp jr sr bros ph.d phd a.m p.m u.s u.k e.u".split())

_TERMINATOR = re.compile(r"(?:\.{2,}|…|[.!?]+|[。！？]+)[\"'”’»)\]]*")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_URL_TAIL = ".,;:!?)]}'\"”’»"
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")
_WORDISH = re.compile(r"[^\W_]")
_LEADING_PUNCT = "([{\"'“‘«"
_INITIAL_NEXT = re.compile(r"\s+[A-Z]\.")


def count_sentences(text: str) -> int:
    """How many sentences the text has (see the module docstring for the rules)."""
    protected = _protected_spans(text)
    cuts = [0]
    for match in _TERMINATOR.finditer(text):
        if not _inside(match.start(), protected) and _ends_sentence(text, match):
            cuts.append(match.end())
    cuts.extend(m.start() for m in _PARAGRAPH.finditer(text))
    cuts.append(len(text))
    cuts.sort()
    return sum(1 for a, b in zip(cuts, cuts[1:], strict=False) if _WORDISH.search(text, a, b))


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """URLs and e-mail addresses, without the punctuation that closes the sentence after them."""
    spans = []
    for match in _URL.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _URL_TAIL:
            end -= 1
        spans.append((match.start(), end))
    return spans


def _inside(index: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= index < end for start, end in spans)


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    mark = match.group().rstrip("\"'”’»)]")
    if mark[0] in "。！？":
        return True
    after = text[match.end() : match.end() + 1]
    if after and not after.isspace():
        return False  # "3.5", "e.g.x", "file.txt", "?!" inside a token
    if "!" in mark or "?" in mark:
        return True
    following = _next_word(text, match.end())
    if mark.startswith("..") or mark == "…":
        return not following or following[0].isupper()
    word = _word_before(text, match.start())
    if word in NEVER_END or _is_initial(text, match.start()):
        return False
    if word in MAY_END or _is_dotted(word):
        return not following or following[0].isupper() or not following[0].isalpha()
    return True


def _word_before(text: str, end: int) -> str:
    """The token right before a period, lower-cased, without opening brackets or quotes."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end].lstrip(_LEADING_PUNCT).lower()


def _is_initial(text: str, end: int) -> bool:
    """A lone capital before the period ("J. R. R. Tolkien"); "I." only before another initial."""
    letter = text[end - 1] if end >= 1 else ""
    before = text[end - 2] if end >= 2 else " "
    if not (letter.isalpha() and letter.isupper()) or before.isalnum():
        return False
    return letter != "I" or bool(_INITIAL_NEXT.match(text, end + 1))


def _is_dotted(word: str) -> bool:
    """Dotted abbreviations such as "u.s", "ph.d", "a.m" (the final period is the match)."""
    return bool(re.fullmatch(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}", word))


def _next_word(text: str, start: int) -> str:
    rest = text[start:].lstrip()
    return rest.lstrip(_LEADING_PUNCT)[:1]
