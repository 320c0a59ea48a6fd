"""The week's reflection digest for the TAs: every reflection (on time or late) and who has none.

The scheduler uploads it when the week's reflections fall due; `seminar-bot reflections` prints it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rules.course import Week
from rules.question_brief import md_text


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
        lines += ["", *(f"> {line}" if line.strip() else ">" for line in r.text.strip().split("\n")), ""]
    lines.append("## No reflection")
    lines.append("")
    names = sorted(missing, key=str.casefold)
    lines += [f"- {md_text(name)}" for name in names] or ["Everyone reflected."]
    return "\n".join(lines).rstrip() + "\n"
