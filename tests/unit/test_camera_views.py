"""The shipped camera views are the simulated cameras' own geometry, and parse."""

from __future__ import annotations

from ioc.camera_views import load_views
from ioc.city import load_city
from ioc.cli import _simulated_views


def test_the_shipped_views_are_what_the_renderer_sees_now():
    shipped = load_views()
    assert set(shipped) == {c.id for c in load_city().cameras}
    # A change to the renderer's cameras changes these: run `ioc vision views --write`.
    assert {v.camera_id: v for v in _simulated_views()} == shipped


def test_every_count_line_lies_across_its_road_inside_the_frame():
    for view in load_views().values():
        x1, y1, x2, y2 = view.count_line
        assert all(0 <= x <= view.width for x in (x1, x2))
        assert all(0 <= y <= view.height for y in (y1, y2))
        assert len(view.road) == 4 and len(view.ground_from_image) == 3
