"""The `seminar-bot` command line: serve, db, roster, report, brief, reflections, zoom, jobs."""

from __future__ import annotations

import gc
import json
import logging
import sys
from enum import StrEnum
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
import uvicorn
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError

from bot.cli.doctor import doctor
from bot.cli.file_commands import brief, reflections
from bot.cli.jobs_command import jobs_app
from bot.cli.support import course_week, fail, runtime, settings
from bot.cli.zoom_commands import zoom_app
from bot.config import DATABASE_URL_HOWTO, ConfigError, Settings
from handlers.records import class_record
from rules.export import to_csv, to_grades_csv, to_table
from rules.roster_file import RosterError, parse_roster
from storage.db import session_scope, upgrade
from storage.roster import apply_roster

logger = logging.getLogger(__name__)
# A crash never prints local variables (they hold the settings, so the secrets), whatever typer's default.
app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_show_locals=False
)
db_app = typer.Typer(no_args_is_help=True, help="Database migrations.")
roster_app = typer.Typer(no_args_is_help=True, help="The class roster.")
app.add_typer(db_app, name="db")
app.add_typer(roster_app, name="roster")
app.add_typer(jobs_app, name="jobs")
app.add_typer(zoom_app, name="zoom")
app.command()(doctor)
app.command()(brief)
app.command()(reflections)


class Format(StrEnum):
    """Report output formats."""

    table = "table"
    csv = "csv"
    json = "json"
    grades = "grades"


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="HTTP port (default $PORT)")] = None,
) -> None:
    """Run the web service (Slack, Zoom, /healthz, the playground), the scheduler and the sockets."""
    from bot.playground.mount import attach
    from bot.scheduler import backfill_tick, due_tick
    from bot.web import create_app

    rt = runtime()
    upgrade(rt.engine)
    asgi = create_app(rt, scheduler_tick=due_tick(rt), backfill_tick=backfill_tick(rt), zoom_writer=True)
    port = port or rt.settings.port
    try:
        attach(asgi, rt.settings, port)
    except ConfigError as exc:
        fail(str(exc))
    run_server(asgi, port)


# After each commit's fsync the group commit's writer thread (storage/group_commit.py) needs the
# GIL back; at Python's default interval (5 ms) it waited that long behind the event loop on
# every commit, and the webhook's acknowledgements with it (README "Benchmarks").
GIL_SWITCH_SECONDS = 0.0005


def run_server(asgi: Any, port: int) -> None:
    """uvicorn with the flags `serve` runs on; bench/hello_app.py runs the ceiling through here too."""
    loop, http = server_stack()
    logger.info("serving on uvicorn with the %s event loop and the %s HTTP parser", loop, http)
    if (loop, http) != ("uvloop", "httptools"):
        logger.warning("uvloop or httptools is missing: reinstall seminar-bot (it needs uvicorn[standard])")
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    # Everything built so far (the app, its modules) lives as long as the process: out of the
    # collector's way, a full collection paused a burst of /ask for ~10 ms instead of ~60 ms.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        asgi,
        host="0.0.0.0",
        port=port,
        log_level=logging.getLogger().level,  # LOG_LEVEL (bot/logs.py): WARNING drops the access log
        log_config=None,  # bot/logs.py owns the handlers, so uvicorn's lines are redacted too
        loop=loop,
        http=http,
    )


def server_stack() -> tuple[Literal["uvloop", "asyncio"], Literal["httptools", "h11"]]:
    """uvicorn's production extras (uvloop, httptools) when installed, else its pure-Python stack."""
    loop: Literal["uvloop", "asyncio"] = "uvloop" if find_spec("uvloop") else "asyncio"
    http: Literal["httptools", "h11"] = "httptools" if find_spec("httptools") else "h11"
    return loop, http


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from storage.db import make_engine

    upgrade(make_engine(settings().database_url))
    typer.echo("database is up to date")


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="CSV with name,email[,slack_user_id,zoom_email]")],
) -> None:
    """Import or update the roster; students missing from the file become dropped."""
    from storage.db import make_engine

    loaded = settings()
    engine = make_engine(loaded.database_url)
    try:
        rows = parse_roster(file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    except RosterError as exc:
        fail("roster not imported:\n  " + "\n  ".join(exc.problems))
    upgrade(engine)
    with session_scope(engine) as session:
        result = apply_roster(session=session, rows=rows)
    typer.echo(
        f"roster: {len(result.added)} added, {len(result.updated)} updated, "
        f"{result.unchanged} unchanged, {len(result.dropped)} dropped"
    )
    for email in result.dropped:
        typer.echo(f"  dropped: {email}")
    _link_slack(loaded, engine)


def _link_slack(loaded: Settings, engine: Engine) -> None:
    """Students without a slack_user_id are looked up by email when Slack is configured (README "Roster")."""
    from bot.app import make_web_client
    from handlers.slack.accounts import link_slack_accounts

    if not loaded.slack_configured:
        typer.echo("slack: not configured; students are linked when they first use a command")
        return
    linked = link_slack_accounts(engine, make_web_client(loaded))
    typer.echo(f"slack: {len(linked.linked)} linked, {len(linked.not_found)} not found in Slack")
    for email in linked.not_found:
        typer.echo(f"  no Slack account: {email}")
    if linked.error:
        fail(f"Slack lookups stopped ({linked.error}); the roster was imported, re-run to retry the links")


@app.command()
def report(
    week: Annotated[int | None, typer.Option(help="one week's detail")] = None,
    format: Annotated[Format, typer.Option(help="table, csv, json or grades")] = Format.table,  # noqa: A002
) -> None:
    """Print the class report."""
    rt = runtime()
    if week is not None:
        course_week(rt, week)
    if week is not None and format is Format.grades:
        fail("--format grades covers the whole course; leave out --week")
    upgrade(rt.engine)
    with session_scope(rt.engine) as session:
        record = class_record(session=session, course=rt.course, now=rt.clock())
    if format is Format.json:
        data = record.as_json()
        if week is not None:
            for student in data["students"]:
                student["weeks"] = [w for w in student["weeks"] if w["week"] == week]
            data["unmatched"] = [u for u in data["unmatched"] if u["week"] == week]
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif format is Format.csv:
        sys.stdout.write(to_csv(record, week))
    elif format is Format.grades:
        sys.stdout.write(to_grades_csv(record))
    else:
        sys.stdout.write(to_table(record, week))


def main() -> None:
    """Console-script entry point: a DATABASE_URL that is no URL, or whose database cannot be
    reached, is one line on stderr (as `doctor` says it), not a traceback."""
    try:
        app()
    except ArgumentError:  # make_url's, or an unknown dialect or driver
        problem = f"bad configuration: DATABASE_URL is not a database URL; {DATABASE_URL_HOWTO}"
        typer.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        typer.echo(f"error: cannot reach the database (DATABASE_URL): {reason}", err=True)
        raise SystemExit(1) from None
