"""Line counts (analytics.vision.counting): direction by hand, jitter, jumps, one-sided tracks,
and whole synthetic streets at 10, 5, 2 and 1 frames/s, against the supervision baseline."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pytest

from analytics.vision import compare
from analytics.vision.counting import IN, OUT, CountLine, LineCounter, tally
from analytics.vision.tracking import CLASS_NAMES, Frame, Track, TrackedBox, Tracker

MOTO = CLASS_NAMES.index("motorcycle")
CAR = CLASS_NAMES.index("car")
HORIZONTAL = CountLine(0, 100, 200, 100)


def box_at(foot_x: float, foot_y: float, w: float = 40, h: float = 40) -> list[float]:
    return [foot_x - w / 2, foot_y - h, foot_x + w / 2, foot_y]


def frames_of(paths: list[list[tuple[float, float] | None]], fps: float,
              cls: int = MOTO) -> list[Frame]:
    """One frame per step; each path gives a road user's foot point per step (None: missed)."""
    out = []
    for k in range(max(len(p) for p in paths)):
        boxes = [box_at(*p[k]) for p in paths if k < len(p) and p[k] is not None]
        out.append(Frame(k / fps, np.array(boxes, dtype=float).reshape(-1, 4),
                         np.full(len(boxes), 0.9), np.full(len(boxes), cls)))
    return out


def count(frames: list[Frame], line: CountLine, fps: float):
    tracker, counter = Tracker(fps_hint=fps), LineCounter(line)
    crossings = []
    for f in frames:
        tracker.update(f.ts, f.xyxy, f.conf, f.cls)
        crossings += counter.update(tracker)
    tracker.close()
    crossings += counter.update(tracker)
    return counter, crossings


# -- direction, worked by hand -----------------------------------------------------------------

def test_left_of_a_line_along_x_is_up_the_screen():
    # Standing at (0, 100) facing (200, 100) on the screen (y down) one faces right; the left
    # hand points up, to smaller y. Cross product: 200 * (50 - 100) - 0 * (50 - 0) < 0.
    assert HORIZONTAL.side((50, 50)) == pytest.approx(-50)
    assert HORIZONTAL.side((50, 150)) == pytest.approx(50)
    assert CountLine.direction(HORIZONTAL.side((50, 50))) == IN  # leaving the left is "in"


def test_left_of_a_line_down_the_screen_is_screen_right():
    # (320, 0) -> (320, 360) runs down the screen; facing down, the left hand points to +x.
    down = CountLine(320, 0, 320, 360)
    assert down.side((400, 100)) < 0 < down.side((200, 100))
    # The reversed line swaps the sides.
    assert CountLine(320, 360, 320, 0).side((400, 100)) > 0


@pytest.mark.parametrize(("path", "direction"), [
    ([(100, 40), (100, 70), (100, 130), (100, 160)], IN),  # down the screen: left -> right
    ([(100, 160), (100, 130), (100, 70), (100, 40)], OUT),
])
def test_direction_of_a_crossing(path, direction):
    counter, crossings = count(frames_of([path], fps=5), HORIZONTAL, fps=5)
    assert [c.direction for c in crossings] == [direction]
    assert counter.counts == {"motorcycle": {IN: int(direction == IN), OUT: int(direction == OUT)}}


def test_a_crossing_is_timed_where_the_path_meets_the_line():
    # At 5 fps the foot goes from y=70 (t=0.2) to y=130 (t=0.4): it meets y=100 at t=0.3.
    counter, crossings = count(frames_of([[(100, 40), (100, 70), (100, 130), (100, 160)]], 5),
                               HORIZONTAL, 5)
    assert crossings[0].ts == pytest.approx(0.3)
    assert crossings[0].point == pytest.approx((100, 100))


def test_passing_beside_the_segment_is_not_a_crossing():
    path = [(260, 40), (260, 70), (260, 130), (260, 160)]  # x = 260 is beyond (200, 100)
    assert count(frames_of([path], 5), HORIZONTAL, 5)[1] == []


def test_parse_the_cli_line():
    assert CountLine.parse("0,180,640,180") == CountLine(0, 180, 640, 180)
    with pytest.raises(ValueError, match="X1,Y1,X2,Y2"):
        CountLine.parse("0,180,640")
    with pytest.raises(ValueError, match="no length"):
        CountLine.parse("5,5,5,5")


# -- jitter, jumps, one-sided tracks -----------------------------------------------------------

