"""Clocks. Domain code takes `now` from one of these, never from datetime.now()."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


# A rule takes a missing event for silence only this far behind the clock, for what is sent but
# not yet read: 30 s, or 5 s of wall time on a faster clock (at 30x a hiccup of a second is 30 s).
LATENESS = timedelta(seconds=30)
LATENESS_WALL = timedelta(seconds=5)


def lateness(speed: float) -> timedelta:
    return max(LATENESS, LATENESS_WALL * speed)


def silence_horizon(clock: Clock) -> datetime | None:
    """Up to when a rule may take a missing event for silence now. A clock may say so itself (a
    replay's does: nothing before the end when it runs as fast as it goes)."""
    own = getattr(clock, "silence_horizon", None)
    if own is not None:
        return own()
    return clock.now() - lateness(getattr(clock, "speed", 1.0))


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ScenarioClock:
    """start + elapsed wall time x speed. Live is speed 1 starting now.

    With an `epoch` (the wall time at which the scenario stood at `start`), every process that
    builds a clock from the same start, epoch and speed reads the same scenario time.
    """

    def __init__(self, start: datetime | None = None, speed: float = 1.0,
                 epoch: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.start = (start or datetime.now(UTC)).astimezone(UTC)
        self.speed = speed
        self.epoch = epoch
        self._wall_start = time.monotonic()

    def now(self) -> datetime:
        if self.epoch is not None:
            elapsed = (datetime.now(UTC) - self.epoch).total_seconds()
        else:
            elapsed = time.monotonic() - self._wall_start
        return self.start + timedelta(seconds=elapsed * self.speed)

    def wall_seconds_until(self, at: datetime) -> float:
        """How long to sleep in wall time until the scenario reaches `at`."""
        return max(0.0, (at - self.now()).total_seconds() / self.speed)


def scenario_clock(start: datetime | None, epoch: datetime | None, speed: float) -> Clock:
    """The clock a process of a running scenario uses (`ioc up` hands every child the same
    start and epoch). Without a start, the wall clock (live, nothing simulated)."""
    if start is None:
        return WallClock()
    return ScenarioClock(start, speed, epoch or start)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def tick(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, at: datetime) -> None:
        self._now = at.astimezone(UTC)
