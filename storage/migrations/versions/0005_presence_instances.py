"""presence_instances: which Zoom instances' presence is out of date, per instance

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presence_instances",
        sa.Column("zoom_id", sa.String(length=32), nullable=False),
        sa.Column("instance_uuid", sa.String(length=128), nullable=False),
        sa.Column("first_us", sa.BigInteger(), nullable=False),
        sa.Column("last_us", sa.BigInteger(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zoom_id", "instance_uuid"),
    )
    # The rows stored so far are in no instance yet: the next read computes from scratch and fills it.
    op.execute("UPDATE presence_state SET version = -1 WHERE name = 'cache'")


def downgrade() -> None:
    op.drop_table("presence_instances")
    op.execute("UPDATE presence_state SET version = -1 WHERE name = 'cache'")
