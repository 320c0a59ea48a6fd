"""The webhook's driver-level insert stores exactly what the SQLAlchemy one does (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.db import session_scope
from storage.models import ZoomEvent
from storage.presence_cache import PresenceInstance, instances
from storage.zoom_store import NewZoomEvent, column_limit, insert_new, insert_new_direct

Insert = Callable[..., list[bool]]
TABLE = ZoomEvent.__table__  # type: ignore[attr-defined]
COLUMNS = [c for c in TABLE.columns if c.name != "id"]
# Every character PostgreSQL's text accepts (no NUL, no lone surrogate), short and long.
chars = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")


def text_of(column: str) -> st.SearchStrategy[str]:
    return st.text(chars, max_size=min(column_limit(column) or 400, 40))


instants = st.datetimes(
    min_value=datetime(1971, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]),
)
rows_st = st.builds(
    NewZoomEvent,
    dedup_key=st.sampled_from([f"k{i}" for i in range(8)]) | st.text(chars, min_size=1, max_size=64),
    source=st.sampled_from(["webhook", "websocket", "report", "csv"]),
    event=text_of("event"),
    event_ts=st.none() | st.integers(-(2**63), 2**63 - 1),
    zoom_id=text_of("zoom_id"),
    instance_uuid=text_of("instance_uuid"),
    kind=st.sampled_from(["join", "leave", "start", "end", "other"]),
    at=st.none() | instants,
    participant_key=text_of("participant_key"),
    user_name=text_of("user_name"),
    email=text_of("email"),
    registrant_id=text_of("registrant_id"),
    zoom_user_id=text_of("zoom_user_id"),
    body=st.text(chars, max_size=200),
    received_at=instants,
)


def stored(session: Session) -> list[tuple[object, ...]]:
    """Every row's values but its id, in a fixed order."""
    return sorted(tuple(row) for row in session.connection().execute(select(*COLUMNS)))


Outcome = tuple[list[bool], list[tuple[object, ...]], list[tuple[object, ...]]]
MARKS = PresenceInstance.__table__  # type: ignore[attr-defined]


def outcome(
    engine: Engine, before: Sequence[NewZoomEvent], batch: Sequence[NewZoomEvent], insert: Insert
) -> Outcome:
    """What `insert` answers for `batch` after `before` was stored, the rows, and the instances it
    marked out of date for presence (storage/presence_cache.py `touch`)."""
    with session_scope(engine) as session:
        session.connection().execute(delete(TABLE))
        session.connection().execute(delete(MARKS))
        insert_new(session=session, rows=before)
    with session_scope(engine) as session:
        answered = insert(session=session, rows=batch)
    with session_scope(engine) as session:
        marks = instances(session=session)
        marked = sorted((i.zoom_id, i.instance_uuid, i.first, i.last, i.pending) for i in marks)
        return answered, stored(session), marked


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.lists(rows_st, max_size=5), batch=st.lists(rows_st, max_size=12))
def test_the_direct_insert_stores_the_same_rows_and_answers_the_same(
    engine: Engine, before: list[NewZoomEvent], batch: list[NewZoomEvent]
) -> None:
    assert outcome(engine, before, batch, insert_new_direct) == outcome(engine, before, batch, insert_new)


def test_a_batch_over_one_statement_is_split_and_still_the_same(engine: Engine) -> None:
    at = datetime(2021, 9, 23, 20, 30, tzinfo=UTC)
    rows = [
        NewZoomEvent(
            f"key{n % 1100}",
            "webhook",
            "webinar.participant_joined",
            n,
            "812",
            "u==",
            "join",
            at + timedelta(seconds=n),
            f"u==|{n}",
            f"Student {n}",
            f"s{n}@x.edu",
            "",
            "",
            "{}",
            at,
        )
        for n in range(1300)
    ]
    direct = outcome(engine, rows[:7], rows, insert_new_direct)
    assert direct == outcome(engine, rows[:7], rows, insert_new)
    answered, kept, marked = direct
    assert sum(answered) == 1100 - 7 and len(kept) == 1100
    assert [(zoom_id, uuid, pending) for zoom_id, uuid, _, _, pending in marked] == [("812", "u==", 2)]
