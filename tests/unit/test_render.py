"""The perspective renderer: exact visible boxes, occlusion, projection, determinism."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from simulators.camera_bodies import body_for, footprint
from simulators.camera_scene import (
    HELD_OUT,
    TRAIN,
    Flow,
    Lane,
    Look,
    Pinhole,
    Rig,
    Scene,
    Street,
    sample_scene,
)
from simulators.render import CLASSES, Placed, Renderer

STREET = Street(lanes=(Lane(-3.25, 3.5, -1), Lane(0.0, 3.0, -1), Lane(3.25, 3.5, 1)),
                median_m=0.0, sidewalk_m=(3.0, 3.0), kerb_m=0.15, centre_line="double_yellow",
                dash_m=(3.0, 5.0), zebra_y_m=None, palette="pastel", seed=5)
RIG = Rig(height_m=8.0, tilt_deg=16.0, yaw_deg=-4.0, hfov_deg=60.0, x_m=5.5)
# No noise, blur, rain, shadows or caption: a pixel changes only where a road user is drawn.
PLAIN = Look(daylight=1.0, weather="overcast", noise=0.0, blur=0.0, caption=False,
             exposure=1.0, contrast=1.0, saturation=1.0, tint=(1.0, 1.0))
SCENE = Scene(STREET, RIG, PLAIN, Flow())


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(SCENE, 640, 360, seed=1)


def place(cls: str, x: float, y: float, heading: float = math.pi, track_id: int = 1,
          seed: int = 3) -> Placed:
    return Placed(body_for(cls, seed), x, y, heading, track_id)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("heading", [0.0, math.pi, math.pi * 0.8])
def test_each_class_is_drawn_inside_its_box_and_fills_it(renderer, cls, heading):
    empty, _ = renderer.render([])
    img, truth = renderer.render([place(cls, 0.0, 22.0, heading)])
    assert [(t.cls, t.track_id) for t in truth] == [(cls, 1)]
    t = truth[0]
    ys, xs = (img != empty).any(axis=2).nonzero()
    # Tight: what changed lies in the box and reaches (within a pixel) each of its edges.
    assert t.x1 - 1 <= xs.min() <= t.x1 + 1 and t.x2 - 2 <= xs.max() <= t.x2
    assert t.y1 - 1 <= ys.min() <= t.y1 + 1 and t.y2 - 2 <= ys.max() <= t.y2


def test_road_users_grow_as_they_approach(renderer):
    heights = []
    for y in (80.0, 40.0, 20.0):
        (t,) = renderer.render([place("car", 0.0, y)])[1]
        heights.append(t.y2 - t.y1)
    assert heights[0] < heights[1] < heights[2]
    assert heights[2] / heights[0] > 2.5


def test_a_nearer_road_user_hides_a_farther_one(renderer):
    car = place("car", -3.25, 30.0, track_id=1)
    _, alone = renderer.render([car])
    bus = place("bus", -3.25, 24.0, track_id=2)
    _, both = renderer.render([car, bus])
    boxes = {t.track_id: t for t in both}
    assert 2 in boxes
    if 1 in boxes:  # what shows of the car is less than the whole car
        a, b = alone[0], boxes[1]
        assert (b.x2 - b.x1) * (b.y2 - b.y1) < (a.x2 - a.x1) * (a.y2 - a.y1)


def test_boxes_are_clipped_to_the_frame_and_tiny_ones_dropped(renderer):
    cam = renderer.cam
    edge_x, edge_y = cam.ground_point(2, 300)  # a truck half out of the frame on the left
    far = place("motorcycle", 3.25, 400.0, 0.0, track_id=2)  # a speck at 400 m
    _, truth = renderer.render([place("truck", edge_x, edge_y, track_id=1), far])
    assert [t.track_id for t in truth] == [1]
    t = truth[0]
    assert 0 == t.x1 < t.x2 <= 640 and 0 <= t.y1 < t.y2 <= 360


def test_the_homography_maps_pixels_back_to_the_ground():
    cam = Pinhole(RIG, 640, 360)
    ground = np.array([[0.0, 20.0], [3.0, 35.0], [-4.0, 12.0]])
    uv, depth = cam.project(np.column_stack([ground, np.zeros(3)]))
    assert (depth > 0).all()
    back = np.column_stack([uv, np.ones(3)]) @ cam.image_to_ground.T
    assert np.allclose(back[:, :2] / back[:, 2:], ground, atol=1e-6)
    assert np.allclose(cam.ground_to_pixels(ground), uv, atol=1e-6)


def test_the_same_scene_draws_the_same_pixels():
    scene = sample_scene(4, TRAIN, time_of_day="night", weather="rain")
    users = [place("car", 1.0, 25.0), place("motorcycle", -1.0, 15.0, track_id=2)]
    a, ta = Renderer(scene, seed=9).render(users)
    b, tb = Renderer(scene, seed=9).render(users)
    assert np.array_equal(a, b) and ta == tb


def test_night_is_darker_and_lamps_are_lit(renderer):
    night = replace(PLAIN, daylight=0.0, weather="clear")
    car = Placed(body_for("car", 3), 3.25, 20.0, math.pi, 1, lights=True)
    day_img, _ = renderer.render([car])
    night_img, (t,) = renderer.render([car], night)
    assert night_img.mean() < 0.6 * day_img.mean()
    box = night_img[t.y1:t.y2, t.x1:t.x2]
    assert box.max() > 200  # the headlamps


def test_footprint_is_what_gets_built():
    for cls in CLASSES:
        for seed in range(20):
            body = body_for(cls, seed)
            assert footprint(cls, seed) == (body.length_m, body.width_m)


def test_held_out_scenes_are_streets_training_never_sees():
    train = [sample_scene(f"train:{i}", TRAIN) for i in range(40)]
    test = [sample_scene(f"test:{i}", HELD_OUT) for i in range(40)]
    assert all(s.rig.height_m < 10 and len(s.street.lanes) != 5 and s.street.palette != "market"
               for s in train)
    assert all(s.rig.height_m >= 10 and len(s.street.lanes) == 5
               and s.street.palette == "market" for s in test)
