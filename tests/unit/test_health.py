from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ioc.health import WorkerBeat, assess

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def beat(worker, age_s, lag_s=0.0):
    return WorkerBeat(worker, "h:1", NOW - timedelta(seconds=age_s), 10, 0, lag_s, True)


def judge(beats, expected=("persistence",), broker=None, database=None):
    return assess(now=NOW, broker=broker, database=database, expected_workers=list(expected),
                  beats=beats, stale_s=15, lag_warn_s=10)


def test_green_when_everything_answers():
    healthy, body = judge([beat("persistence", 1)])
    assert healthy and body["workers"]["persistence"]["status"] == "ok"


def test_a_silent_worker_is_named():
    healthy, body = judge([beat("persistence", 60)])
    assert not healthy
    assert "worker persistence" in body["problems"][0]


def test_a_never_seen_worker_is_named():
    healthy, body = judge([], expected=("persistence", "triage"))
    assert not healthy and len(body["problems"]) == 2
    assert "never seen" in body["problems"][1]


def test_lag_is_reported_but_not_down():
    healthy, body = judge([beat("persistence", 1, lag_s=42)])
    assert healthy and body["workers"]["persistence"]["status"] == "lagging"
    assert body["workers"]["persistence"]["lag_s"] == 42


def test_broker_and_database_are_named():
    healthy, body = judge([beat("persistence", 1)], broker="no broker", database="refused")
    assert not healthy and body["broker"]["status"] == "down"
    assert body["problems"] == ["broker: no broker", "database: refused"]
