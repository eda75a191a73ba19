"""Tracking at city frame rates (analytics.vision.tracking): association by hand, the lane
field, identities kept at 10, 5, 2 and 1 frames/s, bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from analytics.vision import compare
from analytics.vision.tracking import (
    CLASS_NAMES,
    FlowField,
    Motion,
    Tracker,
    TrackerConfig,
    as_seconds,
    association_scores,
)

MOTO = CLASS_NAMES.index("motorcycle")
BIKE = CLASS_NAMES.index("bicycle")
BUS = CLASS_NAMES.index("bus")
CFG = TrackerConfig()


def box(cx: float, foot_y: float, w: float = 40, h: float = 40) -> list[float]:
    return [cx - w / 2, foot_y - h, cx + w / 2, foot_y]


def step(tracker: Tracker, ts: float, boxes: list[list[float]], cls: int | list[int] = MOTO):
    classes = cls if isinstance(cls, list) else [cls] * len(boxes)
    return tracker.update(ts, np.array(boxes, dtype=float).reshape(-1, 4),
                          np.full(len(boxes), 0.9), np.array(classes, dtype=int))


# -- association, by hand ----------------------------------------------------------------------

def test_a_moving_track_expects_its_box_ahead_not_where_it_was():
    # At 2 fps a motorbike at 216 px/s moves 108 px, 2.7 of its 40 px boxes, between frames.
    moving = Motion(np.array(box(100, 200)), 0.0, np.array([216.0, 0]), None, 6.0)
    ahead, behind = box(208, 200), box(120, 200)
    scores = association_scores([moving], np.array([ahead, behind], dtype=float), 0.5, 0.5, CFG)
    assert scores[0, 0] > 0.9 > 0.1 > scores[0, 1]


def test_a_track_seen_once_follows_its_lane_before_the_nearest_box():
    # Without a lane, the nearest box wins (wagon-wheel): with one, the one the lane predicts.
    seen_once = Motion(np.array(box(100, 200)), 0.0, None, None, 6.0)
    lane = seen_once._replace(lane=np.array([216.0, 0]))
    dets = np.array([box(208, 200), box(140, 200)], dtype=float)
    blind = association_scores([seen_once], dets, 0.5, 0.5, CFG)[0]
    guided = association_scores([lane], dets, 0.5, 0.5, CFG)[0]
    assert blind[1] > blind[0]
    assert guided[0] > guided[1]


def test_a_track_keeps_its_line_better_than_its_speed():
    moving = Motion(np.array(box(100, 200)), 0.0, np.array([200.0, 0]), None, 6.0)
    ahead, aside = box(140, 200), box(100, 240)  # 40 px off the prediction either way
    s = association_scores([moving], np.array([ahead, aside], dtype=float), 0.2, 0.2, CFG)[0]
    assert s[0] > s[1]


def test_a_track_seen_once_and_then_missed_takes_nothing_far():
    seen_once = Motion(np.array(box(100, 200)), 0.0, None, None, 6.0)
    far = np.array([box(400, 200)], dtype=float)
    assert association_scores([seen_once], far, 2.0, 0.5, CFG)[0, 0] == 0.0


def test_shape_matters():
    track = Motion(np.array(box(100, 200)), 0.0, np.array([0.0, 0]), None, 4.0)
    same, bus = box(100, 200), box(100, 200, w=200, h=80)
    s = association_scores([track], np.array([same, bus], dtype=float), 0.2, 0.2, CFG)[0]
    assert s[0] > 2 * s[1]


# -- the lane field ----------------------------------------------------------------------------

def test_the_flow_field_learns_a_lane_and_fills_its_ends():
    flow = FlowField(cell_px=40)
    for k in range(10):
        flow.learn(np.array([200.0, 190]), np.array([300.0, 190]), np.array([200.0, 0]), k)
    assert flow.lane(np.array([250.0, 190])) == pytest.approx([200, 0])
    assert flow.lane(np.array([130.0, 190])) == pytest.approx([200, 0])  # up the lane
    assert flow.lane(np.array([250.0, 330])) is None  # nowhere near


def test_a_two_way_cell_gives_no_lane_and_one_rider_does_not_turn_a_lane():
    flow = FlowField(cell_px=40)
    a, b = np.array([200.0, 190]), np.array([230.0, 190])
    for k in range(20):
        flow.learn(a, b, np.array([200.0, 0]), k)
    flow.learn(b, a, np.array([-200.0, 0]), 21)  # a wrong-way rider
    v, share, mass = flow.dominant(flow.key(a))
    assert v == pytest.approx([200, 0]) and share > 0.9 and mass == pytest.approx(21, rel=0.02)
    for k in range(20):
        flow.learn(b, a, np.array([-200.0, 0]), 22 + k)
    assert flow.lane(a) is None


# -- identities --------------------------------------------------------------------------------

@pytest.mark.parametrize("fps", [10, 5, 2, 1])
def test_riders_abreast_keep_their_tracks(fps):
    """Three motorbikes side by side 50 px apart, 180-240 px/s, with 4 % jitter: at 1 fps
    they move five box lengths a frame, and keep one track each."""
    rng = np.random.default_rng(fps)
    tracker = Tracker(fps_hint=fps)
    speeds, lanes = (180.0, 210.0, 240.0), (150.0, 200.0, 250.0)
    ids: dict[int, set[int]] = {0: set(), 1: set(), 2: set()}
    for k in range(int(3 * fps)):
        ts = k / fps
        boxes = [np.array(box(20 + v * ts, y)) + rng.normal(0, 1.6, 4)
                 for v, y in zip(speeds, lanes, strict=True)]
        for b in step(tracker, ts, boxes):
            ids[int(np.argmin([abs(b.foot[1] - y) for y in lanes]))].add(b.track_id)
    assert all(len(v) == 1 for v in ids.values()), ids


@pytest.mark.parametrize("fps", [5, 2])
def test_a_missed_frame_does_not_break_a_track(fps):
    tracker = Tracker(fps_hint=fps)
    seen = set()
    for k in range(int(4 * fps)):
        if k in (3, 4):
            step(tracker, k / fps, [])
            continue
        seen |= {b.track_id for b in step(tracker, k / fps, [box(20 + 200 * k / fps, 200)])}
    assert len(seen) == 1


def test_a_track_starts_from_its_first_detection():
    tracker = Tracker(fps_hint=2)
    step(tracker, 0.0, [])
    assert step(tracker, 0.5, [box(100, 200)]) == []  # not confirmed yet
    (confirmed,) = step(tracker, 1.0, [box(210, 200)])
    history = tracker.active[confirmed.track_id].history
    assert [b.ts for b in history] == [0.5, 1.0]


def test_a_class_misread_keeps_the_track_and_the_majority_wins():
    tracker = Tracker(fps_hint=5)
    classes = [MOTO, MOTO, BIKE, MOTO, BIKE, MOTO]
    ids = {b.track_id for k, c in enumerate(classes)
           for b in step(tracker, k / 5, [box(50 + 40 * k, 200)], c)}
    (tid,) = ids
    assert tracker.active[tid].cls == "motorcycle"


def test_a_motorbike_never_continues_as_a_bus():
    tracker = Tracker(fps_hint=5)
    step(tracker, 0.0, [box(100, 200)])
    (moto,) = step(tracker, 0.2, [box(140, 200)])
    assert step(tracker, 0.4, [box(180, 200, w=44, h=44)], BUS) == []  # a new track, unsure
    (bus,) = step(tracker, 0.6, [box(220, 200, w=44, h=44)], BUS)
    assert bus.track_id != moto.track_id
    assert tracker.active[bus.track_id].family == "four_wheeler"
    assert tracker.active[moto.track_id].observations == 2


def test_lost_tracks_are_kept_in_seconds():
    assert Tracker(fps_hint=10).lost_s == 2.0
    slow = Tracker(fps_hint=1)
    assert slow.lost_s == 3.0  # three frame intervals
    step(slow, 0.0, [box(100, 200)])
    step(slow, 1.0, [box(100, 200)])
    for ts in (2.0, 3.0, 4.0):
        step(slow, ts, [])
        assert slow.ended == []
    step(slow, 5.0, [])
    assert [t.track_id for t in slow.ended] == [0] and slow.active == {}


def test_memory_stays_bounded_over_hours():
    tracker = Tracker(fps_hint=1, config=TrackerConfig(history=16))
    for k in range(3000):  # a parked car for 50 minutes, and riders passing every 10 s
        boxes = [box(500, 300, 90, 50)] + ([box(20 + 200 * (k % 10), 150)] if k % 10 < 3 else [])
        step(tracker, float(k), boxes, [CLASS_NAMES.index("car")] + [MOTO] * (len(boxes) - 1))
    parked = max(tracker.active.values(), key=lambda t: t.observations)
    assert parked.observations > 2900 and len(parked.history) == 16
    assert len(tracker.active) <= 3
    assert all(len(f.owners) <= 3 for f in tracker._families.values())


def test_frames_out_of_order_are_skipped():
    tracker = Tracker()
    step(tracker, 10.0, [box(100, 200)])
    assert step(tracker, 9.0, [box(100, 200)]) == []
    assert tracker.now_s == 10.0


def test_event_time_as_datetimes():
    t0 = datetime(2026, 9, 12, 7, 30, tzinfo=UTC)
    tracker = Tracker(fps_hint=2)
    for k in range(4):
        step(tracker, t0 + timedelta(seconds=k / 2), [box(50 + 100 * k, 200)])
    (track,) = tracker.active.values()
    assert track.first_ts == as_seconds(t0) and tracker.interval_s == 0.5
    with pytest.raises(ValueError, match="naive"):
        as_seconds(datetime(2026, 9, 12, 7, 30))


def test_ids_hold_on_a_synthetic_street_at_two_frames_a_second():
    """Fragmentation on the street of `compare`: tracks per road user that crossed the view."""
    clip = compare.synthetic_clip(2, 60, seed=3)
    tracker = Tracker(fps_hint=2)
    long_tracks = 0
    for f in clip.frames:
        tracker.update(f.ts, f.xyxy, f.conf, f.cls)
        long_tracks += sum(1 for t in tracker.ended if t.observations >= 4)
    crossing = compare.total(clip.truth)
    assert long_tracks >= 0.8 * crossing
