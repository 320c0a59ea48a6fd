"""Alembic environment: runs on the engine handed over by storage.db (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from storage import models, presence_cache  # noqa: F401 - registers the tables on SQLModel.metadata

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run every pending migration in one transaction on the configured engine."""
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
