"""Per-camera traffic metrics over event-time windows. Pure: every instant comes from the data.

A window [start, start + window_s) closes once event time (the latest frame seen) has passed
its end by `allowed_lateness_s`, and is emitted once, as an `ioc.events.TrafficMetric`. The
lateness must cover a line crossing found late: one extrapolated at the end of a track is
known only when the tracker gives the track up (`Tracker.lost_s` after its last sighting).

Per window:
* `counts`: distinct tracks seen, by the class of each track's majority vote in the window;
* `crossings`: line crossings by class and direction, flattened ("motorcycle_in": 3);
* `occupancy`: the share of the region of interest (the carriageway) covered by vehicle
  boxes, averaged over the window's frames, 0..1;
* `average_speed_kmh`: the median ground speed of the vehicle tracks, from the camera's
  calibration (`GroundPlane`); None without one;
* `congestion_index`, 0 free flow .. 1 jammed:

      slow = clip(1 - v / v_free, 0, 1)           v: the median vehicle speed (m/s)
      full = clip(occupancy / jam_occupancy, 0, 1)
      congestion_index = sqrt(slow * full)

  Both must be high: a dense stream at speed is not a jam, nor is one slow cyclist on an
  empty road. Without a calibration, v is estimated from each box's height and its class's
  typical height (a motorbike with its rider stands about 1.6 m), which is enough to tell
  crawling from flowing.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import median

import cv2
import numpy as np

from analytics.vision.counting import Crossing
from analytics.vision.tracking import (
    VEHICLE_CLASSES,
    Timestamp,
    TrackedBox,
    as_datetime,
    as_seconds,
)
from ioc.events import TrafficMetric

METRIC_NAMESPACE = uuid.UUID("5f3b2d8e-6a1c-4e07-9b52-c8d41a7e0f36")
# Standing height of each class in metres (with its rider), to read metres off a box.
TYPICAL_HEIGHT_M = {"person": 1.7, "bicycle": 1.7, "motorcycle": 1.6, "car": 1.5, "bus": 3.2,
                    "truck": 3.0}
_MASK_SIDE = 256  # the region of interest is rasterised to at most this many cells a side


class GroundPlane:
    """A camera's calibration: a 3x3 homography from image pixels to ground-plane metres."""

    def __init__(self, homography: Sequence[Sequence[float]] | np.ndarray) -> None:
        h = np.asarray(homography, dtype=float)
        if h.shape != (3, 3) or not np.all(np.isfinite(h)) or abs(np.linalg.det(h)) < 1e-12:
            raise ValueError("the homography must be an invertible 3x3 matrix of numbers "
                             f"(image pixels -> ground metres); got {h.tolist()}")
        self.homography = h

    def to_ground(self, points: np.ndarray) -> np.ndarray:
        """Image points [N, 2] (px) to ground points [N, 2] (m)."""
        p = np.asarray(points, dtype=float).reshape(-1, 2)
        q = np.c_[p, np.ones(len(p))] @ self.homography.T
        return q[:, :2] / q[:, 2:3]

    def distance_m(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        g = self.to_ground(np.array([a, b]))
        return float(np.hypot(*(g[1] - g[0])))


def metres_between(a: TrackedBox, b: TrackedBox, ground: GroundPlane | None) -> float:
    """Ground distance between the foot points of two boxes of one road user: through the
    calibration, or else read off the boxes' heights and the class's typical height."""
    if ground is not None:
        return ground.distance_m(a.foot, b.foot)
    px = float(np.hypot(b.foot[0] - a.foot[0], b.foot[1] - a.foot[1]))
    height_px = max((a.xyxy[3] - a.xyxy[1] + b.xyxy[3] - b.xyxy[1]) / 2, 1.0)
    return px * TYPICAL_HEIGHT_M.get(b.cls, 1.6) / height_px


def speed_mps(boxes: Sequence[TrackedBox], ground: GroundPlane | None,
              min_span_s: float = 0.9) -> float | None:
    """Ground speed (m/s) from the first to the last of `boxes`; None over too short a span."""
    if len(boxes) < 2 or boxes[-1].ts - boxes[0].ts < min_span_s:
        return None
    return metres_between(boxes[0], boxes[-1], ground) / (boxes[-1].ts - boxes[0].ts)


def congestion_index(speed_mps_median: float | None, occupancy: float,
                     free_flow_kmh: float, jam_occupancy: float) -> float:
    """sqrt(slow * full), see the module docstring; 0 when no vehicle was measured."""
    if speed_mps_median is None:
        return 0.0
    slow = min(max(1.0 - speed_mps_median * 3.6 / free_flow_kmh, 0.0), 1.0)
    full = min(max(occupancy / jam_occupancy, 0.0), 1.0)
    return math.sqrt(slow * full)


@dataclass(frozen=True)
class TrafficConfig:
    window_s: float = 60.0
    allowed_lateness_s: float = 10.0
    free_flow_kmh: float = 35.0  # what motorbikes keep to on a city street when it flows
    jam_occupancy: float = 0.5  # vehicle boxes covering half the carriageway: full


class RegionOfInterest:
    """The carriageway as a polygon in image pixels, rasterised once for occupancy."""

    def __init__(self, polygon: Sequence[tuple[float, float]]) -> None:
        pts = np.asarray(polygon, dtype=float).reshape(-1, 2)
        self.polygon = pts.astype(np.float32)
        if len(pts) < 3:
            raise ValueError(f"the region of interest needs at least 3 points, got {len(pts)}")
        self.origin = pts.min(axis=0)
        extent = np.maximum(pts.max(axis=0) - self.origin, 1.0)
        self.scale = _MASK_SIDE / float(extent.max())
        shape = np.ceil(extent * self.scale).astype(int) + 1
        self.mask = np.zeros((shape[1], shape[0]), dtype=np.uint8)
        cv2.fillPoly(self.mask, [np.round((pts - self.origin) * self.scale).astype(np.int32)], 1)
        self.area = int(self.mask.sum())
        if self.area == 0:
            raise ValueError("the region of interest has no area")

    @classmethod
    def frame(cls, width: float, height: float) -> RegionOfInterest:
        """The whole frame."""
        return cls([(0, 0), (width, 0), (width, height), (0, height)])

    def contains(self, point: tuple[float, float]) -> bool:
        """Whether the point lies inside the outline (or on its edge)."""
        return cv2.pointPolygonTest(self.polygon, (float(point[0]), float(point[1])),
                                    False) >= 0

    def occupancy(self, boxes: Iterable[tuple[float, float, float, float]]) -> float:
        """Share of the region covered by the union of the boxes, 0..1."""
        covered = np.zeros_like(self.mask)
        h, w = covered.shape
        for x1, y1, x2, y2 in boxes:
            a = np.floor((np.array([x1, y1]) - self.origin) * self.scale).astype(int)
            b = np.ceil((np.array([x2, y2]) - self.origin) * self.scale).astype(int)
            covered[max(a[1], 0):min(b[1], h), max(a[0], 0):min(b[0], w)] = 1
        return float((covered & self.mask).sum()) / self.area


@dataclass
class _Window:
    start_s: float
    frames: int = 0
    occupancy_sum: float = 0.0
    votes: dict[int, Counter[str]] = field(default_factory=dict)
    spans: dict[int, list[TrackedBox]] = field(default_factory=dict)  # first, last in window
    crossings: Counter[str] = field(default_factory=Counter)


class TrafficWindows:
    """Folds one camera's tracked frames and line crossings into window metrics.

        windows = TrafficWindows("cam-7", RegionOfInterest(road_polygon))
        metrics = windows.add(ts, boxes, crossings)   # windows that closed meanwhile
        metrics += windows.flush()                     # at the end of the stream
    """

    def __init__(self, camera_id: str, roi: RegionOfInterest,
                 config: TrafficConfig | None = None, ground: GroundPlane | None = None) -> None:
        self.camera_id = camera_id
        self.roi = roi
        self.config = config or TrafficConfig()
        self.ground = ground
        self.watermark_s = float("-inf")
        self.late_dropped = 0  # frames or crossings that came after their window was emitted
        self.last: TrafficMetric | None = None  # the latest window emitted
        self._open: dict[float, _Window] = {}
        self._closed_before = float("-inf")  # windows starting before this were emitted

    def _window(self, ts: float) -> _Window | None:
        start = math.floor(ts / self.config.window_s) * self.config.window_s
        if start < self._closed_before:
            self.late_dropped += 1
            return None
        return self._open.setdefault(start, _Window(start))

    def add(self, ts: Timestamp, boxes: Sequence[TrackedBox],
            crossings: Iterable[Crossing] = ()) -> list[TrafficMetric]:
        """Add one frame's tracked boxes (and the crossings found with it); returns the
        metrics of the windows this closes."""
        now = as_seconds(ts)
        window = self._window(now)
        if window is not None:
            window.frames += 1
            vehicles = [b for b in boxes if b.cls in VEHICLE_CLASSES]
            window.occupancy_sum += self.roi.occupancy(b.xyxy for b in vehicles)
            for b in boxes:
                window.votes.setdefault(b.track_id, Counter())[b.cls] += max(b.conf, 1e-3)
            for b in vehicles:
                span = window.spans.setdefault(b.track_id, [b, b])
                span[1] = b
        for c in crossings:
            w = self._window(c.ts)
            if w is not None:
                w.crossings[f"{c.cls}_{c.direction}"] += 1
        self.watermark_s = max(self.watermark_s, now)
        return self._close(self.watermark_s - self.config.allowed_lateness_s)

    def flush(self) -> list[TrafficMetric]:
        """The stream ended: emit every open window."""
        return self._close(float("inf"))

    def _close(self, before_s: float) -> list[TrafficMetric]:
        out = []
        for start in sorted(self._open):
            if start + self.config.window_s > before_s:
                break
            window = self._open.pop(start)
            self._closed_before = max(self._closed_before, start + self.config.window_s)
            if window.frames:
                out.append(self._metric(window))
        if out:
            self.last = out[-1]
        return out

    def _metric(self, w: _Window) -> TrafficMetric:
        cfg = self.config
        counts = Counter(max(v.items(), key=lambda kv: kv[1])[0] for v in w.votes.values())
        speeds = [s for s in (speed_mps(span, self.ground) for span in w.spans.values())
                  if s is not None]
        v = median(speeds) if speeds else None
        occupancy = min(w.occupancy_sum / w.frames, 1.0)
        start_at = as_datetime(w.start_s)
        return TrafficMetric(
            event_id=uuid.uuid5(METRIC_NAMESPACE,
                                f"{self.camera_id}|{start_at.isoformat()}|{cfg.window_s:g}"),
            ts=as_datetime(w.start_s + cfg.window_s),
            camera_id=self.camera_id,
            window_start=start_at,
            counts=dict(sorted(counts.items())),
            crossings=dict(sorted(w.crossings.items())),
            occupancy=round(occupancy, 4),
            congestion_index=round(congestion_index(v, occupancy, cfg.free_flow_kmh,
                                                    cfg.jam_occupancy), 4),
            average_speed_kmh=round(v * 3.6, 2) if v is not None and self.ground else None,
        )
