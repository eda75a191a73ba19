"""Ours against the baseline on the same detections, and a synthetic street to run them on.

The baseline is what `supervision` and `trackers` give out of the box: `ByteTrackTracker()` at
its default settings, fed one frame per call, and `sv.LineZone` with its default triggering
anchors (the four box corners: a detection is placed on a side only once all four corners
are on it). LineZone names the sides the other way round from `ioc count`: its `in` is the
move onto the side where the cross product of the line and the anchor is negative, which with
y pointing down is our LEFT (see `counting`), so LineZone `in` = our "out" and LineZone `out` =
our "in". Its per-class counts use the class the detection had at the crossing frame.

Scores are relative errors per class group, |counted - true| / max(true, 1).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import supervision as sv
from trackers import ByteTrackTracker

from analytics.vision.counting import IN, OUT, CountLine, LineCounter
from analytics.vision.tracking import CLASS_NAMES, Frame, Tracker, TrackerConfig, as_seconds
from ioc import road_users

Counts = dict[str, dict[str, int]]



def count_ours(frames: Iterable[Frame], line: CountLine, fps: float | None = None,
               config: TrackerConfig | None = None) -> Counts:
    """Counts of our tracker and line counter over the frames."""
    tracker = Tracker(fps_hint=fps, config=config)
    counter = LineCounter(line)
    for f in frames:
        tracker.update(f.ts, f.xyxy, f.conf, f.cls)
        counter.update(tracker)
    tracker.close()  # the clip ends, and every track with it
    counter.update(tracker)
    return counter.counts


def count_baseline(frames: Iterable[Frame], line: CountLine) -> Counts:
    """Counts of ByteTrack (default settings) and sv.LineZone (default anchors), in our
    direction convention."""
    tracker = ByteTrackTracker()
    zone = sv.LineZone(start=sv.Point(line.x1, line.y1), end=sv.Point(line.x2, line.y2))
    for f in frames:
        detections = sv.Detections(xyxy=np.asarray(f.xyxy, dtype=np.float32).reshape(-1, 4),
                                   confidence=np.asarray(f.conf, dtype=np.float32),
                                   class_id=np.asarray(f.cls, dtype=int))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # LineZone warns on frames without tracker ids
            zone.trigger(tracker.update(detections))
    out: Counts = {}
    for ours, theirs in ((OUT, zone.in_count_per_class), (IN, zone.out_count_per_class)):
        for class_id, n in theirs.items():
            name = CLASS_NAMES[int(class_id)] if class_id is not None else "unknown"
            out.setdefault(name, {IN: 0, OUT: 0})[ours] += n
    return out


@dataclass(frozen=True)
class SideBySide:
    ours: Counts
    baseline: Counts


def side_by_side(frames: Sequence[Frame], line: CountLine,
                 fps: float | None = None) -> SideBySide:
    return SideBySide(count_ours(frames, line, fps), count_baseline(frames, line))


def group_counts(counts: Counts) -> Counts:
    """Per class group: {group: {"in", "out"}}."""
    out: Counts = {g: {IN: 0, OUT: 0} for g in road_users.GROUPS}
    for group, members in road_users.GROUPS.items():
        for cls in members:
            for d in (IN, OUT):
                out[group][d] += counts.get(cls, {}).get(d, 0)
    return out


def relative_errors(counts: Counts, truth: Counts) -> dict[str, dict[str, float]]:
    """{group: {"in", "out", "total"}: |counted - true| / max(true, 1)} for the groups with
    any true crossings, plus "all" over every class."""
    got, want = group_counts(counts), group_counts(truth)
    out: dict[str, dict[str, float]] = {}
    for group in road_users.GROUPS:
        if sum(want[group].values()) == 0:
            continue
        g, w = got[group], want[group]
        out[group] = {d: abs(g[d] - w[d]) / max(w[d], 1) for d in (IN, OUT)}
        out[group]["total"] = abs(sum(g.values()) - sum(w.values())) / max(sum(w.values()), 1)
    total_got = sum(sum(v.values()) for v in got.values())
    total_want = sum(sum(v.values()) for v in want.values())
    out["all"] = {"total": abs(total_got - total_want) / max(total_want, 1)}
    return out


# -- a synthetic street ------------------------------------------------------------------------

# What the camera simulator uses: 24 px per metre, desired speeds in m/s; box sizes in pixels.
PX_PER_M = 24.0
SPEED_M_S = {"person": 1.3, "bicycle": 4.0, "motorcycle": 9.0, "car": 11.0, "bus": 9.0,
             "truck": 9.0}
BOX_PX = {"person": (18, 44), "bicycle": (40, 38), "motorcycle": (44, 40), "car": (96, 52),
          "bus": (250, 90), "truck": (200, 85)}
CONFUSED_WITH = {"motorcycle": "bicycle", "bicycle": "motorcycle", "car": "truck",
                 "truck": "car", "bus": "truck", "person": "person"}


@dataclass(frozen=True)
class Lane:
    foot_y: float  # where its road users touch the ground, px
    direction: int  # +1 moves to +x, -1 to -x
    mix: tuple[tuple[str, float], ...]
    arrivals_per_s: float
    spread_px: float = 15.0  # lateral spread of the foot point
    speed_spread: float = 0.2  # relative spread of speeds


# A two-way street as the camera simulator draws one (arrivals at its full-traffic rates).
STREET = (
    Lane(120, +1, (("person", 1.0),), 0.06, 8.0, 0.1),
    Lane(170, +1, (("motorcycle", 0.9), ("bicycle", 0.1)), 0.45),
    Lane(215, +1, (("car", 0.45), ("motorcycle", 0.3), ("truck", 0.13), ("bus", 0.12)), 0.2,
         10.0, 0.1),
    Lane(265, -1, (("motorcycle", 0.9), ("bicycle", 0.1)), 0.45),
    Lane(320, -1, (("car", 0.45), ("motorcycle", 0.3), ("truck", 0.13), ("bus", 0.12)), 0.2,
         10.0, 0.1),
)
MIDDLE = CountLine(320, 0, 320, 360)


@dataclass(frozen=True)
class Actor:
    cls: str
    t0: float  # when its centre is at x0
    x0: float
    foot_y: float
    velocity_px_s: float
    stop: tuple[float, float] | None = None  # (from, until) seconds: it brakes, then stands
    brake_px_s2: float | None = None  # how hard it brakes; None stops dead

    def x(self, t: float) -> float:
        v = self.velocity_px_s
        if self.stop is None or t <= self.stop[0]:
            return self.x0 + v * (t - self.t0)
        braking_s = abs(v) / self.brake_px_s2 if self.brake_px_s2 else 0.0
        since = t - self.stop[0]
        at_brake = self.x0 + v * (self.stop[0] - self.t0)
        if since < braking_s:
            return at_brake + v * since - math.copysign(self.brake_px_s2 or 0.0, v) * since ** 2 / 2
        standing = at_brake + v * braking_s / 2
        return standing if t <= self.stop[1] else standing + v * (t - self.stop[1])


@dataclass(frozen=True)
class SyntheticClip:
    frames: list[Frame]
    truth: Counts
    actors: list[Actor]
    line: CountLine
    fps: float


def street_actors(duration_s: float, seed: int, lanes: Sequence[Lane] = STREET,
                  density: float = 1.0, width: float = 640.0) -> list[Actor]:
    """Road users arriving at random (Poisson) along each lane, from before the clip starts
    so the street is already busy at t = 0."""
    rng = np.random.default_rng(seed)
    actors = []
    for lane in lanes:
        names = [c for c, _ in lane.mix]
        weights = np.array([w for _, w in lane.mix]) / sum(w for _, w in lane.mix)
        t = -15.0
        while t < duration_s:
            t += rng.exponential(1.0 / (lane.arrivals_per_s * density))
            cls = str(rng.choice(names, p=weights))
            w, _ = BOX_PX[cls]
            speed = SPEED_M_S[cls] * PX_PER_M * (1 + rng.uniform(-1, 1) * lane.speed_spread)
            x0 = -w / 2 if lane.direction > 0 else width + w / 2
            actors.append(Actor(cls, t, x0, lane.foot_y + rng.uniform(-1, 1) * lane.spread_px,
                                speed * lane.direction))
    return actors


def render_detections(actors: Sequence[Actor], fps: float, duration_s: float, seed: int,
                      drop: float = 0.15, jitter: float = 0.04, false_positives: float = 0.05,
                      class_flip: float = 0.05, width: float = 640.0,
                      height: float = 360.0) -> list[Frame]:
    """What a fair detector would report at `fps`: each road user's box clipped to the frame,
    jittered by `jitter` of its size, missed with probability `drop`, read as a look-alike
    class with probability `class_flip`, and a false positive in a share of the frames."""
    rng = np.random.default_rng(seed + 1)
    frames = []
    for k in range(int(round(duration_s * fps))):
        ts = k / fps
        boxes, confs, classes = [], [], []
        for a in actors:
            w, h = BOX_PX[a.cls]
            cx = a.x(ts)
            x1, x2 = max(0.0, cx - w / 2), min(width, cx + w / 2)
            if x2 - x1 < 0.25 * w or rng.random() < drop:
                continue
            box = np.array([x1, a.foot_y - h, x2, a.foot_y]) + rng.normal(0, jitter, 4) * [w, h,
                                                                                         w, h]
            box[2] = max(box[2], box[0] + 2)
            box[3] = max(box[3], box[1] + 2)
            cls = CONFUSED_WITH[a.cls] if rng.random() < class_flip else a.cls
            boxes.append(box)
            confs.append(rng.uniform(0.5, 0.95))
            classes.append(CLASS_NAMES.index(cls))
        if rng.random() < false_positives:
            x, y = rng.uniform(0, width - 40), rng.uniform(100, height)
            boxes.append(np.array([x, y - 40, x + 40, y]))
            confs.append(rng.uniform(0.3, 0.8))
            classes.append(CLASS_NAMES.index("motorcycle"))
        frames.append(Frame(ts, np.array(boxes, dtype=float).reshape(-1, 4), np.array(confs),
                            np.array(classes, dtype=int)))
    return frames


def true_counts(actors: Sequence[Actor], line: CountLine, start_s: float,
                end_s: float) -> Counts:
    """Which road users' foot points cross the line between start_s and end_s, by direction."""
    out: Counts = {}
    for a in actors:
        ts = np.arange(start_s, end_s + 1e-9, 0.02)
        sides = np.array([line.side((a.x(t), a.foot_y)) for t in ts])
        for k in np.nonzero(np.sign(sides[1:]) != np.sign(sides[:-1]))[0]:
            if line.meets(np.array([a.x(ts[k]), a.foot_y]),
                          np.array([a.x(ts[k + 1]), a.foot_y])) is None:
                continue
            direction = CountLine.direction(sides[k])
            out.setdefault(a.cls, {IN: 0, OUT: 0})[direction] += 1
    return out


def synthetic_clip(fps: float, duration_s: float = 60.0, seed: int = 0,
                   density: float = 1.0, line: CountLine = MIDDLE,
                   lanes: Sequence[Lane] = STREET, **detector) -> SyntheticClip:
    """A street scene at `fps` with its true line counts (see `render_detections` for the
    detector's faults, passed through `detector`)."""
    actors = street_actors(duration_s, seed, lanes, density)
    frames = render_detections(actors, fps, duration_s, seed, **detector)
    last = as_seconds(frames[-1].ts) if frames else 0.0
    return SyntheticClip(frames, true_counts(actors, line, 0.0, last), actors, line, fps)


def total(counts: Counts) -> int:
    return sum(v.get(IN, 0) + v.get(OUT, 0) for v in counts.values())

