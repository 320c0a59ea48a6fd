"""The runtime: settings, engine, course and clock, built once per process."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.config import Settings
from handlers.deps import Deps
from rules.course import Course
from rules.course_file import CourseError, parse_course
from storage.db import make_engine
from storage.models import utcnow


@dataclass
class Runtime:
    """What every entry point (web, CLI, scheduler) shares."""

    settings: Settings
    engine: Engine
    course: Course
    clock: Callable[[], datetime]

    @cached_property
    def deps(self) -> Deps:
        """What handlers need, minus the settings they must not read; one per process (it owns the tally)."""
        return Deps(engine=self.engine, course=self.course, clock=self.clock)


def build_runtime(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    engine: Engine | None = None,
) -> Runtime:
    """Load the course (CourseError on a bad file) and make the engine."""
    course = load_course(settings.course_file)
    return Runtime(
        settings=settings,
        engine=engine or make_engine(settings.database_url),
        course=course,
        clock=clock,
    )


def load_course(path: Path) -> Course:
    """Read and validate `course.toml`; any problem raises CourseError naming the key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path}: file not found (set COURSE_FILE)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path}: not valid TOML ({exc})") from None
    return parse_course(raw)
