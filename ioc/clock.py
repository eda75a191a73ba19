"""Clocks. Domain code takes `now` from one of these, never from datetime.now()."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ScenarioClock:
    """start + elapsed wall time x speed. Live is speed 1 starting now."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.start = (start or datetime.now(UTC)).astimezone(UTC)
        self.speed = speed
        self._wall_start = time.monotonic()

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._wall_start
        return self.start + timedelta(seconds=elapsed * self.speed)

    def wall_seconds_until(self, at: datetime) -> float:
        """How long to sleep in wall time until the scenario reaches `at`."""
        return max(0.0, (at - self.now()).total_seconds() / self.speed)


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
