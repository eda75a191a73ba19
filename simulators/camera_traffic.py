"""Road users moving on a street in metres and seconds: car-following, weaving, incidents.

Each vehicle keeps a gap to whatever is ahead of it and overlaps it sideways (a time headway plus
a standstill gap, so queues form behind slow ones), and when blocked it looks for room beside:
motorbikes squeeze past in the same lane, cars change lanes. Pedestrians walk the sidewalks,
some stand, a few cross; motorbikes stand parked on the sidewalk. Scripted `Incident`s stall a
vehicle, send one the wrong way, make two collide, or jam the street; `IncidentTruth` records
what happened, for the checks, never for the analytics.

Pure: a seeded generator and `step(dt)`; nothing here knows about cameras or clocks.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from simulators.camera_bodies import VARIANTS, Body, body_for
from simulators.camera_scene import Flow, Street

IncidentKind = Literal["stalled", "wrong_way", "crash", "congestion"]
INCIDENT_KINDS: tuple[IncidentKind, ...] = ("stalled", "wrong_way", "crash", "congestion")

# Desired speeds in m/s (urban Vietnam: motorbikes 30-45 km/h) and the car-following habits.
SPEED = {"person": (1.0, 1.6), "bicycle": (3.0, 5.0), "motorcycle": (8.0, 12.5),
         "car": (9.0, 14.0), "bus": (8.0, 11.0), "truck": (7.0, 11.0)}
HEADWAY_S = {"bicycle": 0.8, "motorcycle": 0.7, "car": 1.2, "bus": 1.5, "truck": 1.5}
STANDSTILL_M = {"bicycle": 0.5, "motorcycle": 0.5, "car": 1.5, "bus": 2.0, "truck": 2.0}
ACCEL = {"bicycle": 1.0, "motorcycle": 2.5, "car": 2.0, "bus": 1.0, "truck": 1.0}
ARRIVALS_PER_LANE_S = 1.0  # all vehicles, at density 1
BRAKE = 6.0  # m/s², ordinary hard braking
STALL_BRAKE = 3.0  # a breakdown: it rolls to a stop
SIDE_M = 0.2  # the sideways clearance that counts as "in my way"

VEHICLE, WALKER, STANDING, CROSSING = range(4)
NORMAL, STALL, BRAKE_HARD, RAM, STOPPED = range(5)


@dataclass(frozen=True)
class Incident:
    """A scripted incident: what, when (seconds of the camera's video time), for how long.

    A wrong-way vehicle enters at `start_s` and lasts until it has driven out of view.
    """

    kind: IncidentKind
    start_s: float
    duration_s: float = 180.0


@dataclass
class IncidentTruth:
    kind: IncidentKind
    track_ids: tuple[int, ...]
    start_s: float
    end_s: float


@dataclass
class _Pending:
    incident: Incident
    give_up_s: float
    truth: IncidentTruth | None = None
    done: bool = False
    partner: tuple[int, int] | None = None  # crash: (leader, follower) track ids


@dataclass
class Traffic:
    """Everything that moves on one street."""

    street: Street
    flow: Flow
    seed: int | str
    view_m: tuple[float, float]  # along-road range the camera sees well: where incidents go
    span_m: tuple[float, float]  # where road users enter and leave
    rain: bool = False
    incidents: tuple[Incident, ...] = ()
    t_s: float = 0.0
    density: float = field(init=False)
    congestion: float = field(init=False)

    FIELDS = ("x", "y", "v", "v0", "d", "L", "W", "s0", "T", "acc", "target_x", "kind", "two",
              "mode", "hold", "yaw", "phase", "xmin", "xmax", "vx", "brake", "lane")

    def __post_init__(self) -> None:
        self.rng = random.Random(f"traffic:{self.seed}")
        self.nprng = np.random.default_rng(self.rng.getrandbits(64))  # for many draws at once
        self.density, self.congestion = self.flow.density, self.flow.congestion
        self.a = {f: np.zeros(0) for f in self.FIELDS}
        self.bodies: list[Body] = []
        self.ids: list[int] = []
        self.cls: list[str] = []
        self._next_id = 1
        self.prev_xy = np.zeros((0, 2))
        self.truths: list[IncidentTruth] = []
        self._pending = [_Pending(i, i.start_s + 120.0) for i in
                         sorted(self.incidents, key=lambda i: i.start_s)]
        self._wrong_way: dict[int, IncidentTruth] = {}
        self.seen: dict[int, float] = {}  # track id -> box height in the last frame
        self.sees: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
        self._jam = 0.0
        self._fill()

    # -- who is where ----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def now(self) -> float:
        """The clock, to the microsecond: sums of float substeps, rounded."""
        return round(self.t_s, 6)

    def _add(self, cls: str, x: float, y: float, d: float, kind: int, v: float | None = None,
             lane: int = -1, bounds: tuple[float, float] | None = None, heading_x: float = 0.0,
             body: Body | None = None, yaw: float = 0.0) -> int:
        rng = self.rng
        body = body or body_for(cls, rng.randrange(VARIANTS), rain=self.rain)
        lo, hi = SPEED[cls]
        v0 = rng.uniform(lo, hi)
        bounds = bounds or (x, x)
        row = dict(x=x, y=y, v=v0 if v is None else v, v0=v0, d=d, L=body.length_m,
                   W=body.width_m, s0=STANDSTILL_M.get(cls, 0.3), T=HEADWAY_S.get(cls, 0.5),
                   acc=ACCEL.get(cls, 1.0), target_x=x, kind=kind,
                   two=cls in ("motorcycle", "bicycle"), mode=NORMAL, hold=0.0, yaw=yaw,
                   phase=rng.random(), xmin=bounds[0], xmax=bounds[1], vx=heading_x, brake=0,
                   lane=lane)
        for f in self.FIELDS:
            self.a[f] = np.append(self.a[f], row[f])
        self.prev_xy = np.vstack([self.prev_xy, [[x, y]]])
        self.bodies.append(body)
        self.cls.append(cls)
        self.ids.append(self._next_id)
        self._next_id += 1
        return self.ids[-1]

    def _keep(self, mask: np.ndarray) -> None:
        for f in self.FIELDS:
            self.a[f] = self.a[f][mask]
        self.prev_xy = self.prev_xy[mask]
        idx = np.flatnonzero(mask)
        self.bodies = [self.bodies[i] for i in idx]
        self.cls = [self.cls[i] for i in idx]
        self.ids = [self.ids[i] for i in idx]

    def index_of(self, track_id: int) -> int | None:
        try:
            return self.ids.index(track_id)
        except ValueError:
            return None

    def place(self, cls: str, x: float, y: float, direction: int, speed: float) -> int:
        """Put a road user on the road by hand (tests, staged scenes); its track id."""
        lane = min(range(len(self.street.lanes)),
                   key=lambda i: abs(self.street.lanes[i].centre_m - x))
        bounds = self._bounds(self.street.lanes[lane].direction)  # the side it is on
        track = self._add(cls, x, y, direction, VEHICLE if cls != "person" else WALKER, v=speed,
                          lane=lane, bounds=bounds)
        self.a["v0"][-1] = speed
        return track

    def _bounds(self, direction: int) -> tuple[float, float]:
        xs = [(ln.centre_m - ln.width_m / 2, ln.centre_m + ln.width_m / 2)
              for ln in self.street.lanes if ln.direction == direction]
        return min(a for a, _ in xs), max(b for _, b in xs)

    def _vehicle_class(self) -> str:
        m, heavy = self.flow.motorbike_share, self.flow.heavy_share
        light = (1 - m) * (1 - heavy)
        return self.rng.choices(("motorcycle", "car", "bicycle", "truck", "bus"),
                                (m, light * 0.75, light * 0.25, (1 - m) * heavy * 0.65,
                                 (1 - m) * heavy * 0.35))[0]

    def _lateral_for(self, cls: str, lane_index: int, width: float) -> float:
        lane = self.street.lanes[lane_index]
        half = lane.width_m / 2 - width / 2 - 0.15
        if cls in ("motorcycle", "bicycle"):
            x = lane.centre_m + self.rng.uniform(-half, half)
            if cls == "bicycle":  # bicycles keep to the kerb side
                lo, hi = self._bounds(lane.direction)
                x = hi - 0.6 if lane.direction > 0 else lo + 0.6
            return x
        return lane.centre_m + self.rng.uniform(-0.15, 0.15)

    def _free(self, x: float, y: float, width: float, length: float, room: float) -> bool:
        a = self.a
        if not len(self.ids):
            return True
        side = np.abs(a["x"] - x) < (a["W"] + width) / 2 + SIDE_M
        near = np.abs(a["y"] - y) < (a["L"] + length) / 2 + room
        return not (side & near & (a["kind"] != WALKER)).any()

    def _spawn_vehicle(self, lane_index: int, y: float | None = None) -> None:
        lane = self.street.lanes[lane_index]
        cls = self._vehicle_class()
        body = body_for(cls, self.rng.randrange(VARIANTS), rain=self.rain)
        entry = y if y is not None else (self.span_m[0] if lane.direction > 0 else self.span_m[1])
        for _ in range(3):
            x = self._lateral_for(cls, lane_index, body.width_m)
            if self._free(x, entry, body.width_m, body.length_m, 3.0):
                self._add(cls, x, entry, lane.direction, VEHICLE, lane=lane_index,
                          bounds=self._bounds(lane.direction), body=body)
                return

    def _spawn_walker(self, side: int, y: float, direction: float, standing: bool) -> None:
        edge = self.street.right_m if side > 0 else self.street.left_m
        width = self.street.sidewalk_m[1 if side > 0 else 0]
        x = edge + side * self.rng.uniform(0.5, max(0.6, width - 0.4))
        self._add("person", x, y, direction, STANDING if standing else WALKER,
                  v=0.0 if standing else None,
                  yaw=self.rng.uniform(-math.pi, math.pi) if standing else 0.0)

    def _fill(self) -> None:
        """Start with a street in use, not an empty one."""
        rng = self.rng
        lo, hi = self.span_m
        for i, _ in enumerate(self.street.lanes if self.density > 0 else ()):
            spacing = 10.0 / self.density
            y = lo + rng.uniform(0, spacing)
            while y < hi:
                self._spawn_vehicle(i, y)
                y += rng.expovariate(1 / spacing) + 2.0
        for side in (-1, 1):
            for _ in range(int(rng.uniform(2, 6) * self.flow.walkers)):
                self._spawn_walker(side, rng.uniform(lo, min(hi, 120)), rng.choice((-1, 1)),
                                   standing=False)
            for _ in range(int(rng.uniform(0, 4) * self.flow.walkers)):
                self._spawn_walker(side, rng.uniform(3, 70), rng.choice((-1, 1)), standing=True)
        for _ in range(self.flow.parked):  # motorbikes parked across the sidewalk
            side = rng.choice((-1, 1))
            edge = self.street.right_m if side > 0 else self.street.left_m
            width = self.street.sidewalk_m[1 if side > 0 else 0]
            if width < 2.2:
                continue
            x = edge + side * rng.uniform(1.1, width - 1.0)
            y = rng.uniform(2, 70)
            body = body_for("motorcycle", rng.randrange(VARIANTS), parked=True)
            if self._free(x, y, 1.9, 0.7, 0.1):
                self._add("motorcycle", x, y, 0.0, STANDING, v=0.0, body=body,
                          yaw=side * math.pi / 2 + rng.choice((0, math.pi)) + rng.gauss(0, 0.2))

    # -- motion ----------------------------------------------------------------------------

    def _jam_level(self) -> float:
        """0..1 from the scene's own congestion and any congestion incident running."""
        level = self.congestion
        for p in self._pending:
            i = p.incident
            if i.kind != "congestion" or self.t_s < i.start_s:
                continue
            ramp = min(120.0, i.duration_s / 3)
            end = i.start_s + i.duration_s
            up = min(1.0, (self.t_s - i.start_s) / ramp)
            down = min(1.0, max(0.0, (end + ramp - self.t_s) / ramp))
            level = max(level, min(up, down))
        return level

    def step(self, dt: float) -> None:
        self.t_s += dt
        self._jam = self._jam_level()
        self._arrive(dt)
        self._incidents()
        if len(self.ids):
            self._move(dt)
        self._leave()

    def _arrive(self, dt: float) -> None:
        rng = self.rng
        rate = ARRIVALS_PER_LANE_S * self.density * (1 + 1.5 * self._jam)
        for i, _ in enumerate(self.street.lanes):
            if rng.random() < rate * dt:
                self._spawn_vehicle(i)
        walk_rate = 0.12 * self.flow.walkers
        for side in (-1, 1):
            if rng.random() < walk_rate * dt:
                d = rng.choice((-1, 1))
                self._spawn_walker(side, self.span_m[0] + 5 if d > 0 else self.span_m[1] * 0.6,
                                   d, standing=False)
        if rng.random() < 0.01 * self.flow.walkers * dt:  # someone crosses the street
            s = self.street
            y = s.zebra_y_m + 1.7 if s.zebra_y_m is not None else rng.uniform(*self.view_m)
            side = rng.choice((-1, 1))
            x = (s.right_m + 0.3) if side > 0 else (s.left_m - 0.3)
            self._add("person", x, y, 0.0, CROSSING, heading_x=-side * rng.uniform(1.0, 1.5))

    def _move(self, dt: float) -> None:
        a = self.a
        x, y, v, d = a["x"], a["y"], a["v"], a["d"]
        n = len(x)
        self.prev_xy = np.column_stack([x, y])
        vehicle = a["kind"] == VEHICLE
        dy = (y[None, :] - y[:, None]) * d[:, None]
        clear = np.abs(x[None, :] - x[:, None]) - (a["W"][:, None] + a["W"][None, :]) / 2
        gap = dy - (a["L"][:, None] + a["L"][None, :]) / 2
        obstacle = (a["kind"] == VEHICLE) | (a["kind"] == CROSSING) | (
            (a["kind"] == STANDING) & self._on_road(x))
        blocks = (clear < SIDE_M) & (dy > 0) & obstacle[None, :] & vehicle[:, None]
        np.fill_diagonal(blocks, False)
        ram = a["mode"] == RAM
        blocks[ram] = False
        g = np.where(blocks, gap, np.inf)
        lead = g.argmin(axis=1)
        gmin = g[np.arange(n), lead]
        has = np.isfinite(gmin)
        u = np.where(has, v[lead] * d[lead] * d, 0.0)
        u = np.where(a["kind"][lead] == CROSSING, 0.0, u)
        oncoming = has & (u < 0)
        desired = np.where(vehicle, a["v0"] * (1 - 0.55 * self._jam) * self._bottleneck(y, d),
                           a["v0"])
        safe = (np.where(has, gmin, 1e9) - a["s0"] - np.maximum(0, -u) * a["T"]) / a["T"]
        # Face to face (a wrong-way rider), both edge past at walking pace, never a standoff.
        safe = np.where(oncoming, np.maximum(safe, 1.2), safe)
        target = np.clip(np.minimum(desired, safe), 0, None)
        mode = a["mode"]
        target = np.where((mode == STALL) | (mode == BRAKE_HARD) | (mode == STOPPED), 0, target)
        target = np.where(ram, v, target)
        brake = np.where(mode == BRAKE_HARD, 9.0, np.where(mode == STALL, STALL_BRAKE, BRAKE))
        new_v = v + np.clip(target - v, -brake * dt, a["acc"] * dt)
        new_v = np.where((mode == STOPPED) | (a["kind"] == STANDING), 0.0, np.maximum(new_v, 0))
        step = new_v * dt
        room = np.where(oncoming, np.inf, gmin - 0.25)
        step = np.where(has & vehicle, np.clip(np.minimum(step, room), 0, None), step)
        a["brake"] = ((new_v < v - 0.5 * dt) & (v > 0.3)) | (mode == STALL) | (mode == STOPPED)
        a["v"] = np.where(has & vehicle & (room < new_v * dt), step / dt, new_v)
        walking = a["kind"] == WALKER
        moving = vehicle | walking
        a["y"] = y + np.where(moving, step * d, 0.0)
        crossing = a["kind"] == CROSSING
        a["x"] = x + np.where(crossing, a["vx"] * dt, 0.0)
        self._sideways(dt, blocks, gmin, u, desired, dy, clear)
        self._ram()
        lengths = np.maximum(a["L"], 0.5)
        a["phase"] = (a["phase"] + np.where(crossing, np.abs(a["vx"]), a["v"]) * dt
                      / (lengths * np.where(a["two"] > 0, 1.2, 1.4))) % 1.0

    def _on_road(self, x: np.ndarray) -> np.ndarray:
        return (x > self.street.left_m) & (x < self.street.right_m)

    def _bottleneck(self, y: np.ndarray, d: np.ndarray) -> np.ndarray:
        """A jam downstream, out of view, that the queue grows back from."""
        if self._jam <= 0:
            return np.ones_like(y)
        lo, hi = self.span_m
        out = np.where(d > 0, y > hi - 0.25 * (hi - lo), y < lo + 12)
        return np.where(out, 1 - 0.95 * self._jam, 1.0)

    def _sideways(self, dt: float, blocks: np.ndarray, gmin: np.ndarray, u: np.ndarray,
                  desired: np.ndarray, dy: np.ndarray, clear: np.ndarray) -> None:
        """Blocked vehicles look for room beside; motorbikes also weave a little."""
        a = self.a
        x = a["x"]
        vehicle = a["kind"] == VEHICLE
        free_mode = (a["mode"] == NORMAL) & vehicle
        wrong = np.isin(self.ids, list(self._wrong_way)) if self._wrong_way else False
        free_mode = free_mode & ~wrong  # the wrong-way rider keeps hugging the kerb
        stuck = free_mode & np.isfinite(gmin) & (gmin < 8 + 1.5 * a["v"]) & (u < 0.7 * desired)
        stuck_idx = np.flatnonzero(stuck)
        looking = stuck_idx[self.nprng.random(len(stuck_idx)) < 4 * dt]  # now and then
        others = a["kind"] != WALKER
        for i in looking:
            if a["two"][i]:
                candidates = x[i] + np.array([-2.4, -1.8, -1.2, -0.7, 0.7, 1.2, 1.8, 2.4])
            else:
                centres = np.array([ln.centre_m for ln in self.street.lanes
                                    if a["xmin"][i] < ln.centre_m < a["xmax"][i]])
                centres = centres[np.abs(centres - x[i]) > 1.0] if len(centres) else centres
                candidates = np.concatenate([centres, x[i] + np.array([-0.8, -0.4, 0.4, 0.8])])
            half = a["W"][i] / 2 + 0.1
            candidates = candidates[(candidates > a["xmin"][i] + half)
                                    & (candidates < a["xmax"][i] - half)]
            if not len(candidates):
                continue
            # For every candidate at once: who would be in the way there, and how far ahead.
            side = np.abs(x[None, :] - candidates[:, None]) < (a["W"] + a["W"][i]) / 2 + SIDE_M
            reach = dy[i] > -(a["L"] + a["L"][i]) / 2 - 1.5
            here = side & (reach & others)[None, :]
            here[:, i] = False
            ahead = dy[i] - (a["L"] + a["L"][i]) / 2
            free_gap = np.where(here, ahead[None, :], 1e9).min(axis=1)
            best = int(free_gap.argmax())
            if free_gap[best] > gmin[i] + 3.0:
                a["target_x"][i] = candidates[best]
        weave = np.flatnonzero(free_mode & (a["two"] > 0) & (~stuck))
        weave = weave[self.nprng.random(len(weave)) < 0.04 * dt]
        if len(weave):
            half = a["W"][weave] / 2 + 0.15
            a["target_x"][weave] = np.clip(x[weave] + self.nprng.uniform(-1.2, 1.2, len(weave)),
                                           a["xmin"][weave] + half, a["xmax"][weave] - half)
        want = a["target_x"] - x
        speed = np.where(a["two"] > 0, 1.2, 0.8)
        shift = np.clip(want, -speed * dt, speed * dt) * (free_mode & (a["v"] > 0.3))
        if not shift.any():
            a["yaw"] = np.where(free_mode, a["yaw"] * 0.8, a["yaw"])
            return
        # Only those moving sideways: would the move bring them against someone beside them?
        rows = np.flatnonzero(shift)
        new_x = x[rows] + shift[rows]
        new_clear = np.abs(new_x[:, None] - x[None, :]) - (a["W"][rows, None] + a["W"][None, :]) / 2
        beside = np.abs(dy[rows]) < (a["L"][rows, None] + a["L"][None, :]) / 2 + 0.3
        hit = beside & (new_clear < 0.1) & (new_clear < clear[rows]) & (
            a["kind"] != WALKER)[None, :]
        hit[np.arange(len(rows)), rows] = False
        blocked = np.zeros(len(x), bool)
        blocked[rows] = hit.any(axis=1)
        shift = np.where(blocked, 0.0, shift)
        give_up = self.nprng.random(len(x)) < 0.3
        a["target_x"] = np.where(blocked & give_up, x, a["target_x"])
        a["x"] = x + shift
        steer = np.arctan2(shift / dt, np.maximum(a["v"], 0.5))
        a["yaw"] = np.where(free_mode, np.where(a["v"] > 0.5, steer, 0.0), a["yaw"])

    def _ram(self) -> None:
        """The crash: the follower keeps going until it touches the leader, then both stop."""
        a = self.a
        for p in self._pending:
            if p.partner is None or p.truth is not None:
                continue
            lead, follow = (self.index_of(t) for t in p.partner)
            if lead is None or follow is None or self.t_s > p.give_up_s:
                for k in (lead, follow):  # it did not happen: both drive on
                    if k is not None:
                        a["mode"][k] = NORMAL
                p.partner, p.done = None, True
                continue
            d = a["d"][follow]
            gap = (a["y"][lead] - a["y"][follow]) * d - (a["L"][lead] + a["L"][follow]) / 2
            if gap <= 0.05:
                a["y"][follow] = a["y"][lead] - d * ((a["L"][lead] + a["L"][follow]) / 2 - 0.2)
                for k, kick in ((lead, 0.12), (follow, 0.3)):
                    a["mode"][k], a["v"][k] = STOPPED, 0.0
                    a["hold"][k] = self.t_s + p.incident.duration_s
                    a["yaw"][k] = self.rng.choice((-1, 1)) * self.rng.uniform(0.5, 1.0) * kick
                    a["target_x"][k] = a["x"][k]
                p.truth = IncidentTruth("crash", p.partner, self.now,
                                        round(self.now + p.incident.duration_s, 6))
                self.truths.append(p.truth)
                p.done = True

    def _leave(self) -> None:
        a = self.a
        if not len(self.ids):
            return
        lo, hi = self.span_m
        held = np.isin(a["mode"], (STALL, STOPPED)) & (a["hold"] > self.t_s)
        ended = np.isin(a["mode"], (STALL, STOPPED)) & ~held & (a["hold"] > 0)
        a["mode"] = np.where(ended, NORMAL, a["mode"])
        a["hold"] = np.where(ended, 0.0, a["hold"])
        a["yaw"] = np.where(ended, 0.0, a["yaw"])
        inside = (a["y"] > lo - 5) & (a["y"] < hi + 5)
        crossing = a["kind"] == CROSSING
        s = self.street
        on_far_side = np.where(a["vx"] < 0, a["x"] < s.left_m - 1.5, a["x"] > s.right_m + 1.5)
        keep = inside & ~(crossing & on_far_side)
        keep |= a["kind"] == STANDING
        if not keep.all():
            self._keep(keep)

    # -- incidents -------------------------------------------------------------------------

    def add_incident(self, incident: Incident) -> None:
        self._pending.append(_Pending(incident, incident.start_s + 120.0))

    def _incidents(self) -> None:
        for p in self._pending:
            i = p.incident
            if p.done or self.t_s < i.start_s:
                continue
            if self.t_s > p.give_up_s and p.truth is None and p.partner is None:
                p.done = True
                continue
            if i.kind == "congestion":
                p.truth = IncidentTruth("congestion", (), round(i.start_s, 6),
                                        round(i.start_s + i.duration_s, 6))
                self.truths.append(p.truth)
                p.done = True
            elif i.kind == "stalled":
                self._stall(p)
            elif i.kind == "wrong_way":
                self._send_wrong_way(p)
            elif i.kind == "crash" and p.partner is None:
                self._start_crash(p)
        for track_id, truth in list(self._wrong_way.items()):
            k = self.index_of(track_id)
            if k is None:
                del self._wrong_way[track_id]
            elif (self.seen.get(track_id, 0) >= 12 if self.seen else
                  self.view_m[0] <= self.a["y"][k] <= self.view_m[1]):
                if truth.start_s < 0:
                    truth.start_s = self.now
                    self.truths.append(truth)
                truth.end_s = self.now
        self._pending = [p for p in self._pending if not p.done or (
            p.incident.kind == "congestion"
            and self.t_s < p.incident.start_s + p.incident.duration_s + 130)]

    def _in_view(self, lo: float = 0.15, hi: float = 0.6) -> np.ndarray:
        """Where an incident should happen: in clear view (`sees`, from the camera) and, once a
        frame has been drawn, shown with a box at least 14 px tall (`seen`): not behind a bus."""
        a0, a1 = self.view_m
        y = self.a["y"]
        ok = (y > a0 + lo * (a1 - a0)) & (y < a0 + hi * (a1 - a0)) if self.sees is None \
            else self.sees(self.a["x"], y)
        if self.seen:
            ok &= np.array([self.seen.get(t, 0) >= 14 for t in self.ids], bool)
        return ok

    def _stall(self, p: _Pending) -> None:
        a = self.a
        big = np.array([c in ("car", "truck", "bus") for c in self.cls])
        ok = (a["kind"] == VEHICLE) & (a["mode"] == NORMAL) & self._in_view() & (a["v"] > 1)
        if self.sees is not None:  # ... and where it will come to a stop is in view too
            ok &= self.sees(a["x"], a["y"] + a["d"] * a["v"] ** 2 / (2 * STALL_BRAKE))
        pool = np.flatnonzero(ok & big) if (ok & big).any() else np.flatnonzero(ok)
        if not len(pool):
            return
        k = int(self.rng.choice(list(pool)))
        a["mode"][k] = STALL
        a["hold"][k] = self.t_s + p.incident.duration_s
        a["target_x"][k] = a["x"][k]
        p.truth = IncidentTruth("stalled", (self.ids[k],), self.now,
                                round(self.now + p.incident.duration_s, 6))
        self.truths.append(p.truth)
        p.done = True

    def _send_wrong_way(self, p: _Pending) -> None:
        rng = self.rng
        lanes = list(enumerate(self.street.lanes))
        outer = [lanes[0], lanes[-1]]
        away = [(i, ln) for i, ln in outer if ln.direction > 0]  # so it comes at the camera
        index, lane = rng.choice(away or outer)
        d = -lane.direction
        cls = "motorcycle" if rng.random() < 0.8 else "car"
        body = body_for(cls, rng.randrange(VARIANTS), rain=self.rain)
        lo, hi = self._bounds(lane.direction)
        kerb = hi if lane.direction > 0 else lo  # hugging the kerb, against the traffic
        x = kerb - lane.direction * (body.width_m / 2 + 0.1)
        # It turns in from a side street just beyond where the camera sees clearly.
        entry = self.span_m[0] if d > 0 else min(self.span_m[1], self.view_m[1] + 15)
        if not self._free(x, entry, body.width_m, body.length_m, 4.0):
            return
        track = self._add(cls, x, entry, d, VEHICLE, lane=index, bounds=(lo, hi), body=body,
                          v=SPEED[cls][0])
        k = self.index_of(track)
        self.a["v0"][k] = rng.uniform(5.0, 8.0)
        self._wrong_way[track] = IncidentTruth("wrong_way", (track,), -1.0, -1.0)
        p.done = True

    def _start_crash(self, p: _Pending) -> None:
        a = self.a
        n = len(self.ids)
        if n < 2:
            return
        four = np.array([c in ("car", "truck", "bus") for c in self.cls])
        ok = (a["kind"] == VEHICLE) & (a["mode"] == NORMAL) & (a["v"] > 2.0)
        view = self._in_view(0.1, 0.55)
        if self.sees is not None:  # the wreck comes to rest in view
            view &= self.sees(a["x"], a["y"] + a["d"] * a["v"] ** 2 / (2 * 9.0))
        best = None
        for f in np.flatnonzero(ok):
            dy = (a["y"] - a["y"][f]) * a["d"][f]
            gap = dy - (a["L"] + a["L"][f]) / 2
            side = np.abs(a["x"] - a["x"][f]) < (a["W"] + a["W"][f]) / 2 - 0.2
            cand = ok & view & side & (gap > 0.5) & (gap < 14) & (a["d"] == a["d"][f])
            cand[f] = False
            for lead in np.flatnonzero(cand):
                score = gap[lead] - 6 * (four[lead] + four[f])
                if best is None or score < best[0]:
                    best = (score, int(lead), int(f))
        if best is None:
            return
        _, lead, follow = best
        a["mode"][lead], a["mode"][follow] = BRAKE_HARD, RAM
        a["target_x"][lead], a["target_x"][follow] = a["x"][lead], a["x"][lead] + \
            self.rng.uniform(-0.4, 0.4)
        p.partner = (self.ids[lead], self.ids[follow])
        p.give_up_s = self.t_s + 15.0  # the follower reaches the leader within seconds

    # -- what the renderer needs -----------------------------------------------------------

    def headings(self) -> np.ndarray:
        """Radians, 0 along +Y and pi/2 along +X: the way each road user faces."""
        a = self.a
        driving = np.where(a["d"] < 0, math.pi, 0.0) + a["yaw"] * np.where(a["d"] < 0, -1, 1)
        across = np.where(a["vx"] > 0, math.pi / 2, -math.pi / 2)
        return np.select([a["kind"] == CROSSING, a["kind"] == STANDING], [across, a["yaw"]],
                         driving)
