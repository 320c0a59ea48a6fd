"""What every handler is given: the database, the course, the clock (for tests), the live messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy.engine import Engine

from handlers.schedule.tally_worker import TallyWorker
from handlers.schedule.vote_count import VoteCounts
from handlers.slack.after_ack import AcksFirst
from handlers.zoom.ingest import ZoomWrites
from rules.course import Course


@dataclass(frozen=True)
class Deps:
    """What a handler needs: the database, the course and the clock (injected for tests)."""

    engine: Engine
    course: Course
    clock: Callable[[], datetime]

    @cached_property
    def tally(self) -> TallyWorker:
        """The tally updaters for this database; one per Deps, and the runtime keeps one Deps."""
        return TallyWorker(self.engine, self.course, self.clock, yield_to=self.acks.wait)

    @cached_property
    def votes(self) -> VoteCounts:
        """The updaters of the questions' channel messages (their vote counts); one per Deps."""
        return VoteCounts(self.engine)

    @cached_property
    def zoom(self) -> ZoomWrites:
        """Where Zoom deliveries are written (the writer process under `serve`); one per Deps."""
        return ZoomWrites(self.engine)

    def drain(self, timeout: float = 15.0) -> bool:
        """Let the last tally edit and the last vote counts land (at shutdown); False if one did not."""
        tallied = self.tally.drain(timeout)
        return self.votes.drain(timeout) and tallied

    @cached_property
    def acks(self) -> AcksFirst:
        """Slack requests not yet answered; listeners' post-ack work waits for them."""
        return AcksFirst()
