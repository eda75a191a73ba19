"""The camera simulator: motion in metres, tracks, incidents, line crossings, the live camera."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from ioc.city import load_city
from simulators.camera_scene import Flow, Lane, Look, Rig, Scene, Street, sample_scene
from simulators.camera_traffic import Incident
from simulators.cameras import CameraSim, FrameTruth, StreetView, incidents_on, side_of
from simulators.rhythm import LOCAL_TZ

CITY = load_city()
STREET = Street(lanes=(Lane(-3.25, 3.5, -1), Lane(0.0, 3.0, -1), Lane(3.25, 3.5, 1)),
                median_m=0.0, sidewalk_m=(3.0, 3.0), kerb_m=0.15, centre_line="double_yellow",
                dash_m=(3.0, 5.0), zebra_y_m=None, palette="pastel", seed=5)
RIG = Rig(height_m=8.0, tilt_deg=16.0, yaw_deg=-4.0, hfov_deg=60.0, x_m=5.5)
LOOK = Look(daylight=1.0, weather="overcast", noise=0.0, caption=False)
EMPTY = Scene(STREET, RIG, LOOK, Flow(density=0.0, walkers=0.0, parked=0))
BUSY = Scene(STREET, RIG, LOOK, Flow(density=1.0, walkers=0.5, parked=4))


def centre(box) -> tuple[float, float]:
    return (box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2


def test_the_side_of_a_line_worked_by_hand():
    # A line drawn left to right, y down. Looking from (0, 100) to (100, 100) your right hand
    # points down the image: (50, 150) is on the right, (50, 50) on the left.
    line = (0, 100, 100, 100)
    assert side_of(line, 50, 150) > 0 and side_of(line, 50, 50) < 0
    # Looking down a vertical line, from (100, 0) to (100, 100), right is towards x = 0.
    assert side_of((100, 0, 100, 100), 50, 50) > 0


def test_a_vehicle_coming_at_the_camera_crosses_in_and_one_driving_away_out():
    view = StreetView(EMPTY, seed=1, warm_up_s=0)
    x1, y1, x2, y2 = view.count_line
    assert x1 <= x2 and view.count_line == tuple(int(v) for v in view.count_line)
    line_y = float(np.mean(view._line_ground[:, 1]))
    towards = view.traffic.place("car", -3.25, line_y + 12, -1, 8.0)
    away = view.traffic.place("motorcycle", 3.25, line_y - 12, 1, 8.0)
    crossed = view.advance(4.0)
    assert {(c.track_id, c.cls, c.direction) for c in crossed} == {
        (towards, "car", "in"), (away, "motorcycle", "out")}
    assert view.counts() == {"car": {"in": 1, "out": 0}, "motorcycle": {"in": 0, "out": 1}}
    # On screen: the one coming at the camera went from above the line to below it.
    uv = view.cam.ground_to_pixels(np.array([[-3.25, line_y + 12], [-3.25, line_y - 20]]))
    line = view.count_line
    assert side_of(line, *uv[0]) < 0 < side_of(line, *uv[1])


def test_vehicles_keep_their_gap_and_queue_behind_a_slow_one():
    view = StreetView(EMPTY, seed=2, warm_up_s=0)
    slow = view.traffic.place("truck", 3.25, 10.0, 1, 2.0)
    fast = view.traffic.place("car", 3.25, -10.0, 1, 12.0)
    view.advance(20.0)
    t = view.traffic
    s, f = t.index_of(slow), t.index_of(fast)
    gap = t.a["y"][s] - t.a["y"][f] - (t.a["L"][s] + t.a["L"][f]) / 2
    assert 0.5 < gap < 8
    assert t.a["v"][f] == pytest.approx(2.0, abs=0.5)  # it follows the truck


def test_a_tracks_box_moves_smoothly_between_frames():
    view = StreetView(BUSY, seed=3, warm_up_s=10)
    view.warm_up()
    frames = []
    for _ in range(8):
        view.advance(0.2)
        frames.append({b.track_id: b for b in view.frame()[1]})
    steps = []
    for a, b in zip(frames, frames[1:], strict=False):
        for track in a.keys() & b.keys():
            (ax, ay), (bx, by) = centre(a[track]), centre(b[track])
            size = max(a[track].x2 - a[track].x1, a[track].y2 - a[track].y1)
            steps.append(np.hypot(bx - ax, by - ay) / max(size, 4))
    assert len(steps) > 50
    assert np.median(steps) < 0.35 and np.percentile(steps, 95) < 1.0


def test_frames_and_truth_are_deterministic():
    def run() -> list:
        view = StreetView(sample_scene(21), seed=21, warm_up_s=5,
                          incidents=[Incident("stalled", 1.0, 30.0)])
        view.warm_up()
        out = []
        for _ in range(3):
            view.advance(1.0)
            img, boxes = view.frame(caption="CAM-21")
            out.append((view.renderer.encode(img, 70), boxes))
        return out + [view.incidents, view.counts()]

    assert run() == run()


def boxes_of(view: StreetView, track: int, seconds: int) -> list:
    out = []
    for _ in range(seconds):
        view.advance(1.0)
        out.append({b.track_id: b for b in view.frame()[1]}.get(track))
    return out


def test_a_stalled_vehicle_stands_still():
    view = StreetView(BUSY, seed=4, warm_up_s=10, incidents=[Incident("stalled", 2.0, 120.0)])
    view.warm_up()
    view.advance(12.0)  # it has stopped by now
    view.frame()
    (truth,) = view.incidents
    assert truth.kind == "stalled" and truth.end_s - truth.start_s == pytest.approx(120.0)
    boxes = boxes_of(view, truth.track_ids[0], 15)
    seen = [b for b in boxes if b is not None]
    assert len(seen) >= 10
    xs = [centre(b) for b in seen]
    assert np.ptp([x for x, _ in xs]) <= 2 and np.ptp([y for _, y in xs]) <= 2


def test_a_wrong_way_vehicle_drives_against_its_lane():
    view = StreetView(EMPTY, seed=5, warm_up_s=0, incidents=[Incident("wrong_way", 0.0)])
    view.advance(0.2)
    (track,) = view.traffic.ids
    t = view.traffic
    k = t.index_of(track)
    assert t.a["d"][k] == -STREET.lanes[int(t.a["lane"][k])].direction
    boxes = [b for b in boxes_of(view, track, 20) if b is not None]
    (truth,) = view.incidents
    assert truth.kind == "wrong_way" and truth.track_ids == (track,)
    assert truth.end_s > truth.start_s
    # Its lane drives away from the camera, so against it the vehicle comes at the camera:
    # down the image, and growing.
    assert len(boxes) >= 5
    assert boxes[-1].y2 > boxes[0].y2 and boxes[-1].y2 - boxes[-1].y1 > boxes[0].y2 - boxes[0].y1


def test_a_crash_leaves_two_vehicles_touching_and_still():
    view = StreetView(BUSY, seed=6, warm_up_s=10, incidents=[Incident("crash", 1.0, 100.0)])
    view.warm_up()
    view.advance(12.0)
    view.frame()
    crash = [i for i in view.incidents if i.kind == "crash"]
    assert len(crash) == 1 and len(crash[0].track_ids) == 2
    t = view.traffic

    def where() -> list[float]:
        return [float(t.a["y"][t.index_of(i)]) for i in crash[0].track_ids]

    a, b = (t.index_of(i) for i in crash[0].track_ids)
    gap = abs(t.a["y"][a] - t.a["y"][b]) - (t.a["L"][a] + t.a["L"][b]) / 2
    assert gap <= 0.05 and t.a["v"][a] == t.a["v"][b] == 0
    before = where()
    view.advance(20.0)
    assert where() == before


def test_congestion_slows_everyone_to_a_crawl():
    view = StreetView(BUSY, seed=7, warm_up_s=10,
                      incidents=[Incident("congestion", 20.0, 180.0)])
    view.warm_up()

    def speed() -> float:
        t = view.traffic
        vehicles = (t.a["kind"] == 0) & (t.a["y"] > view.view_m[0]) & (t.a["y"] < view.view_m[1])
        return float(t.a["v"][vehicles].mean())

    view.advance(15.0)
    free = speed()
    view.advance(110.0)
    assert speed() < 0.4 * free
    assert [i.kind for i in view.incidents] == ["congestion"]


def test_the_city_camera_keeps_its_api_and_its_street():
    camera = CITY.cameras[0]
    sim = CameraSim(camera, seed=7, fps=2)
    at = datetime(2026, 11, 24, 17, tzinfo=LOCAL_TZ)
    frame, jpeg, truth = sim.next_frame(at)
    frame2, _, truth2 = sim.next_frame(at + timedelta(seconds=0.5))
    assert (frame.seq, frame2.seq, frame.camera_id) == (0, 1, camera.id)
    assert jpeg.startswith(b"\xff\xd8") and isinstance(truth, FrameTruth)
    assert truth.t_s == 0 and truth2.t_s == pytest.approx(0.5)
    assert truth.boxes and all(0 <= b.x1 < b.x2 <= 640 and 0 <= b.y1 < b.y2 <= 360
                               for b in truth.boxes)
    assert sim.homography.shape == (3, 3) and len(sim.count_line) == 4
    assert CameraSim(camera, seed=8).scene == sim.scene  # the street is the camera's own


def test_the_live_city_has_a_few_incidents_a_camera_day():
    days = [date(2026, 3, 1) + timedelta(days=d) for d in range(60)]
    per_day = [len(incidents_on(7, "cam-01", d, 3.0)) for d in days]
    assert 2.0 < np.mean(per_day) < 4.0
    kinds = {i.kind for d in days for _, i in incidents_on(7, "cam-01", d, 3.0)}
    assert kinds == {"stalled", "wrong_way", "crash", "congestion"}
