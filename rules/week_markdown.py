"""The week's two Markdown files: the question brief for the speaker and the reflection digest.

Questions are ranked by votes (ties: the earlier question first); the moderator's queue
(`/seminar queue`) and the brief the scheduler uploads when /ask closes (`seminar-bot brief`)
both rank with `ranked`. The digest (every reflection, on time or late, and who has none) is
uploaded when the week's reflections fall due (`seminar-bot reflections`). Their Markdown is
built only here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rules.course import Week

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=&])")


@dataclass(frozen=True)
class RankedQuestion:
    """One question as ranked: who asked it, when, its votes and whether a TA marked it asked."""

    id: int
    asker: str
    text: str
    asked_at: datetime
    votes: int
    asked: bool


def ranked(questions: Iterable[RankedQuestion]) -> list[RankedQuestion]:
    """Most votes first; ties by the earlier question (then the lower id, so the order is total)."""
    return sorted(questions, key=lambda q: (-q.votes, q.asked_at, q.id))


def split(questions: Iterable[RankedQuestion]) -> tuple[list[RankedQuestion], list[RankedQuestion]]:
    """(open, asked), each ranked."""
    order = ranked(questions)
    return [q for q in order if not q.asked], [q for q in order if q.asked]


def brief_markdown(
    course_name: str, week: Week, questions: Sequence[RankedQuestion], tz: tzinfo
) -> str:
    """The Markdown brief: every question of the week, ranked, with asker, votes and asked or not."""
    order = ranked(questions)
    askers = len({q.asker for q in order})
    asked = sum(1 for q in order if q.asked)
    lines = [
        f"# Questions, week {week.number}{_about(week)}",
        "",
        f"{md_text(course_name)} · {week.date:%a %b %d %Y} · {_n(len(order), 'question')} from "
        f"{_n(askers, 'student')} · {asked} asked in the discussion · ranked by votes, ties by the "
        "earlier question",
        "",
    ]
    if not order:
        lines.append("Nobody asked a question this week.")
    for rank, q in enumerate(order, start=1):
        status = "asked in the discussion" if q.asked else "not asked"
        when = q.asked_at.astimezone(tz)
        lines.append(f"{rank}. **{_n(q.votes, 'vote')}** · {md_text(q.asker)} · {when:%H:%M} · {status}")
        lines += quote_lines(q.text, "   > ")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def md_text(text: str) -> str:
    """A name as literal Markdown text: every character Markdown could read as markup is escaped."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def quote_lines(text: str, prefix: str) -> list[str]:
    """A student's text as literal block-quote lines: no heading, link, HTML or list of its own."""
    lines = text.splitlines() or [""]  # every line ending Markdown knows (a bare CR too)
    # Leading spaces go too: four of them would make a code block, which shows the escapes.
    return [prefix + _MARKDOWN.sub(r"\\\1", line.strip()) if line.strip() else prefix.rstrip()
            for line in lines]  # fmt: skip


def _about(week: Week) -> str:
    detail = ": ".join(part for part in (week.speaker, week.title) if part)
    return f" ({md_text(detail)})" if detail else ""


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True)
class WeekReflection:
    """One student's reflection for the week, as stored."""

    student: str
    text: str
    late: bool
    submitted_at: datetime


def digest_markdown(
    course_name: str,
    week: Week,
    due: datetime,
    reflections: Sequence[WeekReflection],
    missing: Sequence[str],
    tz: tzinfo,
) -> str:
    """The Markdown digest: reflections by student name, then the active students with none."""
    late = sum(1 for r in reflections if r.late)
    lines = [
        f"# Reflections, week {week.number}",
        "",
        f"{md_text(course_name)} · due {due.astimezone(tz):%a %b %d %H:%M} · {len(reflections)} "
        f"reflected ({late} late) · {len(missing)} with none",
        "",
    ]
    for r in sorted(reflections, key=lambda r: (r.student.casefold(), r.submitted_at)):
        when = "late" if r.late else "on time"
        lines.append(f"## {md_text(r.student)} — {when} ({r.submitted_at.astimezone(tz):%a %b %d %H:%M})")
        lines += ["", *quote_lines(r.text.strip(), "> "), ""]
    lines.append("## No reflection")
    lines.append("")
    names = sorted(missing, key=str.casefold)
    lines += [f"- {md_text(name)}" for name in names] or ["Everyone reflected."]
    return "\n".join(lines).rstrip() + "\n"
