"""The city's daily rhythm, shared by every simulator: local time, traffic and daylight."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7 all year, no daylight saving


def local_hour(at: datetime) -> float:
    """Hours since local midnight, e.g. 17.5 at 17:30 in Long Khánh."""
    local = at.astimezone(LOCAL_TZ)
    return local.hour + local.minute / 60 + local.second / 3600


def _bump(hour: float, centre: float, width_h: float) -> float:
    return math.exp(-((hour - centre) ** 2) / (2 * width_h**2))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def traffic_level(hour: float) -> float:
    """0..1: quiet nights, a daytime plateau, rush-hour peaks at about 7:00 and 17:15."""
    daytime = _sigmoid((hour - 5.5) * 1.5) * _sigmoid((21.5 - hour) * 1.2)
    level = 0.08 + 0.45 * daytime + 0.47 * _bump(hour, 7.0, 1.0) + 0.5 * _bump(hour, 17.25, 1.2)
    return min(1.0, level)


def daylight(hour: float) -> float:
    """1 in full daylight, 0 at night; dawn 5:15-6:30, dusk 17:30-18:45 (near the equator)."""
    if hour < 5.25 or hour > 18.75:
        return 0.0
    if hour < 6.5:
        return (hour - 5.25) / 1.25
    if hour > 17.5:
        return (18.75 - hour) / 1.25
    return 1.0
