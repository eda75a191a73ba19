"""Multi-object tracking that holds at the 1-5 frames/s city cameras deliver. Pure, on event time.

Between two frames 0.5-1 s apart a motorbike moves two to five lengths of its own box, so
plain IoU association (ByteTrack at its defaults) no longer sees the same vehicle in the next
frame. The tracker here keeps the maintained C-BIoU tracker of `trackers` (Roboflow) for what
it does well, the cascade of high- and low-confidence detections, the Hungarian assignment and
the track lifecycle, and replaces only its similarity with one made for long frame intervals:

* **motion in seconds.** Each track predicts its box from its own last observations
  (observation-centric, as OC-SORT argues, because the library's Kalman filter is tuned per
  30 fps frame and overshoots after a 15-30 frame gap). The predicted box is compared with each
  detection by centre distance in units of box size, with a reach that grows with the time
  since the track was last seen, so every parameter scales with the frame interval and with
  perspective (a far vehicle has a small box and moves few pixels).
* **a lane prior.** A track seen once has no velocity of its own. The `FlowField` learns the
  usual motion of each patch of the image from the tracks' own steps; a new track is
  predicted along it, which removes most of the "wagon-wheel" confusions where the vehicle
  behind lands where the one ahead was. It may still stand still (a stalled vehicle) or go
  against the flow (a wrong-way rider): that proposal is kept, at a lower weight. A track
  whose own motion disagrees with its lane (one that swapped onto a vehicle standing, or
  started out wrong) may also follow the lane, at a lower weight than its own motion.
* **class consistency.** One C-BIoU instance per family of classes a detector confuses
  (`FAMILIES`): a motorbike track never continues as a bus, but a motorbike read as a bicycle
  for a frame keeps its track, and its class is the majority vote of its detections.
* **lost tracks kept in seconds**, `max(lost_s, lost_intervals x frame interval)`, and a
  track that has missed frames scores less (`missed_fade` per frame), so it does not take a
  detection far away that a newer track explains better.

Tracks keep a bounded history (`TrackerConfig.history`), so memory stays flat over hours.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import median
from typing import NamedTuple

import numpy as np
import supervision as sv
from trackers import CBIoUTracker

from ioc import road_users

logger = logging.getLogger(__name__)

CLASS_NAMES = road_users.CLASSES
VEHICLE_CLASSES = frozenset({"bicycle", "car", "motorcycle", "bus", "truck"})
# Classes a detector mistakes for one another. A track stays in its family.
FAMILIES: dict[str, tuple[str, ...]] = {
    "person": ("person",),
    "two_wheeler": ("bicycle", "motorcycle"),
    "four_wheeler": ("car", "bus", "truck"),
}
FAMILY_OF = {cls: family for family, members in FAMILIES.items() for cls in members}
# The fastest a member of the family plausibly moves, in box sizes (sqrt(w*h)) per second.
# In box sizes, not pixels, so it holds at any resolution and distance from the camera.
MAX_SPEED_SIZES_S = {"person": 2.5, "two_wheeler": 6.0, "four_wheeler": 4.0}

Timestamp = float | datetime


def as_seconds(ts: Timestamp) -> float:
    """Event time as seconds: a float as given, an aware datetime as POSIX seconds."""
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            raise ValueError(f"timestamp {ts!r} is naive; give an aware (UTC) datetime")
        return ts.timestamp()
    return float(ts)


def as_datetime(seconds: float) -> datetime:
    """POSIX seconds back to an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def foot(xyxy: np.ndarray) -> np.ndarray:
    """The bottom-centre of boxes [..., 4]: where a road user touches the ground."""
    b = np.asarray(xyxy, dtype=float)
    return np.stack([(b[..., 0] + b[..., 2]) / 2, b[..., 3]], axis=-1)


def centre(xyxy: np.ndarray) -> np.ndarray:
    b = np.asarray(xyxy, dtype=float)
    return (b[..., :2] + b[..., 2:]) / 2


