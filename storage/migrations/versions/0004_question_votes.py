"""question_votes and question_states: upvotes, the moderator's asked mark, paced message edits

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("voted_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["students.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("question_id", "student_id", name="uq_question_vote"),
    )
    op.create_index(op.f("ix_question_votes_question_id"), "question_votes", ["question_id"], unique=False)
    op.create_index(op.f("ix_question_votes_student_id"), "question_votes", ["student_id"], unique=False)
    op.create_table(
        "question_states",
        sa.Column("question_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("asked_by", sa.String(length=32), nullable=True),
        sa.Column("asked_at", storage.models.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rendered_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id"),
    )


def downgrade() -> None:
    op.drop_table("question_states")
    op.drop_index(op.f("ix_question_votes_student_id"), table_name="question_votes")
    op.drop_index(op.f("ix_question_votes_question_id"), table_name="question_votes")
    op.drop_table("question_votes")
