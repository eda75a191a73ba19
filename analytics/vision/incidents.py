"""Traffic incidents on one camera's tracks, on event time. Pure.

Each detector raises an incident once, when its condition has held long enough, and clears it
once, when the condition ends: the raise and clear of an ISA-18.2 alarm (`ioc.alarms`), which
another part wires them to. The alarm model keeps one alarm per source and type, so a camera
with two stalled vehicles at once shows one `stalled_vehicle` alarm; the records here say
which tracks and boxes each occurrence is about, for its evidence.

All distances are on the ground, in metres: through the camera's calibration when there is
one, otherwise read off each box's height and its class's typical height
(`traffic.metres_between`). They are meant to be conservative: the target is recall 0.9 at no
more than one false alarm per camera-hour, and a parked car, a queue at a red light, a
jittering box or a track that flickers must raise nothing.

* **stalled vehicle**: a vehicle stands (its foot within `still_m` of where it stopped, for
  a second at least) for `stalled_s`, while traffic is not jammed (the last window's
  congestion index below `jam_congestion`) and others drive past it: `passers` other vehicles
  moving steadily within `pass_sizes` of its box size in the last `passers_window_s`; or, on a
  quiet road (congestion below `quiet_congestion`), with nobody standing beside it and at
  least one vehicle having passed. A stopped spot outlives its track by `hold_s`: a new
  track standing on the same spot takes it over, so an occlusion or a track flicker neither
  clears nor re-raises it. It clears when the spot is left empty: `moved_hold_s` after its
  track moved `moved_m` away, `hold_s` after its track ended.
* **wrong way**: a vehicle covers `wrong_way_sizes` of its box size in `wrong_way_steps`
  steps in a row (so four sightings: at 1 frame/s a rider crossing the view in three
  seconds is missed), each at `wrong_way_speed_share` of the lane's speed or more and more
  than `wrong_way_angle_deg` from the dominant motion of the cells it goes through
  (`tracking.FlowField`: only cells where one motion holds `wrong_way_share` of at least
  `wrong_way_mass` votes). It clears when the track ends or goes with the flow again for as
  long.
* **crash-like stop**: two vehicles stop abruptly (moving steadily at `crash_speed_mps` or
  more in the `crash_brake_s` (or one frame interval) before they stood still: braking at 3 m/s²
  is still under 3 m/s that close to its stop), within
  `crash_pair_s` of each other, with their boxes overlapping or within `crash_near_sizes`,
  and both stay stopped for `crash_stay_s`. It clears when either moves on or both are gone.
* **congestion**: the window congestion index at or above `congestion_on` for
  `congestion_windows` consecutive windows, after being below; it clears after
  `congestion_clear_windows` windows below `congestion_off`.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

import numpy as np

from analytics.vision.tracking import (
    MAX_SPEED_SIZES_S,
    Track,
    TrackedBox,
    Tracker,
    as_datetime,
)
from analytics.vision.traffic import GroundPlane, metres_between
from ioc.events import AlarmAction, TrafficMetric

INCIDENT_NAMESPACE = uuid.UUID("8e1f6c3a-2d47-4b95-a0c8-3f7e9d2b5a14")

Box = tuple[float, float, float, float]


class IncidentKind(StrEnum):
    STALLED = "stalled_vehicle"
    WRONG_WAY = "wrong_way"
    CRASH = "crash"
    CONGESTION = "congestion"


@dataclass(frozen=True)
class IncidentThresholds:
    stalled_s: float = 60.0
    still_m: float = 1.0
    moved_m: float = 2.5
    moving_mps: float = 2.0  # a vehicle "driving past" goes at least this fast
    passers: int = 2
    pass_sizes: float = 4.0
    passers_window_s: float = 30.0
    jam_congestion: float = 0.6
    quiet_congestion: float = 0.3
    hold_s: float = 15.0
    moved_hold_s: float = 8.0  # ... but only this long once its track has driven off
    wrong_way_angle_deg: float = 135.0
    wrong_way_sizes: float = 4.0
    wrong_way_steps: int = 3
    wrong_way_speed_share: float = 0.5
    wrong_way_share: float = 0.8
    wrong_way_mass: float = 20.0
    crash_speed_mps: float = 5.0
    crash_brake_s: float = 0.5  # or one frame interval, if longer
    crash_pair_s: float = 2.0  # or two frame intervals, if longer
    crash_near_sizes: float = 0.5
    crash_stay_s: float = 5.0
    congestion_on: float = 0.7
    congestion_off: float = 0.5
    congestion_windows: int = 3
    congestion_clear_windows: int = 2


@dataclass(frozen=True)
class Incident:
    incident_id: uuid.UUID  # the same in its raise and its clear, and in a replay
    kind: IncidentKind
    camera_id: str
    track_ids: tuple[int, ...]  # the camera's track ids; empty for congestion
    start_s: float  # when the condition began (event time, seconds)
    boxes: tuple[Box, ...]  # where, for the evidence snapshot
    note: str

    @property
    def started_at(self) -> datetime:
        return as_datetime(self.start_s)


def new_incident(kind: IncidentKind, camera_id: str, track_ids: tuple[int, ...],
                 start_s: float, boxes: tuple[Box, ...], note: str) -> Incident:
    incident_id = uuid.uuid5(INCIDENT_NAMESPACE, f"{camera_id}|{kind.value}|{start_s:.3f}|"
                             f"{','.join(map(str, track_ids))}")
    return Incident(incident_id, kind, camera_id, track_ids, start_s, boxes, note)


@dataclass(frozen=True)
class IncidentChange:
    action: AlarmAction  # RAISE or CLEAR
    ts: float  # event time of the change, seconds
    incident: Incident

    @property
    def at(self) -> datetime:
        return as_datetime(self.ts)


@dataclass
class _Still:
    """A vehicle standing on one spot, and what went on around it."""

    track: Track
    anchor: TrackedBox  # where it stopped
    since_s: float
    braked_from_mps: float  # its speed just before it stopped
    passers: dict[int, float] = field(default_factory=dict)  # recent ones: id -> last seen
    passed: int = 0  # how many drove past it in all
    left_until_s: float | None = None  # its track has gone: the spot is kept until then
    incident: Incident | None = None


@dataclass
class _Heading:
    against_sizes: float = 0.0  # how far it went against the flow, in its box sizes
    against_steps: int = 0
    with_sizes: float = 0.0
    first: TrackedBox | None = None  # where the run against the flow began
    last_step: np.ndarray | None = None
    incident: Incident | None = None


class IncidentDetector:
    """Incidents of one camera. Call `update` after each `Tracker.update`, `on_window` with
    each window metric (it also gives the detectors the congestion index)."""

    def __init__(self, camera_id: str, thresholds: IncidentThresholds | None = None,
                 ground: GroundPlane | None = None) -> None:
        self.camera_id = camera_id
        self.t = thresholds or IncidentThresholds()
        self.ground = ground
        self.congestion: float | None = None  # the last window's index
        self._standing: dict[int, _Still] = {}  # by track id
        self._left: list[_Still] = []  # spots whose track has gone, kept a while
        self._heading: dict[int, _Heading] = {}
        self._crashes: list[tuple[_Still, _Still, Incident]] = []
        self._gone: list[Track] = []  # vehicle tracks ended in the last few frames
        self._congested = False
        self._above = 0
        self._below = 0
        self._run_start_s = 0.0
        self._congestion_incident: Incident | None = None

    @property
    def active(self) -> list[Incident]:
        out = [s.incident for s in self._spots() if s.incident is not None]
        out += [h.incident for h in self._heading.values() if h.incident is not None]
        out += [incident for _, _, incident in self._crashes]
        if self._congestion_incident is not None:
            out.append(self._congestion_incident)
        return out

    def update(self, tracker: Tracker) -> list[IncidentChange]:
        """Incidents raised or cleared by the tracker's last frame."""
        if tracker.now_s is None:
            return []
        now_s, interval = tracker.now_s, tracker.interval_s
        out: list[IncidentChange] = []
        vehicles = [t for t in tracker.active.values() if t.is_vehicle]
        fresh = [t for t in vehicles if t.last_ts == now_s]
        self._gone = [t for t in self._gone if now_s - t.last_ts <= 3 * interval + 1e-9]
        self._gone += [t for t in tracker.ended if t.is_vehicle]
        around = vehicles + self._gone
        for track in fresh:
            out += self._follow_stillness(track, interval, around)
            out += self._follow_heading(track, tracker)
        for track in tracker.ended:
            out += self._end(track, now_s)
        self._count_passers(now_s, fresh)
        out += self._check_stalled(now_s)
        out += self._check_crashes(now_s, interval)
        out += self._expire_left(now_s)
        return out

    # -- standing still ------------------------------------------------------------------------

    def _spots(self) -> list[_Still]:
        return list(self._standing.values()) + self._left

    def _metres(self, a: TrackedBox, b: TrackedBox) -> float:
        return metres_between(a, b, self.ground)

    def _follow_stillness(self, track: Track, interval: float,
                          around: list[Track]) -> list[IncidentChange]:
        """A vehicle stands once all its boxes over at least max(1 s, 2 intervals) are within
        `still_m` of its last; it stopped at the first of them. How fast it went in the
        `crash_brake_s` before that tells a crash from braking."""
        h = list(track.history)
        last = h[-1]
        still = self._standing.get(track.track_id)
        if still is not None:
            if self._metres(still.anchor, last) > self.t.moved_m:
                # Moved on, or its track swapped onto a vehicle driving past: the spot waits
                # a little for a track standing on it before it clears.
                self._leave(track.track_id, last.ts + max(self.t.moved_hold_s, 4 * interval))
            return []
        k = len(h) - 1
        while k > 0 and self._metres(h[k - 1], last) <= self.t.still_m:
            k -= 1
        stop = h[k]
        if last.ts - stop.ts < max(1.0, 2 * interval) - 1e-9:
            return []
        if self._adopt_left(track, stop) is not None:
            return []
        window = max(self.t.crash_brake_s, interval) + 1e-9
        braked = max((self._approach(h, j) for j in range(1, k + 1)
                      if stop.ts - h[j].ts <= window), default=0.0)
        if k == 0:  # no sighting before it stopped: its track may have broken as it stopped
            braked = max(braked, self._arrival_speed(track, stop, interval, around))
        self._standing[track.track_id] = _Still(track, stop, stop.ts, braked)
        return []

    def _arrival_speed(self, track: Track, stop: TrackedBox, interval: float,
                       others: list[Track]) -> float:
        """A vehicle that stops dead between two frames leaves its track predicting it
        onwards: the track carries on onto another road user or vanishes, and the tracker
        starts a new one where the vehicle stands. The speed at which another track (same
        family) came to `stop`, in the two frame intervals before it: its box there, or its
        path on to `stop`'s time passing within a box size of it."""
        best = 0.0
        ps = np.array(stop.foot)
        for other in others:
            if other is track or other.family != track.family:
                continue
            h = list(other.history)
            for j in range(1, len(h)):
                a, b = h[j - 1], h[j]
                if not (0 < stop.ts - b.ts <= 2 * interval + 1e-9) or b.ts <= a.ts:
                    continue
                pa, pb = np.array(a.foot), np.array(b.foot)
                path = (pb - pa) / (b.ts - a.ts) * (stop.ts - b.ts)
                along = float(np.clip((ps - pb) @ path / max(float(path @ path), 1e-9), 0, 1))
                if (self._metres(b, stop) <= self.t.still_m
                        or float(np.hypot(*(pb + along * path - ps))) <= stop.size):
                    best = max(best, self._approach(h, j))
        return best

    def _steady_speed(self, h: list[TrackedBox]) -> float:
        """Speed (m/s) over the last two steps if they agree within 35 %; 0 otherwise."""
        z, a, b = (np.array(x.foot) for x in h[-3:])
        v1 = (a - z) / max(h[-2].ts - h[-3].ts, 1e-9)
        v2 = (b - a) / max(h[-1].ts - h[-2].ts, 1e-9)
        if float(np.hypot(*(v1 - v2))) > 0.35 * max(float(np.hypot(*v1)), float(np.hypot(*v2))):
            return 0.0
        return self._metres(h[-3], h[-1]) / max(h[-1].ts - h[-3].ts, 1e-9)

    def _approach(self, h: list[TrackedBox], j: int) -> float:
        """Speed (m/s) of the step into h[j], if it came the way the step before it went
        (within 25 degrees) and no faster: a vehicle slowing or stopping, not a track that
        jumped from one standing vehicle to the next; 0 otherwise."""
        if j < 2 or not (h[j - 2].ts < h[j - 1].ts < h[j].ts):
            return 0.0
        z, a, b = (np.array(x.foot) for x in h[j - 2:j + 1])
        v1 = (a - z) / (h[j - 1].ts - h[j - 2].ts)
        v2 = (b - a) / (h[j].ts - h[j - 1].ts)
        s1, s2 = float(np.hypot(*v1)), float(np.hypot(*v2))
        if s1 == 0 or s2 == 0 or s2 > 1.25 * s1 or float(v1 @ v2) < math.cos(
                math.radians(25)) * s1 * s2:
            return 0.0
        return self._metres(h[j - 1], h[j]) / (h[j].ts - h[j - 1].ts)

    def _adopt_left(self, track: Track, anchor: TrackedBox) -> _Still | None:
        """A new track standing where a vehicle stood until its track went: the same one."""
        for s in self._left:
            if s.track.family == track.family and self._metres(s.anchor, anchor) <= self.t.still_m:
                self._left.remove(s)
                s.track, s.left_until_s = track, None
                self._standing[track.track_id] = s
                if s.incident is not None:
                    s.incident = replace(s.incident,
                                         track_ids=s.incident.track_ids + (track.track_id,))
                return s
        return None

    def _count_passers(self, now_s: float, fresh: list[Track]) -> None:
        moving = []
        for other in fresh:
            h = list(other.history)[-3:]
            if len(h) == 3 and min(self._approach(h, 2), self._steady_speed(h)) \
                    >= self.t.moving_mps:
                moving.append((other, h[-1].foot))
        for s in self._standing.values():
            ax, ay = s.anchor.foot
            for other, (bx, by) in moving:
                if other is not s.track and math.hypot(bx - ax, by - ay) \
                        <= self.t.pass_sizes * s.anchor.size:
                    s.passed += other.track_id not in s.passers
                    s.passers[other.track_id] = now_s
            s.passers = {tid: ts for tid, ts in s.passers.items()
                         if now_s - ts <= self.t.passers_window_s}

    def _neighbours_standing(self, s: _Still, now_s: float) -> bool:
        ax, ay = s.anchor.foot
        for other in self._standing.values():
            if other is s:
                continue
            ox, oy = other.anchor.foot
            if (math.hypot(ox - ax, oy - ay) <= self.t.pass_sizes * s.anchor.size
                    and now_s - other.since_s >= self.t.stalled_s / 3):
                return True
        return False

    def _check_stalled(self, now_s: float) -> list[IncidentChange]:
        out: list[IncidentChange] = []
        jammed = self.congestion is not None and self.congestion >= self.t.jam_congestion
        quiet = self.congestion is not None and self.congestion < self.t.quiet_congestion
        for s in self._standing.values():
            if s.incident is not None or jammed:
                continue
            if now_s - s.since_s < self.t.stalled_s:
                continue
            alone = quiet and s.passed and not self._neighbours_standing(s, now_s)
            if len(s.passers) < self.t.passers and not alone:
                continue
            last = s.track.last
            s.incident = new_incident(
                IncidentKind.STALLED, self.camera_id, (s.track.track_id,), s.since_s,
                (last.xyxy,),
                f"{s.track.cls} standing for {now_s - s.since_s:.0f} s while "
                f"{s.passed} vehicles went past")
            out.append(IncidentChange(AlarmAction.RAISE, now_s, s.incident))
        return out

    def _leave(self, track_id: int, until_s: float) -> None:
        s = self._standing.pop(track_id, None)
        if s is not None:
            s.left_until_s = until_s
            self._left.append(s)

    def _end(self, track: Track, now_s: float) -> list[IncidentChange]:
        self._leave(track.track_id, now_s + self.t.hold_s)
        h = self._heading.pop(track.track_id, None)
        return self._clear(h.incident, now_s, "left the view") if h is not None else []

    def _expire_left(self, now_s: float) -> list[IncidentChange]:
        out: list[IncidentChange] = []
        for s in [s for s in self._left if s.left_until_s is not None
                  and now_s > s.left_until_s]:
            self._left.remove(s)
            out += self._clear(s.incident, now_s, "gone from the spot")
        return out

    # -- crash-like stops ----------------------------------------------------------------------

    def _check_crashes(self, now_s: float, interval: float) -> list[IncidentChange]:
        out: list[IncidentChange] = []
        standing = self._spots()
        for pair in list(self._crashes):
            a, b, incident = pair
            if not any(s is a for s in standing) or not any(s is b for s in standing):
                self._crashes.remove(pair)
                out += self._clear(incident, now_s, "a vehicle moved on")
        if self.congestion is not None and self.congestion >= self.t.jam_congestion:
            return out
        braked = [s for s in standing if s.braked_from_mps >= self.t.crash_speed_mps]
        pair_s = max(self.t.crash_pair_s, 2 * interval)
        for i, a in enumerate(braked):
            for b in braked[i + 1:]:
                if any({id(a), id(b)} == {id(x), id(y)} for x, y, _ in self._crashes):
                    continue
                if abs(a.since_s - b.since_s) > pair_s:
                    continue
                if now_s - max(a.since_s, b.since_s) < self.t.crash_stay_s:
                    continue
                if not _near(a.anchor.xyxy, b.anchor.xyxy, self.t.crash_near_sizes):
                    continue
                ids = tuple(sorted((a.track.track_id, b.track.track_id)))
                incident = new_incident(
                    IncidentKind.CRASH, self.camera_id, ids, min(a.since_s, b.since_s),
                    (a.track.last.xyxy, b.track.last.xyxy),
                    f"{a.track.cls} and {b.track.cls} stopped dead together (from "
                    f"{a.braked_from_mps * 3.6:.0f} and {b.braked_from_mps * 3.6:.0f} km/h)")
                self._crashes.append((a, b, incident))
                out.append(IncidentChange(AlarmAction.RAISE, now_s, incident))
        return out

    # -- wrong way -----------------------------------------------------------------------------

    def _follow_heading(self, track: Track, tracker: Tracker) -> list[IncidentChange]:
        """Runs of steps against the flow. A step counts only at a plausible speed (from
        `wrong_way_speed_share` of the lane's speed up to the family's top speed) and in about
        the direction of the step before (within 45 degrees): a track that slips from one
        road user to the next zigzags or crawls backwards, a wrong-way rider does not."""
        h = track.history
        if len(h) < 2:
            return []
        a, b = h[-2], h[-1]
        step = np.array(b.foot) - np.array(a.foot)
        dist_px = float(np.hypot(*step))
        if dist_px < 0.25 * b.size or b.ts <= a.ts:
            return []
        state = self._heading.setdefault(track.track_id, _Heading())
        previous, state.last_step = state.last_step, step
        lane = tracker.flow.dominant(tracker.flow.key(np.array(b.foot)))
        if lane is None or lane[1] < self.t.wrong_way_share or lane[2] < self.t.wrong_way_mass:
            return []
        v_lane = lane[0]
        lane_speed = float(np.hypot(*v_lane))
        cos = float(np.dot(step, v_lane)) / (dist_px * lane_speed + 1e-9)
        speed = dist_px / (b.ts - a.ts)
        steady = (self.t.wrong_way_speed_share * lane_speed <= speed
                  <= MAX_SPEED_SIZES_S[track.family] * b.size) and (
            previous is None or float(np.dot(previous, step))
            >= math.cos(math.pi / 4) * float(np.hypot(*previous)) * dist_px)
        if steady and cos <= math.cos(math.radians(self.t.wrong_way_angle_deg)):
            if state.first is None:
                state.first = a
            state.against_sizes += dist_px / b.size
            state.against_steps += 1
            state.with_sizes = 0.0
        else:  # anything else ends a run against the flow
            state.against_sizes, state.against_steps, state.first = 0.0, 0, None
            if steady and cos > 0:
                state.with_sizes += dist_px / b.size
        if state.incident is None:
            if (state.against_sizes >= self.t.wrong_way_sizes
                    and state.against_steps >= self.t.wrong_way_steps and state.first):
                state.incident = new_incident(
                    IncidentKind.WRONG_WAY, self.camera_id, (track.track_id,), state.first.ts,
                    (b.xyxy,), f"{track.cls} going against the traffic")
                return [IncidentChange(AlarmAction.RAISE, b.ts, state.incident)]
        elif state.with_sizes >= self.t.wrong_way_sizes:
            incident, state.incident = state.incident, None
            return self._clear(incident, b.ts, "going with the traffic again")
        return []

    # -- congestion ----------------------------------------------------------------------------

    def on_window(self, metric: TrafficMetric) -> list[IncidentChange]:
        """Congestion onset from each window's index, in window order."""
        ci = metric.congestion_index
        self.congestion = ci
        end_s = metric.ts.timestamp()
        if not self._congested:
            if ci < self.t.congestion_on:
                self._above = 0
                return []
            if self._above == 0:
                self._run_start_s = metric.window_start.timestamp()
            self._above += 1
            if self._above < self.t.congestion_windows:
                return []
            self._congested, self._below = True, 0
            self._congestion_incident = new_incident(
                IncidentKind.CONGESTION, self.camera_id, (), self._run_start_s, (),
                f"congestion index {ci:.2f}, at or above {self.t.congestion_on:g} for "
                f"{self._above} windows")
            return [IncidentChange(AlarmAction.RAISE, end_s, self._congestion_incident)]
        self._below = self._below + 1 if ci < self.t.congestion_off else 0
        if self._below < self.t.congestion_clear_windows:
            return []
        self._congested, self._above = False, 0
        incident, self._congestion_incident = self._congestion_incident, None
        return self._clear(incident, end_s, f"congestion index back to {ci:.2f}")

    @staticmethod
    def _clear(incident: Incident | None, ts: float, why: str) -> list[IncidentChange]:
        if incident is None:
            return []
        return [IncidentChange(AlarmAction.CLEAR, ts,
                               replace(incident, note=f"{incident.note}; cleared: {why}"))]


def _near(a: Box, b: Box, sizes: float) -> bool:
    """Boxes overlap, or the gap between them is within `sizes` of their mean size."""
    gap_x = max(a[0] - b[2], b[0] - a[2], 0.0)
    gap_y = max(a[1] - b[3], b[1] - a[3], 0.0)
    size = (math.sqrt((a[2] - a[0]) * (a[3] - a[1])) + math.sqrt((b[2] - b[0]) * (b[3] - b[1])))
    return math.hypot(gap_x, gap_y) <= sizes * size / 2