class Frame(NamedTuple):
    """One frame's detections, as a detector gives them."""

    ts: Timestamp
    xyxy: np.ndarray  # [N, 4] float pixels
    conf: np.ndarray  # [N]
    cls: np.ndarray  # [N] class ids, indices into CLASS_NAMES


@dataclass(frozen=True)
class TrackedBox:
    """One detection assigned to a track."""

    track_id: int
    ts: float  # seconds
    xyxy: tuple[float, float, float, float]
    conf: float
    cls: str

    @property
    def foot(self) -> tuple[float, float]:
        return (self.xyxy[0] + self.xyxy[2]) / 2, self.xyxy[3]

    @property
    def size(self) -> float:
        """sqrt(width * height), px."""
        x1, y1, x2, y2 = self.xyxy
        return math.sqrt(max(x2 - x1, 1.0) * max(y2 - y1, 1.0))


@dataclass
class Track:
    """A road user followed over frames: its recent boxes and its class votes."""

    track_id: int
    family: str
    history: deque[TrackedBox]
    class_votes: Counter[str] = field(default_factory=Counter)
    first_ts: float = 0.0
    observations: int = 0

    @property
    def last(self) -> TrackedBox:
        return self.history[-1]

    @property
    def last_ts(self) -> float:
        return self.history[-1].ts

    @property
    def cls(self) -> str:
        """The class most of its detections had (confidence-weighted); ties go to the earlier."""
        return max(self.class_votes.items(), key=lambda kv: kv[1])[0]

    @property
    def is_vehicle(self) -> bool:
        return self.family != "person"

    def add(self, box: TrackedBox) -> None:
        if not self.history:
            self.first_ts = box.ts
        self.history.append(box)
        self.class_votes[box.cls] += max(box.conf, 1e-3)
        self.observations += 1

    def velocity(self, span: int = 3) -> np.ndarray | None:
        """Box-centre velocity in px/s over the last `span` sightings; None with one."""
        if len(self.history) < 2:
            return None
        a, b = self.history[-min(span, len(self.history))], self.history[-1]
        return (centre(np.array(b.xyxy)) - centre(np.array(a.xyxy))) / (b.ts - a.ts)


@dataclass(frozen=True)
class TrackerConfig:
    """How far the tracker reaches, in box sizes and seconds (see `association_scores`).

    Tuned on `compare.synthetic_clip` streets at 1-10 frames/s."""

    lost_s: float = 2.0  # keep an unseen track at least this long ...
    lost_intervals: float = 3.0  # ... and at least this many frame intervals
    history: int = 64  # boxes kept per track
    high_conf: float = 0.5  # first-pass detections (CBIoU's high_conf_det_threshold)
    activation_conf: float = 0.5  # a detection this confident may start a track
    min_score_first: float = 0.1  # fused score (similarity x confidence) to accept a match
    min_score_second: float = 0.3  # similarity for a low-confidence detection
    min_score_new: float = 0.1  # fused score to confirm a track seen once
    reach_sizes: float = 0.35  # r0: position noise of a box, in box sizes
    reach_sizes_per_s: float = 0.5  # r1: growth of that reach with the time unseen
    speed_error: float = 0.15  # e: relative error of a track's own speed
    lane_speed_error: float = 0.3  # relative error of the lane's speed as a prediction
    standing_weight: float = 0.6  # weight of "it stands still", against a lane prior
    lane_weight: float = 0.5  # weight of "it moves with the lane", against its own motion
    unknown_reach: float = 0.6  # share of the family's top speed a new track may have moved
    unknown_gap_intervals: float = 2.5  # ... for this many frame intervals at most
    missed_fade: float = 0.7  # score factor per frame a track has missed
    flow_cell_px: float = 40.0  # flow grid cell; about 1/16 of a 640 px frame


class Motion(NamedTuple):
    """What association knows of a track: its last box and how it moves."""

    box: np.ndarray  # [4] last observed xyxy
    ts: float  # when it was observed
    velocity: np.ndarray | None  # centre px/s from its own last sightings; None if seen once
    lane: np.ndarray | None  # px/s the flow field gives where it is
    max_speed_sizes_s: float