def test_a_box_jittering_on_the_line_counts_once():
    # A motorbike waits on the line for 12 s, its 40 px box jittering by 5 % (2 px).
    rng = np.random.default_rng(1)
    path = [(100, 40), (100, 70)] + [(100 + rng.normal(0, 2), 100 + rng.normal(0, 2))
                                     for _ in range(60)] + [(100, 130), (100, 160)]
    _, crossings = count(frames_of([path], 5), HORIZONTAL, 5)
    assert [c.direction for c in crossings] == [IN]


def test_a_track_counts_once_per_direction():
    there = [(100, 40), (100, 70), (100, 130), (100, 160)]
    path = there + there[::-1] + there  # down, up, down again
    _, crossings = count(frames_of([path], 5), HORIZONTAL, 5)
    assert sorted(c.direction for c in crossings) == [IN, OUT]


def test_a_jump_across_the_line_between_two_frames_counts():
    # 1 fps, 220 px a frame: the motorbike is seen 40 px before the line, then 180 px past it.
    line = CountLine(300, 0, 300, 360)
    path = [(40 + 220 * k, 200) for k in range(3)]
    _, crossings = count(frames_of([path], 1), line, 1)
    assert [(c.direction, c.extrapolated) for c in crossings] == [(OUT, False)]


def test_born_just_past_the_line_counts_by_extrapolation():
    # First seen 30 px past x=300 moving 200 px/s at 2 fps: a frame earlier it was before it.
    line = CountLine(300, 0, 300, 360)
    path = [(330 + 100 * k, 200) for k in range(4)]
    _, crossings = count(frames_of([path], 2), line, 2)
    assert [(c.direction, c.extrapolated) for c in crossings] == [(OUT, True)]
    assert crossings[0].ts == pytest.approx(-0.15)


def test_born_further_than_a_frame_past_the_line_does_not_count():
    line = CountLine(300, 0, 300, 360)
    path = [(420 + 100 * k, 200) for k in range(4)]  # 120 px past it, more than a frame's 100
    assert count(frames_of([path], 2), line, 2)[1] == []


def test_ending_just_before_the_line_counts_by_extrapolation():
    line = CountLine(300, 0, 300, 360)
    path = [(-30 + 100 * k, 200) for k in range(4)]  # last seen at 270, 30 px before it
    _, crossings = count(frames_of([path], 2), line, 2)
    assert [(c.direction, c.extrapolated) for c in crossings] == [(OUT, True)]


def test_stopping_before_the_line_does_not_count():
    line = CountLine(300, 0, 300, 360)
    path = [(100, 200), (180, 200), (240, 200), (270, 200)] + [(272, 200)] * 6
    assert count(frames_of([path], 2), line, 2)[1] == []


@dataclass
class Tracks:
    """What LineCounter reads of a Tracker."""

    active: dict[int, Track] = field(default_factory=dict)
    ended: list[Track] = field(default_factory=list)
    interval_s: float = 0.5
    lost_s: float = 2.0


def track(track_id: int, sightings: list[tuple[float, float]]) -> Track:
    t = Track(track_id, "two_wheeler", deque(maxlen=64))
    for ts, x in sightings:
        t.add(TrackedBox(track_id, ts, tuple(box_at(x, 200)), 0.9, "motorcycle"))
    return t


def test_a_track_broken_at_the_line_counts_once():
    # One rider at 200 px/s, 2 fps: its track ends 70 px before x=300 and a new one starts
    # 30 px past it, a frame later. Each half alone would be counted by extrapolation.
    line = CountLine(300, 0, 300, 360)
    counter, tracks = LineCounter(line), Tracks()
    before = track(1, [(0.0, 30), (0.5, 130), (1.0, 230)])
    after = track(2, [(1.5, 330), (2.0, 430), (2.5, 530)])
    tracks.active = {1: before, 2: after}
    crossings = counter.update(tracks)
    tracks.active, tracks.ended = {2: after}, [before]
    crossings += counter.update(tracks)
    assert [(c.track_id, c.direction, c.extrapolated) for c in crossings] == [(2, OUT, True)]
    assert crossings[0].ts == pytest.approx(1.35)


def test_two_riders_seen_together_are_not_one_broken_track():
    line = CountLine(300, 0, 300, 360)
    counter, tracks = LineCounter(line), Tracks()
    ahead = track(1, [(1.5, 330), (2.0, 430), (2.5, 530)])
    behind = track(2, [(0.5, 30), (1.0, 130), (1.5, 230)])
    tracks.active = {1: ahead, 2: behind}
    crossings = counter.update(tracks)
    tracks.active, tracks.ended = {1: ahead}, [behind]
    crossings += counter.update(tracks)
    assert sorted(c.track_id for c in crossings) == [1, 2]


