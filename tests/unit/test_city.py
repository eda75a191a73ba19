"""The city model: it loads, its places are where they say, and ward lookup works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ioc.city import City, load_city, point_in_polygon
from ioc.events import SensorKind
from ioc.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def city() -> City:
    return load_city()


def test_city_loads_with_its_wards_and_communes(city: City):
    assert city.name == "Long Khánh"
    names = {w.name for w in city.wards}
    assert {"Xuân An", "Xuân Bình", "Xuân Hòa", "Xuân Lập", "Xuân Tân", "Xuân Thanh",
            "Xuân Trung", "Phú Bình", "Suối Tre", "Bảo Vinh", "Bàu Sen", "Bảo Quang",
            "Bàu Trâm", "Bình Lộc", "Hàng Gòn"} == names
    assert load_city() is city  # parsed once


def test_slugs_are_ascii_and_unique(city: City):
    for group in (city.wards, city.roads, city.streams):
        slugs = [x.slug for x in group]
        assert len(slugs) == len(set(slugs))
        assert all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs)


@pytest.mark.parametrize("ward", load_city().wards, ids=lambda w: w.slug)
def test_each_ward_is_a_polygon_around_its_centroid(city: City, ward):
    assert 6 <= len(ward.polygon) <= 10
    assert ward.contains(*ward.centroid)
    assert city.ward_at(*ward.centroid) == ward
    south, west, north, east = city.bbox
    assert all(south <= lat <= north and west <= lon <= east for lat, lon in ward.polygon)


def test_bbox_covers_the_city_area(city: City):
    south, west, north, east = city.bbox
    assert 10.84 <= south < 10.93 < north <= 11.01
    assert 107.16 <= west < 107.24 < east <= 107.33


def test_wards_tile_the_city(city: City):
    """Grid points inside the outline fall in exactly one ward (edges aside)."""
    south, west, north, east = city.bbox
    inside = overlaps = misses = 0
    for i in range(60):
        for j in range(60):
            # Off-centre offsets keep grid points off the outline, where rounding decides.
            lat = south + (i + 0.37) * (north - south) / 60
            lon = west + (j + 0.61) * (east - west) / 60
            if not city.contains(lat, lon):
                continue
            inside += 1
            hits = sum(w.contains(lat, lon) for w in city.wards)
            overlaps += hits > 1
            misses += hits == 0
    assert inside > 2000
    assert overlaps == 0 and misses == 0


def test_sensors_cover_every_kind_and_sit_in_their_ward(city: City):
    assert len(city.sensors) >= 25
    assert {s.kind for s in city.sensors} == set(SensorKind)
    ids = [s.id for s in city.sensors]
    assert len(ids) == len(set(ids))
    streams = {s.slug for s in city.streams}
    for s in city.sensors:
        assert city.contains(s.lat, s.lon), s.id
        assert city.ward_at(s.lat, s.lon).slug == s.ward, s.id
        if s.kind is SensorKind.WATER_LEVEL:
            assert s.stream in streams, s.id


def test_air_stations_measure_pm25_and_pm10_together(city: City):
    by_station: dict[str, set[SensorKind]] = {}
    for s in city.sensors:
        if s.kind in (SensorKind.PM25, SensorKind.PM10):
            by_station.setdefault(s.station, set()).add(s.kind)
    assert by_station and all(k == {SensorKind.PM25, SensorKind.PM10} for k in by_station.values())


def test_cameras_sit_on_known_roads_in_their_ward(city: City):
    assert 4 <= len(city.cameras) <= 16
    assert [c.id for c in city.cameras] == [f"cam-{i:02d}" for i in range(1, len(city.cameras) + 1)]
    roads = {r.slug for r in city.roads}
    for c in city.cameras:
        assert c.road in roads
        assert city.ward_at(c.lat, c.lon).slug == c.ward, c.id


def test_main_roads_are_there(city: City):
    slugs = {r.slug for r in city.roads}
    assert {"ql1a", "ql56", "hung-vuong", "cmt8"} <= slugs
    for road in city.roads:
        assert road.wards and all(city.ward(w) for w in road.wards)
    assert all(city.roads_in(w.slug) for w in city.wards)  # every ward has a street for reports


@pytest.mark.parametrize("lat,lon", [(21.03, 105.85), (10.80, 107.24), (10.93, 107.40),
                                     (10.851, 107.172)])
def test_points_outside_the_city_are_rejected(city: City, lat, lon):
    assert not city.contains(lat, lon)
    assert city.ward_at(lat, lon) is None


def test_ward_at_finds_the_centre(city: City):
    assert city.ward_at(10.9385, 107.2445).slug == "xuan-trung"
    with pytest.raises(KeyError, match="no ward 'nowhere'"):
        city.ward("nowhere")


def test_point_in_polygon_on_a_square():
    square = ((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0))
    assert point_in_polygon(0.5, 0.5, square)
    assert not point_in_polygon(1.5, 0.5, square)
    assert not point_in_polygon(0.5, -0.1, square)


def test_city_serialises_for_the_api(city: City):
    dumped = city.model_dump(mode="json")
    assert City.model_validate(dumped) == city


def test_taxonomy_departments_exist_for_every_category():
    taxonomy = load_taxonomy()
    assert len(taxonomy.categories) >= 14
    for category in taxonomy.categories:
        assert taxonomy.department_of(category.code).vi
    assert taxonomy.category("fire").department == "fire_rescue"


def test_the_taxonomy_page_lists_every_category_and_department():
    page = (Path(__file__).resolve().parents[2] / "docs" / "taxonomy.md").read_text()
    taxonomy = load_taxonomy()
    for d in taxonomy.departments:
        assert f"| `{d.code}` | {d.vi} | {d.en} |" in page, d.code
    for c in taxonomy.categories:
        assert f"| `{c.code}` | {c.vi} | {c.en} | `{c.department}` |" in page, c.code
