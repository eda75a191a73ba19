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
from ioc.events import AlarmAction, TrafficMetric


def default_line(width: int, height: int) -> CountLine:
    """Across the frame, two thirds down: where a pole camera sees vehicles large."""
    y = round(height * 2 / 3)
    return CountLine.parse(f"0,{y},{width},{y}")


def on_road(roi: RegionOfInterest | None, boxes) -> bool:
    """Whether an incident's vehicles stand on the carriageway (their ground points inside the
    camera's road outline): a motorbike parked on the pavement is no stalled vehicle."""
    if roi is None or not boxes:
        return True
    return any(roi.contains(((x1 + x2) / 2, y2)) for x1, _, x2, y2 in boxes)


class AlarmGate:
    """One alarm per camera and incident kind, as ISA-18.2 has it: raised when the first
    incident of its kind begins, cleared when the last one ends (two cars stalled behind each
    other are one "stalled vehicle" alarm, not a raise while it is open and an early clear).
    Incidents off the carriageway are dropped, raise and clear alike."""

    def __init__(self, roi: RegionOfInterest | None) -> None:
        self.roi = roi
        self.open: dict[str, set] = {}  # kind -> ids of its ongoing incidents
        self.dropped: set = set()

    def __call__(self, changes: list[IncidentChange]) -> list[IncidentChange]:
        out = []
        for change in changes:
            i = change.incident
            if change.action is AlarmAction.RAISE:
                if not on_road(self.roi, i.boxes):
                    self.dropped.add(i.incident_id)
                    continue
                ongoing = self.open.setdefault(i.kind.value, set())
                if not ongoing:
                    out.append(change)
                ongoing.add(i.incident_id)
            else:
                if i.incident_id in self.dropped:
                    self.dropped.discard(i.incident_id)
                    continue
                ongoing = self.open.get(i.kind.value, set())
                ongoing.discard(i.incident_id)
                if not ongoing and i.kind.value in self.open:
                    del self.open[i.kind.value]
                    out.append(change)
        return out


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
        self.gate = AlarmGate(roi if view and view.road else None)
        self.last_ts: datetime | None = None

    def frame(self, ts: datetime, found: FrameDetections) -> FrameOutput:
        boxes = self.tracker.update(ts, found.xyxy, found.conf, np.asarray(found.cls))
        crossings = self.counter.update(self.tracker)
        metrics = self.windows.add(ts, boxes, crossings)
        changes = self.incidents.update(self.tracker)
        for metric in metrics:
            changes += self.incidents.on_window(metric)
        self.last_ts = ts
        return FrameOutput(boxes, crossings, metrics, self.gate(changes))