class _Proposal(NamedTuple):
    """Where a track's box may be now: a Gaussian around `at`, stretched along `direction`
    (a speed is less certain than a heading)."""

    at: np.ndarray
    direction: np.ndarray | None  # None: round
    sigma_across: float
    sigma_along: float
    weight: float

    def likelihood(self, points: np.ndarray, widen: float) -> np.ndarray:
        d = points - self.at
        if self.direction is None or not np.any(self.direction):
            return np.exp(-0.5 * (np.hypot(*d.T) / (self.sigma_along * widen)) ** 2)
        u = self.direction / float(np.hypot(*self.direction))
        along = d @ u
        across = d @ np.array([-u[1], u[0]])
        return np.exp(-0.5 * ((along / (self.sigma_along * widen)) ** 2
                              + (across / (self.sigma_across * widen)) ** 2))


def association_scores(motions: list[Motion], boxes: np.ndarray, now_s: float,
                       interval_s: float, cfg: TrackerConfig,
                       stage_buffer: float = 0.0) -> np.ndarray:
    """Similarity in [0, 1] of each track (rows) with each detection box (columns).

    Each track proposes where its box should be now, with a spread sigma in pixels, where s is
    its box size (sqrt(w*h)) and gap the seconds since it was last seen:
      * as it moved: last centre + v * gap, sigma = s * (r0 + r1 * gap) + e * |v| * gap along
        v, s * (r0 + r1 * gap) across it (a road user keeps its line better than its speed);
      * as the lane moves, where its own motion disagrees with a lane (by more than half the
        lane's speed, the lane at least a box size per second): the same with the lane's
        velocity and error, at `lane_weight`. A vehicle tracked standing still, or a track
        that swapped onto the vehicle behind, may yet follow the traffic;
      * a track seen once has no velocity of its own: it proposes the lane's motion (weight
        1), and standing still or any motion up to `unknown_reach` of the family's top
        speed: last centre, sigma = s * (r0 + unknown_reach * vmax * gap), at
        `standing_weight` when there is a lane (1 otherwise). After `unknown_gap_intervals`
        frame intervals it proposes nothing: by then it could be anywhere, and take anything.
    score = max over proposals of weight * exp(-d^2 / (2 sigma^2)) (d, sigma per axis), times
    sqrt(shape agreement), the product of the width and height ratios (smaller / larger), and
    `missed_fade` per frame the track has missed. `stage_buffer` widens each sigma by
    (1 + buffer): C-BIoU's cascade, a larger buffer for the second pass.
    """
    n, m = len(motions), len(boxes)
    out = np.zeros((n, m))
    if n == 0 or m == 0:
        return out
    det_centres = centre(boxes)
    det_wh = np.maximum(boxes[:, 2:] - boxes[:, :2], 1.0)
    widen = 1.0 + stage_buffer
    for i, mo in enumerate(motions):
        gap = max(now_s - mo.ts, 0.0)
        wh = np.maximum(mo.box[2:] - mo.box[:2], 1.0)
        size = math.sqrt(wh[0] * wh[1])
        c = centre(mo.box)
        base = size * (cfg.reach_sizes + cfg.reach_sizes_per_s * gap)
        lane_speed = float(np.hypot(*mo.lane)) if mo.lane is not None else 0.0
        proposals: list[_Proposal] = []
        if mo.velocity is not None:
            speed = float(np.hypot(*mo.velocity))
            proposals.append(_Proposal(c + mo.velocity * gap, mo.velocity, base,
                                       base + cfg.speed_error * speed * gap, 1.0))
            if (mo.lane is not None and lane_speed >= size
                    and float(np.hypot(*(mo.velocity - mo.lane))) > 0.5 * lane_speed):
                proposals.append(_Proposal(c + mo.lane * gap, mo.lane, base, base
                                           + cfg.lane_speed_error * lane_speed * gap,
                                           cfg.lane_weight))
        elif gap <= cfg.unknown_gap_intervals * interval_s:
            if mo.lane is not None:
                proposals.append(_Proposal(c + mo.lane * gap, mo.lane, base, base
                                           + cfg.lane_speed_error * lane_speed * gap, 1.0))
            reach = size * (cfg.reach_sizes + cfg.unknown_reach * mo.max_speed_sizes_s * gap)
            proposals.append(_Proposal(c, None, reach, reach,
                                       cfg.standing_weight if mo.lane is not None else 1.0))
        best = np.zeros(m)
        missed = max(0.0, gap / interval_s - 1.5) if interval_s > 0 else 0.0
        fade = cfg.missed_fade ** math.ceil(missed)
        for p in proposals:
            best = np.maximum(best, fade * p.weight * p.likelihood(det_centres, widen))
        ratio = np.minimum(wh, det_wh) / np.maximum(wh, det_wh)
        out[i] = best * np.sqrt(ratio[:, 0] * ratio[:, 1])
    return out


