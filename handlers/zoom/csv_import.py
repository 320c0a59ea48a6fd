"""The attendee report a host downloads from Zoom's web portal (CSV) → visits for one part.

The file is a series of sections (`Host Details`, `Panelist Details`, `Attendee Details`, …),
each a header row then one row per join session; no-shows have `--` (or empty) times. Times
are wall-clock times in the course time zone, in whichever format the account's locale uses.
A file with any problem is refused whole, with every problem listed, and nothing is stored.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.zoom.wire import Attendance
from rules.course import Course, Part, Week
from rules.problems import FileProblems

NAME_HEADERS = (
    "user name (original name)",
    "name (original name)",
    "name (ursprünglicher name)",
    "user name",
    "name",
    "participant",
)
EMAIL_HEADERS = ("email", "user email", "e-mail", "e-mail-adresse", "email address")
JOIN_HEADERS = ("join time", "beitrittszeit")
LEAVE_HEADERS = ("leave time", "austrittszeit")
ATTENDED_HEADERS = ("attended", "teilgenommen")
ID_HEADERS = ("webinar id", "meeting id", "meeting-id")
SECTION_TITLES = (
    "host details",
    "panelist details",
    "attendee details",
    "registrant details",
    "other attended",
)
NO_SHOW = ("", "--", "-")
NOT_ATTENDED = ("no", "nein")
MONTH_FIRST = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")
DAY_FIRST = ("%d/%m/%Y %I:%M:%S %p", "%d/%m/%Y %I:%M %p", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
UNAMBIGUOUS = (
    "%b %d, %Y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d %b %Y %H:%M:%S",
)
EXAMPLES = "e.g. 'Mar 22, 2025 19:13:27' or '08/09/2026 10:45:00 AM'"


class ZoomCsvError(FileProblems):
    """A Zoom attendee report that cannot be imported (nothing is stored)."""


@dataclass(frozen=True)
class CsvRow:
    """One attended join session as written in the file (times not yet parsed)."""

    line: int
    name: str
    email: str
    join: str
    leave: str
    raw: str


@dataclass(frozen=True)
class CsvReport:
    """The file's Zoom id (digits, when it names one) and its attended rows."""

    zoom_id: str
    rows: list[CsvRow]


def parse_report(text: str) -> CsvReport:
    """Find every section's header and rows; ZoomCsvError if there is no attendance table."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    columns: dict[str, int] | None = None
    id_column: int | None = None
    zoom_id = ""
    saw_table = False
    rows: list[CsvRow] = []
    for cells in reader:
        cells = [c.strip() for c in cells]
        lower = [c.lower() for c in cells]
        if not any(cells):
            continue
        if id_column is not None:
            zoom_id = re.sub(r"\D", "", cells[id_column]) if id_column < len(cells) else ""
            id_column = None
        elif lower[0] in SECTION_TITLES:
            columns = None
        elif _index(lower, JOIN_HEADERS) is not None and _index(lower, LEAVE_HEADERS) is not None:
            columns, saw_table = _columns(lower, reader.line_num), True
        elif (found := _index(lower, ID_HEADERS)) is not None:
            id_column = found
        elif columns is not None:
            row = _row(cells, columns, reader.line_num)
            if row is not None:
                rows.append(row)
    if not saw_table:
        raise ZoomCsvError(
            ["no attendance table found: expected a header row with 'Join Time' and 'Leave Time' "
             "(download the attendee report from the Zoom web portal: Reports → Usage or Webinar)"]
        )  # fmt: skip
    return CsvReport(zoom_id, rows)


def _index(lower: list[str], names: tuple[str, ...]) -> int | None:
    return next((i for i, cell in enumerate(lower) if cell in names), None)


def _columns(lower: list[str], line: int) -> dict[str, int]:
    found = {
        "name": _index(lower, NAME_HEADERS),
        "email": _index(lower, EMAIL_HEADERS),
        "join": _index(lower, JOIN_HEADERS),
        "leave": _index(lower, LEAVE_HEADERS),
        "attended": _index(lower, ATTENDED_HEADERS),
    }
    if found["name"] is None and found["email"] is None:
        raise ZoomCsvError([f"line {line}: the header has no name or email column"])
    return {key: i for key, i in found.items() if i is not None}


def _row(cells: list[str], columns: dict[str, int], line: int) -> CsvRow | None:
    def cell(key: str) -> str:
        i = columns.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    if cell("attended").lower() in NOT_ATTENDED or cell("join") in NO_SHOW or cell("leave") in NO_SHOW:
        return None
    return CsvRow(line, cell("name"), cell("email"), cell("join"), cell("leave"), ",".join(cells).rstrip(","))


def parse_time(text: str, tz: ZoneInfo, *, dayfirst: bool = False) -> datetime | None:
    """A Zoom portal timestamp as an aware instant in `tz`, or None if no known format fits."""
    cleaned = " ".join(text.split())
    for fmt in (*(DAY_FIRST if dayfirst else MONTH_FIRST), *UNAMBIGUOUS):
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


def visits(report: CsvReport, tz: ZoneInfo, *, dayfirst: bool = False) -> list[Attendance]:
    """Every row as a visit; ZoomCsvError listing each unreadable or backwards row."""
    out: list[Attendance] = []
    problems: list[str] = []
    for row in report.rows:
        join = parse_time(row.join, tz, dayfirst=dayfirst)
        leave = parse_time(row.leave, tz, dayfirst=dayfirst)
        if join is None or leave is None:
            bad = row.join if join is None else row.leave
            problems.append(f"line {row.line}: {bad!r} is not a date and time Zoom writes ({EXAMPLES})")
        elif leave < join:
            problems.append(f"line {row.line}: leave time {row.leave} is before join time {row.join}")
        elif not row.name and not row.email:
            problems.append(f"line {row.line}: no name and no email")
        else:
            out.append(Attendance(row.name, row.email, join, leave, raw=row.raw))
    if problems:
        raise ZoomCsvError(problems)
    return out


def week_visits(text: str, course: Course, week: Week, part: Part) -> list[Attendance]:
    """The file's visits, checked against the part's Zoom id and the week's window.

    Slash dates are read month-first unless only day-first puts a visit in the week.
    """
    report = parse_report(text)
    expected = course.schedule[part].zoom_id
    if report.zoom_id and report.zoom_id != expected:
        raise ZoomCsvError(
            [f"the file is for Zoom id {report.zoom_id}, but the {part} is {expected} in course.toml; "
             "check --part"]
        )  # fmt: skip
    if not report.rows:
        raise ZoomCsvError(["the file lists nobody who attended"])
    window = week.window(part)
    problems: list[ZoomCsvError] = []
    for dayfirst in (False, True):
        try:
            found = visits(report, course.timezone, dayfirst=dayfirst)
        except ZoomCsvError as exc:
            problems.append(exc)
            continue
        if any(v.join < window.end and v.leave > window.start for v in found):
            return found
    if len(problems) == 2:
        raise problems[0]
    start, end = course.local(window.start), course.local(window.end)
    raise ZoomCsvError(
        [f"no visit in the file overlaps week {week.number}'s {part} "
         f"({start:%Y-%m-%d %H:%M}–{end:%H:%M} {start.tzname()}); check --week and --part"]
    )  # fmt: skip
