"""Group commit: rows written by concurrent requests share one transaction, so one commit (one fsync).

Callers on the event loop submit their item and wait, without holding a thread, until it is
committed. While nobody is writing, the first caller starts a writer task; it takes every item
waiting, writes them in one transaction in a worker thread and hands each caller its own
result, then takes whatever arrived meanwhile, until nobody waits. So a webhook still
acknowledges only what is durable. A batch that fails is retried one item at a time, so one bad
row fails alone (`commit_each`, which the Zoom writer process runs on its own batches too). No
background thread: nothing to start or stop, and an idle engine costs nothing.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import session_scope

T = TypeVar("T")
R = TypeVar("R")
Writer = Callable[[Session, Sequence[T]], Sequence[R]]
Outcome = tuple[R | None, BaseException | None]  # an item's result, or the error that stopped it


class _Entry(Generic[T, R]):
    """One caller's item and its outcome."""

    __slots__ = ("item", "result", "error")

    def __init__(self, item: T) -> None:
        self.item = item
        self.result: R | None = None
        self.error: BaseException | None = None

    def finish(self, result: R | None, error: BaseException | None = None) -> None:
        """Record the caller's outcome."""
        self.result, self.error = result, error


@dataclass
class _Lane(Generic[T, R]):
    """One engine's waiting callers on one event loop, and the task writing for them."""

    pending: list[tuple[T, asyncio.Future[R]]] = field(default_factory=list)
    writer: asyncio.Task[None] | None = None


class GroupCommit(Generic[T, R]):
    """Write items in shared transactions, one lane per event loop and engine; see the module docstring."""

    def __init__(self, write: Writer[T, R], max_batch: int = 500) -> None:
        self.write = write
        self.max_batch = max_batch
        self._lanes: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, weakref.WeakKeyDictionary[Engine, _Lane[T, R]]
        ] = weakref.WeakKeyDictionary()

    async def submit(self, engine: Engine, item: T) -> R:
        """Write `item` (with whatever else is waiting) and return its result once committed."""
        loop = asyncio.get_running_loop()
        lane = self._lanes.setdefault(loop, weakref.WeakKeyDictionary()).setdefault(engine, _Lane())
        done: asyncio.Future[R] = loop.create_future()
        lane.pending.append((item, done))
        if lane.writer is None:
            lane.writer = loop.create_task(self._drain(engine, lane))
        return await done

    async def _drain(self, engine: Engine, lane: _Lane[T, R]) -> None:
        """Write batches in a worker thread until nobody waits; hand each caller its outcome."""
        try:
            loop = asyncio.get_running_loop()
            while lane.pending:
                await asyncio.sleep(0)  # one more turn of the loop: deliveries read meanwhile join
                batch, lane.pending = lane.pending[: self.max_batch], lane.pending[self.max_batch :]
                entries: list[_Entry[T, R]] = [_Entry(item) for item, _ in batch]
                try:
                    await loop.run_in_executor(None, self._write_batch, engine, entries)
                except BaseException as exc:  # cancelled at shutdown: nobody may wait forever
                    for _, done in batch + lane.pending:
                        if not done.done():
                            done.set_exception(RuntimeError(f"the group commit was interrupted: {exc!r}"))
                    lane.pending.clear()
                    raise
                for (_, done), entry in zip(batch, entries, strict=True):
                    if done.done():  # the caller went away; its row is committed all the same
                        continue
                    if entry.error is not None:
                        done.set_exception(entry.error)
                    else:
                        done.set_result(entry.result)  # type: ignore[arg-type]
        finally:
            lane.writer = None

    def _write_batch(self, engine: Engine, batch: list[_Entry[T, R]]) -> None:
        outcomes = commit_each(engine, self.write, [entry.item for entry in batch])
        for entry, (result, error) in zip(batch, outcomes, strict=True):
            entry.finish(result, error)


def commit_each(engine: Engine, write: Writer[T, R], items: Sequence[T]) -> list[Outcome[R]]:
    """Write `items` in one transaction; if it fails, one transaction each, so each gets its own
    outcome: (result, None), or (None, the error). Also the writer process's batch (bot/zoom_writer.py)."""
    try:
        return [(result, None) for result in _commit(engine, write, items)]
    except Exception as exc:
        if len(items) == 1:
            return [(None, exc)]
    outcomes: list[Outcome[R]] = []
    for item in items:
        try:
            outcomes.append((_commit(engine, write, [item])[0], None))
        except Exception as single:  # noqa: BLE001 - handed to the caller it belongs to
            outcomes.append((None, single))
    return outcomes


def _commit(engine: Engine, write: Writer[T, R], items: Sequence[T]) -> Sequence[R]:
    with session_scope(engine) as session:
        results = write(session, items)
    if len(results) != len(items):
        raise RuntimeError(f"writer returned {len(results)} results for {len(items)} items")
    return results
