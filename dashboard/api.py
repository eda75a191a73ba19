"""The dashboard's only source of live data: the IOC HTTP API, with short timeouts.

A callback that cannot reach the API shows that on screen (`ApiUnavailable`) instead of failing;
the dashboard never reads the database.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)


class ApiUnavailable(Exception):
    """The API did not answer, or answered with an error."""


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
