"""Light, haze and the camera's colour response: what turns a surface colour into a pixel.

One `Light` per look, shared by the backdrop and the road users, so a car and the wall behind it
are lit, fogged and graded the same way. Everything here is pointwise (a colour and a distance
in, a colour out), so the static street can be graded once and the road users per frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulators.camera_scene import Look

LUMA = np.array([0.114, 0.587, 0.299])  # BGR weights


@dataclass(frozen=True)
class Light:
    look: Look
    ambient: np.ndarray  # (3,) BGR multiplier on surface colours
    sun: np.ndarray  # (3,) world direction towards the sun
    sun_gain: float
    lamps: bool  # street lamps, headlights, lit windows
    night: float  # 0 day .. 1 full night: how much lit things stand out
    fog_colour: np.ndarray  # (3,)
    sky: tuple[np.ndarray, np.ndarray]  # top, horizon

    @classmethod
    def of(cls, look: Look) -> Light:
        d = max(0.0, min(1.0, look.daylight))
        day_ambient = {"clear": 0.62, "overcast": 0.82, "rain": 0.72, "fog": 0.86}[look.weather]
        sun_gain = {"clear": 0.5, "overcast": 0.1, "rain": 0.04, "fog": 0.04}[look.weather] * d
        night_ambient = np.array([0.2, 0.24, 0.3])  # sodium lamps: warm and dim
        ambient = night_ambient + (day_ambient - night_ambient) * d ** 0.8
        dusk = max(0.0, 1 - abs(d - 0.45) / 0.35)
        ambient = ambient * (1 - 0.15 * dusk * np.array([1.0, 0.4, -0.3]))
        az, el = math.radians(look.sun_azimuth_deg), math.radians(look.sun_elevation_deg)
        sun = np.array([math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), math.sin(el)])
        fog_day = np.array({"clear": (215, 205, 195), "overcast": (200, 200, 198),
                            "rain": (165, 165, 160), "fog": (205, 205, 200)}[look.weather], float)
        fog_colour = np.array([45, 45, 50.0]) + (fog_day - (45, 45, 50)) * d
        if look.weather in ("clear",):
            top_day, hor_day = np.array([225, 185, 140.0]), np.array([240, 225, 210.0])
        else:
            top_day, hor_day = np.array([185, 185, 182.0]), np.array([210, 210, 206.0])
        top_night, hor_night = np.array([38, 22, 16.0]), np.array([70, 58, 55.0])
        top = top_night + (top_day - top_night) * d
        horizon = hor_night + (hor_day - hor_night) * d
        if dusk > 0 and look.weather == "clear":
            horizon = horizon + dusk * (np.array([90, 150, 240.0]) - horizon) * 0.7
            top = top + dusk * (np.array([130, 80, 90.0]) - top) * 0.4
        return cls(look, ambient, sun, sun_gain, d < 0.5, max(0.0, min(1.0, (0.55 - d) / 0.45)),
                   fog_colour, (top, horizon))

    def shade(self, colour: np.ndarray, normal: np.ndarray) -> np.ndarray:
        """Surface colours (n, 3) with world normals (n, 3); a zero normal gets half the sun."""
        lit = normal @ self.sun
        flat = ~normal.any(axis=-1)
        lit = np.where(flat, 0.5 * max(0.0, self.sun[2]), np.maximum(lit, 0.0))
        return colour * (self.ambient + self.sun_gain * lit[..., None])

    def fog(self, colour: np.ndarray, distance_m: np.ndarray | float) -> np.ndarray:
        keep = np.exp(-3.0 * np.asarray(distance_m, np.float64) / self.look.visibility_m)
        keep = keep[..., None] if np.ndim(keep) else keep
        return colour * keep + self.fog_colour * (1 - keep)

    def grade(self, colour: np.ndarray, distance_m: np.ndarray | float) -> np.ndarray:
        """The camera's response: infrared night mode, exposure, white balance, saturation."""
        look = self.look
        c = colour
        if look.infrared:  # the camera's own IR lamp: near things bright, all grey
            lum = c @ np.array([0.1, 0.55, 0.35])
            boost = 1.2 + 3.0 * np.exp(-np.asarray(distance_m, np.float64) / 35.0)
            c = np.repeat((lum * boost)[..., None], 3, axis=-1)
        else:
            lum = (c @ LUMA)[..., None]
            c = lum + look.saturation * (c - lum)
            c = c * np.array([look.tint[0], 1.0, look.tint[1]])
        c = c * look.exposure
        c = 118 + look.contrast * (1 - 0.3 * look.rain) * (c - 118)
        return np.clip(c, 0, 255)
