"""Directional line counts on track trajectories that hold at 1-5 frames/s. Pure, on event time.

Direction, exactly as `ioc count` defines it: "in" is the crossing from the line's left to its
right, looking from (X1, Y1) to (X2, Y2), in image coordinates (x to the right, y DOWN).

The side of a point p is the z of the 2-D cross product of the line's direction d = P2 - P1
with p - P1:

    side(p) = (X2 - X1) * (py - Y1) - (Y2 - Y1) * (px - X1)

With y pointing down, side < 0 is the LEFT of the line and side > 0 its RIGHT. Worked case:
the line (0, 100) -> (200, 100) runs along +x. Someone standing on the screen at (0, 100)
facing (200, 100) faces right; their left hand points up the screen, towards smaller y. The
point (50, 50) is up the screen: side = 200 * (50 - 100) - 0 = -10000 < 0, left. So for this
line "in" is a road user moving down the screen, from y < 100 to y > 100. (supervision's
LineZone counts the opposite way round: its `in` is our "out"; see `compare`.)

A track is counted when the path of its reference point, the bottom-centre of its box (where
it touches the ground), between two of its sightings goes from one side to the other through
the counting segment (not just the infinite line). Whatever the distance between the two
sightings, so a vehicle that jumps across the line between two frames is counted. A side is
taken only once the point is `hysteresis` box sizes away from the line, so a box jittering on
the line does not count twice, and each track counts at most once per direction.

A track seen on one side only, born just after the line or ending just before it (occluded,
missed, leaving), is extrapolated along its own velocity by at most one frame interval. To
keep that from inventing vehicles, it needs `min_observations` sightings moving steadily, and it
is not counted when another track's crossing explains the same vehicle (same direction and
family, within a frame interval and `duplicate_sizes` box sizes, the two tracks never seen in
the same frame): the two halves of one vehicle whose track broke at the line count once.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from analytics.vision.tracking import Track, TrackedBox, Tracker

IN, OUT = "in", "out"


@dataclass(frozen=True)
class CountLine:
    """The counting segment, in image pixels."""

    x1: float
    y1: float
    x2: float
    y2: float

    def __post_init__(self) -> None:
        if self.x1 == self.x2 and self.y1 == self.y2:
            raise ValueError(f"the counting line {self.text()} has no length; give two points")

    @classmethod
    def parse(cls, text: str) -> CountLine:
        """'X1,Y1,X2,Y2' as `ioc count --line` takes it."""
        parts = text.split(",")
        if len(parts) != 4:
            raise ValueError(f"--line {text!r}: give four numbers X1,Y1,X2,Y2")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"--line {text!r}: give four numbers X1,Y1,X2,Y2") from None
        return cls(*numbers)

    def text(self) -> str:
        return f"{self.x1:g},{self.y1:g},{self.x2:g},{self.y2:g}"

    @property
    def length(self) -> float:
        return float(np.hypot(self.x2 - self.x1, self.y2 - self.y1))

    def side(self, point: tuple[float, float] | np.ndarray) -> float:
        """Signed distance in pixels: < 0 left of the line, > 0 right (y down, see above)."""
        px, py = float(point[0]), float(point[1])
        cross = (self.x2 - self.x1) * (py - self.y1) - (self.y2 - self.y1) * (px - self.x1)
        return cross / self.length

    def meets(self, a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
        """Where the path a -> b meets the counting segment, or None if it passes beside it."""
        p1 = np.array([self.x1, self.y1])
        d = np.array([self.x2 - self.x1, self.y2 - self.y1])
        r = b - a
        denom = r[0] * d[1] - r[1] * d[0]
        if denom == 0:
            return None
        q = p1 - a
        t = (q[0] * d[1] - q[1] * d[0]) / denom  # along the path
        u = (q[0] * r[1] - q[1] * r[0]) / denom  # along the counting segment
        if not (0.0 <= t <= 1.0 and 0.0 <= u <= 1.0):
            return None
        return a + t * r

    @staticmethod
    def direction(from_side: float) -> str:
        """'in' leaves the left (negative side), 'out' leaves the right."""
        return IN if from_side < 0 else OUT


@dataclass(frozen=True)
class Crossing:
    track_id: int
    ts: float  # when the path met the line (seconds, interpolated)
    direction: str  # IN or OUT
    cls: str  # the track's majority class when it was counted
    family: str
    point: tuple[float, float]
    size: float  # box size (px) of the track there
    extrapolated: bool = False


@dataclass
class _TrackState:
    seen_ts: float = float("-inf")  # last sighting processed
    side: int = 0  # -1 left, +1 right, 0 not yet away from the line
    anchor: tuple[np.ndarray, float, float] | None = None  # (point, ts, signed distance)
    counted: set[str] = field(default_factory=set)
    birth_checked: bool = False


def _steady_velocity(boxes: list[TrackedBox]) -> np.ndarray | None:
    """Foot velocity over three sightings if both steps agree (within 35 %) and it moves at
    least half a box size per second; None otherwise."""
    a, b, c = boxes
    pa, pb, pc = (np.array(x.foot) for x in boxes)
    if not (a.ts < b.ts < c.ts):
        return None
    v1, v2 = (pb - pa) / (b.ts - a.ts), (pc - pb) / (c.ts - b.ts)
    s1, s2 = float(np.hypot(*v1)), float(np.hypot(*v2))
    if min(s1, s2) < 0.5 * c.size or float(np.hypot(*(v1 - v2))) > 0.35 * max(s1, s2):
        return None
    return (pc - pa) / (c.ts - a.ts)


class LineCounter:
    """Counts crossings of one line, per class and direction, from a `Tracker`.

        counter = LineCounter(CountLine.parse("0,180,640,180"))
        for frame in frames:
            tracker.update(*frame)
            crossings = counter.update(tracker)
        counter.counts   # {"motorcycle": {"in": 12, "out": 9}, ...}
    """

    def __init__(self, line: CountLine, hysteresis: float = 0.2, min_observations: int = 3,
                 duplicate_sizes: float = 1.5) -> None:
        self.line = line
        self.hysteresis = hysteresis
        self.min_observations = min_observations
        self.duplicate_sizes = duplicate_sizes
        self.counts: dict[str, dict[str, int]] = {}
        self._states: dict[int, _TrackState] = {}
        self._recent: deque[tuple[Crossing, Track]] = deque()
        self._interval = 0.2

    def update(self, tracker: Tracker) -> list[Crossing]:
        """Crossings found since the last call, in time order; call after `tracker.update`."""
        interval = self._interval = tracker.interval_s
        out: list[Crossing] = []
        for track in tracker.active.values():
            out += self._follow(track, interval)
        for track in tracker.ended:
            out += self._follow(track, interval)
            out += self._extrapolate_end(track, interval)
            self._states.pop(track.track_id, None)
        horizon = tracker.lost_s + 4 * interval
        if tracker.active or tracker.ended:
            now = max([t.last_ts for t in tracker.active.values()] +
                      [t.last_ts for t in tracker.ended])
            while self._recent and self._recent[0][0].ts < now - 2 * horizon:
                self._recent.popleft()
        out.sort(key=lambda c: c.ts)
        return out

    def _threshold(self, box: TrackedBox) -> float:
        return max(1.0, self.hysteresis * box.size)

    def _follow(self, track: Track, interval: float) -> list[Crossing]:
        state = self._states.setdefault(track.track_id, _TrackState())
        out: list[Crossing] = []
        new = 0
        for box in reversed(track.history):
            if box.ts <= state.seen_ts:
                break
            new += 1
        history = list(track.history)
        for k in range(len(history) - new, len(history)):
            box = history[k]
            state.seen_ts = box.ts
            p = np.array(box.foot)
            dist = self.line.side(p)
            h = self._threshold(box)
            side = -1 if dist <= -h else 1 if dist >= h else 0
            if side == 0:
                continue
            if state.side == 0 or state.anchor is None:
                state.side, state.anchor = side, (p, box.ts, dist)
                continue
            if side != state.side:
                a, ta, da = state.anchor
                hit = self.line.meets(a, p)
                if hit is not None and not self._reversal(history, k, a, p):
                    t = ta + (box.ts - ta) * da / (da - dist)
                    c = self._count(track, state, state.side, t, hit, box.size, False)
                    if c is not None:
                        out.append(c)
                state.side = side
            state.anchor = (p, box.ts, dist)
        if not state.birth_checked and len(history) >= self.min_observations \
                and track.observations == len(history):
            state.birth_checked = True
            c = self._extrapolate_start(track, state, interval)
            if c is not None:
                out.append(c)
        return out

    @staticmethod
    def _reversal(history: list[TrackedBox], k: int, a: np.ndarray, p: np.ndarray) -> bool:
        """A jump back against the way the track was going, faster than a box size per step:
        an identity switch to the vehicle behind, not a road user turning on the line."""
        if k < 2:
            return False
        before = np.array(history[k - 1].foot) - np.array(history[k - 2].foot)
        step = p - a
        size = history[k].size
        return (float(np.dot(before, step)) < 0 and float(np.hypot(*before)) > size
                and float(np.hypot(*step)) > size)

    def _extrapolate_start(self, track: Track, state: _TrackState,
                           interval: float) -> Crossing | None:
        """A track born past the line: its first sighting moved back one frame interval."""
        first = list(track.history)[: self.min_observations]
        v = _steady_velocity(first[:3])
        away = next((b for b in first if abs(self.line.side(b.foot)) >= self._threshold(b)),
                    None)
        if v is None or away is None:
            return None
        back = np.array(first[0].foot) - v * interval
        return self._extrapolated(track, state, back, np.array(away.foot), away,
                                  first[0].ts - interval, away.ts)

    def _extrapolate_end(self, track: Track, interval: float) -> list[Crossing]:
        """A track that ended before the line: its last sighting moved on one frame interval."""
        state = self._states.get(track.track_id)
        history = list(track.history)
        if state is None or state.anchor is None or len(history) < self.min_observations:
            return []
        v = _steady_velocity(history[-3:])
        if v is None:
            return []
        last = history[-1]
        a, ta, _ = state.anchor
        ahead = np.array(last.foot) + v * interval
        c = self._extrapolated(track, state, a, ahead, last, ta, last.ts + interval)
        return [c] if c is not None else []

    def _extrapolated(self, track: Track, state: _TrackState, a: np.ndarray, b: np.ndarray,
                      box: TrackedBox, ta: float, tb: float) -> Crossing | None:
        h = self._threshold(box)
        da, db = self.line.side(a), self.line.side(b)
        if not ((da <= -h and db >= h) or (da >= h and db <= -h)):
            return None
        hit = self.line.meets(a, b)
        if hit is None:
            return None
        t = ta + (tb - ta) * da / (da - db)
        direction = CountLine.direction(da)
        if any(self._same_vehicle(track, t, hit, box.size, direction, c, other)
               for c, other in self._recent):
            return None
        return self._count(track, state, da, t, hit, box.size, True)

    def _same_vehicle(self, track: Track, ts: float, point: np.ndarray, size: float,
                      direction: str, c: Crossing, other: Track) -> bool:
        """Whether crossing `c` of `other` already counted the road user whose extrapolated
        crossing this is: the same way, about when and where, and the two tracks never seen
        at the same time (two tracks seen together are two road users)."""
        if other is track or c.direction != direction or c.family != track.family:
            return False
        if abs(c.ts - ts) > self._interval:
            return False
        if float(np.hypot(*(np.array(c.point) - point))) > self.duplicate_sizes * max(c.size,
                                                                                     size):
            return False
        seen = {b.ts for b in track.history}
        return not any(b.ts in seen for b in other.history)

    def _count(self, track: Track, state: _TrackState, from_side: float, ts: float,
               point: np.ndarray, size: float, extrapolated: bool) -> Crossing | None:
        direction = CountLine.direction(from_side)
        if direction in state.counted:
            return None
        state.counted.add(direction)
        crossing = Crossing(track.track_id, float(ts), direction, track.cls, track.family,
                            (float(point[0]), float(point[1])), float(size), extrapolated)
        self._recent.append((crossing, track))
        per_class = self.counts.setdefault(crossing.cls, {IN: 0, OUT: 0})
        per_class[direction] += 1
        return crossing


def tally(crossings: list[Crossing]) -> dict[str, dict[str, int]]:
    """{class: {"in": n, "out": n}} of a list of crossings."""
    counts = Counter((c.cls, c.direction) for c in crossings)
    out: dict[str, dict[str, int]] = {}
    for (cls, direction), n in sorted(counts.items()):
        out.setdefault(cls, {IN: 0, OUT: 0})[direction] = n
    return out
