"""What every `seminar-bot` command shares: loading the settings and the runtime, and failing cleanly."""

from __future__ import annotations

from typing import NoReturn

import typer

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from bot.runtime import Runtime, build_runtime
from rules.course import Week
from rules.course_file import CourseError


def fail(message: str) -> NoReturn:
    """Print an error to stderr and exit 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def settings() -> Settings:
    """Settings from the environment, or a clean exit naming the problem."""
    try:
        loaded = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    configure_logging(loaded)
    return loaded


def runtime() -> Runtime:
    """The runtime, or a clean exit naming the course file problem."""
    try:
        return build_runtime(settings())
    except CourseError as exc:
        fail(f"course file: {exc}")


def course_week(rt: Runtime, number: int) -> Week:
    """The course's week `number`, or a clean failure naming the weeks there are."""
    found = rt.course.week(number)
    if found is None:
        fail(f"week {number} is not in the course (1–{len(rt.course.weeks)})")
    return found
