"""The outbox on SQLite and PostgreSQL: one holder per key, leases, retries, permanent failures."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from storage import outbox
from storage.db import session_scope
from storage.models import utcnow
from storage.outbox import Envelope

T0 = utcnow()


def env(key: str = "reflection_prompt:w1:s1") -> Envelope:
    """A DM envelope (no student row needed: the foreign key is nullable)."""
    return Envelope(key=key, kind="reflection_prompt", channel="U0ADA", week=1)


def test_first_claim_wins_until_its_lease_expires(engine: Engine) -> None:
    assert outbox.claim(engine, env(), owner="a", at=T0)
    assert not outbox.claim(engine, env(), owner="b", at=T0 + timedelta(minutes=1))
    assert not outbox.claim(engine, env(), owner="a", at=T0 + timedelta(minutes=1))  # not re-entrant
    expired = T0 + outbox.LEASE
    assert outbox.claim(engine, env(), owner="b", at=expired)
    row = outbox.get(engine, env().key)
    assert row is not None and row.claimed_by == "b" and row.attempts == 2
    assert not outbox.mark_sent(engine, env().key, owner="a", at=expired, slack_channel="D1", slack_ts="1.2")
    assert outbox.mark_sent(engine, env().key, owner="b", at=expired, slack_channel="D1", slack_ts="1.2")
    assert not outbox.claim(engine, env(), owner="c", at=expired + timedelta(days=30))
    row = outbox.get(engine, env().key)
    assert row is not None and (row.status, row.slack_ts, row.lease_until) == ("sent", "1.2", None)


def test_transient_failures_back_off_then_give_up(engine: Engine) -> None:
    at = T0
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert outbox.claim(engine, env(), owner="a", at=at), attempt
        status = outbox.release(engine, env().key, owner="a", error="HTTP 503", at=at)
        early = at + outbox.backoff(attempt) - timedelta(seconds=1)
        assert not outbox.claim(engine, env(), owner="b", at=early)
        at += outbox.backoff(attempt)
    assert status == outbox.FAILED
    row = outbox.get(engine, env().key)
    assert row is not None and row.status == "failed" and "gave up after 10 attempts" in (row.error or "")
    assert not outbox.claim(engine, env(), owner="a", at=at + timedelta(days=1))


def test_a_permanent_failure_is_never_claimed_again(engine: Engine) -> None:
    assert outbox.claim(engine, env(), owner="a", at=T0)
    assert outbox.mark_failed(engine, env().key, owner="a", error="user_not_found")
    assert not outbox.claim(engine, env(), owner="a", at=T0 + timedelta(days=1))
    with session_scope(engine) as session:
        assert outbox.states(session=session)[env().key].status == "failed"


def test_a_lost_claim_cannot_be_extended_or_marked(engine: Engine) -> None:
    assert outbox.claim(engine, env(), owner="a", at=T0)
    assert outbox.extend(engine, env().key, owner="a", until=T0 + timedelta(hours=1))
    assert not outbox.claim(engine, env(), owner="b", at=T0 + outbox.LEASE)  # extended
    assert outbox.claim(engine, env(), owner="b", at=T0 + timedelta(hours=1))
    assert not outbox.extend(engine, env().key, owner="a", until=T0 + timedelta(hours=2))
    assert not outbox.mark_failed(engine, env().key, owner="a", error="x")


def test_concurrent_claimers_get_disjoint_keys(engine: Engine) -> None:
    keys = [f"reflection_prompt:w1:s{i}" for i in range(30)]
    won: dict[str, list[str]] = {}
    gate = threading.Barrier(6)

    def claimer(name: str) -> None:
        gate.wait()
        won[name] = [k for k in keys if outbox.claim(engine, env(k), owner=name, at=T0)]

    threads = [threading.Thread(target=claimer, args=(f"r{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    claimed = [k for ks in won.values() for k in ks]
    assert sorted(claimed) == sorted(keys)


OPS = st.lists(
    st.tuples(
        st.sampled_from(["claim", "sent", "fail", "release"]), st.sampled_from("ab"), st.integers(0, 40)
    ),
    max_size=15,
)


@dataclass
class Model:
    """What the outbox should do, in memory: status, holder, lease and attempts of one key."""

    status: str | None = None
    owner: str | None = None
    lease: datetime | None = None
    attempts: int = 0

    def claim(self, who: str, at: datetime) -> bool:
        expired = self.lease is not None and self.lease <= at
        free = self.status is None or (self.status == "claimed" and expired)
        if free:
            self.status, self.owner, self.lease = "claimed", who, at + outbox.LEASE
            self.attempts += 1
        return free

    def holds(self, who: str) -> bool:
        return self.status == "claimed" and self.owner == who


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_interleaving_matches_the_model(sqlite_engine: Engine, ops: list[tuple[str, str, int]]) -> None:
    """Arbitrary claims, sends, failures and releases by two runners over time: at most one send."""
    key = f"k{uuid.uuid4().hex}"
    model, at, sends = Model(), T0, 0
    for op, who, minutes in ops:
        at += timedelta(minutes=minutes)
        if op == "claim":
            assert outbox.claim(sqlite_engine, env(key), owner=who, at=at) == model.claim(who, at)
        elif op == "sent":
            ok = outbox.mark_sent(sqlite_engine, key, owner=who, at=at, slack_channel="D", slack_ts="1")
            assert ok == model.holds(who)
            if ok:
                model.status, sends = "sent", sends + 1
        elif op == "fail":
            ok = outbox.mark_failed(sqlite_engine, key, owner=who, error="x")
            assert ok == model.holds(who)
            if ok:
                model.status = "failed"
        else:
            status = outbox.release(sqlite_engine, key, owner=who, error="503", at=at)
            if model.holds(who):
                model.status = "failed" if model.attempts >= outbox.MAX_ATTEMPTS else "claimed"
                model.owner, model.lease = None, at + outbox.backoff(model.attempts)
                assert status == model.status
            else:
                assert status is None
        row = outbox.get(sqlite_engine, key)
        assert (row.status if row else None) == model.status
    assert sends <= 1


def test_backoff_doubles_from_a_minute_and_stops_at_an_hour() -> None:
    minutes = [outbox.backoff(n) / timedelta(minutes=1) for n in range(1, 11)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert outbox.backoff(0) == timedelta(minutes=1)


def test_a_release_waits_out_the_backoff_of_its_attempt(engine: Engine) -> None:
    env, at = Envelope("k:backoff", "test", "U1"), utcnow()
    for attempt, wait in enumerate([1, 2, 4, 8], start=1):
        assert outbox.claim(engine, env, owner="a", at=at)
        outbox.release(engine, env.key, owner="a", error="502", at=at)
        row = outbox.get(engine, env.key)
        assert row is not None and row.attempts == attempt
        assert row.lease_until == at + timedelta(minutes=wait)
        at += timedelta(minutes=wait)
