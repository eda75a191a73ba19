"""Simulated traffic cameras: road users moving along a street, rendered frame by frame.

Motion runs on the camera's own video time (frame seq / fps) so consecutive frames are always
1/fps apart and trackers can follow vehicles, whatever the scenario speed. Density, congestion
and daylight follow the scenario clock (`at`): rush hours are dense and slow, nights are dark
and empty. All randomness comes from one generator per camera, so the same seed, camera and
sequence of frame times give the same frames.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from ioc.city import CameraSite
from ioc.events import CameraFrame
from simulators.render import Actor, GroundTruth, SceneRenderer
from simulators.rhythm import LOCAL_TZ, daylight, local_hour, traffic_level

PX_PER_M = 24.0  # at row scale 1.0
# What travels on each kind of row, with weights: motorbikes dominate Vietnamese streets.
ROW_MIX = {
    "walk": (("person", 1.0),),
    "moto": (("motorcycle", 0.9), ("bicycle", 0.1)),
    "mixed": (("car", 0.45), ("motorcycle", 0.3), ("truck", 0.13), ("bus", 0.12)),
}
ARRIVALS_PER_S = {"walk": 0.06, "moto": 0.45, "mixed": 0.2}  # at full traffic
DESIRED_SPEED_M_S = {"person": 1.3, "bicycle": 4.0, "motorcycle": 9.0, "car": 11.0,
                     "bus": 9.0, "truck": 9.0}
COLOURS = {
    "car": [(240, 240, 240), (30, 30, 30), (160, 160, 165), (40, 40, 170), (150, 90, 30),
            (200, 200, 200), (60, 110, 60)],
    "motorcycle": [(30, 30, 30), (40, 40, 180), (180, 60, 30), (200, 200, 200), (40, 150, 200)],
    "bicycle": [(40, 40, 40), (60, 60, 160), (160, 100, 40)],
    "bus": [(60, 150, 60), (40, 190, 230), (230, 230, 230)],
    "truck": [(170, 90, 30), (40, 40, 160), (200, 200, 200)],
    "person": [(200, 200, 200), (150, 80, 40), (60, 60, 160), (80, 160, 200), (220, 220, 240)],
}
GAP_M = 1.5  # bumper-to-bumper distance kept when queueing
WRONG_WAY_SHARE = 0.01  # motorbikes riding against the traffic, a daily sight
STALL_SHARE = 0.01  # cars that break down and stand still for a while


@dataclass
class _Mover:
    actor: Actor
    desired_px_s: float
    stalled_s: float = 0.0  # seconds left standing still


class CameraSim:
    """One camera: the road users in view and the renderer that draws them."""

    def __init__(self, camera: CameraSite, seed: int, fps: float = 1.0, width: int = 640,
                 height: int = 360, jpeg_quality: int = 70, warm_up_s: float = 40.0) -> None:
        self.camera = camera
        self.fps = fps if fps > 0 else 1.0
        self.renderer = SceneRenderer(f"{seed}:{camera.id}", width, height, jpeg_quality)
        self.layout = self.renderer.layout
        self.seq = 0
        self._rng = random.Random(f"{seed}:camera:{camera.id}")
        self._ids = random.Random(f"{seed}:camera-ids:{camera.id}")
        # Some junctions jam more than others.
        self._jam_prone = self._rng.uniform(0.5, 1.0)
        self._movers: list[_Mover] = []
        self._warm_up_s = warm_up_s

    # -- traffic -----------------------------------------------------------------------------

    def _congestion(self, hour: float) -> float:
        """0..1: how much rush hour slows this street."""
        return max(0.0, min(1.0, (traffic_level(hour) - 0.7) / 0.3)) * self._jam_prone

    def _spawn(self, row_index: int, speed_factor: float) -> None:
        row = self.layout.rows[row_index]
        names, weights = zip(*ROW_MIX[row.kind], strict=True)
        cls = self._rng.choices(names, weights)[0]
        size = self._rng.uniform(0.9, 1.1)
        length, _ = self.layout.footprint(cls, size, row_index)
        facing = row.direction
        if cls == "motorcycle" and row.kind == "moto" and self._rng.random() < WRONG_WAY_SHARE:
            facing = -row.direction
        entry = -length / 2 if facing > 0 else self.layout.width + length / 2
        # Keep a gap to whoever entered last, or skip this arrival: the street is full.
        for m in self._movers:
            if m.actor.row == row_index and m.actor.facing == facing:
                other_len, _ = self.layout.footprint(m.actor.cls, m.actor.size, row_index)
                if abs(m.actor.x - entry) < (length + other_len) / 2 + GAP_M * PX_PER_M:
                    return
        actor = Actor(
            cls=cls, row=row_index, x=entry, size=size,
            colour=self._rng.choice(COLOURS[cls]),
            accent=self._rng.choice([(30, 30, 30), (40, 40, 200), (200, 200, 200), (30, 160, 220),
                                     (160, 60, 30)]),
            style=self._rng.getrandbits(8), facing=facing, step=self._rng.random(),
        )
        desired = DESIRED_SPEED_M_S[cls] * self._rng.uniform(0.8, 1.2) * PX_PER_M * row.scale
        if cls != "person":
            desired *= speed_factor
        stalls = cls == "car" and self._rng.random() < STALL_SHARE
        self._movers.append(_Mover(actor, desired, self._rng.uniform(30, 120) if stalls else 0.0))

    def _move(self, dt: float) -> None:
        """Advance everyone by dt seconds; nobody drives into the one ahead in the same row."""
        by_lane: dict[tuple[int, int], list[_Mover]] = {}
        for m in self._movers:
            by_lane.setdefault((m.actor.row, m.actor.facing), []).append(m)
        moved = []
        for (row_index, facing), movers in by_lane.items():
            movers.sort(key=lambda m: -m.actor.x * facing)  # leader (furthest along) first
            leader_back = math.inf
            for m in movers:
                a = m.actor
                length, _ = self.layout.footprint(a.cls, a.size, row_index)
                ahead = a.x * facing
                progress = a.x if facing > 0 else self.layout.width - a.x
                if m.stalled_s > 0 and progress > 0.35 * self.layout.width:  # broken down in view
                    step = 0.0
                    m.stalled_s = max(0.0, m.stalled_s - dt)
                else:
                    step = m.desired_px_s * dt
                if a.cls != "person":  # pedestrians just walk; vehicles stop short of the next
                    room = leader_back - GAP_M * PX_PER_M * self.layout.rows[row_index].scale
                    step = max(0.0, min(step, room - (ahead + length / 2)))
                phase = (a.step + step / max(1.0, length)) % 1.0
                m.actor = replace(a, x=a.x + step * facing, step=phase)
                leader_back = m.actor.x * facing - length / 2
                moved.append(m)
        width = self.layout.width
        self._movers = [m for m in moved if -300 < m.actor.x < width + 300]

    def _advance(self, dt: float, hour: float) -> None:
        level = traffic_level(hour)
        speed_factor = 1 - 0.8 * self._congestion(hour)
        substeps = max(1, math.ceil(dt / 0.25))
        h = dt / substeps
        for _ in range(substeps):
            for i, row in enumerate(self.layout.rows):
                rate = ARRIVALS_PER_S[row.kind] * (0.1 + 0.9 * level)
                if self._rng.random() < rate * h:
                    self._spawn(i, speed_factor)
            self._move(h)

    # -- frames ------------------------------------------------------------------------------

    def render_frame(self, at: datetime) -> tuple[bytes, list[GroundTruth]]:
        """Advance one frame (1/fps of video time) and draw it; traffic and light follow `at`."""
        hour = local_hour(at)
        if self._warm_up_s:  # start with a street already in use, not an empty one
            self._advance(self._warm_up_s, hour)
            self._warm_up_s = 0.0
        elif self.seq:
            self._advance(1 / self.fps, hour)
        self.seq += 1
        caption = f"{self.camera.id.upper()}  {at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S}"
        return self.renderer.render_jpeg([m.actor for m in self._movers], daylight(hour), caption)

    def next_frame(self, at: datetime) -> tuple[CameraFrame, bytes, list[GroundTruth]]:
        """The next frame as its event (ts = at), JPEG bytes and ground-truth boxes."""
        seq = self.seq
        jpeg, truth = self.render_frame(at)
        frame = CameraFrame(
            event_id=uuid.UUID(int=self._ids.getrandbits(128), version=4), ts=at,
            camera_id=self.camera.id, seq=seq,
            width=self.layout.width, height=self.layout.height,
        )
        return frame, jpeg, truth
