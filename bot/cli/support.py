"""What every `seminar-bot` command shares: loading the settings and the runtime, and failing cleanly."""

from __future__ import annotations

from typing import NoReturn

import typer

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from bot.runtime import Runtime, build_runtime
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
