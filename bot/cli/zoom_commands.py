"""`seminar-bot zoom …`: back-fill a week from Zoom's reports, or import a portal CSV."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.support import course_week, fail, runtime
from bot.config import ZOOM_API_HOWTO, Settings
from bot.zoom_client import make_zoom_api
from handlers.zoom.api import ZoomApi, ZoomApiError
from handlers.zoom.backfill import PartBackfill, backfill_week
from handlers.zoom.csv_import import ZoomCsvError, week_visits
from handlers.zoom.visits import store_visits
from storage.db import upgrade

zoom_app = typer.Typer(no_args_is_help=True, help="Zoom attendance: back-fill from reports or a CSV.")


class PartChoice(StrEnum):
    """The two Zoom parts of a week."""

    webinar = "webinar"
    discussion = "discussion"


@zoom_app.command("backfill")
def backfill(week: Annotated[int, typer.Option(help="week number (1 = first session)")]) -> None:
    """Fetch both parts' participant reports for a week and merge them with the webhook data."""
    rt = runtime()
    wk = course_week(rt, week)
    if not rt.settings.zoom_api_configured:
        fail(ZOOM_API_HOWTO)
    api = zoom_api(rt.settings)
    upgrade(rt.engine)
    results = backfill_week(rt.deps, api, wk)
    for result in results:
        typer.echo(_summary(week, result))
    problems = [f"week {week} {r.part}: {r.problem}" for r in results if r.problem]
    if problems:
        fail("\n".join(problems))


@zoom_app.command("import-csv")
def import_csv(
    file: Annotated[Path, typer.Argument(help="the attendee report CSV from Zoom's web portal")],
    week: Annotated[int, typer.Option(help="week number (1 = first session)")],
    part: Annotated[PartChoice, typer.Option(help="which part the file is for")],
) -> None:
    """Import a portal attendee report for one part; importing it again changes nothing."""
    rt = runtime()
    wk = course_week(rt, week)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text; download the CSV from Zoom again rather than re-saving it")
    try:
        found = week_visits(text, rt.course, wk, part.value)
    except ZoomCsvError as exc:
        fail(f"{file.name}: nothing imported:\n  " + "\n  ".join(exc.problems))
    upgrade(rt.engine)
    zoom_id = rt.course.schedule[part.value].zoom_id
    added = store_visits(rt.deps, found, source="csv", zoom_id=zoom_id)
    typer.echo(f"week {week} {part.value}: {len(found)} visits read from {file.name}, {added} new")


def zoom_api(settings: Settings) -> ZoomApi:
    """The Zoom API through a zoomus client on Server-to-Server OAuth (it fetches a token when built)."""

    try:
        return make_zoom_api(settings)
    except ZoomApiError as exc:
        fail(str(exc))


def _summary(week: int, result: PartBackfill) -> str:
    instances = len(result.instances)
    empty = " (Zoom's report lists no participants)" if instances and not result.rows else ""
    return (
        f"week {week} {result.part} ({result.zoom_id}): {instances} instance{'s' * (instances != 1)}, "
        f"{result.visits} visits read, {result.added} new{empty}"
    )
