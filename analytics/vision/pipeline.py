"""One camera's analytics after the detector: tracker, line counter, traffic windows, incidents.

Pure, on event time: the worker, `ioc count` and the benchmarks feed it frames' detections and
publish what comes out. A camera's view (count line, carriageway, ground calibration) comes from
`ioc.camera_views`; without one the line runs across the frame's lower third and speeds are
estimated from box sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from analytics.vision.counting import CountLine, Crossing, LineCounter
from analytics.vision.detector import FrameDetections
from analytics.vision.incidents import IncidentChange, IncidentDetector, IncidentThresholds
from analytics.vision.tracking import TrackedBox, Tracker
from analytics.vision.traffic import GroundPlane, RegionOfInterest, TrafficConfig, TrafficWindows
from ioc.camera_views import CameraView
from ioc.events import TrafficMetric


def default_line(width: int, height: int) -> CountLine:
    """Across the frame, two thirds down: where a pole camera sees vehicles large."""
    y = round(height * 2 / 3)
    return CountLine.parse(f"0,{y},{width},{y}")


@dataclass
class FrameOutput:
    boxes: list[TrackedBox]  # this frame's detections with their track ids
    crossings: list[Crossing]
    metrics: list[TrafficMetric]  # windows this frame closed
    changes: list[IncidentChange]  # incidents raised or cleared


@dataclass
class CameraPipeline:
    camera_id: str
    width: int
    height: int
    view: CameraView | None = None
    window_s: float = 60.0
    fps_hint: float | None = None
    thresholds: IncidentThresholds = field(default_factory=IncidentThresholds)

    def __post_init__(self) -> None:
        view = self.view
        ground = GroundPlane(view.ground_from_image) if view and view.ground_from_image else None
        line = (CountLine.parse(",".join(map(str, view.count_line))) if view and view.count_line
                else default_line(self.width, self.height))
        roi = (RegionOfInterest(view.road) if view and view.road
               else RegionOfInterest.frame(self.width, self.height))
        self.tracker = Tracker(fps_hint=self.fps_hint)
        self.counter = LineCounter(line)
        self.windows = TrafficWindows(self.camera_id, roi, TrafficConfig(window_s=self.window_s),
                                      ground)
        self.incidents = IncidentDetector(self.camera_id, self.thresholds, ground)
        self.last_ts: datetime | None = None

    def frame(self, ts: datetime, found: FrameDetections) -> FrameOutput:
        boxes = self.tracker.update(ts, found.xyxy, found.conf, np.asarray(found.cls))
        crossings = self.counter.update(self.tracker)
        metrics = self.windows.add(ts, boxes, crossings)
        changes = self.incidents.update(self.tracker)
        for metric in metrics:
            changes += self.incidents.on_window(metric)
        self.last_ts = ts
        return FrameOutput(boxes, crossings, metrics, changes)

    def flush(self) -> list[TrafficMetric]:
        return self.windows.flush()
