"""Simulated traffic cameras: a street, its traffic and a camera on a pole, frame by frame.

`StreetView` is one camera's street over its own video time: traffic in metres and seconds,
scripted incidents, the frames, and the truth the checks compare the analytics against (boxes
with track ids, line crossings, incidents). `CameraSim` is a city camera on top of it: its street
is seeded by the camera id (the same street on every run), and density, congestion, daylight and
rain follow the scenario clock (`at`), with a few incidents a day by chance.

Motion runs on the camera's video time (frame seq / fps), so consecutive frames are 1/fps
apart whatever the scenario speed and trackers can follow vehicles. Video time 0 is the first
frame; the warm-up runs before it.

Count line and its directions (as `ioc count`): the line runs from (x1, y1) to (x2, y2) in
image pixels, y pointing down, with x1 <= x2. A point p is on the line's right when
    (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1) > 0,
which on screen is the side to your right as you look from (x1, y1) towards (x2, y2); for a line
drawn left to right that is below it. "in" is a crossing from left to right (so, on such a line,
moving down the image: towards the camera), "out" the reverse. A road user crosses when its
ground point (the middle of its footprint) passes the line's stretch of ground.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np

from ioc.city import CameraSite
from ioc.events import CameraFrame
from simulators.camera_scene import Look, Pinhole, Scene, Street, street_scene
from simulators.camera_traffic import Incident, IncidentTruth, Traffic
from simulators.render import GroundTruth, Placed, Renderer
from simulators.rhythm import LOCAL_TZ, daylight, local_hour, traffic_level
from simulators.sensors import weather_on

STEP_S = 0.25  # motion substep: a quarter of the shortest headway
Direction = Literal["in", "out"]


@dataclass(frozen=True)
class Crossing:
    track_id: int
    cls: str
    direction: Direction
    t_s: float


@dataclass(frozen=True)
class FrameTruth:
    """What a frame really shows. For checks and training only: analytics never read it."""

    seq: int
    t_s: float  # the camera's video time
    boxes: tuple[GroundTruth, ...]
    crossings: tuple[Crossing, ...]  # since the previous frame
    incidents: tuple[IncidentTruth, ...]  # going on at this frame


def side_of(line: tuple[float, float, float, float], px, py):
    """> 0 right of the line looking from (x1, y1) to (x2, y2), image y down; < 0 left."""
    x1, y1, x2, y2 = line
    return (x2 - x1) * (np.asarray(py) - y1) - (y2 - y1) * (np.asarray(px) - x1)


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1]) - (a[..., 1] - o[..., 1]) * (
        b[..., 0] - o[..., 0])


def _clip_segment(p: np.ndarray, q: np.ndarray, width: int, height: int
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """Liang-Barsky: the part of p-q inside the frame, 2 px in from its edges."""
    lo, hi = 0.0, 1.0
    d = q - p
    for delta, start, low, high in ((d[0], p[0], 2, width - 3), (d[1], p[1], 2, height - 3)):
        for num, den in ((start - low, -delta), (high - start, delta)):
            if den == 0:
                if num < 0:
                    return None
                continue
            t = num / den
            if den < 0:
                lo = max(lo, t)
            else:
                hi = min(hi, t)
    if lo >= hi:
        return None
    return p + lo * d, p + hi * d


def view_range(cam: Pinhole, street: Street) -> tuple[float, float]:
    """Along-road metres the camera sees well: from near the bottom of the frame to mid-way."""
    x = (street.left_m + street.right_m) / 2
    ys = np.linspace(0.0, 200.0, 401)
    pts = np.column_stack([np.full_like(ys, x), ys, np.zeros_like(ys)])
    uv, z = cam.project(pts)
    seen = (z > 1) & (uv[:, 0] > 0) & (uv[:, 0] < cam.width) & (uv[:, 1] > 0.08 * cam.height) \
        & (uv[:, 1] < cam.height)
    if not seen.any():
        return 10.0, 60.0
    near, far = float(ys[seen].min()), float(ys[seen].max())
    return near, max(near + 20.0, min(far, near + 110.0))


def count_line(cam: Pinhole, street: Street, view: tuple[float, float]
               ) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """A line across the carriageway low in the frame: image ints and its ground ends."""
    best = None
    for y in np.linspace(view[0] + 2, view[1], 120):
        ends = np.array([[street.left_m, y], [street.right_m, y]])
        uv = cam.ground_to_pixels(ends)
        clipped = _clip_segment(uv[0], uv[1], cam.width, cam.height)
        if clipped is None:
            continue
        p, q = clipped
        length = float(np.hypot(*(q - p)))
        centre_v = (p[1] + q[1]) / 2
        score = abs(centre_v - 0.64 * cam.height) - 0.25 * length
        if best is None or score < best[0]:
            best = (score, p, q)
    if best is None:
        raise ValueError("the carriageway is nowhere across the frame; choose another rig")
    _, p, q = best
    if p[0] > q[0]:
        p, q = q, p
    line = (round(p[0]), round(p[1]), round(q[0]), round(q[1]))
    ends = np.array([cam.ground_point(line[0], line[1]), cam.ground_point(line[2], line[3])])
    return line, ends


class StreetView:
    """One camera's street over its video time: traffic, incidents, frames and their truth."""

    def __init__(self, scene: Scene, seed: int | str, width: int = 640, height: int = 360,
                 incidents: Sequence[Incident] = (), warm_up_s: float = 40.0) -> None:
        self.scene = scene
        self.look = scene.look
        self.renderer = Renderer(scene, width, height, seed)
        cam = self.cam = self.renderer.cam
        self.view_m = view_range(cam, scene.street)
        far = float(np.clip(cam.f * 1.5 / 4, 100, 200))  # a car is 4 px wide out there
        self.traffic = Traffic(scene.street, scene.flow, seed, self.view_m, (-25.0, far),
                               rain=scene.look.rain > 0, incidents=tuple(incidents),
                               t_s=-warm_up_s)
        self.traffic.sees = self._in_clear_view
        self.count_line, self._line_ground = count_line(cam, scene.street, self.view_m)
        self.homography = cam.image_to_ground  # pixels -> ground metres: a hand calibration
        self._counts: dict[str, dict[str, int]] = {}
        self._warm_up_s = warm_up_s

    @property
    def t_s(self) -> float:
        return self.traffic.now

    @property
    def incidents(self) -> list[IncidentTruth]:
        return self.traffic.truths

    def counts(self) -> dict[str, dict[str, int]]:
        """True line crossings since the first frame, per class and direction."""
        return {cls: dict(by_direction) for cls, by_direction in self._counts.items()}

    def warm_up(self) -> None:
        """Run the street up to video time 0, the first frame; nothing crosses before it."""
        if self._warm_up_s:
            self.advance(self._warm_up_s)
            self._warm_up_s = 0.0
            self._counts.clear()

    def advance(self, dt: float) -> list[Crossing]:
        """Move everyone on by dt seconds; return the crossings on the way."""
        found: list[Crossing] = []
        n = max(1, math.ceil(dt / STEP_S - 1e-9))
        for _ in range(n):
            self.traffic.step(dt / n)
            found.extend(self._crossed())
        for c in found:
            self._counts.setdefault(c.cls, {"in": 0, "out": 0})[c.direction] += 1
        return found

    def _crossed(self) -> list[Crossing]:
        t = self.traffic
        if not len(t):
            return []
        p0, p1 = t.prev_xy, np.column_stack([t.a["x"], t.a["y"]])
        a, b = self._line_ground
        hit = (_cross(a, b, p0) * _cross(a, b, p1) < 0) & (
            _cross(p0, p1, a[None]) * _cross(p0, p1, b[None]) < 0)
        out = []
        for k in np.flatnonzero(hit):
            uv = self.cam.ground_to_pixels(np.array([p0[k], p1[k]]))
            before, after = side_of(self.count_line, uv[:, 0], uv[:, 1])
            if before * after >= 0:
                continue
            out.append(Crossing(t.ids[k], t.cls[k], "in" if before < 0 else "out", t.now))
        return out

    def _in_clear_view(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Ground points well inside the frame, where a car would stand 14 px tall or more."""
        uv, z = self.cam.project(np.column_stack([x, y, np.zeros_like(x)]))
        w, h = self.cam.width, self.cam.height
        return (z > 2) & (self.cam.f * 1.5 / np.maximum(z, 1e-3) >= 14) \
            & (uv[:, 0] > 0.1 * w) & (uv[:, 0] < 0.9 * w) & (uv[:, 1] > 0.2 * h) \
            & (uv[:, 1] < 0.95 * h)

    def placed(self, look: Look) -> list[Placed]:
        t = self.traffic
        a = t.a
        headings = t.headings()
        lamps = look.daylight < 0.5 or look.weather in ("rain", "fog")
        return [Placed(t.bodies[k], float(a["x"][k]), float(a["y"][k]), float(headings[k]),
                       t.ids[k], float(a["phase"][k]), bool(a["brake"][k]),
                       lamps and a["kind"][k] == 0)
                for k in range(len(t))]

    def frame(self, look: Look | None = None, caption: str = ""
              ) -> tuple[np.ndarray, list[GroundTruth]]:
        look = look or self.look
        img, boxes = self.renderer.render(self.placed(look), look, caption)
        self.traffic.seen = {b.track_id: b.y2 - b.y1 for b in boxes}
        return img, boxes

    def ongoing(self) -> tuple[IncidentTruth, ...]:
        now = self.t_s
        return tuple(i for i in self.incidents if i.start_s <= now + 1e-6 and now <= i.end_s)


# -- the live city's cameras ---------------------------------------------------------------

INCIDENTS_PER_DAY = 3.0
MIN_INCIDENT_S = 45.0  # of video time
_KIND_WEIGHTS = {"stalled": .3, "wrong_way": .3, "crash": .15, "congestion": .25}
_DURATION_S = {"stalled": (120, 600), "wrong_way": (0, 0), "crash": (180, 900),
               "congestion": (600, 1800)}


def incidents_on(seed: int, camera_id: str, day: date, per_day: float
                 ) -> list[tuple[datetime, Incident]]:
    """The incidents one city camera has on one local day, by chance: when, what, how long."""
    rng = random.Random(f"{seed}:incidents:{camera_id}:{day.isoformat()}")
    out = []
    t = rng.expovariate(per_day) if per_day > 0 else math.inf
    while t < 1.0:
        kind = rng.choices(list(_KIND_WEIGHTS), list(_KIND_WEIGHTS.values()))[0]
        hour = 6 + 16 * t if kind != "congestion" else rng.choice((7.0, 17.2)) + rng.gauss(0, 0.6)
        at = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ) + timedelta(hours=hour)
        lo, hi = _DURATION_S[kind]
        out.append((at, Incident(kind, 0.0, rng.uniform(lo, hi))))  # type: ignore[arg-type]
        t += rng.expovariate(per_day)
    return sorted(out, key=lambda item: item[0])


class CameraSim:
    """One city camera: its street, the traffic the clock calls for, and the frames."""

    def __init__(self, camera: CameraSite, seed: int, fps: float = 1.0, width: int = 640,
                 height: int = 360, jpeg_quality: int = 70, warm_up_s: float = 40.0,
                 scene: Scene | None = None, incidents: Sequence[Incident] = (),
                 incidents_per_day: float | None = None) -> None:
        self.camera = camera
        self.seed = seed
        self.fps = fps if fps > 0 else 1.0
        self.jpeg_quality = jpeg_quality
        self.live = scene is None
        self.scene = scene or street_scene(camera.id)
        self.view = StreetView(self.scene, f"{seed}:{camera.id}", width, height, incidents,
                               warm_up_s)
        self.width, self.height = width, height
        self.seq = 0
        self._ids = random.Random(f"{seed}:camera-ids:{camera.id}")
        habits = random.Random(f"habits:{camera.id}")
        self._jam_prone = habits.uniform(0.5, 1.0)  # some junctions jam more than others
        self._infrared = habits.random() < 0.3
        self.incidents_per_day = (INCIDENTS_PER_DAY if self.live else 0.0) \
            if incidents_per_day is None else incidents_per_day
        self._last_at: datetime | None = None

    # What the checks compare against: never read by the analytics.
    @property
    def count_line(self) -> tuple[int, int, int, int]:
        return self.view.count_line

    @property
    def homography(self) -> np.ndarray:
        return self.view.homography

    @property
    def incidents(self) -> list[IncidentTruth]:
        return self.view.incidents

    def counts(self) -> dict[str, dict[str, int]]:
        return self.view.counts()

    def look_at(self, at: datetime) -> Look:
        """Daylight and weather at `at`; a scripted scene keeps its own look."""
        if not self.live:
            return self.scene.look
        hour = local_hour(at)
        light = round(daylight(hour) * 16) / 16
        day = at.astimezone(LOCAL_TZ).date()
        rain_mm = sum(s.mm_per_h for s in weather_on(self.seed, day, ()).showers
                      if s.covers(at.timestamp()))
        base = self.scene.look
        if rain_mm > 0:
            rain = round(min(1.0, max(0.3, rain_mm / 30)), 1)
            return replace(base, daylight=light, weather="rain", rain=rain,
                           visibility_m=1200 - 800 * rain, jpeg_quality=self.jpeg_quality,
                           infrared=self._infrared and light < 0.2)
        fog = random.Random(f"{self.seed}:fog:{day.isoformat()}").random() < 0.15 \
            and day.month in (12, 1, 2, 3) and 5.0 <= hour < 7.5
        return replace(base, daylight=light, weather="fog" if fog else "clear", rain=0.0,
                       visibility_m=150.0 if fog else 3000.0, jpeg_quality=self.jpeg_quality,
                       infrared=self._infrared and light < 0.2)

    def _follow_clock(self, at: datetime) -> None:
        hour = local_hour(at)
        level = traffic_level(hour)
        traffic = self.view.traffic
        traffic.density = 0.1 + 1.1 * level
        traffic.congestion = max(0.0, min(1.0, (level - 0.7) / 0.3)) * self._jam_prone
        traffic.rain = self.look_at(at).rain > 0
        if self.incidents_per_day <= 0:
            return
        start = self._last_at or at
        # Scenario seconds per video second: a replay at 60x squeezes a 10-minute stall into
        # 10 s of the camera's video, but never below what an operator could notice.
        pace = max(1.0, (at - start).total_seconds() * self.fps)
        day = start.astimezone(LOCAL_TZ).date()
        while day <= at.astimezone(LOCAL_TZ).date():
            for when, incident in incidents_on(self.seed, self.camera.id, day,
                                               self.incidents_per_day):
                if start < when <= at or (self._last_at is None and when == at):
                    traffic.add_incident(replace(
                        incident, start_s=traffic.now,
                        duration_s=max(MIN_INCIDENT_S, incident.duration_s / pace)))
            day += timedelta(days=1)
        self._last_at = at

    def render_frame(self, at: datetime) -> tuple[bytes, FrameTruth]:
        """Advance one frame (1/fps of video time) and draw it; traffic and light follow `at`."""
        if self.live:
            self._follow_clock(at)
        self.view.warm_up()
        crossings = self.view.advance(1 / self.fps) if self.seq else []
        look = self.look_at(at)
        caption = f"{self.camera.id.upper()}  {at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S}"
        img, boxes = self.view.frame(look, caption)
        truth = FrameTruth(self.seq, self.view.t_s, tuple(boxes), tuple(crossings),
                           self.view.ongoing())
        self.seq += 1
        return self.view.renderer.encode(img, look.jpeg_quality), truth

    def next_frame(self, at: datetime) -> tuple[CameraFrame, bytes, FrameTruth]:
        """The next frame as its event (ts = at), JPEG bytes and what it really shows."""
        seq = self.seq
        jpeg, truth = self.render_frame(at)
        frame = CameraFrame(
            event_id=uuid.UUID(int=self._ids.getrandbits(128), version=4), ts=at,
            camera_id=self.camera.id, seq=seq, width=self.width, height=self.height,
        )
        return frame, jpeg, truth

