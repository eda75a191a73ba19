"""What a simulated traffic camera looks at: the street, the camera on its pole, the conditions.

World coordinates are metres on a flat ground plane: X across the road (to the right when looking
along +Y), Y along the road, Z up. The camera stands near Y = 0 and looks roughly along +Y, so
traffic with direction +1 drives away from it and direction -1 comes towards it. Vietnam drives
on the right: on a two-way street the lanes right of the centre go +1.

Settings are plain frozen values; `sample_scene` draws them from a `Domain` of ranges. The held-out
domain (`HELD_OUT`) uses camera heights, lane counts and building colours that `TRAIN` never
uses, and a different weather mix, so a test split drawn from it measures generalisation.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

Weather = Literal["clear", "overcast", "rain", "fog"]
TimeOfDay = Literal["day", "dusk", "night"]
BGR = tuple[int, int, int]

# Building colour families. `market` is held out: the training split never sees it.
PALETTES: dict[str, tuple[BGR, ...]] = {
    "pastel": ((150, 215, 240), (170, 225, 200), (200, 190, 235), (230, 215, 170),
               (185, 225, 235), (205, 230, 240), (160, 200, 230), (220, 225, 225)),
    "concrete": ((190, 190, 190), (215, 215, 210), (170, 175, 180), (200, 210, 215),
                 (160, 165, 165), (225, 228, 230), (180, 195, 205)),
    "market": ((60, 110, 230), (70, 70, 200), (160, 170, 40), (150, 80, 150),
               (60, 200, 170), (40, 160, 240), (130, 60, 60)),
}


@dataclass(frozen=True)
class Lane:
    centre_m: float  # X of the lane's middle
    width_m: float
    direction: int  # +1 drives along +Y (away from the camera), -1 towards it


@dataclass(frozen=True)
class Street:
    lanes: tuple[Lane, ...]  # left to right
    median_m: float  # a raised median between the two directions; 0 for a painted line
    sidewalk_m: tuple[float, float]  # left, right
    kerb_m: float  # kerb height
    centre_line: Literal["double_yellow", "yellow", "dashed_white", "none"]
    dash_m: tuple[float, float]  # lane divider: dash length, gap
    zebra_y_m: float | None  # a pedestrian crossing at this Y
    palette: str
    seed: int  # the decorations: buildings, trees, poles, wires, parked motorbikes

    @property
    def left_m(self) -> float:
        return self.lanes[0].centre_m - self.lanes[0].width_m / 2

    @property
    def right_m(self) -> float:
        return self.lanes[-1].centre_m + self.lanes[-1].width_m / 2

    @property
    def one_way(self) -> bool:
        return len({lane.direction for lane in self.lanes}) == 1


@dataclass(frozen=True)
class Rig:
    """The camera on its pole: where it stands, where it looks, how wide."""

    height_m: float
    tilt_deg: float  # down from the horizon
    yaw_deg: float  # from +Y towards +X
    hfov_deg: float
    x_m: float
    roll_deg: float = 0.0


@dataclass(frozen=True)
class Look:
    """Light, weather and the camera's own imperfections."""

    daylight: float  # 1 full day, 0 night
    weather: Weather = "clear"
    visibility_m: float = 3000.0  # distance at which contrast falls to about 5 %
    rain: float = 0.0  # 0..1: streaks, wet road
    sun_azimuth_deg: float = 135.0
    sun_elevation_deg: float = 50.0
    exposure: float = 1.0
    contrast: float = 1.0
    saturation: float = 1.0
    tint: tuple[float, float] = (1.0, 1.0)  # blue, red gains: white balance
    noise: float = 2.0  # sensor noise, grey levels
    blur: float = 0.0  # defocus, Gaussian sigma in pixels at 640 wide
    jpeg_quality: int = 70
    motion_blur: float = 0.0  # chance per frame
    infrared: bool = False  # night mode of many CCTV cameras: grey, lit by the camera's IR
    caption: bool = True  # the burned-in camera name and clock


@dataclass(frozen=True)
class Flow:
    """How much traffic, how jammed, and what it is made of."""

    density: float = 1.0  # arrivals relative to a busy street
    congestion: float = 0.0  # 0 free flow .. 1 a crawl
    motorbike_share: float = 0.72  # of the vehicles
    heavy_share: float = 0.2  # of the other vehicles: trucks and buses
    walkers: float = 1.0  # pedestrians relative to a busy sidewalk
    parked: int = 6  # motorbikes parked on the sidewalks


@dataclass(frozen=True)
class Scene:
    street: Street
    rig: Rig
    look: Look
    flow: Flow = field(default_factory=Flow)


@dataclass(frozen=True)
class Domain:
    """Ranges that scenes are drawn from."""

    heights_m: tuple[float, float]
    lane_counts: tuple[int, ...]
    palettes: tuple[str, ...]
    weathers: dict[str, float]
    times: dict[str, float]


