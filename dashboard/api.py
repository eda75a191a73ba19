"""The dashboard's only source of live data: the IOC HTTP API, with short timeouts.

A callback that cannot reach the API shows that on screen (`ApiUnavailable`) instead of failing;
the dashboard never reads the database.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)


class ApiUnavailable(Exception):
    """The API did not answer, or answered with an error."""


@dataclass(frozen=True)
class Refusal:
    """The API's answer to an operator's request that it did not carry out (401, 403, 409, 422…),
    with its own message, which is shown to the operator as it is."""

    status_code: int
    detail: str
    status: str | None = None  # on a 409: the report's state that refused the action


def _refusal(response: httpx.Response) -> Refusal:
    try:
        status = response.json().get("status")
    except (ValueError, AttributeError):
        status = None
    return Refusal(response.status_code, _detail(response),
                   status if isinstance(status, str) else None)


def _detail(response: httpx.Response) -> str:
    """The `detail` of a FastAPI error body: a message, or a list of validation errors."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}"
    if isinstance(detail, list):  # 422: [{"loc": [...], "msg": "..."}]
        return "; ".join(f"{'.'.join(str(x) for x in d.get('loc', [])[1:])}: {d.get('msg')}"
                         if isinstance(d, dict) else str(d) for d in detail)
    return str(detail or f"HTTP {response.status_code}")


class CityApi:
    """Thread-safe client for one API base URL (waitress serves callbacks on several threads)."""

    def __init__(self, base_url: str, timeout_s: float = 2.5, city_ttl_s: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout_s,
                                    headers={"Accept": "application/json"})
        # The city model is reference data (wards, roads, sensor sites): it is cached briefly
        # so the 2-s refreshes do not fetch it every time. Live data is never cached.
        self._city_ttl_s = city_ttl_s
        self._city: tuple[float, dict] | None = None
        self._city_lock = threading.Lock()

    def _get(self, path: str, **params: Any) -> httpx.Response:
        try:
            return self._client.get(path, params=params or None)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"GET {path}: {exc.__class__.__name__}: {exc}") from exc

    def _json(self, path: str, **params: Any) -> Any:
        response = self._get(path, **params)
        if response.status_code != 200:
            raise ApiUnavailable(f"GET {path}: HTTP {response.status_code}")
        return response.json()

    def city(self) -> dict:
        with self._city_lock:
            if self._city and time.monotonic() - self._city[0] < self._city_ttl_s:
                return self._city[1]
        city = self._json("/api/city")
        with self._city_lock:
            self._city = (time.monotonic(), city)
        return city

    def kpis(self, window_h: float = 24) -> dict:
        return self._json("/api/kpis", window_h=window_h)

    def sensors_latest(self) -> list[dict]:
        return self._json("/api/sensors/latest")

    def recent_reports(self, limit: int = 200) -> list[dict]:
        return self._json("/api/reports/recent", limit=limit)

    def cameras(self) -> list[dict]:
        return self._json("/api/cameras")

    def health(self) -> dict:
        """/health's body; it answers 503 with the same body when something is down."""
        response = self._get("/health")
        if response.status_code not in (200, 503):
            raise ApiUnavailable(f"GET /health: HTTP {response.status_code}")
        return response.json()

    def snapshot(self, camera_id: str) -> httpx.Response:
        """The newest JPEG of a camera, as the API's response (200, or 404 with no frame yet)."""
        return self._get(f"/api/cameras/{quote(camera_id, safe='')}/snapshot.jpg")

    # ------------------------------------------------------------------ the operator's queue

    def queue(self, limit: int = 100, offset: int = 0, **filters: Any) -> dict:
        """Open reports, the most pressing first unless order="newest": {now, total, reports}.
        Filters that are None or empty are left out (ward, category, urgency, department,
        sla_state, status (one or a list), q, received_after)."""
        params = {k: v for k, v in filters.items() if v}
        return self._json("/api/reports/queue", limit=limit, offset=offset, **params)

    def report(self, report_id: str) -> dict | None:
        """One report with its SLA clock, allowed actions and audit trail; None if unknown
        (or not yet persisted: it is then retried by the caller's next refresh)."""
        response = self._get(f"/api/reports/{quote(report_id, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApiUnavailable(f"GET /api/reports/{report_id}: HTTP {response.status_code}")
        return response.json()

    def act(self, report_id: str, token: str | None, **body: Any) -> dict | Refusal:
        """A lifecycle action as the signed-in operator: the API's answer once the action was
        applied (or 202 while still pending), or its refusal (409 with the reason)."""
        path = f"/api/reports/{quote(report_id, safe='')}/actions"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:  # the API waits up to 10 s for the verdict
            response = self._client.post(path, json={k: v for k, v in body.items()
                                                     if v not in (None, "")}, headers=headers,
                                         timeout=15.0)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"POST {path}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code in (200, 202):
            return response.json()
        if 400 <= response.status_code < 500:
            return _refusal(response)
        raise ApiUnavailable(f"POST {path}: HTTP {response.status_code}")

    def login(self, username: str, password: str) -> dict | Refusal:
        """{token, username, role}, or the API's refusal (401 wrong username or password)."""
        try:
            response = self._client.post("/api/auth/login",
                                         json={"username": username, "password": password})
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"POST /api/auth/login: {exc.__class__.__name__}") from exc
        if response.status_code == 200:
            return response.json()
        if 400 <= response.status_code < 500:
            return _refusal(response)
        raise ApiUnavailable(f"POST /api/auth/login: HTTP {response.status_code}")

    def report_file(self, report_id: str, name: str) -> httpx.Response:
        """A report's history.csv or photo, as the API's response (for the dashboard's proxy)."""
        return self._get(f"/api/reports/{quote(report_id, safe='')}/{name}")
