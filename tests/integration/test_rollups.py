"""The hourly sensor rollup stays equal to the raw readings it summarises, however often a batch
is replayed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ioc import topics as tp
from ioc.db.session import connect
from ioc.events import SensorKind, SensorReading
from ioc.persistence import PersistenceSink
from ioc.worker import Message

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 12, 1, 0, tzinfo=UTC)


def message(r: SensorReading, offset: int) -> Message:
    return Message(tp.SENSOR_READINGS, r, b"", 0, offset, 0)


def test_the_rollup_matches_the_readings_and_ignores_replays(settings):
    readings = [SensorReading(ts=T0 + timedelta(minutes=7 * i), sensor_id=f"aq-{i % 3}",
                              kind=SensorKind.PM25, value=10.0 + i, unit="µg/m³")
                for i in range(40)]
    sink = PersistenceSink(settings)
    batch = [message(r, i) for i, r in enumerate(readings)]
    sink(batch[:25])
    sink(batch[10:] + batch[:3])  # a replay that overlaps, and a reading twice in one batch
    sink([batch[30], batch[30]])
    sink.close()
    with connect(settings) as conn:
        rolled = conn.execute("SELECT sensor_id, hour, n, sum, min, max FROM sensor_hourly "
                              "ORDER BY 1, 2").fetchall()
        raw = conn.execute(
            "SELECT sensor_id, date_trunc('hour', ts), count(*), sum(value), min(value), "
            "max(value) FROM sensor_readings GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
    assert rolled == raw and sum(r[2] for r in rolled) == 40
