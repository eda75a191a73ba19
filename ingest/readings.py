"""The one check a sensor reading passes, whichever door it came in by (HTTP or MQTT).

A reading is accepted when its fields fit the schema, its sensor is registered with the same
kind, its unit (when given) is the kind's unit, its time is not ahead of the city clock and its
value is physically possible. Anything else is refused with a reason a person can act on, and
becomes a dead letter rather than disappear.

Both doors derive a missing event_id the same way, from (sensor_id, ts): a reading re-sent by a
gateway, over either door, is one reading.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ioc import events as ev
from ioc.clock import Clock
from ioc.config import Settings
from ioc.db.session import connect
from ioc.kafka import describe_validation_error
from ioc.sensors import UNREGISTERED, Registry, Sensor, registered
from ioc.worker import DEADLETTER_RAW_MAX

NAMESPACE = uuid.UUID("6f2d4c1e-6a53-4c2e-9a1f-2f0d3b7f9e10")  # of readings' derived ids
LETTER_NAMESPACE = uuid.UUID("5b0e7c3a-8d14-4f6b-b2a9-0c7e1d3f5a68")  # of ingest's dead letters
FUTURE_TOLERANCE = timedelta(minutes=5)  # device clocks drift; beyond this one is wrong
WORKER = "ingest"


class Refused(ValueError):
    """A reading that cannot be accepted; str() is the reason that goes into the dead letter."""


class ReadingIn(BaseModel):
    """What a gateway sends for one reading."""

    model_config = ConfigDict(extra="forbid")

    sensor_id: str = Field(min_length=1, max_length=64)
    kind: ev.SensorKind
    value: float = Field(allow_inf_nan=False)
    ts: ev.UtcDatetime = Field(description="When it was measured, with a time zone")
    unit: str | None = Field(None, description="The kind's unit; checked when given")
    event_id: uuid.UUID | None = None


def reading_event_id(sensor_id: str, ts: datetime) -> uuid.UUID:
    """The id of a reading sent without one. `ts` in UTC, as the schema normalises it."""
    return uuid.uuid5(NAMESPACE, f"{sensor_id}|{ts.isoformat()}")


class ReadingCheck:
    """Turns what a gateway sent into a SensorReading, or raises Refused with the reason."""

    def __init__(self, registry: Registry, clock: Clock,
                 future_tolerance: timedelta = FUTURE_TOLERANCE) -> None:
        self.registry = registry
        self.clock = clock
        self.future_tolerance = future_tolerance

    def check(self, fields: Mapping[str, Any]) -> ev.SensorReading:
        try:
            reading = ReadingIn.model_validate(fields)
        except ValidationError as exc:
            raise Refused(describe_validation_error(exc)) from None
        sensor = self.registry.get(reading.sensor_id)
        if sensor is None:
            raise Refused(f"{UNREGISTERED} {reading.sensor_id!r}: register it first (add it to "
                          "the sensor registry with its kind and station), then resend")
        if sensor.kind != reading.kind:
            raise Refused(f"sensor {reading.sensor_id!r} is registered as {sensor.kind.value}, "
                          f"but this reading says {reading.kind.value}; fix the gateway's kind "
                          "or re-register the sensor")
        unit = ev.SENSOR_UNITS[reading.kind]
        if reading.unit is not None and reading.unit != unit:
            raise Refused(f"unit {reading.unit!r} is not the unit of {reading.kind.value}; "
                          f"send {reading.kind.value} in {unit}")
        now = self.clock.now()
        if reading.ts > now + self.future_tolerance:
            ahead = (reading.ts - now).total_seconds() / 60
            raise Refused(f"timestamp {reading.ts.isoformat()} is in the future: {ahead:.0f} min "
                          f"ahead of the city clock ({now.isoformat(timespec='seconds')}); more "
                          f"than {self.future_tolerance.total_seconds() / 60:g} min is refused. "
                          "Check the device's clock and time zone")
        try:
            return ev.SensorReading(
                event_id=reading.event_id or reading_event_id(reading.sensor_id, reading.ts),
                ts=reading.ts, sensor_id=reading.sensor_id, kind=reading.kind,
                value=reading.value, unit=unit)
        except ValidationError as exc:  # only the physical range is left to fail
            raise Refused("; ".join(str(e.get("ctx", {}).get("error") or e["msg"])
                                    for e in exc.errors(include_url=False))) from None


def dead_letter(reason: str, source: str, raw: bytes, key: str | None, at: datetime,
                ) -> ev.DeadLetter:
    """A letter for a refused message that never was a Kafka record: `source` names the door
    (e.g. "mqtt:ioc/readings/wl-1"), partition and offset are -1. Its id is derived from the
    source and the bytes, so the same bad message sent again is the same letter."""
    digest = hashlib.sha256(raw).hexdigest()
    return ev.DeadLetter(
        event_id=uuid.uuid5(LETTER_NAMESPACE, f"{_storable(source)}|{digest}"),
        ts=at,
        reason=_storable(reason),
        source_topic=_storable(source),
        source_partition=-1,
        source_offset=-1,
        key=_storable(key[:64]) if key else None,
        raw_b64=base64.b64encode(raw[:DEADLETTER_RAW_MAX]).decode(),
        raw_bytes=len(raw),
        worker=WORKER,
    )


def _storable(text: str) -> str:
    """Text that can be encoded as UTF-8 and stored in PostgreSQL: the reason echoes what the
    device sent, which may hold a lone surrogate or a NUL."""
    return text.encode("utf-8", "replace").decode().replace("\x00", "\ufffd")


def registry_from_db(settings: Settings, ttl_s: float = 30.0) -> Registry:
    """The sensor registry as the doors read it: the `sensors` table, reloaded every `ttl_s`."""

    def load() -> dict[str, Sensor]:
        with connect(settings) as conn:
            return registered(conn)

    return Registry(load, ttl_s)