TRAIN = Domain(heights_m=(6.0, 10.0), lane_counts=(2, 3, 4, 6), palettes=("pastel", "concrete"),
               weathers={"clear": .45, "overcast": .2, "rain": .2, "fog": .15},
               times={"day": .55, "dusk": .2, "night": .25})
HELD_OUT = Domain(heights_m=(10.0, 12.5), lane_counts=(5,), palettes=("market",),
                  weathers={"clear": .25, "overcast": .15, "rain": .35, "fog": .25},
                  times={"day": .4, "dusk": .3, "night": .3})
LIVE = Domain(heights_m=(6.0, 12.0), lane_counts=(2, 3, 4, 5, 6),
              palettes=("pastel", "concrete", "market"), weathers={"clear": 1.0},
              times={"day": 1.0})


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def sample_street(rng: random.Random, domain: Domain) -> Street:
    n = rng.choice(domain.lane_counts)
    one_way = n <= 3 and rng.random() < 0.25
    width = rng.uniform(2.8, 3.7)
    widths = [width * rng.uniform(0.95, 1.08) for _ in range(n)]
    if one_way:
        directions = [1 if rng.random() < 0.5 else -1] * n
    else:
        towards = n // 2 if n % 2 == 0 else rng.choice((n // 2, n // 2 + 1))
        directions = [-1] * towards + [1] * (n - towards)
    median = rng.uniform(0.6, 2.5) if not one_way and n >= 4 and rng.random() < 0.5 else 0.0
    total = sum(widths) + median
    lanes, x = [], -total / 2
    for i, (w, d) in enumerate(zip(widths, directions, strict=True)):
        if i and d != directions[i - 1]:
            x += median
        lanes.append(Lane(x + w / 2, w, d))
        x += w
    return Street(
        lanes=tuple(lanes), median_m=median,
        sidewalk_m=(rng.uniform(2.0, 5.0), rng.uniform(2.0, 5.0)), kerb_m=rng.uniform(0.1, 0.2),
        centre_line="none" if one_way or median else rng.choice(
            ("double_yellow", "double_yellow", "yellow", "dashed_white")),
        dash_m=(rng.uniform(2.0, 4.0), rng.uniform(3.0, 8.0)),
        zebra_y_m=rng.uniform(14, 45) if rng.random() < 0.35 else None,
        palette=rng.choice(domain.palettes), seed=rng.getrandbits(32),
    )


def sample_rig(rng: random.Random, street: Street, domain: Domain) -> Rig:
    height = rng.uniform(*domain.heights_m)
    where = rng.random()
    oblique = rng.random() < 0.3  # on a corner or a facade, looking diagonally at the road
    # On the sidewalk; oblique ones on a building's face at a corner, where a side street
    # opens (never behind the line of the facades: they would look through the houses).
    if where < 0.55:
        x = street.right_m + (rng.uniform(0.3, 1.5) if not oblique else
                              max(0.5, street.sidewalk_m[1] - rng.uniform(0.3, 1.0)))
    elif where < 0.8:
        x = street.left_m - (rng.uniform(0.3, 1.5) if not oblique else
                             max(0.5, street.sidewalk_m[0] - rng.uniform(0.3, 1.0)))
    else:  # on an arm over the road
        x = rng.uniform(street.left_m + 1, street.right_m - 1)
    aim_y = rng.uniform(8, 22) if oblique else rng.uniform(25, 60)
    width = street.right_m - street.left_m
    aim_x = (street.left_m + street.right_m) / 2 + rng.uniform(-0.25, 0.25) * width
    yaw = math.degrees(math.atan2(aim_x - x, aim_y)) + rng.uniform(-5, 5)
    dist = max(18.0, math.hypot(aim_x - x, aim_y) * rng.uniform(0.6, 1.1))
    tilt = math.degrees(math.atan2(height, dist)) + rng.uniform(-2, 2)
    return Rig(height, min(28.0, max(7.0, tilt)), yaw, rng.uniform(48, 74), x,
               rng.uniform(-2.0, 2.0))


def sample_look(rng: random.Random, domain: Domain, time_of_day: str | None = None,
                weather: str | None = None) -> Look:
    tod = time_of_day or _pick(rng, domain.times)
    w = weather or _pick(rng, domain.weathers)
    daylight = {"day": rng.uniform(0.8, 1.0), "dusk": rng.uniform(0.3, 0.65),
                "night": rng.uniform(0.0, 0.12)}[tod]
    visibility = {"clear": rng.uniform(1500, 6000), "overcast": rng.uniform(800, 3000),
                  "rain": rng.uniform(300, 1200), "fog": rng.uniform(45, 220)}[w]
    night = tod == "night"
    return Look(
        daylight=daylight, weather=w, visibility_m=visibility,  # type: ignore[arg-type]
        rain=rng.uniform(0.3, 1.0) if w == "rain" else 0.0,
        sun_azimuth_deg=rng.uniform(0, 360),
        sun_elevation_deg=rng.uniform(25, 75) if tod == "day" else rng.uniform(4, 15),
        exposure=rng.uniform(0.8, 1.25), contrast=rng.uniform(0.8, 1.2),
        saturation=rng.uniform(0.6, 1.3), tint=(rng.uniform(0.9, 1.1), rng.uniform(0.9, 1.1)),
        noise=rng.uniform(3, 10) if night else rng.uniform(1, 5),
        blur=rng.uniform(0, 1.1) if rng.random() < 0.6 else 0.0,
        jpeg_quality=rng.randint(35, 90), motion_blur=0.06 if rng.random() < 0.5 else 0.0,
        infrared=night and rng.random() < 0.3, caption=rng.random() < 0.8,
    )


