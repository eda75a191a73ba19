"""The replay's pacer and the /replay page's steering files, without a broker: stream time
runs at the chosen speed, holds while paused, jumps on a seek forward and reports itself as
fast as it goes until the readers caught up; commands queue in order; every screen's "now"."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from ioc import replay_session as session
from ioc.replay import Pacer, StreamClock

T0 = datetime(2026, 10, 3, 14, 0, tzinfo=UTC)


def test_the_pacer_runs_at_its_speed_and_holds_while_paused():
    pacer = Pacer(T0, 3600)  # an hour a second
    time.sleep(0.05)
    assert timedelta(seconds=100) < pacer.position() - T0 < timedelta(seconds=600)
    pacer.pause()
    held = pacer.position()
    time.sleep(0.05)
    assert pacer.position() == held and pacer.paused
    pacer.resume()
    pacer.set_speed(None)  # as fast as it goes: the position is the last event let through
    stop = threading.Event()
    pacer.wait_for(T0 + timedelta(hours=5), stop)
    assert pacer.position() == T0 + timedelta(hours=5)


def test_a_seek_lets_what_lies_between_through_then_waits_for_the_readers():
    pacer = Pacer(T0, 1)
    clock = StreamClock(T0, pacer=pacer)
    assert clock.speed == 1
    pacer.seek(T0 + timedelta(hours=1))
    assert clock.speed == float("inf")  # no rule judges silence during the burst
    stop, drained = threading.Event(), []
    started = time.monotonic()
    pacer.wait_for(T0 + timedelta(minutes=59), stop, caught_up=lambda: drained.append(1))
    assert time.monotonic() - started < 0.1 and not drained  # behind the seek: at once
    waiter = threading.Thread(target=pacer.wait_for, args=(
        T0 + timedelta(hours=1, seconds=1), stop), kwargs={"caught_up": lambda: drained.append(1)})
    waiter.start()
    waiter.join(3)
    assert drained == [1] and not pacer.catching_up and clock.speed == 1


def test_a_stop_ends_a_wait():
    pacer, stop = Pacer(T0, 1), threading.Event()
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    pacer.wait_for(T0 + timedelta(days=1), stop)
    assert time.monotonic() - started < 1


def test_commands_queue_in_order_and_screens_read_the_clock(tmp_path):
    for action, value in (("speed", "600"), ("resume", None), ("seek", T0.isoformat())):
        session.command(tmp_path, action, value)
    queued = session._read(tmp_path / session.CONTROL_FILE)["commands"]
    assert [(c["seq"], c["action"]) for c in queued] == [(1, "speed"), (2, "resume"),
                                                           (3, "seek")]
    with pytest.raises(ValueError, match="not one of"):
        session.command(tmp_path, "rewind")
    status = {"state": "running", "position": T0.isoformat(), "speed": 60.0, "written": 100.0,
              "end": (T0 + timedelta(hours=1)).isoformat()}
    assert session.now_of(status, wall=110.0) == T0 + timedelta(minutes=10)
    assert session.now_of(status, wall=1e6) == T0 + timedelta(hours=1)  # never past the end
    assert session.now_of({**status, "state": "paused"}, wall=110.0) == T0


def test_a_replay_whose_process_is_gone_is_failed(tmp_path):
    session._write(tmp_path / session.STATUS_FILE, {"state": "running", "pid": 2 ** 22 + 7,
                                                     "position": T0.isoformat()})
    status = session.read_status(tmp_path)
    assert status["state"] == "failed" and "ended without a word" in status["error"]
    assert session.active(tmp_path) is None


def test_a_seek_while_paused_lets_what_it_passed_over_through_and_stays_paused():
    pacer, stop = Pacer(T0, 60), threading.Event()
    pacer.pause()
    pacer.seek(T0 + timedelta(minutes=30))
    started = time.monotonic()
    pacer.wait_for(T0 + timedelta(minutes=29), stop)  # passed over: due at once
    assert time.monotonic() - started < 0.1
    assert pacer.paused and pacer.position() == T0 + timedelta(minutes=30)
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    pacer.wait_for(T0 + timedelta(minutes=31), stop)  # beyond it: held until resumed
    assert time.monotonic() - started >= 0.25
