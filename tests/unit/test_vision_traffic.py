"""Window metrics (analytics.vision.traffic): a hand-worked window, event-time closing with
lateness, the congestion index, calibration."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from analytics.vision import compare
from analytics.vision.counting import Crossing, LineCounter
from analytics.vision.tracking import TrackedBox, Tracker, as_seconds
from analytics.vision.traffic import (
    GroundPlane,
    RegionOfInterest,
    TrafficConfig,
    TrafficWindows,
    congestion_index,
    speed_mps,
)
from ioc.events import TrafficMetric

T0 = as_seconds(datetime(2026, 9, 12, 7, 0, tzinfo=UTC))  # a window boundary
TEN_CM_A_PIXEL = GroundPlane([[0.1, 0, 0], [0, 0.1, 0], [0, 0, 1]])
ROAD = RegionOfInterest.frame(400, 100)


def tb(track_id: int, s: float, xyxy, cls: str = "car") -> TrackedBox:
    return TrackedBox(track_id, T0 + s, tuple(float(v) for v in xyxy), 0.9, cls)


def crossing(s: float, cls: str, direction: str) -> Crossing:
    return Crossing(7, T0 + s, direction, cls, "four_wheeler", (200.0, 100.0), 70.0)


def hand_windows(ground: GroundPlane | None = TEN_CM_A_PIXEL) -> tuple[TrafficWindows, list]:
    """One car across 300 px (30 m) in 30 s, a motorbike seen once, a pedestrian."""
    w = TrafficWindows("cam-7", ROAD, TrafficConfig(window_s=60, allowed_lateness_s=10),
                       ground)
    out = w.add(T0, [tb(1, 0, (0, 50, 100, 100)), tb(2, 0, (100, 60, 140, 100), "motorcycle")],
                [crossing(10, "car", "in")])
    out += w.add(T0 + 30, [tb(1, 30, (300, 50, 400, 100)), tb(3, 30, (0, 0, 10, 40), "person")],
                 [crossing(25, "motorcycle", "out"), crossing(61, "car", "in")])
    return w, out


def test_a_window_by_hand():
    w, early = hand_windows()
    assert early == []  # the window [0, 60) is still open
    assert w.add(T0 + 69.9, []) == []  # ... until 60 s + 10 s of lateness have passed
    (m,) = w.add(T0 + 70, [])
    assert isinstance(m, TrafficMetric) and m.camera_id == "cam-7"
    assert (m.window_start, m.ts) == (datetime(2026, 9, 12, 7, 0, tzinfo=UTC),
                                      datetime(2026, 9, 12, 7, 1, tzinfo=UTC))
    assert m.counts == {"car": 1, "motorcycle": 1, "person": 1}  # distinct tracks
    assert m.crossings == {"car_in": 1, "motorcycle_out": 1}  # the one at 61 s is next's
    # Vehicle boxes: 100x50 of a 400x100 road in the first frame (plus the motorbike's
    # 40x40 beside it), 100x50 in the second; the pedestrian is not traffic.
    assert m.occupancy == pytest.approx(((5000 + 1600) / 40000 + 5000 / 40000) / 2, abs=0.01)
    assert m.average_speed_kmh == pytest.approx(3.6)  # 30 m in 30 s; the motorbike: no span
    slow, full = 1 - 3.6 / 35, m.occupancy / 0.5
    assert m.congestion_index == pytest.approx(math.sqrt(slow * full), abs=1e-3)


def test_a_window_is_emitted_once_and_late_data_is_dropped():
    w, _ = hand_windows()
    (first,) = w.add(T0 + 70, [])
    assert w.add(T0 + 59, [tb(1, 59, (0, 50, 100, 100))]) == []  # too late for [0, 60)
    assert w.late_dropped == 1
    (second,) = w.flush()
    assert second.window_start.timestamp() == T0 + 60
    assert second.crossings == {"car_in": 1}
    assert w.flush() == []


def test_replayed_windows_have_the_same_event_ids():
    a, _ = hand_windows()
    b, _ = hand_windows()
    assert [m.event_id for m in a.flush()] == [m.event_id for m in b.flush()]


def test_without_a_calibration_there_is_no_speed_but_still_a_congestion_index():
    w, _ = hand_windows(ground=None)
    (m,) = w.flush()
    assert m.average_speed_kmh is None
    assert 0 < m.congestion_index <= 1


@pytest.mark.parametrize(("speed", "occupancy", "expected"), [
    (None, 0.9, 0.0),  # no vehicle measured
    (0.0, 0.0, 0.0),  # a car standing on an empty road is not a jam
    (35 / 3.6, 0.9, 0.0),  # a dense stream at free-flow speed is not a jam either
    (0.0, 0.5, 1.0),  # standing, half the road covered: jammed
    (35 / 3.6 / 2, 0.25, 0.5),  # half speed, half full
])
def test_the_congestion_index(speed, occupancy, expected):
    assert congestion_index(speed, occupancy, 35.0, 0.5) == pytest.approx(expected)


def test_a_homography_with_perspective():
    # Rows further up the image are further away: y=100 is 10 m, y=50 is 20 m away.
    h = np.array([[0.1, 0, 0], [0, 0, 1000], [0, 0.1, 0]])
    ground = GroundPlane(h)
    assert ground.to_ground(np.array([[0, 100], [0, 50]]))[:, 1] == pytest.approx([100, 200])
    with pytest.raises(ValueError, match="invertible 3x3"):
        GroundPlane([[1, 0], [0, 1]])


def test_speed_needs_a_span():
    a, b = tb(1, 0, (0, 50, 100, 100)), tb(1, 0.5, (10, 50, 110, 100))
    assert speed_mps([a, b], TEN_CM_A_PIXEL) is None
    c = tb(1, 2.0, (40, 50, 140, 100))
    assert speed_mps([a, c], TEN_CM_A_PIXEL) == pytest.approx(2.0)
    # Uncalibrated: a car's 50 px box is about 1.5 m high, so 40 px is about 1.2 m.
    assert speed_mps([a, c], None) == pytest.approx(40 * 1.5 / 50 / 2.0)


def test_region_of_interest_needs_an_area():
    with pytest.raises(ValueError, match="at least 3 points"):
        RegionOfInterest([(0, 0), (1, 1)])
    triangle = RegionOfInterest([(0, 0), (100, 0), (0, 100)])
    assert triangle.occupancy([(0, 0, 100, 100)]) == pytest.approx(1.0, abs=0.01)
    assert triangle.occupancy([(60, 60, 100, 100)]) == 0.0


def test_a_street_over_minutes():
    clip = compare.synthetic_clip(2, 130, seed=2)
    tracker, counter = Tracker(fps_hint=2), LineCounter(clip.line)
    windows = TrafficWindows("cam-1", RegionOfInterest.frame(640, 360))
    metrics = []
    for f in clip.frames:
        boxes = tracker.update(f.ts, f.xyxy, f.conf, f.cls)
        metrics += windows.add(f.ts, boxes, counter.update(tracker))
    metrics += windows.flush()
    assert [m.window_start.timestamp() for m in metrics] == [0, 60, 120]
    crossed = sum(sum(m.crossings.values()) for m in metrics)
    assert abs(crossed - compare.total(clip.truth)) <= 0.05 * compare.total(clip.truth)
    for m in metrics:
        assert m.counts["motorcycle"] > m.counts["car"]  # motorbikes dominate
        assert 0.02 < m.occupancy < 0.2 and m.congestion_index < 0.3  # it flows
