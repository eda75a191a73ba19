"""A simulated event lands in the database exactly once, even when the worker is SIGKILLed
after its write and before its commit, then restarted."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from waiting import wait_until

from ioc import topics as tp
from ioc.db.session import connect
from ioc.kafka import Publisher
from simulators.scenario import schedule

pytestmark = pytest.mark.integration
HERE = Path(__file__).parent


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update({"IOC_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
                "IOC_DATABASE_URL": settings.database_url.get_secret_value(),
                "IOC_DB_SCHEMA": settings.db_schema, "IOC_TOPIC_PREFIX": settings.topic_prefix,
                "IOC_BATCH_MAX": "200", "IOC_HEARTBEAT_INTERVAL_S": "0.5"})
    return env


def _count(settings, sql: str) -> int:
    with connect(settings) as conn:
        return conn.execute(sql).fetchone()[0]


def test_killed_between_write_and_commit_loses_and_doubles_nothing(settings):
    start = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    events = [e for e in schedule(settings, start, start + timedelta(minutes=30), seed=11)
              if isinstance(e, tp.SENSOR_READINGS.model)]
    assert len(events) > 300
    publisher = Publisher(settings)
    for event in events:
        publisher.publish(tp.SENSOR_READINGS, event)
    publisher.close()

    crashed = subprocess.run([sys.executable, str(HERE / "crashing_persistence.py")],
                             env=_env(settings), timeout=120, capture_output=True)
    assert crashed.returncode == -9, crashed.stderr.decode()[-2000:]
    written_before_crash = _count(settings, "SELECT count(*) FROM sensor_readings")
    assert 0 < written_before_crash < len(events)

    worker = subprocess.Popen([sys.executable, "-m", "ioc.cli", "worker", "persistence"],
                              env=_env(settings), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        wait_until(lambda: _count(settings, "SELECT count(*) FROM sensor_readings")
                   >= len(events), 60, f"all {len(events)} readings are stored")
        # The restarted worker re-read the uncommitted batch: it handled every event...
        wait_until(lambda: _count(settings, "SELECT coalesce(max(processed), 0) FROM "
                                            "worker_status WHERE worker = 'persistence'")
                   >= len(events), 30, "the restarted worker reports every event processed")
    finally:
        worker.terminate()
        worker.wait(15)
    # ...and yet each event is stored exactly once.
    assert _count(settings, "SELECT count(*) FROM sensor_readings") == len(events)
    assert _count(settings, "SELECT count(DISTINCT event_id) FROM sensor_readings") == len(events)
    assert worker.returncode == 0, "SIGTERM should stop the worker cleanly"
