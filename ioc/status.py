"""One rule per status, used by the KPIs (API, wall) and the map alike: when a sensor or a
camera counts as offline, and what a reading says (ok, warning, alarm) against the policy's
thresholds. Pure.

Staleness is judged on the stream's clock: readings and frames are stamped by the scenario
clock, so "silent for three intervals" is three scenario intervals at any scenario speed. A
message still on its way is not silence: the limits judged at the stream's `now` allow the
stream's lateness (ioc.clock), which on a sped-up clock is seconds of wall time, not scenario time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from ioc.aqi import BREAKPOINTS, aqi_band, aqi_from
from ioc.clock import LATENESS_WALL, lateness
from ioc.policy import Policy, WaterLevel

Status = Literal["ok", "warning", "alarm", "unknown", "offline"]
_AQI_STATUS = {"good": "ok", "moderate": "ok", "poor": "warning"}  # worse bands: alarm


SENSOR_MIN_SILENCE = timedelta(seconds=60)  # never call a sensor offline over one late reading


def sensor_silence_limit(policy: Policy, sensor_interval_s: float) -> timedelta:
    """How long a sensor may be silent (scenario time) before it is offline, judged at the
    stream's silence horizon as the offline alarm is."""
    return max(SENSOR_MIN_SILENCE,
               timedelta(seconds=policy.sensor_stale_intervals * sensor_interval_s))


def sensor_stale_after(policy: Policy, sensor_interval_s: float,
                       scenario_speed: float = 1.0) -> timedelta:
    """The same limit judged at the stream's `now` (the KPIs, the map): plus the lateness the
    horizon lies behind it, so a sensor is offline on the wall when its alarm says so."""
    return sensor_silence_limit(policy, sensor_interval_s) + lateness(scenario_speed)


def camera_stale_after(policy: Policy, camera_fps: float, scenario_speed: float) -> timedelta:
    """A camera silent this long (scenario time) is offline: the policy's limit, or three
    frames when a sped-up scenario spaces its frames further apart than that, and never less
    than a frame may take through the pipeline in wall time."""
    frame_period_s = scenario_speed / camera_fps if camera_fps else 0.0
    return timedelta(seconds=max(policy.camera_stale_s, 3 * frame_period_s,
                                 LATENESS_WALL.total_seconds() * scenario_speed))


CAMERA_STALE_FACTOR = 3  # a camera is stale up to 3 times its limit, offline beyond


def camera_status(last_seen: datetime | None, now: datetime,
                  stale_after: timedelta) -> Literal["live", "stale", "offline"]:
    """live while the newest frame is within the stale limit, stale within 3 times it,
    offline beyond that or with no frame ever."""
    if is_online(last_seen, now, stale_after):
        return "live"
    if is_online(last_seen, now, CAMERA_STALE_FACTOR * stale_after):
        return "stale"
    return "offline"


def is_online(last_seen: datetime | None, now: datetime, stale_after: timedelta) -> bool:
    return last_seen is not None and now - last_seen <= stale_after


def aqi_status(aqi: int | None) -> Status:
    if aqi is None:
        return "unknown"
    return _AQI_STATUS.get(aqi_band(aqi)[0], "alarm")


def water_status(level_m: float | None, water: WaterLevel) -> Status:
    if level_m is None:
        return "unknown"
    return "alarm" if level_m >= water.alarm_m else "warning" if level_m >= water.warn_m else "ok"


def reading_status(kind: str, value: float | None, ts: datetime | None, now: datetime,
                   stale_after: timedelta, policy: Policy) -> Status:
    """ok | warning | alarm | offline for one sensor's newest reading, judged at `now`. Kinds
    without a project threshold are "ok" while they report."""
    if value is None or not is_online(ts, now, stale_after):
        return "offline"
    if kind in BREAKPOINTS:
        return aqi_status(aqi_from(value, BREAKPOINTS[kind]))
    if kind == "water_level":
        return water_status(value, policy.water_level)
    return "ok"
