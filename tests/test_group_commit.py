"""Group commit: concurrent writers share transactions, each gets its own outcome once committed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.db import make_engine, session_scope
from storage.group_commit import GroupCommit
from storage.models import TaAction


class Recorder:
    """A writer inserting one audit row per item; items starting with 'bad' make it raise."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, session: Session, items: Sequence[str]) -> list[int]:
        with self.lock:
            self.batches.append(len(items))
        rows = []
        for item in items:
            if item.startswith("bad"):
                raise ValueError(item)
            rows.append(TaAction(ta_user_id="U0TA1", action="test", detail=item))
        session.add_all(rows)
        session.flush()
        return [row.id or 0 for row in rows]


def stored(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return [a.detail for a in session.exec(select(TaAction))]


def submit_all(
    group: GroupCommit[str, int], engine: Engine, items: list[str], callers: int
) -> dict[str, object]:
    """Submit the items from `callers` concurrent tasks; what each call returned or raised."""

    async def one(item: str, turn: asyncio.Semaphore) -> object:
        async with turn:
            try:
                return await group.submit(engine, item)
            except ValueError as exc:
                return exc

    async def everyone() -> list[object]:
        turn = asyncio.Semaphore(callers)
        return await asyncio.gather(*(one(item, turn) for item in items))

    results = dict(zip(items, asyncio.run(everyone()), strict=True))
    with Session(engine) as fresh:  # committed: visible to a brand-new session
        for item, row_id in results.items():
            if not isinstance(row_id, ValueError):
                row = fresh.get(TaAction, row_id)
                assert row is not None and row.detail == item
    return results


def test_concurrent_writers_share_commits(engine: Engine) -> None:
    writer = Recorder()
    items = [f"item-{n}" for n in range(200)]
    results = submit_all(GroupCommit(writer), engine, items, callers=32)
    assert sorted(stored(engine)) == sorted(items)
    assert len(set(results.values())) == len(items)  # each caller got its own row
    assert len(writer.batches) < len(items) and max(writer.batches) > 1


def test_a_bad_item_fails_alone(engine: Engine) -> None:
    writer = Recorder()
    items = [f"ok-{n}" for n in range(40)] + ["bad-1", "bad-2"]
    results = submit_all(GroupCommit(writer), engine, items, callers=16)
    assert sorted(stored(engine)) == sorted(i for i in items if i.startswith("ok"))
    assert {i for i, r in results.items() if isinstance(r, ValueError)} == {"bad-1", "bad-2"}


def test_a_database_error_reaches_the_caller(tmp_path: Path) -> None:
    gone = make_engine(f"sqlite:///{tmp_path}/missing-folder/x.db")
    with pytest.raises(Exception, match="unable to open database file"):
        asyncio.run(GroupCommit(Recorder()).submit(gone, "anything"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=st.lists(st.sampled_from(["ok", "bad"]), min_size=1, max_size=30).map(
        lambda kinds: [f"{kind}-{n}" for n, kind in enumerate(kinds)]
    ),
    callers=st.integers(1, 12),
    max_batch=st.integers(1, 8),
)
def test_every_good_item_once_every_bad_item_refused(
    sqlite_engine: Engine, items: list[str], callers: int, max_batch: int
) -> None:
    before = len(stored(sqlite_engine))
    results = submit_all(GroupCommit(Recorder(), max_batch=max_batch), sqlite_engine, items, callers)
    after = stored(sqlite_engine)[before:]
    assert sorted(after) == sorted(i for i in items if i.startswith("ok"))
    assert all(isinstance(results[i], ValueError) == i.startswith("bad") for i in items)


def test_async_callers_share_commits_and_a_bad_item_fails_alone(engine: Engine) -> None:
    writer = Recorder()
    group: GroupCommit[str, int] = GroupCommit(writer)
    items = [f"ok-{n}" for n in range(100)] + ["bad-1"]

    async def all_at_once() -> list[object]:
        return await asyncio.gather(*(group.submit(engine, i) for i in items), return_exceptions=True)

    results = dict(zip(items, asyncio.run(all_at_once()), strict=True))
    assert isinstance(results.pop("bad-1"), ValueError)
    assert sorted(stored(engine)) == sorted(results) and len(set(results.values())) == 100
    assert writer.batches[0] == len(items)  # all in one transaction; it failed, so then one by one
