"""presence_spans, presence_state: presence materialised per student, week and part

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presence_spans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("spans", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_presence_spans_student_id"), "presence_spans", ["student_id"], unique=False)
    state = op.create_table(
        "presence_state",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_questions_student_week", "questions", ["student_id", "week"], unique=False)
    # `cache` at -1: nothing stored yet, so the first read computes from scratch.
    op.bulk_insert(
        state,
        [{"name": "source", "version": 0, "detail": ""}, {"name": "cache", "version": -1, "detail": ""}],
    )


def downgrade() -> None:
    op.drop_index("ix_questions_student_week", table_name="questions")
    op.drop_table("presence_state")
    op.drop_index(op.f("ix_presence_spans_student_id"), table_name="presence_spans")
    op.drop_table("presence_spans")
