"""All tables in one place (but presence's derived copy: storage/presence_cache.py), with aware timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as naive UTC (SQLite has no zones) and always returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes: every instant in this app is aware."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what the database returns."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Student(SQLModel, table=True):
    """A roster entry; `status` is `active` or `dropped` (dropped students are kept)."""

    __tablename__ = "students"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(max_length=200)
    slack_user_id: str | None = Field(default=None, max_length=32, index=True)
    zoom_email: str | None = Field(default=None, max_length=320, index=True)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IdentityLink(SQLModel, table=True):
    """A Zoom identity (email, registrant id, Zoom user id or display name) tied to a student."""

    __tablename__ = "identity_links"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_identity_kind_value"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # email | registrant_id | zoom_user_id | name
    value: str = Field(max_length=320)
    student_id: int = Field(foreign_key="students.id", index=True, ondelete="CASCADE")
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ZoomEvent(SQLModel, table=True):
    """A received Zoom event (or a back-filled report/CSV row), kept verbatim for audit.

    `kind` is join, leave, start, end or other; `at` is the payload's own time for it.
    Presence is always derived from these rows, so arrival order never matters.
    """

    __tablename__ = "zoom_events"
    __table_args__ = (Index("ix_zoom_events_zoom_id_at", "zoom_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=64, unique=True)
    source: str = Field(default="webhook", max_length=16)  # webhook | websocket | report | csv
    event: str = Field(max_length=80)
    event_ts: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    zoom_id: str = Field(default="", max_length=32, index=True)
    instance_uuid: str = Field(default="", max_length=128)
    kind: str = Field(default="other", max_length=8)
    at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    participant_key: str = Field(default="", max_length=200)
    user_name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    registrant_id: str = Field(default="", max_length=128)
    zoom_user_id: str = Field(default="", max_length=128)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Question(SQLModel, table=True):
    """A question asked with /ask, counted for the week in whose window it was asked."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_week_student", "week", "student_id"),
        Index("ix_questions_student_week", "student_id", "week"),  # one student's record
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="students.id", ondelete="CASCADE")
    week: int
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    dedup_key: str = Field(max_length=255, unique=True)
    channel_id: str | None = Field(default=None, max_length=32)


class Reflection(SQLModel, table=True):
    """A student's reflection for a week; resubmitting before the due time replaces it."""

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("student_id", "week", name="uq_reflection_student_week"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="students.id", index=True, ondelete="CASCADE")
    week: int
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    sentences: int = 0
    late: bool = False
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Excuse(SQLModel, table=True):
    """A TA's excuse of a student's week, with the reason and who gave it."""

    __tablename__ = "excuses"
    __table_args__ = (UniqueConstraint("student_id", "week", name="uq_excuse_student_week"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="students.id", index=True, ondelete="CASCADE")
    week: int
    reason: str = Field(default="", max_length=1000)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RecordingWatched(SQLModel, table=True):
    """A student's attestation that they watched a missed week's recording."""

    __tablename__ = "recordings_watched"
    __table_args__ = (UniqueConstraint("student_id", "week", name="uq_recording_student_week"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="students.id", index=True, ondelete="CASCADE")
    week: int
    watched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RecordingLink(SQLModel, table=True):
    """A week's recording URL set by a TA (overrides `course.toml`)."""

    __tablename__ = "recording_links"

    week: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    url: str = Field(max_length=2000)
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboundMessage(SQLModel, table=True):
    """A message the bot must send exactly once: claimed here before it is sent.

    `status` is claimed, sent or failed; a claim whose lease expired may be retried.
    """

    __tablename__ = "outbound_messages"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40, index=True)
    week: int | None = None
    student_id: int | None = Field(default=None, foreign_key="students.id", ondelete="SET NULL")
    channel: str = Field(max_length=32)
    status: str = Field(default="claimed", max_length=16, index=True)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TallyMessage(SQLModel, table=True):
    """The one live tally message per week in the TA channel."""

    __tablename__ = "tally_messages"

    week: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    channel: str = Field(max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    version: int = 0
    rendered_version: int = 0
    final: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuestionVote(SQLModel, table=True):
    """A roster student's upvote of a question, with when: one per student per question."""

    __tablename__ = "question_votes"
    __table_args__ = (UniqueConstraint("question_id", "student_id", name="uq_question_vote"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", index=True, ondelete="CASCADE")
    student_id: int = Field(foreign_key="students.id", index=True, ondelete="CASCADE")
    voted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuestionState(SQLModel, table=True):
    """A question's mark as asked (by which TA, when) and the paced edits of its channel message.

    `version`, `rendered_version` and `updated_at` work as in TallyMessage (storage/edit_slots.py).
    """

    __tablename__ = "question_states"

    question_id: int = Field(
        primary_key=True,
        foreign_key="questions.id",
        ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )
    asked_by: str | None = Field(default=None, max_length=32)
    asked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 0
    rendered_version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TaAction(SQLModel, table=True):
    """Audit trail: every change a TA makes, with who, when and what."""

    __tablename__ = "ta_actions"

    id: int | None = Field(default=None, primary_key=True)
    ta_user_id: str = Field(max_length=32, index=True)
    action: str = Field(max_length=40)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ZoomBackfill(SQLModel, table=True):
    """One part's automatic back-fill from Zoom's participant report: claimed, then done or failed.

    Claimed like an outbox message (unique key, then a lease), so it runs once across processes.
    """

    __tablename__ = "zoom_backfills"
    __table_args__ = (UniqueConstraint("week", "part", name="uq_zoom_backfill_week_part"),)

    id: int | None = Field(default=None, primary_key=True)
    week: int
    part: str = Field(max_length=16)
    status: str = Field(default="claimed", max_length=16)  # claimed | done | failed
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    visits: int = 0
    added: int = 0
    error: str | None = Field(default=None, max_length=500)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
