"""HTTP door for sensor gateways: POST readings, get them onto `ioc.sensor.readings`.

A gateway that retries a POST sends the same readings again; each reading's event_id is
derived from (sensor_id, ts) when the gateway gives none, so a retry is not a second reading.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Body, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from ioc import events as ev
from ioc import topics as tp
from ioc.api.errors import install as install_errors
from ioc.kafka import Publisher

MAX_BATCH = 5000
NAMESPACE = uuid.UUID("6f2d4c1e-6a53-4c2e-9a1f-2f0d3b7f9e10")


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sensor_id: str = Field(min_length=1, max_length=64)
    kind: ev.SensorKind
    value: float = Field(allow_inf_nan=False)
    ts: ev.UtcDatetime = Field(description="When it was measured, with a time zone")
    event_id: uuid.UUID | None = None


def to_event(reading: ReadingIn) -> ev.SensorReading:
    event_id = reading.event_id or uuid.uuid5(NAMESPACE, f"{reading.sensor_id}|"
                                                          f"{reading.ts.isoformat()}")
    return ev.SensorReading(event_id=event_id, ts=reading.ts, sensor_id=reading.sensor_id,
                            kind=reading.kind, value=reading.value,
                            unit=ev.SENSOR_UNITS[reading.kind])


def create_app(publisher: Publisher) -> FastAPI:
    app = FastAPI(title="IOC ingest", version="0.1.0")
    install_errors(app)

    @app.post("/ingest/v1/readings", status_code=202,
              summary="Sensor readings from a gateway (a list, at most 5,000)")
    def post_readings(readings: Annotated[list[ReadingIn], Body(min_length=1)]) -> dict:
        if len(readings) > MAX_BATCH:
            raise HTTPException(413, f"{len(readings)} readings in one request; send at most "
                                     f"{MAX_BATCH} per request")
        events = [to_event(r) for r in readings]
        for event in events:
            publisher.publish(tp.SENSOR_READINGS, event)
        publisher.flush()  # accepted means on the broker
        return {"accepted": len(events), "event_ids": [str(e.event_id) for e in events]}

    @app.get("/ingest/health")
    def health() -> dict[str, str | datetime]:
        return {"status": "ok", "at": ev.utcnow()}

    return app