def sample_flow(rng: random.Random) -> Flow:
    jam = rng.random() < 0.25
    return Flow(density=rng.uniform(0.2, 1.3), congestion=rng.uniform(0.5, 1.0) if jam else 0.0,
                motorbike_share=rng.uniform(0.55, 0.85), heavy_share=rng.uniform(0.12, 0.5),
                walkers=rng.uniform(0.2, 1.5), parked=rng.randint(0, 14))


def sample_scene(seed: int | str, domain: Domain = TRAIN, **look: str) -> Scene:
    """A whole scene from one seed; `time_of_day=` and `weather=` pin the look."""
    rng = random.Random(f"scene:{seed}")
    street = sample_street(rng, domain)
    rig = sample_rig(rng, street, domain)
    return Scene(street, rig, sample_look(rng, domain, **look), sample_flow(rng))


def street_scene(camera_id: str) -> Scene:
    """A city camera's own street: the same street for the same id, whatever the run's seed."""
    rng = random.Random(f"street:{camera_id}")
    street = sample_street(rng, LIVE)
    rig = sample_rig(rng, street, LIVE)
    look = replace(sample_look(rng, LIVE), infrared=False, caption=True, motion_blur=0.02)
    return Scene(street, rig, look, Flow(parked=rng.randint(0, 10)))


class Pinhole:
    """A pinhole camera: world metres to pixels, and the image-to-ground homography."""

    NEAR_M = 0.5

    def __init__(self, rig: Rig, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.f = width / 2 / math.tan(math.radians(rig.hfov_deg) / 2)
        self.cx, self.cy = width / 2, height / 2
        yaw, tilt, roll = (math.radians(a) for a in (rig.yaw_deg, rig.tilt_deg, rig.roll_deg))
        forward = np.array([math.sin(yaw) * math.cos(tilt), math.cos(yaw) * math.cos(tilt),
                            -math.sin(tilt)])
        right = np.array([forward[1], -forward[0], 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        right, down = (math.cos(roll) * right + math.sin(roll) * down,
                       -math.sin(roll) * right + math.cos(roll) * down)
        self.R = np.stack([right, down, forward])
        self.C = np.array([rig.x_m, 0.0, rig.height_m])
        self.K = np.array([[self.f, 0, self.cx], [0, self.f, self.cy], [0, 0, 1.0]])
        ground = self.K @ np.column_stack([self.R[:, 0], self.R[:, 1], -self.R @ self.C])
        self.ground_to_image = ground / ground[2, 2]
        inverse = np.linalg.inv(ground)
        self.image_to_ground = inverse / inverse[2, 2]

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        return (points - self.C) @ self.R.T

    def pixels(self, cam: np.ndarray) -> np.ndarray:
        """Camera-frame points (in front of the camera) to pixel coordinates."""
        z = np.maximum(cam[..., 2:3], 1e-6)
        return cam[..., :2] * (self.f / z) + (self.cx, self.cy)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cam = self.to_camera(points)
        return self.pixels(cam), cam[..., 2]

    def ground_point(self, u: float, v: float) -> tuple[float, float] | None:
        """Where pixel (u, v) meets the ground, or None above the horizon."""
        x, y, w = self.image_to_ground @ (u, v, 1.0)
        ray = self.R.T @ ((u - self.cx) / self.f, (v - self.cy) / self.f, 1.0)
        return (x / w, y / w) if ray[2] < 0 else None

    def ground_to_pixels(self, xy: np.ndarray) -> np.ndarray:
        h = np.column_stack([xy, np.ones(len(xy))]) @ self.ground_to_image.T
        return h[:, :2] / h[:, 2:3]

    def ray_distance(self) -> np.ndarray:
        """Per pixel: metres from the camera to the ground along its ray (inf above horizon)."""
        a = ((np.arange(self.width, dtype=np.float32) + 0.5 - self.cx) / self.f)[None, :]
        b = ((np.arange(self.height, dtype=np.float32) + 0.5 - self.cy) / self.f)[:, None]
        # The ray (a, b, 1) in the camera frame; its world z is the third column of R.
        dz = self.R[0, 2] * a + self.R[1, 2] * b + self.R[2, 2]
        length = np.sqrt(a * a + b * b + 1)  # R turns rays without stretching them
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(dz < -1e-6, -self.C[2] / dz * length, np.inf).astype(np.float32)
