"""What every page's callbacks need, built once in `create_app` and passed down (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from dashboard.api import ApiUnavailable, CityApi
from ioc import status
from ioc.config import Settings
from ioc.policy import load_policy

REFRESH_MS = 2000  # live pages refresh every 2 s


@dataclass(frozen=True)
class Context:
    api: CityApi
    tz: str
    sensor_stale: timedelta
    camera_stale: timedelta
    water_warn_m: float
    water_alarm_m: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        policy = load_policy()
        # The rules the KPIs use too (ioc.status), so the map and the tiles agree.
        return cls(api=CityApi(settings.api_base_url), tz=settings.display_tz,
                   sensor_stale=status.sensor_stale_after(policy, settings.sensor_interval_s),
                   camera_stale=status.camera_stale_after(policy, settings.camera_fps,
                                                          settings.scenario_speed),
                   water_warn_m=policy.water_level.warn_m,
                   water_alarm_m=policy.water_level.alarm_m)

    def fetch(self, **calls: Callable[[CityApi], Any]) -> dict[str, Any]:
        """Run API calls in parallel; each result is its value or the `ApiUnavailable` raised,
        so one slow or failing endpoint costs one timeout and blanks only its own panel."""
        def run(call: Callable[[CityApi], Any]) -> Any:
            try:
                return call(self.api)
            except ApiUnavailable as exc:
                return exc

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            futures = {name: pool.submit(run, call) for name, call in calls.items()}
            return {name: f.result() for name, f in futures.items()}
