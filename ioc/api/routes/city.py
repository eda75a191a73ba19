"""The live city: KPIs, sensor readings, reports and cameras."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Response

from ioc import kpis, status
from ioc.api import models
from ioc.api.deps import ClockDep, DbDep, SettingsDep
from ioc.city import City, load_city
from ioc.db import queries
from ioc.policy import load_policy
from ioc.taxonomy import load_taxonomy

router = APIRouter(prefix="/api", tags=["city"])


@router.get("/kpis", summary="The city's KPIs over a time window",
            response_model=models.KpiReport)
def get_kpis(db: DbDep, clock: ClockDep, settings: SettingsDep,
             window_h: Annotated[float, Query(gt=0, le=24 * 366,
                                              description="Window in hours, ending now")] = 24,
             ward: Annotated[str | None, Query(description="Only this ward's reports")] = None,
             category: Annotated[str | None, Query(
                 description="Only this category's reports")] = None):
    city = load_city()
    if ward is not None and ward not in {w.slug for w in city.wards}:
        raise HTTPException(422, f"ward {ward!r} is not one of this city's wards; see /api/city "
                                 f"for their slugs")
    if category is not None and category not in load_taxonomy().codes:
        raise HTTPException(422, f"category {category!r} is not in the taxonomy; use one of "
                                 f"{', '.join(load_taxonomy().codes)}")
    now = clock.now()
    window_start = now - timedelta(hours=window_h)
    inputs = kpis.only_area(queries.kpi_inputs(db, [s.id for s in city.sensors],
                                               [c.id for c in city.cameras[:settings.cameras]],
                                               window_start, now), ward, category)
    local = now.astimezone(ZoneInfo(settings.display_tz))
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    policy = load_policy()
    values = kpis.compute(
        inputs, now, window_start=window_start, day_start=day_start,
        sensor_stale=status.sensor_stale_after(policy, settings.sensor_interval_s),
        camera_stale=status.camera_stale_after(policy, settings.camera_fps,
                                               settings.scenario_speed),
        water=policy.water_level)
    return {"now": now, "window_h": window_h, "ward": ward, "category": category,
            "kpis": values}


@router.get("/city", summary="The city model: wards, roads, sensors, cameras",
            response_model=City)
def get_city():
    return load_city()


@router.get("/sensors", summary="Registered sensors: kind, place, interval, thresholds, and "
            "the newest reading")
def sensors(db: DbDep):
    return queries.sensors(db)


@router.get("/sensors/unregistered",
            summary="Ids that sent readings without being registered (dead-lettered)")
def unregistered_sensors(db: DbDep, clock: ClockDep,
                         hours: Annotated[float, Query(gt=0, le=24 * 31)] = 24):
    return queries.unregistered(db, clock.now() - timedelta(hours=hours))


@router.get("/sensors/latest", summary="The newest reading of every sensor",
            response_model=list[models.LatestReading])
def sensors_latest(db: DbDep):
    return queries.sensors_latest(db)


@router.get("/sensors/{sensor_id}/history", summary="Readings of one sensor")
def sensor_history(sensor_id: str, db: DbDep, clock: ClockDep,
                   hours: Annotated[float, Query(gt=0, le=24 * 31)] = 6):
    return queries.sensor_history(db, sensor_id, clock.now() - timedelta(hours=hours))


@router.get("/reports/recent", summary="The newest citizen reports",
            response_model=list[models.RecentReport])
def recent_reports(db: DbDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    return queries.recent_reports(db, limit)


@router.get("/cameras", summary="Cameras and their newest frame",
            response_model=list[models.CameraFeed])
def cameras(db: DbDep):
    return queries.cameras(db)


@router.get("/cameras/{camera_id}/snapshot.jpg", response_class=Response,
            responses={404: {"description": "No frame from this camera yet"}})
def snapshot(camera_id: str, db: DbDep):
    found = queries.camera_snapshot(db, camera_id)
    if found is None:
        raise HTTPException(404, f"no frame from camera {camera_id!r} yet; check that it is "
                                 "publishing (GET /api/cameras lists those that are)")
    jpeg, ts = found
    return Response(jpeg, media_type="image/jpeg",
                    headers={"Cache-Control": "no-store", "X-Frame-Time": ts.isoformat()})


@router.get("/deadletters", summary="The newest dead-lettered messages and why")
def deadletters(db: DbDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    return queries.deadletters(db, limit)
