"""The runtime: settings, engine, course and clock, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.config import Settings
from handlers import Deps
from storage.course import Course, load_course
from storage.db import make_engine
from storage.models import utcnow


@dataclass
class Runtime:
    """What every entry point (web, CLI, scheduler) shares."""

    settings: Settings
    engine: Engine
    course: Course
    clock: Callable[[], datetime]

    @property
    def deps(self) -> Deps:
        """What handlers need, without the settings they must not read."""
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
