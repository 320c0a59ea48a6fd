"""Parse `/seminar` text forgivingly: quotes, Slack mentions and links, `3`/`w3`/`week 3`.

`parse` reads the text as Slack sends it (entities, `<…>` markup); every argument it returns
is what the TA typed (see handlers/mrkdwn.py `typed`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from handlers.slack.views.mrkdwn import code_span, link_target, typed

USAGE = {
    "help": "/seminar help",
    "tally": "/seminar tally [week]",
    "report": "/seminar report [week]",
    "export": "/seminar export [week | grades]",
    "unmatched": "/seminar unmatched [week]",
    "match": '/seminar match "zoom name or email" <student>',
    "excuse": "/seminar excuse <student> <week> [reason]",
    "unexcuse": "/seminar unexcuse <student> <week>",
    "recording": "/seminar recording <week> <https://…>",
    "queue": "/seminar queue [week]",
}
ALIASES = {"?": "help", "-h": "help", "--help": "help", "csv": "export", "match-zoom": "match"}
NEED_STUDENT = "Start with the student: an @mention, their email, or their name as on the roster."
MAX_REASON = 1000
MAX_URL = 2000
MAX_IDENTITY = 320

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "«": '"', "»": '"'})
_TOKEN = re.compile(r'"([^"]*)"|\'([^\']*)\'|(<[^>]*>)|(\S+)')
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_LINK = re.compile(r"^<([^@#!<>][^<>]*)>$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_WEEK = re.compile(r"^(?:w|wk|week)?\.?([0-9]{1,3})$", re.IGNORECASE)  # ASCII only: "٣" is no week
_WEEK_WORD = re.compile(r"^(?:w|wk|week)\.?$", re.IGNORECASE)


class UsageError(Exception):
    """What was wrong with the command, plus the usage line to show the TA."""

    def __init__(self, problem: str, usage: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.usage = usage


@dataclass(frozen=True)
class Token:
    """One argument: what the TA typed, the text Slack sent for it, and whether it was quoted."""

    text: str
    raw: str
    quoted: bool = False


@dataclass(frozen=True)
class StudentRef:
    """How a TA named a student: `slack` (a user id), `email`, or `name` (as on the roster)."""

    kind: str
    value: str


@dataclass(frozen=True)
class Command:
    """A parsed /seminar command; unused fields stay None."""

    name: str
    week: int | None = None
    student: StudentRef | None = None
    identity: str | None = None
    reason: str = ""
    url: str | None = None
    grades: bool = False


_Parser = Callable[[list[Token], int], Command]


def tokenize(text: str) -> list[Token]:
    """Split Slack's text on spaces, keeping "quoted names" and <@U…|name> / <https://…> together."""
    tokens: list[Token] = []
    for m in _TOKEN.finditer(text.translate(_QUOTES)):
        dq, sq, angle, bare = m.groups()
        if dq is not None or sq is not None:
            tokens.append(Token(typed(dq if dq is not None else sq).strip(), m.group(0), quoted=True))
        else:
            raw = angle or bare
            tokens.append(Token(typed(raw), raw))
    return tokens


def mention(token: Token) -> str | None:
    """The user id of a `<@U…|name>` mention, or None."""
    m = _MENTION.match(token.raw)
    return m.group(1) if m else None


def unlink(token: Token) -> str:
    """A link's address (`<https://x|label>` → `https://x`, `<mailto:a@b|a@b>` → `a@b`), else the text."""
    m = None if token.quoted else _LINK.match(token.raw)
    return link_target(m.group(1)) if m else token.text


def student_ref(tokens: list[Token], usage: str) -> StudentRef:
    """A mention, an email, or a (possibly several-word) roster name; `@name` is a name Slack left plain."""
    if not tokens:
        raise UsageError(NEED_STUDENT, usage)
    users = [mention(t) for t in tokens]
    if any(users):
        if len(tokens) > 1:
            raise UsageError("Name one student.", usage)
        return StudentRef("slack", str(users[0]))
    text = " ".join(unlink(t) for t in tokens).strip()
    if len(text) > MAX_IDENTITY:
        raise UsageError(f"That student's name is over {MAX_IDENTITY} characters.", usage)
    if len(tokens) == 1 and _EMAIL.match(text):
        return StudentRef("email", text)
    return StudentRef("name", text)


def parse(text: str, weeks: int) -> Command:
    """Parse the text after `/seminar`; any mistake raises UsageError with the usage line."""
    tokens = tokenize(text.strip())
    if not tokens:
        return Command("help")
    name = tokens[0].text.lower()
    name = ALIASES.get(name, name)
    args = tokens[1:]
    parser = _PARSERS.get(name)
    if parser is None:
        raise UsageError(f"I don't know {code_span(tokens[0].text[:40])}.", USAGE["help"])
    return parser(args, weeks)


