"""The sensors worker: readings in, alarms out on `ioc.alerts`.

The sink publishes a batch's alarms and waits for the broker before it returns, so the loop
commits the readings' offsets only after their alarms are durable. After a poll that found
nothing left to read, the tick moves event time on (to the newest reading, or to the clock less
a lateness) and raises what silence decides: offline sensors, and the AQI of an hour that no
newer reading has closed.

A restarted worker takes over the open alarms, each sensor's last reading and the hourly PM
means from the database, so it neither raises again what is open nor forgets a silent sensor.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from analytics.sensors.engine import PM_KINDS, Restored, SensorAnalytics
from ioc import topics as tp
from ioc.clock import Clock, silence_horizon
from ioc.config import Settings
from ioc.db.session import connect
from ioc.events import SensorReading, Severity
from ioc.kafka import Publisher
from ioc.policy import load_policy
from ioc.sensors import Registry, registered
from ioc.worker import Message, Worker

logger = logging.getLogger(__name__)

WORKER_NAME = "sensors"
PUBLISH_TIMEOUT_S = 30.0
FUTURE_TOLERANCE = timedelta(minutes=5)


def restore(conn: psycopg.Connection) -> Restored:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT source_id, alarm_type, severity FROM alarms "
                    "WHERE closed_at IS NULL AND source_kind = 'sensor' AND active")
        open_alarms = {(r["source_id"], r["alarm_type"]): Severity(r["severity"]) for r in cur}
        cur.execute("SELECT sensor_id, ts FROM sensor_latest")
        last_seen = {r["sensor_id"]: r["ts"] for r in cur}
        cur.execute(
            "SELECT h.sensor_id, h.hour, h.sum / h.n AS mean FROM sensor_hourly h "
            "JOIN sensor_latest l USING (sensor_id) WHERE h.kind = ANY(%s) "
            "AND h.hour > l.ts - interval '13 hours' AND h.hour < date_trunc('hour', l.ts)",
            ([k.value for k in PM_KINDS],))
        means: dict[str, dict[datetime, float]] = {}
        for r in cur:
            means.setdefault(r["sensor_id"], {})[r["hour"]] = r["mean"]
    return Restored(open_alarms, last_seen, means)


class SensorSink:
    def __init__(self, analytics: SensorAnalytics, publisher: Publisher, clock: Clock,
                 registry: Registry | None = None) -> None:
        self.analytics = analytics
        self.publisher = publisher
        self.clock = clock
        self.registry = registry
        enlist = getattr(clock, "judge", None)  # a replay's clock: the end is judged, waited for
        self.judged = enlist(WORKER_NAME) if enlist is not None else None

    def __call__(self, batch: list[Message]) -> None:
        readings = [m.event for m in batch if isinstance(m.event, SensorReading)]
        if self.registry is not None:
            for sid in {r.sensor_id for r in readings} - set(self.analytics.detectors):
                self.registry.get(sid)  # registered a moment ago? look again
            self.analytics.update_registry(self.registry.sensors())
        alarms = self.analytics.readings(readings, self.clock.now() + FUTURE_TOLERANCE)
        self._publish(alarms)

    def tick(self, idle: bool) -> None:
        if not idle:
            return
        # Final first: once a replay's stream is all in and read, the horizon is its end.
        final = self.judged is not None and self.clock.final
        if (horizon := silence_horizon(self.clock)) is not None:
            self._publish(self.analytics.advance(horizon))
        if final:
            self.judged()  # its alarms are on the broker

    def _publish(self, alarms) -> None:
        if not alarms:
            return
        for alarm in alarms:
            self.publisher.publish(tp.ALERTS, alarm)
        # Raises if any send failed, so the loop commits nothing whose alarms are not out.
        self.publisher.flush(PUBLISH_TIMEOUT_S)
        logger.info("alarm events published", extra={
            "events": len(alarms),
            "raised": sum(a.action == "raise" for a in alarms)})


def make_worker(settings: Settings, publisher: Publisher | None = None,
                clock: Clock | None = None, silent_since: datetime | None = None) -> Worker:
    """`silent_since`: a replay's start, from which a sensor that never reports is silent."""
    def load():
        with connect(settings) as conn:
            return registered(conn)

    registry = Registry(load)
    with connect(settings) as conn:
        restored = restore(conn)
    analytics = SensorAnalytics(load_policy(), registry.sensors(), restored, silent_since)
    publisher = publisher or Publisher(settings)
    sink = SensorSink(analytics, publisher, clock or settings.clock(), registry)
    logger.info("sensors worker ready", extra={"sensors": len(analytics.detectors),
                                               "open_alarms": len(restored.open_alarms)})
    return Worker(settings, WORKER_NAME, [tp.SENSOR_READINGS], sink, publisher=publisher,
                  tick=sink.tick)
