"""The dashboard's only source of live data: the IOC HTTP API, with short timeouts.

Every answer is parsed into the model the API made it from (`ioc.api.models`, `ioc.city.City`),
so the pages read attributes, not guessed keys. A callback that cannot reach the API, or gets an
answer that does not validate, shows that on screen (`ApiUnavailable`) instead of failing; the
dashboard never reads the database.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from dashboard.citymap import CityModel
from ioc.api import models

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ApiUnavailable(Exception):
    """The API did not answer, answered with an error, or answered something that does not
    validate as the model it should have been made from."""


@dataclass(frozen=True)
class Refusal:
    """The API's answer to an operator's request that it did not carry out (401, 403, 409, 422…),
    with its own message, which is shown to the operator as it is."""

    status_code: int
    detail: str
    status: str | None = None  # on a 409: the report's state that refused the action


class _FieldError(BaseModel):
    model_config = ConfigDict(extra="ignore")
    loc: list[str | int] = []
    msg: str = ""


class _ErrorBody(BaseModel):
    """A FastAPI error body: `detail` is a message or a list of validation errors; a 409 from a
    lifecycle refusal names the report's `status` too (ioc/api/errors.py)."""

    model_config = ConfigDict(extra="ignore")
    detail: str | list[_FieldError | str] | None = None
    status: str | None = None


def _refusal(response: httpx.Response) -> Refusal:
    try:
        body = _ErrorBody.model_validate_json(response.content)
    except ValidationError:
        return Refusal(response.status_code, f"HTTP {response.status_code}")
    if isinstance(body.detail, list):  # 422: [{"loc": ["body", "field"], "msg": "..."}]
        detail = "; ".join(f"{'.'.join(str(x) for x in d.loc[1:])}: {d.msg}"
                           if isinstance(d, _FieldError) else d for d in body.detail)
    else:
        detail = body.detail
    return Refusal(response.status_code, detail or f"HTTP {response.status_code}", body.status)


_QUEUE, _REPORT, _KPIS, _HEALTH, _CITY = (TypeAdapter(m) for m in (
    models.Queue, models.ReportDetail, models.KpiReport, models.Health, CityModel))
_READINGS = TypeAdapter(list[models.LatestReading])
_RECENT = TypeAdapter(list[models.RecentReport])
_CAMERAS = TypeAdapter(list[models.CameraFeed])
_SIGNED_IN, _ACTION = TypeAdapter(models.SignedIn), TypeAdapter(models.ActionAnswer)
_ALARMS, _ALARM_ACTION = TypeAdapter(models.AlarmList), TypeAdapter(models.AlarmActionAnswer)
_ALARM = TypeAdapter(models.AlarmDetail)
_CAMERA_STATUS = TypeAdapter(list[models.CameraStatus])
_CAMERA_TRAFFIC = TypeAdapter(models.CameraTrafficSeries)
_CAMERA_INCIDENTS = TypeAdapter(models.CameraIncidents)
_REPLAY, _REPLAY_SOURCES = TypeAdapter(models.ReplayStatus), TypeAdapter(models.ReplaySources)
_REPLAY_COMMAND = TypeAdapter(models.ReplayCommandAnswer)


def _parse(what: str, adapter: TypeAdapter[T], body: bytes) -> T:
    """An answer's body as its model, or `ApiUnavailable` saying which field did not fit."""
    try:
        return adapter.validate_json(body)
    except ValidationError as exc:
        errors = tuple((".".join(str(part) for part in e["loc"]) or "(document)", e["msg"])
                       for e in exc.errors(include_url=False)[:10])
        _log_rejected(what, exc.error_count(), errors)
        # The first line names the model; locations and messages only, never a value
        raise ApiUnavailable(f"{what}: {str(exc).splitlines()[0]}: "
                             f"{errors[0][0]}: {errors[0][1]}") from exc


@lru_cache(maxsize=64)
def _log_rejected(what: str, count: int, errors: tuple[tuple[str, str], ...]) -> None:
    """Once per distinct error: panels poll every second or two, so a renamed field would
    otherwise be logged every second per screen. Key paths and messages only: an answer's
    values (citizen text) are never logged."""
    logger.warning("an API answer does not validate as its model; its panel shows no data",
                   extra={"answer": what, "error_count": count,
                          "errors": [{"loc": loc, "msg": msg} for loc, msg in errors]})


