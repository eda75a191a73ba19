"""HTTP door for sensor gateways: POST readings, get them onto `ioc.sensor.readings`.

Each reading is checked on its own (ingest.readings): the good ones are published, the refused
ones dead-lettered, and the answer lists both, so one broken device never sinks its gateway's
batch. A gateway that retries a POST sends the same readings again; each reading's event_id is
derived from (sensor_id, ts) when the gateway gives none, so a retry is not a second reading.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from ingest.readings import ReadingCheck, Refused, dead_letter, registry_from_db
from ioc import events as ev
from ioc import topics as tp
from ioc.api.errors import install as install_errors
from ioc.clock import Clock
from ioc.db.session import DatabaseUnavailable
from ioc.kafka import Publisher
from ioc.sensors import Registry

MAX_BATCH = 5000
SOURCE = "http:/ingest/v1/readings"  # the dead letters' source_topic


def create_app(publisher: Publisher, registry: Registry | None = None,
               clock: Clock | None = None) -> FastAPI:
    """The ingest app. Without a registry it reads the `sensors` table of the publisher's
    settings; without a clock it uses the city's clock from those settings."""
    check = ReadingCheck(registry or registry_from_db(publisher.settings),
                         clock or publisher.settings.clock())
    app = FastAPI(title="IOC ingest", version="0.2.0")
    install_errors(app)

    @app.exception_handler(DatabaseUnavailable)
    async def _registry_down(_request: Request, exc: DatabaseUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, headers={"Retry-After": "10"}, content={
            "detail": "the sensor registry cannot be read (the database is unavailable); "
                      "nothing was accepted, please retry in a few seconds"})

    @app.post("/ingest/v1/readings", status_code=202,
              summary="Sensor readings from a gateway (a list, at most 5,000)",
              description="Each reading is {sensor_id, kind, value, ts (with a time zone), "
                          "unit (optional), event_id (optional)}. Readings refused (unknown "
                          "sensor, wrong kind or unit, impossible value, time in the future) "
                          "are listed under `refused` with the reason, and dead-lettered.")
    def post_readings(readings: Annotated[list[dict[str, Any]], Body(min_length=1)]) -> dict:
        if len(readings) > MAX_BATCH:
            raise HTTPException(413, f"{len(readings)} readings in one request; send at most "
                                     f"{MAX_BATCH} per request")
        accepted: list[ev.SensorReading] = []
        refused: list[dict[str, Any]] = []
        for index, fields in enumerate(readings):
            try:
                accepted.append(check.check(fields))
            except Refused as exc:
                sensor_id = fields.get("sensor_id")
                key = sensor_id if isinstance(sensor_id, str) else None
                raw = json.dumps(fields, sort_keys=True).encode()  # ASCII: any text survives
                letter = dead_letter(str(exc), SOURCE, raw, key, check.clock.now())
                publisher.publish(tp.DEADLETTER, letter)
                refused.append({"index": index, "sensor_id": letter.key, "reason": letter.reason})
        for event in accepted:
            publisher.publish(tp.SENSOR_READINGS, event)
        publisher.flush()  # accepted (and refused) means on the broker
        return {"accepted": len(accepted), "event_ids": [str(e.event_id) for e in accepted],
                "refused": refused}

    @app.get("/ingest/health")
    def health() -> dict[str, str | datetime]:
        return {"status": "ok", "at": ev.utcnow()}

    return app
