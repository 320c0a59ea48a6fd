"""Group commit: rows written by concurrent requests share one transaction, so one commit (one fsync).

The first thread to arrive leads: it takes every item waiting, writes them in one transaction
and hands each waiting thread its own result. Threads that arrive meanwhile wait, and one of
them leads the next batch. Every caller returns only once its own item is committed, or raises
what stopped it, so a webhook can still acknowledge only what is durable. A batch that fails is
retried one item at a time, so one bad row fails alone. No background thread: nothing to start
or stop, and an idle engine costs nothing.

`submit_async` does the same for callers on an event loop: they wait without holding a thread,
and one worker thread per batch does the writing.
"""

from __future__ import annotations

import asyncio
import threading
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


class _Entry(Generic[T, R]):
    """One caller's item, its outcome, and the event that wakes it (done, or its turn to lead)."""

    __slots__ = ("item", "result", "error", "lead", "wake")

    def __init__(self, item: T) -> None:
        self.item = item
        self.result: R | None = None
        self.error: BaseException | None = None
        self.lead = False
        self.wake = threading.Event()

    def finish(self, result: R | None, error: BaseException | None = None) -> None:
        """Hand the caller its outcome."""
        self.result, self.error = result, error
        self.wake.set()

    def outcome(self) -> R:
        """The result, or the exception that stopped the write."""
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


@dataclass
class _Lane(Generic[T, R]):
    """One engine's waiting entries and whether someone is writing."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: list[_Entry[T, R]] = field(default_factory=list)
    leading: bool = False


@dataclass
class _AsyncLane(Generic[T, R]):
    """One engine's waiting callers on one event loop, and the task writing for them."""

    pending: list[tuple[T, asyncio.Future[R]]] = field(default_factory=list)
    writer: asyncio.Task[None] | None = None


class GroupCommit(Generic[T, R]):
    """Write items in shared transactions, one lane per engine; see the module docstring."""

    def __init__(self, write: Writer[T, R], max_batch: int = 500) -> None:
        self.write = write
        self.max_batch = max_batch
        self._lanes: weakref.WeakKeyDictionary[Engine, _Lane[T, R]] = weakref.WeakKeyDictionary()
        self._async_lanes: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, weakref.WeakKeyDictionary[Engine, _AsyncLane[T, R]]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def submit(self, engine: Engine, item: T) -> R:
        """Write `item` (with whatever else is waiting) and return its result once committed."""
        lane = self._lane(engine)
        entry: _Entry[T, R] = _Entry(item)
        with lane.lock:
            lane.pending.append(entry)
            entry.lead = not lane.leading
            lane.leading = True
        if not entry.lead:
            entry.wake.wait()  # set when our item is written, or when it is our turn to lead
            if not entry.lead:
                return entry.outcome()
        self._lead(engine, lane)
        return entry.outcome()

    async def submit_async(self, engine: Engine, item: T) -> R:
        """`submit` for an event loop: the caller waits without a thread until its item is committed."""
        loop = asyncio.get_running_loop()
        lane = self._async_lanes.setdefault(loop, weakref.WeakKeyDictionary()).setdefault(
            engine, _AsyncLane()
        )
        done: asyncio.Future[R] = loop.create_future()
        lane.pending.append((item, done))
        if lane.writer is None:
            lane.writer = loop.create_task(self._drain(engine, lane))
        return await done

    async def _drain(self, engine: Engine, lane: _AsyncLane[T, R]) -> None:
        """Write batches in a worker thread until nobody waits; hand each caller its outcome."""
        try:
            while lane.pending:
                batch, lane.pending = lane.pending[: self.max_batch], lane.pending[self.max_batch :]
                entries = [_Entry[T, R](item) for item, _ in batch]
                try:
                    await asyncio.to_thread(self._write_batch, engine, entries)
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
                        done.set_result(entry.outcome())
        finally:
            lane.writer = None

    def _lane(self, engine: Engine) -> _Lane[T, R]:
        with self._lock:
            lane = self._lanes.get(engine)
            if lane is None:
                lane = self._lanes[engine] = _Lane()
            return lane

    def _lead(self, engine: Engine, lane: _Lane[T, R]) -> None:
        """Write one batch (ours is in it), then hand the lead to the next waiting caller."""
        with lane.lock:
            batch, lane.pending = lane.pending[: self.max_batch], lane.pending[self.max_batch :]
        try:
            self._write_batch(engine, batch)
        finally:
            for entry in batch:  # interrupted (KeyboardInterrupt…): nobody may wait forever
                if not entry.wake.is_set() and entry.error is None and not entry.lead:
                    entry.finish(None, RuntimeError("the group commit was interrupted"))
            with lane.lock:
                if lane.pending:
                    successor = lane.pending[0]
                    successor.lead = True
                    successor.wake.set()
                else:
                    lane.leading = False

    def _write_batch(self, engine: Engine, batch: list[_Entry[T, R]]) -> None:
        """One transaction for all; if it fails, one transaction each, so each gets its own outcome."""
        try:
            self._commit(engine, batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].finish(None, exc)
                return
            for entry in batch:
                try:
                    self._commit(engine, [entry])
                except Exception as single:  # noqa: BLE001 - handed to the caller it belongs to
                    entry.finish(None, single)

    def _commit(self, engine: Engine, batch: list[_Entry[T, R]]) -> None:
        with session_scope(engine) as session:
            results = self.write(session, [entry.item for entry in batch])
        if len(results) != len(batch):
            raise RuntimeError(f"writer returned {len(results)} results for {len(batch)} items")
        for entry, result in zip(batch, results, strict=True):
            entry.finish(result)
