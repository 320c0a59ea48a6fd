"""`seminar-bot brief --week N` and `reflections --week N`: the files the scheduler uploads, to stdout."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from bot.cli.support import course_week, runtime
from handlers.week_files import WeekFile, question_brief, reflection_digest
from storage.db import session_scope, upgrade

WeekOption = Annotated[int, typer.Option("--week", help="the week number")]


def brief(week: WeekOption) -> None:
    """Print the week's questions ranked by votes (Markdown), as uploaded when /ask closes."""
    _print(week, question_brief)


def reflections(week: WeekOption) -> None:
    """Print the week's reflections and who has none (Markdown), as uploaded when they fall due."""
    _print(week, reflection_digest)


def _print(number: int, build: Callable[..., WeekFile]) -> None:
    rt = runtime()
    week = course_week(rt, number)
    upgrade(rt.engine)
    with session_scope(rt.engine) as session:
        file = build(session=session, course=rt.course, week=week)
    sys.stdout.write(file.content)
