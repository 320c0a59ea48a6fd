"""Storage functions as a job step calls them: each in its own transaction (storage/db.py).

`outbox.claim(engine, envelope, owner=…, at=…)` opens `session_scope(engine)` and runs
`storage.outbox.claim(session=…, envelope=envelope, owner=…, at=…)` in it, so the tests read
like the steps they stand for. Called with `session=` instead of an engine, a function runs as is.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

from sqlalchemy.engine import Engine

from storage import outbox as _outbox
from storage import submissions as _submissions
from storage.db import session_scope


def own_transaction(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn(engine, *args, **kw)` → `fn(session=…, <args by name>, **kw)` in one session_scope."""
    names = [p for p in inspect.signature(fn).parameters if p != "session"]

    def call(*args: Any, **kwargs: Any) -> Any:
        if not args or not isinstance(args[0], Engine):
            return fn(*args, **kwargs)
        engine, rest = args[0], args[1:]
        kwargs.update(zip(names, rest, strict=False))
        with session_scope(engine) as session:
            return fn(session=session, **kwargs)

    return call


class OwnTransactions:
    """A storage module whose session-taking functions also accept an engine (see above)."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if inspect.isfunction(value) and "session" in inspect.signature(value).parameters:
            return own_transaction(value)
        return value


outbox = OwnTransactions(_outbox)
save_question = own_transaction(_submissions.save_question)
save_reflection = own_transaction(_submissions.save_reflection)
save_recording_watched = own_transaction(_submissions.save_recording_watched)