def _help(args: list[Token], weeks: int) -> Command:
    return Command("help")


def _optional_week(name: str) -> _Parser:
    def parse_it(args: list[Token], weeks: int) -> Command:
        if not args:
            return Command(name)
        week, rest = _take_week(args, weeks, USAGE[name])
        if rest:
            raise UsageError(f"Unexpected {code_span(rest[0].text[:40])}.", USAGE[name])
        return Command(name, week=week)

    return parse_it


def _export(args: list[Token], weeks: int) -> Command:
    """`export`, `export <week>` or `export grades` (the gradebook)."""
    if len(args) == 1 and args[0].text.casefold() == "grades":
        return Command("export", grades=True)
    return _optional_week("export")(args, weeks)


def _match(args: list[Token], weeks: int) -> Command:
    """With an @mention the other words are the Zoom identity; else the first argument is."""
    usage = USAGE["match"]
    users = [i for i, t in enumerate(args) if mention(t)]
    if len(users) > 1:
        raise UsageError("Mention exactly one student, like @ada.", usage)
    if users:
        student = student_ref([args[users[0]]], usage)
        rest = [t for i, t in enumerate(args) if i != users[0]]
    else:
        if len(args) < 2:
            raise UsageError("Give the Zoom name (in quotes) or email, then the student.", usage)
        student, rest = student_ref(args[1:], usage), args[:1]
    identity = " ".join(unlink(t) for t in rest).strip()
    if not identity:
        raise UsageError("Give the Zoom name (in quotes) or email to link.", usage)
    if len(identity) > MAX_IDENTITY:
        raise UsageError(f"That Zoom name is over {MAX_IDENTITY} characters.", usage)
    return Command("match", student=student, identity=identity)


def _excuse(args: list[Token], weeks: int) -> Command:
    return _student_week("excuse", args, weeks, with_reason=True)


def _unexcuse(args: list[Token], weeks: int) -> Command:
    return _student_week("unexcuse", args, weeks, with_reason=False)


def _student_week(name: str, args: list[Token], weeks: int, *, with_reason: bool) -> Command:
    """`<student> <week> [reason]`: the student is every word before the first week."""
    usage = USAGE[name]
    at = 1 if args and (mention(args[0]) or _EMAIL.match(unlink(args[0]))) else _first_week(args)
    if at == 0:
        raise UsageError(NEED_STUDENT, usage)
    student = student_ref(args[:at], usage)
    week, rest = _take_week(args[at:], weeks, usage)
    if rest and not with_reason:
        raise UsageError(f"Unexpected {code_span(rest[0].text[:40])}.", usage)
    reason = " ".join(t.text for t in rest).strip()
    if len(reason) > MAX_REASON:
        raise UsageError(f"The reason is over {MAX_REASON} characters.", usage)
    return Command(name, week=week, student=student, reason=reason)


def _first_week(args: list[Token]) -> int:
    """Where the first unquoted week (`3`, `w3`, `week 3`) is; len(args) when there is none."""
    for i, t in enumerate(args):
        if t.quoted:
            continue
        if _WEEK.match(t.text) or (
            _WEEK_WORD.match(t.text) and i + 1 < len(args) and _WEEK.match(args[i + 1].text)
        ):
            return i
    return len(args)


def _recording(args: list[Token], weeks: int) -> Command:
    usage = USAGE["recording"]
    week, rest = _take_week(args, weeks, usage)
    if len(rest) != 1:
        raise UsageError("Give one link after the week.", usage)
    url = unlink(rest[0])
    if not valid_url(url):
        raise UsageError(f"{code_span(url[:80])} is not an http(s) link.", usage)
    return Command("recording", week=week, url=url)


def valid_url(url: str) -> bool:
    """An absolute http(s) URL with a host, of a length Slack and the database accept."""
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _take_week(args: list[Token], weeks: int, usage: str) -> tuple[int, list[Token]]:
    """Read a week (`3`, `w3`, `week 3`, `week3`) from the front of `args`."""
    if not args:
        raise UsageError("Which week?", usage)
    first = args[0].text
    used = 1
    if _WEEK_WORD.match(first) and len(args) > 1:
        first, used = args[1].text, 2
    m = _WEEK.match(first)
    if not m:
        raise UsageError(f"{code_span(first[:40])} is not a week number.", usage)
    week = int(m.group(1))
    if not 1 <= week <= weeks:
        raise UsageError(f"There is no week {week}; weeks run from 1 to {weeks}.", usage)
    return week, args[used:]


_PARSERS = {
    "help": _help,
    "tally": _optional_week("tally"),
    "report": _optional_week("report"),
    "export": _export,
    "unmatched": _optional_week("unmatched"),
    "match": _match,
    "excuse": _excuse,
    "unexcuse": _unexcuse,
    "recording": _recording,
    "queue": _optional_week("queue"),
}
