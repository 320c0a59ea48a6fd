"""The engine, the session helper and migrations: the one place database sessions are opened."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Table, event, text
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import Executable
from sqlmodel import Session, SQLModel, create_engine

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """Build the engine once per process; SQLite gets WAL, a busy timeout and FK checks."""
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if memory:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL lets readers run beside the writer; synchronous=FULL keeps acknowledged commits."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One short unit of work: commit on success, roll back on error, always close."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that needs no alembic.ini: migrations ship inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (the same files on SQLite and PostgreSQL)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Roll migrations back to `revision`."""
    command.downgrade(alembic_config(engine), revision)


def writable(engine: Engine) -> bool:
    """True when the database accepts a write: an update of the migration row, rolled back.

    A read-only SQLite file or a PostgreSQL session with `default_transaction_read_only` answers
    a SELECT but refuses this, and the service cannot store anything.
    """
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
            transaction.rollback()
        return True
    except Exception:  # noqa: BLE001 - any failure means "cannot store"
        logger.warning("database write check failed", exc_info=True)
        return False


def insert_ignoring_duplicates(
    session: Session, table: Table | type[SQLModel], *, key: str
) -> PgInsert | SqliteInsert:
    """`INSERT … ON CONFLICT (key) DO NOTHING` in the session's dialect (both databases have it)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=[key])


def insert_new_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, key: str
) -> set[Any]:
    """Insert many rows, skipping duplicates of `key`; the keys that were new.

    The one bulk insert: with no rows it runs nothing, because an empty executemany runs the
    INSERT once with every column at its default (a row of NULLs, or an IntegrityError).
    """
    if not rows:
        return set()
    stmt = insert_ignoring_duplicates(session, table, key=key).returning(table.c[key])
    return {new for (new,) in session.connection().execute(stmt, list(rows))}


def changed_one_row(session: Session, stmt: Executable) -> bool:
    """Run a conditional UPDATE; True when it changed exactly one row (the claim was ours)."""
    result = session.connection().execute(stmt)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1
