"""Vietnam's AQI (VN_AQI), Decision 1459/QĐ-TCMT: sub-indices from PM2.5 and PM10, the index as
the worst of them, and its six bands. Pure.
"""

from __future__ import annotations

import bisect

# Concentration breakpoints (µg/m³) per AQI breakpoint 0, 50, 100, 150, 200, 300, 400, 500,
# interpolated linearly in between. (Code labelled "VN_AQI" elsewhere often uses US-EPA cut
# points, 12 / 35.4: wrong here.)
AQI_LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)
PM25_BREAKPOINTS = (0, 25, 50, 80, 150, 250, 350, 500)
PM10_BREAKPOINTS = (0, 50, 150, 250, 350, 420, 500, 600)
BREAKPOINTS = {"pm25": PM25_BREAKPOINTS, "pm10": PM10_BREAKPOINTS}
AQI_BANDS = (  # upper bound, code, Vietnamese, English
    (50, "good", "Tốt", "Good"),
    (100, "moderate", "Trung bình", "Moderate"),
    (150, "poor", "Kém", "Poor"),
    (200, "bad", "Xấu", "Bad"),
    (300, "very_bad", "Rất xấu", "Very bad"),
    (10_000, "hazardous", "Nguy hại", "Hazardous"),
)


def aqi_from(concentration: float, breakpoints: tuple[float, ...]) -> int:
    """Linear interpolation between breakpoints; above the last one, capped at 500."""
    c = max(0.0, concentration)
    if c >= breakpoints[-1]:
        return AQI_LEVELS[-1]
    i = bisect.bisect_right(breakpoints, c) - 1
    lo_c, hi_c = breakpoints[i], breakpoints[i + 1]
    lo_a, hi_a = AQI_LEVELS[i], AQI_LEVELS[i + 1]
    return round(lo_a + (hi_a - lo_a) * (c - lo_c) / (hi_c - lo_c))


def vn_aqi(pm25: float | None, pm10: float | None) -> int | None:
    """The AQI is the worst of its pollutants' sub-indices."""
    subs = []
    if pm25 is not None:
        subs.append(aqi_from(pm25, PM25_BREAKPOINTS))
    if pm10 is not None:
        subs.append(aqi_from(pm10, PM10_BREAKPOINTS))
    return max(subs) if subs else None


def aqi_band(aqi: int) -> tuple[str, str, str]:
    """(code, Vietnamese, English) of the band an index falls in."""
    for upper, code, vi, en in AQI_BANDS:
        if aqi <= upper:
            return code, vi, en
    raise AssertionError("unreachable: the last band is open-ended")
