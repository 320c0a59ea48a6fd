"""The pacer on a simulated clock: per-channel gaps, the overall rate, 429 pauses; Retry-After parsing."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.schedule.delivery import Pacer, retry_after_seconds


class SimClock:
    """A monotonic clock that only moves when the pacer 'sleeps'."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def drain(pacer: Pacer, clock: SimClock, channels: list[str], limited: set[int]) -> list[tuple[float, str]]:
    """Post every channel in order, as run_due does (wait, post); the i-th posts in `limited` get a 429."""
    sent: list[tuple[float, str]] = []
    for i, channel in enumerate(channels):
        clock.t += pacer.delay(channel)
        if i in limited:
            pacer.posted(channel)
            pacer.rate_limited(2.0)
            clock.t += pacer.delay(channel)
        sent.append((clock.t, channel))
        pacer.posted(channel)
    return sent


@settings(max_examples=200, deadline=None)
@given(
    channels=st.lists(st.sampled_from(["U1", "U2", "U3", "C0TAS"]), max_size=40),
    limited=st.sets(st.integers(0, 39), max_size=5),
)
def test_posts_keep_every_limit(channels: list[str], limited: set[int]) -> None:
    clock = SimClock()
    pacer = Pacer(per_second=10, channel_gap=1.05, clock=clock)
    sent = drain(pacer, clock, channels, limited)
    last: dict[str, float] = {}
    for (t, _), (t_prev, _) in zip(sent[1:], sent, strict=False):
        assert t - t_prev >= 0.1 - 1e-9
    for t, channel in sent:
        assert t - last.get(channel, -1e9) >= 1.05 - 1e-9
        last[channel] = t


def test_a_429_pauses_every_channel() -> None:
    clock = SimClock()
    pacer = Pacer(per_second=1000, clock=clock)
    pacer.posted("U1")
    pacer.rate_limited(3.0)
    assert pacer.delay("U2") == pytest.approx(3.0)
    clock.t += 3.0
    assert pacer.delay("U2") == 0


def test_waiting_stops_when_asked() -> None:
    pacer = Pacer()
    pacer.rate_limited(30.0)
    stop = threading.Event()
    stop.set()
    assert not pacer.wait("U1", stop)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": ["2"]}, 2.0),
        ({"Retry-After": "soon"}, 1.0),
        ({}, 1.0),
        ({"Retry-After": "-3"}, 0.0),
    ],
)
def test_retry_after_is_read_leniently(headers: dict[str, object], seconds: float) -> None:
    assert retry_after_seconds(headers) == seconds
