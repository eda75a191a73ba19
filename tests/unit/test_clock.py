from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc.clock import FakeClock, ScenarioClock

START = datetime(2026, 7, 1, tzinfo=UTC)


def test_scenario_clock_runs_at_its_speed(monkeypatch):
    wall = [100.0]
    monkeypatch.setattr("ioc.clock.time.monotonic", lambda: wall[0])
    clock = ScenarioClock(START, speed=60)
    wall[0] += 2
    assert clock.now() == START + timedelta(minutes=2)
    assert clock.wall_seconds_until(START + timedelta(minutes=3)) == pytest.approx(1.0)


def test_scenario_clock_refuses_a_stopped_or_backward_speed():
    with pytest.raises(ValueError):
        ScenarioClock(START, speed=0)


def test_fake_clock_moves_only_when_told():
    clock = FakeClock(START)
    clock.tick(timedelta(hours=2))
    assert clock.now() == START + timedelta(hours=2)


def test_silence_is_judged_a_lateness_behind_the_clock(monkeypatch):
    from ioc.clock import silence_horizon

    monkeypatch.setattr("ioc.clock.time.monotonic", lambda: 100.0)
    assert silence_horizon(FakeClock(START)) == START - timedelta(seconds=30)
    # 5 s of wall time at 30x: a hiccup of a second is 30 s of scenario time
    assert silence_horizon(ScenarioClock(START, speed=30)) == START - timedelta(seconds=150)

    class Knows:  # a replay's clock says for itself (nothing, as fast as it goes)
        def now(self):
            return START

        def silence_horizon(self):
            return None

    assert silence_horizon(Knows()) is None
