"""`seminar-bot zoom import-csv`: the portal's attendee report, its formats, and bad files."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner, Result

from bot.cli import app as cli
from bot.runtime import Runtime
from handlers.zoom.csv_import import parse_time
from storage.db import session_scope
from storage.models import ZoomEvent
from tests.factories import PACIFIC, add_student, local
from tests.zoom_payloads import SAMPLES

SAMPLE = (SAMPLES / "webinar-attendee-report.synthetic.csv").read_text(encoding="utf-8")
NAME, EMAIL, JOIN, LEAVE = "User Name (Original Name)", "Email", "Join Time", "Leave Time"
# The sample's people, renamed and re-timed for week 1's webinar (2021-09-23 13:30–14:30).
WEEK1 = {
    "Smoke Host": ("Host Person", "host@example.edu", "01:25:00 PM", "02:31:00 PM"),
    "Buyer Person": ("Ada Lovelace", "ada@example.edu", "01:30:00 PM", "02:29:00 PM"),
    "Asker Person": ("Zoë Ångström", "zoe.a@gmail.com", "01:40:00 PM", "02:00:00 PM"),
    "Quiet Person": ("Quiet Guest", "quiet@example.com", "01:31:00 PM", "01:45:00 PM"),
    "Grumpy Person": ("Bob Builder", "bob@example.edu", "12:00:00 PM", "12:20:00 PM"),
    "Token Person": ("JOSÉ núñez", "", "01:50:00 PM", "02:40:00 PM"),
    "Noshow Person": ("Nobody Home", "nobody@example.edu", "", ""),
}


def redate(
    people: dict[str, tuple[str, str, str, str]], day: str = "09/23/2021", zoom_id: str = "812 3456 7890"
) -> str:
    """The synthetic sample with its people and times replaced (the no-show keeps `--` cells)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    meta: list[str] | None = None
    header: list[str] | None = None
    for row in csv.reader(io.StringIO(SAMPLE)):
        if row and row[0] == "Topic":
            meta = row
        elif meta is not None:
            row[meta.index("Webinar ID")], meta = zoom_id, None
        elif JOIN in row:
            header = row
        elif header and len(row) > header.index(NAME) and row[header.index(NAME)] in people:
            name, email, join, leave = people[row[header.index(NAME)]]
            row[header.index(NAME)], row[header.index(EMAIL)] = name, email
            row[header.index(JOIN)] = f"{day} {join}".strip() if join else "--"
            row[header.index(LEAVE)] = f"{day} {leave}".strip() if leave else "--"
        writer.writerow(row)
    return out.getvalue()


@pytest.fixture
def invoke(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("COURSE_FILE", str(runtime.settings.course_file))

    def run(*args: str, content: str | bytes | None = None) -> Result:
        if content is not None:
            path = tmp_path / "report.csv"
            path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return CliRunner().invoke(cli, ["zoom", *args])

    return run


def stored(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(ZoomEvent)).one())


def report_week(runtime: Runtime, week: int) -> dict[str, object]:
    out = CliRunner().invoke(cli, ["report", "--week", str(week), "--format", "json"])
    assert out.exit_code == 0, out.output
    data: dict[str, object] = json.loads(out.stdout)
    return data


def enrol(runtime: Runtime) -> None:
    with session_scope(runtime.engine) as session:
        add_student(session, "Ada Lovelace", "ada@example.edu")
        add_student(session, "Zoë Ångström", "zoe@example.edu", zoom_email="zoe.a@gmail.com")
        add_student(session, "Bob Builder", "bob@example.edu")
        add_student(session, "José Núñez", "jose@example.edu")


def test_import_the_portal_report_twice(runtime: Runtime, invoke) -> None:  # type: ignore[no-untyped-def]
    enrol(runtime)
    first = invoke("import-csv", "report.csv", "--week", "1", "--part", "webinar", content=redate(WEEK1))
    assert first.exit_code == 0, first.output
    assert "week 1 webinar: 6 visits read from report.csv, 6 new" in first.stdout
    again = invoke("import-csv", "report.csv", "--week", "1", "--part", "webinar")
    assert "6 visits read from report.csv, 0 new" in again.stdout
    assert stored(runtime) == 12
    data = report_week(runtime, 1)
    minutes = {s["email"]: s["weeks"][0]["webinar_minutes"] for s in data["students"]}  # type: ignore[attr-defined]
    assert minutes == {
        "ada@example.edu": 59,
        "zoe@example.edu": 20,
        "bob@example.edu": 0,
        "jose@example.edu": 40,
    }
    assert data["unmatched"] == [
        {"week": 1, "part": "webinar", "name": "Host Person", "email": "host@example.edu", "minutes": 60},
        {"week": 1, "part": "webinar", "name": "Quiet Guest", "email": "quiet@example.com", "minutes": 14},
    ]
    table = CliRunner().invoke(cli, ["report", "--week", "1"]).stdout
    assert "Unmatched Zoom participants:" in table and "Quiet Guest" in table