class CityApi:
    """Thread-safe client for one API base URL (waitress serves callbacks on several threads)."""

    def __init__(self, base_url: str, timeout_s: float = 2.5, city_ttl_s: float = 60.0,
                 transport: httpx.BaseTransport | None = None, kpis_ttl_s: float = 1.0):
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout_s,
                                    headers={"Accept": "application/json"},
                                    transport=transport)
        # The city model is reference data (wards, roads, sensor sites): it is validated once
        # per fetch and kept briefly with its document, so the 2-s refreshes neither fetch nor
        # validate it every time. Live data is never cached.
        self._city_ttl_s = city_ttl_s
        self._city: tuple[float, CityModel | str] | None = None  # str: why not one
        self._city_lock = threading.Lock()
        # The KPIs are the city's, the same for every viewer: fetched at most once a second
        # (single flight: viewers asking meanwhile wait for that answer), so ten walls cost
        # what one does. The wall's own refresh is slower than this.
        self._kpis_ttl_s = kpis_ttl_s
        self._kpis: dict[float, tuple[float, models.KpiReport]] = {}
        self._kpis_lock = threading.Lock()

    def _get(self, path: str, **params: Any) -> httpx.Response:
        try:
            return self._client.get(path, params=params or None)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"GET {path}: {exc.__class__.__name__}: {exc}") from exc

    def _read(self, path: str, adapter: TypeAdapter[T], **params: Any) -> T:
        response = self._get(path, **params)
        if response.status_code != 200:
            raise ApiUnavailable(f"GET {path}: HTTP {response.status_code}")
        return _parse(f"GET {path}", adapter, response.content)

    def city(self) -> CityModel:
        """`GET /api/city` as `ioc.city.City` (the map's subclass). A document that does not
        validate is no city: ApiUnavailable, kept like a good one until it is fetched again."""
        with self._city_lock:
            kept = self._city
        if kept is None or time.monotonic() - kept[0] >= self._city_ttl_s:
            try:
                kept = (time.monotonic(), self._read("/api/city", _CITY))
            except ApiUnavailable as exc:
                if not isinstance(exc.__cause__, ValidationError):
                    raise  # unreachable: tried again on the next refresh
                kept = (time.monotonic(), str(exc))
            with self._city_lock:
                self._city = kept
        if isinstance(kept[1], str):
            raise ApiUnavailable(kept[1])
        return kept[1]

    def kpis(self, window_h: float = 24) -> models.KpiReport:
        with self._kpis_lock:
            kept = self._kpis.get(window_h)
            if kept is not None and time.monotonic() - kept[0] < self._kpis_ttl_s:
                return kept[1]
            report = self._read("/api/kpis", _KPIS, window_h=window_h)
            self._kpis[window_h] = (time.monotonic(), report)
            return report

    def sensors_latest(self) -> list[models.LatestReading]:
        return self._read("/api/sensors/latest", _READINGS)

    def recent_reports(self, limit: int = 200) -> list[models.RecentReport]:
        return self._read("/api/reports/recent", _RECENT, limit=limit)

    def cameras(self) -> list[models.CameraFeed]:
        return self._read("/api/cameras", _CAMERAS)

    def health(self) -> models.Health:
        """/health's body; it answers 503 with the same body when something is down."""
        response = self._get("/health")
        if response.status_code not in (200, 503):
            raise ApiUnavailable(f"GET /health: HTTP {response.status_code}")
        return _parse("GET /health", _HEALTH, response.content)

    def snapshot(self, camera_id: str) -> httpx.Response:
        """The newest JPEG of a camera, as the API's response (200, or 404 with no frame yet)."""
        return self._get(f"/api/cameras/{quote(camera_id, safe='')}/snapshot.jpg")

    # ------------------------------------------------------------------ cameras (/cameras)

    def camera_statuses(self) -> list[models.CameraStatus]:
        """Every camera with its status, place, newest traffic window and open alarms; the
        configured cameras that never sent a frame too (offline)."""
        return self._read("/api/cameras", _CAMERA_STATUS, silent="true")

    def camera_frame(self, camera_id: str, annotated: bool = True) -> httpx.Response:
        """A camera's newest frame, annotated with its detections and count line, as the
        API's response (200, or 404 with no frame yet)."""
        return self._get(f"/api/cameras/{quote(camera_id, safe='')}/frame.jpg",
                         annotated="true" if annotated else "false")

    def _camera_part(self, camera_id: str, part: str, adapter: TypeAdapter[T],
                     **params: Any) -> T | None:
        path = f"/api/cameras/{quote(camera_id, safe='')}/{part}"
        response = self._get(path, **params)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApiUnavailable(f"GET {path}: HTTP {response.status_code}")
        return _parse(f"GET /api/cameras/{{id}}/{part}", adapter, response.content)

    def camera_traffic(self, camera_id: str,
                       window: str = "PT1H") -> models.CameraTrafficSeries | None:
        """A camera's traffic windows over the last `window`, oldest first; None if the API
        knows no such camera."""
        return self._camera_part(camera_id, "traffic", _CAMERA_TRAFFIC, window=window)

    def camera_incidents(self, camera_id: str, limit: int = 10) -> models.CameraIncidents | None:
        """A camera's incident alarms, newest first; None if the API knows no such camera."""
        return self._camera_part(camera_id, "incidents", _CAMERA_INCIDENTS, limit=limit)

    def evidence(self, snapshot_id: str) -> httpx.Response:
        """An incident's snapshot JPEG (an alarm's evidence_ref), as the API's response."""
        return self._get(f"/api/snapshots/{quote(snapshot_id, safe='')}.jpg")

    # ------------------------------------------------------------------ the operator's queue

    def queue(self, limit: int = 100, offset: int = 0, **filters: Any) -> models.Queue:
        """Open reports, the most pressing first unless order="newest", with the per-state
        counts. Filters that are None or empty are left out (ward, category, urgency,
        department, sla_state, status (one or a list), q, received_after)."""
        params = {k: v for k, v in filters.items() if v}
        return self._read("/api/reports/queue", _QUEUE, limit=limit, offset=offset, **params)

    def report(self, report_id: str) -> models.ReportDetail | None:
        """One report with its SLA clock, allowed actions and audit trail; None if unknown
        (or not yet persisted: it is then retried by the caller's next refresh)."""
        path = f"/api/reports/{quote(report_id, safe='')}"
        response = self._get(path)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApiUnavailable(f"GET {path}: HTTP {response.status_code}")
        return _parse("GET /api/reports/{id}", _REPORT, response.content)

    def _action(self, path: str, what: str, adapter: TypeAdapter[T], token: str | None,
                body: dict) -> T | Refusal:
        """POST an operator's action: the API's answer once it was applied (202 while still
        pending: the API waits up to 10 s for the verdict), or its refusal with the reason."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self._client.post(path, json={k: v for k, v in body.items()
                                                     if v not in (None, "")}, headers=headers,
                                         timeout=15.0)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"POST {path}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code in (200, 202):
            return _parse(f"POST {what}", adapter, response.content)
        if 400 <= response.status_code < 500:
            return _refusal(response)
        raise ApiUnavailable(f"POST {path}: HTTP {response.status_code}")

    def act(self, report_id: str, token: str | None, **body: Any) -> models.ActionAnswer | Refusal:
        """A lifecycle action on a report as the signed-in operator (409: the reason)."""
        return self._action(f"/api/reports/{quote(report_id, safe='')}/actions",
                            "/api/reports/{id}/actions", _ACTION, token, body)

    def alarms(self, **filters: Any) -> models.AlarmList:
        """Standing alarms, the most pressing first, with counts and the flood rate."""
        params = {k: v for k, v in filters.items() if v}
        return self._read("/api/alarms", _ALARMS, **params)

    def alarm(self, alarm_id: str) -> models.AlarmDetail | None:
        """One alarm with its history (every step, who and when); None if unknown."""
        path = f"/api/alarms/{quote(alarm_id, safe='')}"
        response = self._get(path)
        if response.status_code in (404, 422):
            return None
        if response.status_code != 200:
            raise ApiUnavailable(f"GET {path}: HTTP {response.status_code}")
        return _parse("GET /api/alarms/{id}", _ALARM, response.content)

    def act_on_alarm(self, alarm_id: str, token: str | None,
                     **body: Any) -> models.AlarmActionAnswer | Refusal:
        """Acknowledge, shelve… an alarm as the signed-in operator (409: the reason)."""
        return self._action(f"/api/alarms/{quote(alarm_id, safe='')}/actions",
                            "/api/alarms/{id}/actions", _ALARM_ACTION, token, body)

    def login(self, username: str, password: str) -> models.SignedIn | Refusal:
        """The token and who it is for, or the API's refusal (401 wrong username or password)."""
        try:
            response = self._client.post("/api/auth/login",
                                         json={"username": username, "password": password})
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"POST /api/auth/login: {exc.__class__.__name__}") from exc
        if response.status_code == 200:
            return _parse("POST /api/auth/login", _SIGNED_IN, response.content)
        if 400 <= response.status_code < 500:
            return _refusal(response)
        raise ApiUnavailable(f"POST /api/auth/login: HTTP {response.status_code}")

    # ------------------------------------------------------------------ replays (/replay)

    def replay(self) -> models.ReplayStatus:
        """The replay on show (or the last one), with its clock."""
        return self._read("/api/replay", _REPLAY)

    def replay_sources(self) -> models.ReplaySources:
        return self._read("/api/replay/sources", _REPLAY_SOURCES)

    def replay_kpis(self, tag: str) -> models.KpiReport:
        """A replay's KPIs at its clock (never cached: each replay is its own city)."""
        return self._read("/api/kpis", _KPIS, window_h=24, replay=tag)

    def start_replay(self, token: str | None, source: str,
                     speed: str) -> models.ReplayStatus | Refusal:
        return self._action("/api/replay", "/api/replay", _REPLAY, token,
                            {"source": source, "speed": speed})

    def steer_replay(self, token: str | None, action: str,
                     **body: Any) -> models.ReplayCommandAnswer | Refusal:
        """pause, resume, speed (speed=…), seek (to=ISO instant) or stop."""
        return self._action("/api/replay/control", "/api/replay/control", _REPLAY_COMMAND,
                            token, {"action": action, **body})

    def report_file(self, report_id: str, name: str) -> httpx.Response:
        """A report's history.csv or photo, as the API's response (for the dashboard's proxy)."""
        return self._get(f"/api/reports/{quote(report_id, safe='')}/{name}")