_SECTOR_IDS = np.arange(8)
_PREVIOUS_SECTOR, _NEXT_SECTOR = (_SECTOR_IDS - 1) % 8, (_SECTOR_IDS + 1) % 8
_WINDOWS = [np.array([(s - 1) % 8, s, (s + 1) % 8]) for s in range(8)]  # 3 sectors about s


class FlowField:
    """The usual motion of road users over a grid of image cells, learnt online.

    Each cell keeps, per one of 8 direction sectors, a time-decayed count of confirmed track
    segments that went through it and the sum of their velocities. The dominant motion of a
    cell is the heaviest window of three adjacent sectors (135 degrees); it counts when it
    holds most of the cell's mass, so two-way streets, junctions and noise give no lane.
    A single wrong-way rider hardly moves a cell that hundreds of others taught.
    """

    SECTORS = 8

    def __init__(self, cell_px: float = 40.0, half_life_s: float = 600.0) -> None:
        self.cell_px = cell_px
        self.half_life_s = half_life_s
        self._mass: dict[tuple[int, int], np.ndarray] = {}
        self._vsum: dict[tuple[int, int], np.ndarray] = {}
        self._seen: dict[tuple[int, int], float] = {}
        # A cell's dominant motion changes only when it learns: asked for by every track at
        # every association stage, it is kept until then.
        self._dominant: dict[tuple[int, int], tuple[np.ndarray, float, float] | None] = {}

    def key(self, point: np.ndarray) -> tuple[int, int]:
        return int(point[0] // self.cell_px), int(point[1] // self.cell_px)

    def _decay(self, key: tuple[int, int], now_s: float) -> None:
        last = self._seen.get(key)
        if last is not None and now_s > last:
            f = 0.5 ** ((now_s - last) / self.half_life_s)
            self._mass[key] *= f
            self._vsum[key] *= f
        self._seen[key] = now_s if last is None else max(last, now_s)

    def learn(self, start: np.ndarray, end: np.ndarray, velocity: np.ndarray,
              now_s: float) -> None:
        """One vote of `velocity` (px/s) in every cell the segment start -> end crosses."""
        speed = float(np.hypot(*velocity))
        if speed <= 0:
            return
        sector = int(round(math.atan2(velocity[1], velocity[0]) / (2 * math.pi / self.SECTORS)))
        sector %= self.SECTORS
        steps = int(np.hypot(*(end - start)) / (self.cell_px / 2)) + 1
        keys = {self.key(start + (end - start) * k / steps) for k in range(steps + 1)}
        for key in keys:
            self._dominant.pop(key, None)
            if key not in self._mass:
                self._mass[key] = np.zeros(self.SECTORS)
                self._vsum[key] = np.zeros((self.SECTORS, 2))
            self._decay(key, now_s)
            self._mass[key][sector] += 1.0
            self._vsum[key][sector] += velocity

    def dominant(self, key: tuple[int, int]) -> tuple[np.ndarray, float, float] | None:
        """(mean velocity px/s, share of the cell's mass, mass) of the cell's main motion."""
        if key in self._dominant:
            return self._dominant[key]
        mass = self._mass.get(key)
        found = None
        if mass is not None and (total := float(mass.sum())) > 0:
            window = mass + mass[_PREVIOUS_SECTOR] + mass[_NEXT_SECTOR]
            idx = _WINDOWS[int(np.argmax(window))]
            m = float(mass[idx].sum())
            found = self._vsum[key][idx].sum(axis=0) / m, m / total, total
        if key in self._mass:  # an unknown cell is not kept: any point may be asked about
            self._dominant[key] = found
        return found

    def lane(self, point: np.ndarray, min_share: float = 0.75, min_mass: float = 2.0,
             rings: int = 3) -> np.ndarray | None:
        """The lane's velocity at `point` (px/s): its cell's dominant motion, or where that
        cell has none (a lane's ends, where tracks are young), the motion of the nearest
        cells that have one, up to `rings` cells along x and one row up or down, if they
        agree. None where nothing is known or the motions disagree."""
        k = self.key(point)
        seen: set[tuple[int, int]] = set()
        for r in range(rings + 1):
            ring = {(k[0] + dx, k[1] + dy) for dx in range(-r, r + 1)
                    for dy in ((0,) if r == 0 else (-1, 0, 1))} - seen
            seen |= ring
            found = [d[0] for d in map(self.dominant, sorted(ring))
                     if d is not None and d[1] >= min_share and d[2] >= min_mass]
            if found:
                mean = np.mean(found, axis=0)
                norm = float(np.hypot(*mean))
                agree = all(float(np.dot(v, mean)) > 0.8 * float(np.hypot(*v)) * norm
                            for v in found)
                return mean if agree and norm > 0 else None
        return None


class _LowFrameRateCBIoU(CBIoUTracker):
    """C-BIoU's cascade and lifecycle with `association_scores` in place of buffered IoU.

    `_biou_matrix` is the one hook CBIoUTracker (trackers 2.6.1, pinned) calls for every
    association stage, with the stage's BIoU (its buffer ratio) and the tracklets."""

    tracker_id = None  # stay out of trackers' registry of named trackers
    search_space = None

    def __init__(self, motion_of: Callable[[object], Motion], cfg: TrackerConfig,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._motion_of = motion_of
        self._cfg = cfg
        self.now_s = 0.0
        self.interval_s = 0.2

    def _biou_matrix(self, tracklets, boxes, iou, tracklet_boxes_by_id):  # noqa: ARG002
        motions = [self._motion_of(t) for t in tracklets]
        return association_scores(motions, np.asarray(boxes, dtype=float), self.now_s,
                                  self.interval_s, self._cfg, stage_buffer=iou.buffer_ratio)


# The library counts time in 30 fps frames: its noise model and lost budget are in those units.
_REFERENCE_FPS = 30.0


@dataclass
class _Family:
    """One library tracker and what links its tracklets to our tracks."""

    inner: _LowFrameRateCBIoU
    # id(tracklet) -> (tracklet, our track, or the box that spawned it while it has no id)
    owners: dict[int, tuple[object, Track | TrackedBox]] = field(default_factory=dict)
    by_library_id: dict[int, Track] = field(default_factory=dict)


class Tracker:
    """Tracks road users across frames given at any rate; feed frames in time order.

        tracker = Tracker(fps_hint=2)
        boxes = tracker.update(ts, xyxy, conf, cls)   # -> list[TrackedBox] of this frame
        tracker.active    # track_id -> Track, still followed
        tracker.ended     # tracks that ended at the last update (lost for too long)

    A track's first box is reported when the track is confirmed (its second detection): it
    then appears in `Track.history` with its own, earlier, timestamp.
    """

    def __init__(self, fps_hint: float | None = None,
                 config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self.flow = FlowField(self.config.flow_cell_px)
        self.active: dict[int, Track] = {}
        self.ended: list[Track] = []
        self._intervals: deque[float] = deque(maxlen=16)
        self._fps_hint = fps_hint
        self._last_ts: float | None = None
        self._next_id = 0
        self._warned_order = False
        self._lanes: dict[tuple[int, int], np.ndarray | None] = {}  # this frame's lane lookups
        self._families = {family: _Family(self._library_tracker(family)) for family in FAMILIES}

    def _library_tracker(self, family: str) -> _LowFrameRateCBIoU:
        cfg = self.config
        return _LowFrameRateCBIoU(
            lambda tracklet: self._motion_of(family, tracklet), cfg,
            lost_track_buffer=max(1, round(cfg.lost_s * _REFERENCE_FPS)),
            frame_rate=_REFERENCE_FPS,
            track_activation_threshold=cfg.activation_conf,
            # A track seen once survives a missed frame: at 1-2 fps every sighting counts.
            minimum_consecutive_frames=1,
            minimum_iou_threshold_first_assoc=cfg.min_score_first,
            minimum_iou_threshold_second_assoc=cfg.min_score_second,
            minimum_iou_threshold_unconfirmed_assoc=cfg.min_score_new,
            high_conf_det_threshold=cfg.high_conf,
        )

    @property
    def interval_s(self) -> float:
        """The frame interval: the median of the recent ones, or the hint until there are any."""
        if self._intervals:
            return median(self._intervals)
        return 1.0 / self._fps_hint if self._fps_hint else 0.2

    @property
    def now_s(self) -> float | None:
        """Event time of the last frame taken."""
        return self._last_ts

    @property
    def lost_s(self) -> float:
        return max(self.config.lost_s, self.config.lost_intervals * self.interval_s)

    def _motion_of(self, family: str, tracklet: object) -> Motion:
        _, owner = self._families[family].owners.get(id(tracklet), (None, None))
        if isinstance(owner, Track):
            last, velocity = owner.last, owner.velocity()
        elif isinstance(owner, TrackedBox):
            last, velocity = owner, None
        else:  # spawned by the library in this very update: nothing to associate yet
            box = np.asarray(tracklet.get_state_bbox(), dtype=float)  # type: ignore[attr-defined]
            return Motion(box, self._last_ts or 0.0, None, None, MAX_SPEED_SIZES_S[family])
        box = np.array(last.xyxy)
        key = self.flow.key(foot(box))
        if key not in self._lanes:  # the same few cells are asked for at every stage
            self._lanes[key] = self.flow.lane(foot(box))
        return Motion(box, last.ts, velocity, self._lanes[key], MAX_SPEED_SIZES_S[family])

    def update(self, ts: Timestamp, xyxy: np.ndarray, conf: np.ndarray,
               cls: np.ndarray) -> list[TrackedBox]:
        """Assign this frame's detections to tracks; returns the tracked boxes of this frame."""
        now = as_seconds(ts)
        self.ended = []
        if self._last_ts is not None and now <= self._last_ts:
            if not self._warned_order:
                logger.warning("frame out of time order skipped",
                               extra={"ts": now, "last_ts": self._last_ts})
                self._warned_order = True
            return []
        if self._last_ts is not None:
            self._intervals.append(now - self._last_ts)
        self._last_ts = now
        self._lanes = {}
        xyxy = np.asarray(xyxy, dtype=float).reshape(-1, 4)
        conf = np.asarray(conf, dtype=float).reshape(-1)
        cls_ids = np.asarray(cls, dtype=int).reshape(-1)
        valid = (cls_ids >= 0) & (cls_ids < len(CLASS_NAMES)) & np.all(np.isfinite(xyxy), axis=1)
        valid &= (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
        family_of = np.array([FAMILY_OF[CLASS_NAMES[c]] if ok else "" for c, ok
                              in zip(cls_ids, valid, strict=True)], dtype=object)
        out: list[TrackedBox] = []
        for name, family in self._families.items():
            mask = family_of == name
            out += self._update_family(name, family, now, xyxy[mask], conf[mask], cls_ids[mask])
        for box in out:
            self._learn_flow(self.active[box.track_id])
        return out

    def _update_family(self, name: str, family: _Family, now: float, xyxy: np.ndarray,
                       conf: np.ndarray, cls_ids: np.ndarray) -> list[TrackedBox]:
        inner = family.inner
        inner.maximum_time_without_update = self.lost_s
        inner.now_s = now
        inner.interval_s = self.interval_s
        known = {id(t) for t in inner.tracks}
        result = inner.update(sv.Detections(xyxy=xyxy, confidence=conf, class_id=cls_ids),
                              timestamp=now)
        by_id = {t.tracker_id: t for t in inner.tracks if t.tracker_id >= 0}
        out: list[TrackedBox] = []
        spawned_rows: list[int] = []
        for row, tid in enumerate(int(t) for t in result.tracker_id):
            if tid < 0:
                spawned_rows.append(row)
                continue
            track = family.by_library_id.get(tid)
            if track is None:
                track = self._new_track(name, family, by_id[tid])
                family.by_library_id[tid] = track
            box = self._box(track.track_id, now, result, row)
            track.add(box)
            out.append(box)
        # A detection that starts a track gets an id only at the track's second sighting;
        # keep it until then, so the track's history (and a line crossing) starts there.
        for tracklet in inner.tracks:
            if id(tracklet) in known or tracklet.tracker_id >= 0 or not spawned_rows:
                continue
            state = np.asarray(tracklet.get_state_bbox(), dtype=float)
            row = min(spawned_rows, key=lambda r: float(np.abs(result.xyxy[r] - state).sum()))
            family.owners[id(tracklet)] = (tracklet, self._box(-1, now, result, row))
        alive = {id(t) for t in inner.tracks}
        for key in [k for k in family.owners if k not in alive]:
            _, owner = family.owners.pop(key)
            if isinstance(owner, Track):
                self.active.pop(owner.track_id, None)
                self.ended.append(owner)
        if len(family.by_library_id) > len(by_id):
            family.by_library_id = {tid: t for tid, t in family.by_library_id.items()
                                    if tid in by_id}
        return out

    def _new_track(self, name: str, family: _Family, tracklet: object) -> Track:
        track = Track(self._next_id, name, deque(maxlen=self.config.history))
        self._next_id += 1
        _, pending = family.owners.get(id(tracklet), (None, None))
        if isinstance(pending, TrackedBox):
            track.add(TrackedBox(track.track_id, pending.ts, pending.xyxy, pending.conf,
                                 pending.cls))
        family.owners[id(tracklet)] = (tracklet, track)
        self.active[track.track_id] = track
        return track

    @staticmethod
    def _box(track_id: int, now: float, result: sv.Detections, row: int) -> TrackedBox:
        x1, y1, x2, y2 = (float(v) for v in result.xyxy[row])
        conf = float(result.confidence[row]) if result.confidence is not None else 1.0
        return TrackedBox(track_id, now, (x1, y1, x2, y2), conf,
                          CLASS_NAMES[int(result.class_id[row])])

    def _learn_flow(self, track: Track) -> None:
        """Teach the flow field the track's last step, if it moved at a plausible speed (half a
        box size per second up to the family's top speed), and, once more, its last three
        sightings if they agree (the two steps within 25 % of each other). Single steps make
        the field learn fast at 1 frame/s, where a motorbike is seen three times in all; wrong
        links scatter over directions and do not make a cell's dominant motion."""
        h = track.history
        if len(h) < 2:
            return
        a, b = h[-2], h[-1]
        pa, pb = np.array(a.foot), np.array(b.foot)
        v = (pb - pa) / (b.ts - a.ts)
        if 0.5 * b.size <= float(np.hypot(*v)) <= MAX_SPEED_SIZES_S[track.family] * b.size:
            self.flow.learn(pa, pb, v, b.ts)
        if len(h) < 3:
            return
        z = h[-3]
        pz = np.array(z.foot)
        v1 = (pa - pz) / (a.ts - z.ts)
        s1, s2 = float(np.hypot(*v1)), float(np.hypot(*v))
        if min(s1, s2) >= 0.5 * b.size and float(np.hypot(*(v1 - v))) <= 0.25 * max(s1, s2):
            self.flow.learn(pz, pb, (pb - pz) / (b.ts - z.ts), b.ts)

    def close(self) -> list[Track]:
        """The stream ends: every track ends with it (they are `ended` now)."""
        self.ended = list(self.active.values())
        self.active = {}
        for family in self._families.values():
            family.owners.clear()
            family.by_library_id.clear()
            family.inner.reset()
        return self.ended
