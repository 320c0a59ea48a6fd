"""Roster import: column order, extras, re-import by email, dropped students, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from rules.roster_file import RosterError, parse_roster
from storage.db import session_scope
from storage.models import Student
from storage.roster import apply_roster


def students(engine: Engine) -> dict[str, Student]:
    with Session(engine) as session:
        return {s.email: s for s in session.exec(select(Student)).all()}


def test_any_column_order_and_extra_columns(engine: Engine) -> None:
    rows = parse_roster(
        "\ufeffSection,Email,zoom_email,Name,slack_user_id\n"
        "A, Ada@Example.EDU ,ada@gmail.com,Ada Lovelace,U0ADA\n"
        "B,zoe@example.edu,,Zoë Ångström,\n"
    )
    with session_scope(engine) as session:
        result = apply_roster(session=session, rows=rows)
    assert sorted(result.added) == ["ada@example.edu", "zoe@example.edu"]
    got = students(engine)
    assert got["ada@example.edu"].name == "Ada Lovelace"
    assert got["ada@example.edu"].slack_user_id == "U0ADA"
    assert got["ada@example.edu"].zoom_email == "ada@gmail.com"
    assert got["zoe@example.edu"].name == "Zoë Ångström"
    assert got["zoe@example.edu"].slack_user_id is None


def test_reimport_updates_by_email_and_drops_missing(engine: Engine) -> None:
    first = "name,email\nAda,ada@example.edu\nGrace,grace@example.edu\n"
    second = "email,name\nADA@example.edu,Ada L.\nalan@example.edu,Alan\n"
    with session_scope(engine) as session:
        apply_roster(session=session, rows=parse_roster(first))
    with session_scope(engine) as session:
        result = apply_roster(session=session, rows=parse_roster(second))
    assert result.updated == ["ada@example.edu"]
    assert result.added == ["alan@example.edu"]
    assert result.dropped == ["grace@example.edu"]
    got = students(engine)
    assert got["ada@example.edu"].name == "Ada L."
    assert got["grace@example.edu"].status == "dropped"
    with session_scope(engine) as session:
        again = apply_roster(session=session, rows=parse_roster(first))
    assert again.dropped == ["alan@example.edu"]
    assert students(engine)["grace@example.edu"].status == "active"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name,mail\nAda,ada@example.edu\n", "no email column"),
        ("", "the file is empty"),
        ("name,email\n\n", "the file lists no students, only a header; nothing imported"),
        ("name,email\nAda,not-an-email\n", "line 2: 'not-an-email' is not an email address"),
        ("name,email\nAda,ada@example.edu\n,bob@example.edu\n", "line 3: name is empty"),
        ("name,email\nA,a@example.edu\nB,A@example.edu\n", "line 3: a@example.edu already appears on line 2"),
        ("name,email,slack_user_id\nA,a@example.edu,#general\n", "line 2: slack_user_id"),
    ],
)
def test_bad_files_are_refused_whole(text: str, problem: str) -> None:
    with pytest.raises(RosterError) as info:
        parse_roster(text)
    assert any(problem in p for p in info.value.problems), info.value.problems


def test_cli_import_reports_and_writes_nothing_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    good = tmp_path / "roster.csv"
    good.write_text("name,email\nAda,ada@example.edu\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nBob,bob@example.edu\nEve,nope\n", encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(app, ["roster", "import", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "1 added" in ok.output
    refused = runner.invoke(app, ["roster", "import", str(bad)])
    assert refused.exit_code == 1
    assert "line 3" in refused.output
    from storage.db import make_engine

    assert list(students(make_engine(f"sqlite:///{db}"))) == ["ada@example.edu"]
