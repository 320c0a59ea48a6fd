"""`seminar-bot jobs run-due [--now ISO-8601]`: do, once, what the scheduler would do at that instant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.cli.support import fail, runtime

jobs_app = typer.Typer(no_args_is_help=True, help="Scheduled work (what `serve` runs every minute).")


class BadInstant(ValueError):
    """--now is not an ISO-8601 date and time."""


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """ISO-8601 with an offset, or without one in the course time zone; returned in UTC."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInstant(
            f"--now {text!r} is not an ISO-8601 date and time "
            "(e.g. 2021-09-23T15:05, taken in the course time zone, or 2021-09-23T15:05-07:00)"
        ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=tz)
    return instant.astimezone(UTC)


@jobs_app.command("run-due")
def run_due_command(
    now: Annotated[
        str | None,
        typer.Option(help="the instant to run at (ISO-8601; no offset = course time zone); default: now"),
    ] = None,
) -> None:
    """Back-fill ended parts from Zoom, then send every prompt, reminder, notice and digest due now."""
    from bot.config import SLACK_HOWTO, ZOOM_API_HOWTO
    from bot.scheduler import BackfillTick, scheduler_client
    from handlers.schedule.jobs import run_tick
    from storage.db import upgrade

    rt = runtime()
    try:
        instant = parse_instant(now, rt.course.timezone) if now is not None else rt.clock()
    except BadInstant as exc:
        fail(str(exc))
    settings = rt.settings
    if not settings.slack_configured and not settings.zoom_api_configured:
        fail(SLACK_HOWTO)
    upgrade(rt.engine)
    errors = []
    if settings.zoom_api_configured:
        filled = BackfillTick(rt).run_once(instant)
        _echo(filled.lines())
        errors += [] if filled.ok else ["some parts were not back-filled; the next run retries them"]
    else:
        typer.echo(ZOOM_API_HOWTO)
    if settings.slack_configured:
        summary = run_tick(rt.deps, scheduler_client(settings), instant)
        assert summary is not None  # no gate: every run is a full run
        _echo(summary.lines())
        errors += [] if summary.ok else ["some messages were not sent"]
    else:
        typer.echo(SLACK_HOWTO)
    if errors:
        typer.echo(f"error: {'; '.join(errors)} (see above)", err=True)
        raise typer.Exit(1)


def _echo(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)
