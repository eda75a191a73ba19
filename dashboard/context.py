"""What every page's callbacks need, built once in `create_app` and passed down (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dashboard.api import ApiUnavailable, CityApi
from ioc import status
from ioc.config import Settings
from ioc.policy import Policy, load_policy

REFRESH_MS = 2000  # live pages refresh every 2 s


@dataclass(frozen=True)
class Context:
    api: CityApi
    tz: str
    policy: Policy  # the thresholds the KPIs use too (ioc.status), so the map and tiles agree
    sensor_stale: timedelta
    camera_stale: timedelta
    scenario_speed: float  # scenario seconds per wall second
    scenario_start: datetime | None  # where the city's clock started (None: live)

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        policy = load_policy()
        return cls(api=CityApi(settings.api_base_url), tz=settings.display_tz, policy=policy,
                   sensor_stale=status.sensor_stale_after(policy, settings.sensor_interval_s,
                                                          settings.scenario_speed),
                   camera_stale=status.camera_stale_after(policy, settings.camera_fps,
                                                          settings.scenario_speed),
                   scenario_speed=settings.scenario_speed,
                   scenario_start=settings.scenario_start)

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

    def ward_namer(self) -> Callable[..., str | None]:
        """ward slug, lang -> the ward's name (the slug itself while the city is unavailable)."""
        try:
            return self.api.city().ward_name
        except ApiUnavailable:
            return lambda slug, _lang="vi": slug
