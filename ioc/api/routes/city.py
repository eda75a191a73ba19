"""The live city: KPIs, sensor readings, reports and cameras."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from ioc import kpis, status
from ioc.api import models
from ioc.api.deps import ClockDep, DbDep, ReplayTag, SettingsDep, UserDep, ViewClockDep, ViewDbDep
from ioc.city import City, load_city
from ioc.db import queries
from ioc.db.session import connect
from ioc.policy import load_policy
from ioc.sensors import Sensor, register
from ioc.taxonomy import load_taxonomy

router = APIRouter(prefix="/api", tags=["city"])


@router.get("/kpis", summary="The city's KPIs over a time window",
            response_model=models.KpiReport,
            description="Every KPI with its definition, its window and its target, as "
            "ioc/kpis.py defines them (docs/kpis.md lists them). The \"window\" KPIs cover "
            "`window` (or `window_h`); the others have a window of their own, named in each "
            "KPI's `window`.")
def get_kpis(db: ViewDbDep, clock: ViewClockDep, settings: SettingsDep,
             window: Annotated[str | None, Query(
                 description="today (since local midnight), 24h, 7d, 30d, or an ISO-8601 "
                 "duration ending now such as PT6H or P2D; default 24h",
                 examples=["today", "7d", "PT6H"])] = None,
             window_h: Annotated[float | None, Query(
                 gt=0, le=24 * 366, description="The window in hours, ending now (the older "
                 "form of `window`)")] = None,
             ward: Annotated[str | None, Query(description="Only this ward's reports")] = None,
             category: Annotated[str | None, Query(
                 description="Only this category's reports")] = None,
             replay: ReplayTag = None):
    city = load_city()
    if ward is not None and ward not in {w.slug for w in city.wards}:
        raise HTTPException(422, f"ward {ward!r} is not one of this city's wards; see /api/city "
                                 f"for their slugs")
    if category is not None and category not in load_taxonomy().codes:
        raise HTTPException(422, f"category {category!r} is not in the taxonomy; use one of "
                                 f"{', '.join(load_taxonomy().codes)}")
    if window is not None and window_h is not None:
        raise HTTPException(422, "give window or window_h, not both (window=7d is "
                                 "window_h=168)")
    now = clock.now()
    try:
        span = (kpis.window_of(window, now, settings.display_tz) if window is not None
                else kpis.window_hours(24 if window_h is None else window_h, now))
    except kpis.BadWindow as exc:
        raise HTTPException(422, str(exc)) from exc
    cameras = city.cameras[:settings.cameras]
    inputs = kpis.only_area(queries.kpi_inputs(db, [s.id for s in city.sensors],
                                               [c.id for c in cameras], span.start, now,
                                               camera_wards={c.id: c.ward for c in cameras},
                                               ward=ward, category=category),
                            ward, category)
    day_start = kpis.local_day_start(now, settings.display_tz)
    policy = load_policy()
    # A replay's sensors report as they did in its recording (registered so by the replay)
    interval_s = (queries.slowest_sensor_interval(db) or settings.sensor_interval_s
                  if replay else settings.sensor_interval_s)
    values = kpis.compute(
        inputs, now, window_start=span.start, day_start=day_start,
        sensor_stale=status.sensor_stale_after(policy, interval_s, settings.scenario_speed),
        camera_stale=status.camera_stale_after(policy, settings.camera_fps,
                                               settings.scenario_speed),
        water=policy.water_level, window=span.label, tz=settings.display_tz,
        warn_share_left=policy.sla.warn_share_left, operators=policy.alarms.operators_on_shift)
    return {"now": now, "window_h": round(span.hours, 6), "window": span.label,
            "window_start": span.start, "day_start": day_start,
            "data_as_of": kpis.data_as_of(inputs), "ward": ward, "category": category,
            "kpis": values}


@router.get("/city", summary="The city model: wards, roads, sensors, cameras",
            response_model=City)
def get_city():
    return load_city()


@router.get("/sensors", summary="Registered sensors: kind, place, interval, thresholds, and "
            "the newest reading")
def sensors(db: DbDep):
    return queries.sensors(db)


@router.post("/sensors", status_code=201, summary="Register a sensor (engineers and admins)")
def register_sensor(body: Sensor, user: UserDep, settings: SettingsDep):
    if user.role not in ("engineer", "admin"):
        raise HTTPException(403, f"{user.username} is a {user.role}; only engineers and admins "
                                 "register sensors")
    if body.ward is not None and body.ward not in {w.slug for w in load_city().wards}:
        raise HTTPException(422, f"ward {body.ward!r} is not one of this city's wards; see "
                                 "/api/city for their slugs")
    with connect(settings, autocommit=True) as conn:
        register(conn, [body], by=user.username)
    return {"sensor_id": body.sensor_id, "registered_by": user.username}


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


@router.get("/deadletters", summary="The newest dead-lettered messages and why")
def deadletters(db: DbDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    return queries.deadletters(db, limit)
