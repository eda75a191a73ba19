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


def returns_at_once(pacer: Pacer, at: datetime, stop: threading.Event, within_s: float = 5,
                    **kwargs) -> bool:
    """Whether wait_for(at) returns rather than waits (the waits here are an hour or more of
    stream, or for ever while paused, so a loaded machine cannot blur the two)."""
    waiter = threading.Thread(target=pacer.wait_for, args=(at, stop), kwargs=kwargs,
                              daemon=True)
    waiter.start()
    waiter.join(within_s)
    return not waiter.is_alive()


def test_the_pacer_runs_at_its_speed_and_holds_while_paused():
    before = time.monotonic()
    pacer = Pacer(T0, 3600)  # an hour a second
    time.sleep(0.05)
    ran = (pacer.position() - T0).total_seconds()
    assert 0.05 * 3600 <= ran <= (time.monotonic() - before) * 3600
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
    assert returns_at_once(pacer, T0 + timedelta(minutes=59), stop,  # behind the seek
                           caught_up=lambda: drained.append(1))
    assert not drained
    assert returns_at_once(pacer, T0 + timedelta(hours=1, seconds=1), stop,
                           caught_up=lambda: drained.append(1))
    assert drained == [1] and not pacer.catching_up and clock.speed == 1
    stop.set()


def test_a_stop_ends_a_wait():
    pacer, stop = Pacer(T0, 1), threading.Event()
    threading.Timer(0.1, stop.set).start()
    assert returns_at_once(pacer, T0 + timedelta(days=1), stop)


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
    assert returns_at_once(pacer, T0 + timedelta(minutes=29), stop)  # passed over: due
    assert pacer.paused and pacer.position() == T0 + timedelta(minutes=30)
    assert not returns_at_once(pacer, T0 + timedelta(minutes=31), stop, within_s=1)  # held
    stop.set()
