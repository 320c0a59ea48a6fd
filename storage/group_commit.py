"""Group commit: rows written by concurrent requests share one transaction, so one commit (one fsync).

The first thread to arrive leads: it takes every item waiting, writes them in one transaction
and hands each waiting thread its own result. Threads that arrive meanwhile wait, and one of
them leads the next batch. Every caller returns only once its own item is committed, or raises
what stopped it, so a webhook can still acknowledge only what is durable. A batch that fails is
retried one item at a time, so one bad row fails alone. No background thread: nothing to start
or stop, and an idle engine costs nothing.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import session_scope

T = TypeVar("T")
R = TypeVar("R")
Writer = Callable[[Session, Sequence[T]], Sequence[R]]


@dataclass
class _Lane(Generic[T, R]):
    """One engine's waiting items and whether someone is writing them."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    pending: list[tuple[T, Future[R]]] = field(default_factory=list)
    leading: bool = False


class GroupCommit(Generic[T, R]):
    """Write items in shared transactions, one lane per engine; see the module docstring."""

    def __init__(self, write: Writer[T, R], max_batch: int = 500) -> None:
        self.write = write
        self.max_batch = max_batch
        self._lanes: weakref.WeakKeyDictionary[Engine, _Lane[T, R]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def submit(self, engine: Engine, item: T) -> R:
        """Write `item` (with whatever else is waiting) and return its result once committed."""
        lane = self._lane(engine)
        done: Future[R] = Future()
        with lane.cond:
            lane.pending.append((item, done))
            while not done.done() and lane.leading:
                lane.cond.wait()
            if done.done():
                return done.result()
            lane.leading = True
            batch, lane.pending = lane.pending[: self.max_batch], lane.pending[self.max_batch :]
        try:
            self._write_batch(engine, batch)
        finally:
            for _, waiting in batch:  # interrupted (KeyboardInterrupt…): nobody may wait forever
                if not waiting.done():
                    waiting.set_exception(RuntimeError("the group commit was interrupted"))
            with lane.cond:
                lane.leading = False
                lane.cond.notify_all()
        return done.result()

    def _lane(self, engine: Engine) -> _Lane[T, R]:
        with self._lock:
            lane = self._lanes.get(engine)
            if lane is None:
                lane = self._lanes[engine] = _Lane()
            return lane

    def _write_batch(self, engine: Engine, batch: list[tuple[T, Future[R]]]) -> None:
        """One transaction for all; if it fails, one transaction each, so each gets its own outcome."""
        try:
            self._commit(engine, batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            for one in batch:
                try:
                    self._commit(engine, [one])
                except Exception as single:  # noqa: BLE001 - handed to the caller it belongs to
                    one[1].set_exception(single)

    def _commit(self, engine: Engine, batch: list[tuple[T, Future[R]]]) -> None:
        with session_scope(engine) as session:
            results = self.write(session, [item for item, _ in batch])
        if len(results) != len(batch):
            raise RuntimeError(f"writer returned {len(results)} results for {len(batch)} items")
        for (_, done), result in zip(batch, results, strict=True):
            done.set_result(result)
