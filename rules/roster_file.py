"""The roster CSV read and checked whole: every bad line reported, nothing half-read."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from rules.identity import normalize_email
from rules.problems import FileProblems

REQUIRED = ("name", "email")
OPTIONAL = ("slack_user_id", "zoom_email")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLACK_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")


class RosterError(FileProblems):
    """A roster file that cannot be imported (nothing is written)."""


@dataclass(frozen=True)
class RosterRow:
    """One validated roster line."""

    line: int
    name: str
    email: str
    slack_user_id: str | None
    zoom_email: str | None


def parse_roster(text: str) -> list[RosterRow]:
    """Validate the whole file; raise RosterError listing every problem found."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        raise RosterError(["the file is empty: expected a header row with name,email"])
    columns = {h.strip().lower(): i for i, h in enumerate(header) if h.strip()}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        found = ", ".join(columns) or "none"
        raise RosterError([f"no {' or '.join(missing)} column (header has: {found}); nothing imported"])
    rows: list[RosterRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        row, problem = _row(line, cells, columns)
        if problem:
            problems.append(problem)
        elif row:
            if row.email in seen:
                problems.append(f"line {line}: {row.email} already appears on line {seen[row.email]}")
            seen[row.email] = line
            rows.append(row)
    if problems:
        raise RosterError(problems)
    if not rows:
        raise RosterError(["the file lists no students, only a header; nothing imported (it would drop all)"])
    return rows


def _row(line: int, cells: list[str], columns: dict[str, int]) -> tuple[RosterRow | None, str]:
    def cell(name: str) -> str:
        i = columns.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    name, email = cell("name"), normalize_email(cell("email"))
    slack, zoom = cell("slack_user_id"), normalize_email(cell("zoom_email"))
    if not name:
        return None, f"line {line}: name is empty"
    if not EMAIL_RE.match(email):
        return None, f"line {line}: {email or 'empty email'!r} is not an email address"
    if slack and not SLACK_ID_RE.match(slack):
        return None, f"line {line}: slack_user_id {slack!r} is not a Slack user id (U…)"
    if zoom and not EMAIL_RE.match(zoom):
        return None, f"line {line}: zoom_email {zoom!r} is not an email address"
    return RosterRow(line, name, email, slack or None, zoom or None), ""
