"""Traffic cameras: each camera's status (live, stale, offline) with its newest traffic window
and open alarms, its newest frame (raw, or annotated with that frame's detections and the count
line), its traffic windows as a time series, and its incidents with their evidence snapshots.

What a camera's status is comes from the stale rule the KPIs use (`ioc.status`), judged on the
stream's clock; the congestion words from `ioc.kpis`. Nothing here is computed twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Annotated, NamedTuple

import cv2
import numpy as np
from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import AwareDatetime

from ioc import alarms as al
from ioc import kpis, road_users, status
from ioc.api import models
from ioc.api.deps import ClockDep, DbDep, SettingsDep
from ioc.api.routes.alarms import present
from ioc.camera_views import CameraView, load_views
from ioc.city import CameraSite, load_city
from ioc.config import Settings
from ioc.db import alarm_queries, queries
from ioc.policy import load_policy

router = APIRouter(prefix="/api", tags=["cameras"])

NEWEST_WINDOW_WITHIN = timedelta(hours=1)  # the newest traffic window /api/cameras shows
MAX_SPAN = timedelta(hours=24)  # /traffic answers at most this much ...
MAX_WINDOWS = 1500  # ... and at most this many windows (a day of 1-minute windows is 1,440)
OFFLINE_ALARM = "camera_offline"  # the vision worker's silence alarm: no incident, no evidence


def stale_after(settings: Settings) -> timedelta:
    return status.camera_stale_after(load_policy(), settings.camera_fps, settings.scenario_speed)


def traffic_out(row: dict) -> dict:
    return {**row, "congestion_level": kpis.congestion_level(row["congestion_index"])}


def _sites() -> dict[str, CameraSite]:
    return {c.id: c for c in load_city().cameras}


def _place(site: CameraSite | None) -> dict:
    if site is None:
        return {}
    return {"name": site.name, "road": site.road, "ward": site.ward, "lat": site.lat,
            "lon": site.lon, "heading_deg": site.heading_deg}


def _known_or_404(db, camera_id: str) -> CameraSite | None:
    site = _sites().get(camera_id)
    if site is None and not any(f["camera_id"] == camera_id for f in queries.cameras(db)):
        raise HTTPException(404, f"no camera {camera_id!r}; GET /api/cameras?silent=true lists "
                                 "the city's cameras")
    return site


@router.get("/cameras", response_model=list[models.CameraStatus],
            summary="Cameras: status, place, newest frame, newest traffic window, open alarms",
            description="Every camera that has sent a frame (with `silent=true`, also the "
            "city's configured cameras that never did, as offline), in the city model's "
            "order. `status` is judged on the stream's clock against the stale limit the "
            "cameras-online KPI uses.")
def cameras(db: DbDep, clock: ClockDep, settings: SettingsDep,
            silent: Annotated[bool, Query(
                description="Also the configured cameras that never sent a frame")] = False):
    now = clock.now()
    limit = stale_after(settings)
    city_cameras = load_city().cameras
    sites = {c.id: c for c in city_cameras}
    frames = {f["camera_id"]: f for f in queries.cameras(db)}
    ids = set(frames) | ({c.id for c in city_cameras[:settings.cameras]} if silent else set())
    order = {c.id: i for i, c in enumerate(city_cameras)}
    traffic = queries.traffic_newest(db, now - NEWEST_WINDOW_WITHIN, now)
    open_types: dict[str, list[str]] = defaultdict(list)
    for record, row in alarm_queries.standing(db):
        if row["source_kind"] == "camera" and al.is_open(record, now):
            open_types[record.source_id].append(record.alarm_type)
    answer = []
    for camera_id in sorted(ids, key=lambda i: (order.get(i, len(order)), i)):
        frame = frames.get(camera_id, {})
        ts = frame.get("ts")
        answer.append({
            **frame, "camera_id": camera_id, **_place(sites.get(camera_id)),
            "status": status.camera_status(ts, now, limit), "stale_after_s": limit.total_seconds(),
            "age_s": round((now - ts).total_seconds(), 3) if ts else None,
            "traffic": traffic_out(traffic[camera_id]) if camera_id in traffic else None,
            "open_alarms": len(open_types[camera_id]),
            "open_alarm_types": sorted(open_types[camera_id])})
    return answer


@router.get("/cameras/{camera_id}/snapshot.jpg", response_class=Response,
            summary="A camera's newest frame, as it was sent",
            responses={404: {"description": "No frame from this camera yet"}})
def snapshot(camera_id: str, db: DbDep):
    found = queries.camera_snapshot(db, camera_id)
    if found is None:
        raise HTTPException(404, f"no frame from camera {camera_id!r} yet; check that it is "
                                 "publishing (GET /api/cameras lists those that are)")
    jpeg, ts = found
    return Response(jpeg, media_type="image/jpeg",
                    headers={"Cache-Control": "no-store", "X-Frame-Time": ts.isoformat()})


@router.get("/cameras/{camera_id}/frame.jpg", response_class=Response,
            summary="A camera's newest frame with that frame's detections and the count line",
            description="With `annotated=true` (the default) the boxes and class labels of "
            "the detections of the very same frame (camera, seq, time) are drawn, and the "
            "camera's count line with its \"in\" direction. A frame the vision worker has not "
            "seen yet has no boxes (`X-Detections: none`).",
            responses={404: {"description": "No frame from this camera yet"}})
def frame(camera_id: str, db: DbDep,
          annotated: Annotated[bool, Query(description="Draw detections and the count "
                                                       "line")] = True):
    found = queries.camera_frame(db, camera_id)
    if found is None:
        raise HTTPException(404, f"no frame from camera {camera_id!r} yet; check that it is "
                                 "publishing (GET /api/cameras lists those that are)")
    jpeg, boxes = found["jpeg"], None
    if annotated:
        boxes = queries.frame_detections(db, camera_id, found["seq"], found["ts"])
        jpeg = annotate(jpeg, boxes or [], load_views().get(camera_id)) or jpeg
    return Response(jpeg, media_type="image/jpeg", headers={
        "Cache-Control": "no-store", "X-Frame-Time": found["ts"].isoformat(),
        "X-Frame-Seq": str(found["seq"]),
        "X-Detections": "none" if boxes is None else str(len(boxes))})


@router.get("/cameras/{camera_id}/traffic", response_model=models.CameraTrafficSeries,
            summary="A camera's traffic windows over a span, oldest first",
            description=f"The windows that ended in the last `window` (default PT1H) or since "
            f"`since`, up to now; at most 24 h and the newest {MAX_WINDOWS} windows.")
def traffic(camera_id: str, db: DbDep, clock: ClockDep, settings: SettingsDep,
            window: Annotated[str | None, Query(
                description="An ISO-8601 duration ending now, e.g. PT1H, PT15M, PT24H "
                            "(or 24h, today)", examples=["PT1H"])] = None,
            since: Annotated[AwareDatetime | None, Query(
                description="Instead of `window`: from this time (with its zone) to now")]
            = None):
    _known_or_404(db, camera_id)
    now = clock.now()
    if window is not None and since is not None:
        raise HTTPException(422, "give window or since, not both (window=PT1H is since= one "
                                 "hour before now)")
    if since is not None:
        start = since
        if start >= now:
            raise HTTPException(422, f"since {since.isoformat()} is not before now "
                                     f"({now.isoformat()}); give an earlier time")
    else:
        try:
            start = kpis.window_of(window or "PT1H", now, settings.display_tz).start
        except kpis.BadWindow as exc:
            raise HTTPException(422, str(exc)) from exc
    if now - start > MAX_SPAN:
        hours = (now - start).total_seconds() / 3600
        raise HTTPException(422, f"that span is {hours:g} h; at most 24 h of windows are "
                                 "answered at once: use window=PT24H or a later since")
    rows = queries.traffic_windows(db, camera_id, start, now, MAX_WINDOWS + 1)
    return {"camera_id": camera_id, "since": start, "until": now,
            "windows": [traffic_out(r) for r in rows[-MAX_WINDOWS:]],
            "truncated": len(rows) > MAX_WINDOWS}


@router.get("/cameras/{camera_id}/incidents", response_model=models.CameraIncidents,
            summary="A camera's incident alarms, newest first, with their evidence",
            description="Every incident alarm the camera raised (stalled vehicle, wrong way, "
            "crash, congestion …; its offline alarms are not incidents), open or closed, "
            "with its ISA-18.2 state now and `evidence_ref`, the annotated snapshot "
            "(GET /api/snapshots/{id}.jpg).")
def incidents(camera_id: str, db: DbDep, clock: ClockDep,
              limit: Annotated[int, Query(ge=1, le=200)] = 20):
    site = _known_or_404(db, camera_id)
    now = clock.now()
    found = [alarm_queries.one(db, alarm_id) for alarm_id in
             queries.camera_alarm_ids(db, camera_id, limit, (OFFLINE_ALARM,))]
    where = {"ward": site.ward, "lat": site.lat, "lon": site.lon} if site else {}
    return {"camera_id": camera_id, "now": now,
            "incidents": [{**present(record, row, now), **where}
                          for record, row in filter(None, found)]}


# ------------------------------------------------------------------ drawing

class _Drawn(NamedTuple):
    cls: str
    conf: float
    xyxy: tuple[float, float, float, float]


def annotate(jpeg: bytes, boxes: list[dict], view: CameraView | None) -> bytes | None:
    """The frame with its boxes (class and score) and the count line with an arrow to its
    "in" side (ioc/road_users.py); None if the stored frame does not decode (it is then served
    as it is)."""
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return None
    drawn = [_Drawn(b["cls"], b["conf"], tuple(b["xyxy"])) for b in boxes]
    return road_users.encode_jpeg(road_users.draw(img, drawn, view))


@router.get("/snapshots/{snapshot_id}.jpg", response_class=Response,
            summary="An incident's evidence: the annotated frame an alarm names",
            responses={404: {"description": "No such snapshot"}})
def vision_snapshot(snapshot_id: uuid.UUID, db: DbDep):
    found = queries.vision_snapshot(db, snapshot_id)
    if found is None:
        raise HTTPException(404, f"no snapshot {snapshot_id}; a camera alarm's evidence_ref "
                                 "names the ones that exist")
    jpeg, ts = found
    return Response(jpeg, media_type="image/jpeg",
                    headers={"Cache-Control": "max-age=86400", "X-Frame-Time": ts.isoformat()})