def test_month_names_bom_and_dashes(runtime: Runtime, invoke) -> None:  # type: ignore[no-untyped-def]
    enrol(runtime)

    def month_name(twelve: str) -> str:
        return f"Sep 23, 2021 {datetime.strptime(twelve, '%I:%M:%S %p'):%H:%M:%S}" if twelve else ""

    people = {k: (n, e, month_name(j), month_name(lv)) for k, (n, e, j, lv) in WEEK1.items()}
    text = redate(people, day="")
    result = invoke("import-csv", "report.csv", "--week", "1", "--part", "webinar", content="\ufeff" + text)
    assert result.exit_code == 0, result.output
    ada = report_week(runtime, 1)["students"][0]  # type: ignore[index]
    assert ada["email"] == "ada@example.edu" and ada["weeks"][0]["webinar_minutes"] == 59


def test_day_first_dates_are_recognised_by_the_week(runtime: Runtime, invoke) -> None:  # type: ignore[no-untyped-def]
    enrol(runtime)
    text = redate(WEEK1, day="07/10/2021")  # 7 October = week 3; read month-first it would be 10 July
    result = invoke("import-csv", "report.csv", "--week", "3", "--part", "webinar", content=text)
    assert result.exit_code == 0, result.output
    ada = report_week(runtime, 3)["students"][0]  # type: ignore[index]
    assert ada["weeks"][0]["webinar_minutes"] == 59


def test_german_meeting_export_for_the_discussion(runtime: Runtime, invoke) -> None:  # type: ignore[no-untyped-def]
    enrol(runtime)
    text = (
        "Meeting-ID,Thema,Startzeit\r\n812 3456 7891,Diskussion,23.09.2021 14:29:00\r\n\r\n"
        "Name (ursprünglicher Name),E-Mail,Beitrittszeit,Austrittszeit,Dauer (Minuten)\r\n"
        "Ada Lovelace,ada@example.edu,23.09.2021 14:31:00,23.09.2021 15:05:00,34\r\n"
    )
    result = invoke("import-csv", "report.csv", "--week", "1", "--part", "discussion", content=text)
    assert result.exit_code == 0, result.output
    ada = report_week(runtime, 1)["students"][0]  # type: ignore[index]
    assert ada["weeks"][0]["discussion_minutes"] == 29


BAD_FILES = (
    ("", ("--week", "1", "--part", "webinar"), "no attendance table"),
    ("Topic,Webinar ID\r\nx,1\r\n", ("--week", "1", "--part", "webinar"), "no attendance table"),
    (redate(WEEK1, zoom_id="999 9999 9999"), ("--week", "1", "--part", "webinar"), "Zoom id 99999999999"),
    (redate(WEEK1), ("--week", "1", "--part", "discussion"), "Zoom id 81234567890"),
    (
        redate(WEEK1),
        ("--week", "2", "--part", "webinar"),
        "overlaps week 2's webinar (2021-09-30 13:30–14:30 PDT)",
    ),
    (
        redate(WEEK1).replace("09/23/2021 01:30:00 PM", "tomorrow"),
        ("--week", "1", "--part", "webinar"),
        "line 10: 'tomorrow'",
    ),
    (
        redate(WEEK1).replace("09/23/2021 02:29:00 PM", "09/23/2021 01:00:00 PM"),
        ("--week", "1", "--part", "webinar"),
        "before join",
    ),
    ("\u00e9t\u00e9".encode("latin-1"), ("--week", "1", "--part", "webinar"), "not UTF-8"),
    (None, ("--week", "1", "--part", "webinar"), "cannot read"),
    (redate(WEEK1), ("--week", "11", "--part", "webinar"), "week 11 is not in the course"),
)


def test_bad_files_store_nothing(runtime: Runtime, invoke) -> None:  # type: ignore[no-untyped-def]
    """Each bad file or argument is refused whole, with its reason, and nothing is stored."""
    for content, args, needle in BAD_FILES:
        file = "report.csv" if content is not None else "missing.csv"
        result = invoke("import-csv", file, *args, content=content)
        assert result.exit_code == 1, needle
        assert needle in result.stderr
        assert stored(runtime) == 0


def test_date_formats_zoom_writes() -> None:
    assert parse_time("Mar 22, 2025 19:13:27", PACIFIC) == local(2025, 3, 22, 19, 13).replace(second=27)
    assert parse_time("08/09/2026 10:45:00 AM", PACIFIC) == local(2026, 8, 9, 10, 45)
    assert parse_time("08/09/2026 10:45:00 AM", PACIFIC, dayfirst=True) == local(2026, 9, 8, 10, 45)
    assert parse_time("--", PACIFIC) is None
