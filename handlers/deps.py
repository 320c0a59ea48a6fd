"""What every handler is given: the database, the course and the clock (injected for tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from rules.course import Course


@dataclass(frozen=True)
class Deps:
    """What a handler needs: the database, the course and the clock (injected for tests)."""

    engine: Engine
    course: Course
    clock: Callable[[], datetime]