def test_a_track_that_jumps_back_onto_the_rider_behind_does_not_count_back():
    line = CountLine(300, 0, 300, 360)
    counter, tracks = LineCounter(line), Tracks()
    swapped = track(1, [(0.0, 30), (0.5, 130), (1.0, 230), (1.5, 330), (2.0, 250), (2.5, 350)])
    tracks.active = {1: swapped}
    assert [c.direction for c in counter.update(tracks)] == [OUT]


def test_two_riders_one_behind_the_other_count_twice():
    line = CountLine(300, 0, 300, 360)
    lead = [(150 + 110 * k, 200) for k in range(5)]
    follow: list = [None, None] + [(140 + 110 * k, 205) for k in range(4)]
    _, crossings = count(frames_of([lead, follow], 2), line, 2)
    assert [c.direction for c in crossings] == [OUT, OUT]


def test_the_class_is_the_majority_of_the_track():
    frames = frames_of([[(100, 40), (100, 70), (100, 130), (100, 160), (100, 190)]], 5)
    frames[1].cls[0] = CLASS_NAMES.index("bicycle")  # one frame read as a bicycle
    counter, crossings = count(frames, HORIZONTAL, 5)
    assert counter.counts == {"motorcycle": {IN: 1, OUT: 0}}
    assert tally(crossings) == counter.counts


# -- whole streets -----------------------------------------------------------------------------

@pytest.mark.parametrize(("fps", "duration_s", "tolerance"),
                         [(10, 30, 0.03), (5, 45, 0.03), (2, 60, 0.05)])
def test_a_synthetic_street_is_counted(fps, duration_s, tolerance):
    """Poisson arrivals on a two-way street, boxes jittered by 4 % of their size, 15 % of
    them missed, a false positive in 5 % of the frames, 5 % read as a look-alike class."""
    truth = ours = 0
    for seed in (1, 2, 3):
        clip = compare.synthetic_clip(fps, duration_s, seed=seed)
        truth += compare.total(clip.truth)
        ours += compare.total(compare.count_ours(clip.frames, clip.line, fps))
    assert abs(ours - truth) <= tolerance * truth, (ours, truth)


def test_at_one_frame_a_second_most_are_still_counted():
    clip = compare.synthetic_clip(1, 90, seed=1)
    ours = compare.total(compare.count_ours(clip.frames, clip.line, 1))
    truth = compare.total(clip.truth)
    assert 0.5 * truth <= ours <= 1.05 * truth, (ours, truth)


def test_directions_and_classes_hold_at_two_frames_a_second():
    clip = compare.synthetic_clip(2, 120, seed=4)
    errors = compare.relative_errors(compare.count_ours(clip.frames, clip.line, 2), clip.truth)
    assert errors["two_wheelers"][IN] <= 0.1 and errors["two_wheelers"][OUT] <= 0.1, errors
    assert errors["all"]["total"] <= 0.05, errors


def test_side_by_side_with_the_baseline_at_two_frames_a_second(record_property):
    clip = compare.synthetic_clip(2, 120, seed=2)
    both = compare.side_by_side(clip.frames, clip.line, fps=2)
    truth = compare.total(clip.truth)
    record_property("truth", truth)
    record_property("ours", compare.total(both.ours))
    record_property("baseline", compare.total(both.baseline))  # ByteTrack + LineZone
    assert abs(compare.total(both.ours) - truth) <= 0.05 * truth


def test_the_baseline_reads_linezone_in_our_direction():
    # As in supervision's own doctest: a box from below the line (0,100)->(200,100) to above
    # it is LineZone "in". Up the screen is right -> left here: our "out".
    up = [Frame(k / 5, np.array([[10, y - 40, 20, y]], dtype=float), np.array([0.9]),
                np.array([CAR])) for k, y in enumerate((170, 150, 130, 110, 90, 70, 50))]
    assert compare.count_baseline(up, HORIZONTAL) == {"car": {IN: 0, OUT: 1}}
    assert compare.count_ours(up, HORIZONTAL, 5) == {"car": {IN: 0, OUT: 1}}


def test_scores_per_class_group():
    truth = {"motorcycle": {IN: 10, OUT: 10}, "bicycle": {IN: 0, OUT: 2}, "bus": {IN: 1, OUT: 0}}
    counted = {"motorcycle": {IN: 9, OUT: 12}, "truck": {IN: 1, OUT: 0}}
    errors = compare.relative_errors(counted, truth)
    assert errors["two_wheelers"] == {IN: 0.1, OUT: 0.0, "total": pytest.approx(1 / 22)}
    assert errors["heavy"]["total"] == 0.0  # a bus counted as a truck is still heavy
    assert "cars" not in errors and "people" not in errors
