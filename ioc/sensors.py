"""The sensor registry: which sensors may send, what each measures, where it stands, how often it
reports and its own thresholds. A reading from a sensor not in it is dead-lettered as
unregistered (ingest) rather than let into a KPI.

`ioc up` registers the city model's sensors; more are added with `register`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable

import psycopg
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field

from ioc.city import City
from ioc.events import SensorKind
from ioc.policy import KindPolicy, Policy, WaterLevel, water_rule

UNREGISTERED = "unregistered sensor"  # the dead letters' reason starts with this


class Sensor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sensor_id: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$")
    kind: SensorKind
    station: str
    ward: str | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    stream: str | None = None
    interval_s: float = Field(gt=0, description="How often it reports")
    thresholds: dict = Field(default_factory=dict, description="For a water gauge, its own "
                             "alert levels: {'warn_m', 'alarm_m', 'critical_m'}")

    def rules(self, policy: Policy) -> KindPolicy:
        """The kind's rules, with this sensor's own alert levels where it has them."""
        rules = policy.kind(self.kind)
        if self.kind is SensorKind.WATER_LEVEL and self.thresholds:
            levels = WaterLevel(**{**policy.water_level.model_dump(), **self.thresholds})
            base = rules.threshold
            rules = rules.model_copy(update={"threshold": water_rule(
                levels, base.deadband, base.on_delay_s, base.off_delay_s)})
        return rules


def from_city(city: City, interval_s: float) -> list[Sensor]:
    return [Sensor(sensor_id=s.id, kind=s.kind, station=s.station, ward=s.ward, lat=s.lat,
                   lon=s.lon, stream=s.stream, interval_s=interval_s) for s in city.sensors]


def register(conn: psycopg.Connection, sensors: Iterable[Sensor], by: str = "city") -> int:
    """Add or update sensors (idempotent). Returns how many were written."""
    rows = [(s.sensor_id, s.kind.value, s.station, s.ward, s.lat, s.lon, s.stream, s.interval_s,
             json.dumps(s.thresholds), by) for s in sensors]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO sensors (sensor_id, kind, station, ward, lat, lon, stream, interval_s, "
            "thresholds, registered_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (sensor_id) DO UPDATE SET kind = EXCLUDED.kind, "
            "station = EXCLUDED.station, ward = EXCLUDED.ward, lat = EXCLUDED.lat, "
            "lon = EXCLUDED.lon, stream = EXCLUDED.stream, interval_s = EXCLUDED.interval_s, "
            "thresholds = EXCLUDED.thresholds", rows)
    return len(rows)


def registered(conn: psycopg.Connection) -> dict[str, Sensor]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT sensor_id, kind, station, ward, lat, lon, stream, interval_s, "
                    "thresholds FROM sensors")
        return {row["sensor_id"]: Sensor(**row) for row in cur}


class Registry:
    """The registry as a process reads it: loaded on first use and reloaded every `ttl_s`; an
    id it does not know makes it look again (at most every `miss_reload_s`), so a sensor
    registered a moment ago is accepted at once. When the database does not answer, the last
    copy stays in use."""

    def __init__(self, load: Callable[[], dict[str, Sensor]], ttl_s: float = 30.0,
                 miss_reload_s: float = 2.0) -> None:
        self._load = load
        self.ttl_s = ttl_s
        self.miss_reload_s = miss_reload_s
        self._sensors: dict[str, Sensor] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def get(self, sensor_id: str) -> Sensor | None:
        found = self.sensors().get(sensor_id)
        if found is None and time.monotonic() - self._loaded_at > self.miss_reload_s:
            found = self.sensors(fresh=True).get(sensor_id)
        return found

    def sensors(self, fresh: bool = False) -> dict[str, Sensor]:
        with self._lock:
            if fresh or self._sensors is None or \
                    time.monotonic() - self._loaded_at > self.ttl_s:
                try:
                    self._sensors = self._load()
                except Exception:  # noqa: BLE001 - keep serving the last copy
                    if self._sensors is None:
                        raise
                self._loaded_at = time.monotonic()
            return self._sensors
