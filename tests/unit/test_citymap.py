"""The city map: the API's city document validates back into `ioc.city.City` and draws (a
document that does not is no city: tests/unit/test_dashboard_api.py); hovers keep citizen text
as text."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from dashboard import citymap
from dashboard.display import status_look
from ioc.api.models import LatestReading, RecentReport
from ioc.city import load_city

HOSTILE = '<img src=x onerror="alert(1)"><b>x</b>'
TS = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def raw() -> dict:
    """What `GET /api/city` returns."""
    return load_city().model_dump(mode="json")


@pytest.fixture
def city(raw) -> citymap.CityModel:
    return citymap.CityModel.model_validate(raw)


def kind_label(kind: str) -> str:
    return f"label:{kind}"


def test_the_real_city_validates_into_the_model_it_was_dumped_from(city):
    real = load_city()
    assert isinstance(city, citymap.CityModel)
    assert city.model_dump() == real.model_dump()
    assert (len(city.wards), len(city.roads), len(city.sensors), city.name) == (
        len(real.wards), len(real.roads), len(real.sensors), "Long Khánh")
    assert all(isinstance(site, citymap.Site) for site in city.sensors + city.cameras)


def test_the_real_city_draws_wards_streams_outline_roads_legend_and_labels(city):
    fig = citymap.base_figure(city, lang="en", kind_label=kind_label)
    wards = [tr for tr in fig.data if tr.fill == "toself"]
    assert [tr.name for tr in wards] == [city.ward_name(w.slug, "en") for w in city.wards]
    for trace, ward in zip(wards, city.wards, strict=True):  # each polygon drawn closed
        assert len(trace.x) == len(ward.polygon) + 1 and trace.x[0] == trace.x[-1]
    styles = {citymap.ROAD_STYLE_OF[r.kind] for r in city.roads}
    legend = [tr.name for tr in fig.data if tr.mode == "markers"]
    assert legend == [kind_label(k) for k in citymap.SENSOR_KINDS
                      if any(s.kind == k for s in city.sensors)]
    labels = fig.data[-1]
    assert labels.mode == "text" and list(labels.text) == [w.name for w in city.wards]
    # wards, one streams trace, the outline, casing + fill per road style, legend, labels
    assert len(fig.data) == len(city.wards) + 2 + 2 * len(styles) + len(legend) + 1

    south, west, north, east = city.bbox
    assert fig.layout.xaxis.range[0] < west < east < fig.layout.xaxis.range[1]
    assert fig.layout.yaxis.range[0] < south < north < fig.layout.yaxis.range[1]
    assert fig.layout.yaxis.scaleratio == pytest.approx(
        1 / math.cos(math.radians((south + north) / 2)))


def test_maps_without_sensors_or_labels_leave_them_out(city):
    fig = citymap.base_figure(city, show_labels=False)
    assert not [tr for tr in fig.data if tr.mode in ("markers", "text")]


@pytest.mark.parametrize(("slug", "lang", "name"), [
    ("xuan-an", "vi", "Phường Xuân An"),
    ("xuan-an", "en", "Xuân An Ward"),
    ("binh-loc", "vi", "Xã Bình Lộc"),
    ("binh-loc", "en", "Bình Lộc Commune"),
    ("somewhere-else", "en", "somewhere-else"),  # not a ward: shown as given
    ("", "vi", None),
    (None, "vi", None),
])
def test_ward_names_are_full_in_each_language(city, slug, lang, name):
    assert city.ward_name(slug, lang) == name


def test_ward_name_speaks_vietnamese_by_default(city):
    assert city.ward_name("bau-sen") == "Phường Bàu Sen"


def test_sensor_traces_colour_and_place_each_reading(city):
    pm25 = next(s for s in city.sensors if s.kind == "pm25")
    pm10 = next(s for s in city.sensors if s.kind == "pm10" and s.station == pm25.station)
    water = next(s for s in city.sensors if s.kind == "water_level")
    status = {pm25.id: "ok", pm10.id: "offline", water.id: "alarm", "no-such-sensor": "ok"}
    readings = [LatestReading(sensor_id=sensor_id, kind=kind, value=value, unit="x", ts=TS)
                for sensor_id, kind, value in ((pm25.id, "pm25", 12.0), (pm10.id, "pm10", 80.0),
                                               (water.id, "water_level", 2.4),
                                               ("no-such-sensor", "pm25", 1.0))]
    hovered = []

    def hover(r, site, status):
        hovered.append((r.sensor_id, site.id, status))
        return citymap.hover_safe(f"{site.id} {status}")

    traces = citymap.sensor_traces(readings, city, kind_label, lambda r: status[r.sensor_id],
                                   hover)
    assert len(traces) == len(citymap.SENSOR_KINDS) + 1  # every kind, always, then the halo
    by_kind = dict(zip(citymap.SENSOR_KINDS, traces, strict=False))
    assert list(by_kind["pm25"].marker.color) == [status_look("ok").color]
    assert list(by_kind["pm25"].marker.symbol) == ["circle"]
    assert list(by_kind["pm10"].marker.symbol) == ["hexagon-open"]  # offline: an open symbol
    assert list(by_kind["water_level"].marker.color) == [status_look("alarm").color]
    assert not by_kind["noise"].x
    # one station's sensors are drawn apart, around their shared site
    assert (by_kind["pm25"].x, by_kind["pm25"].y) != (by_kind["pm10"].x, by_kind["pm10"].y)
    assert by_kind["pm25"].y[0] == pytest.approx(pm25.lat, abs=0.002)
    halo = traces[-1]
    assert (halo.x, halo.y) == (by_kind["water_level"].x, by_kind["water_level"].y)
    assert sorted(hovered) == sorted([(pm25.id, pm25.id, "ok"), (pm10.id, pm10.id, "offline"),
                                      (water.id, water.id, "alarm")])


def test_report_traces_are_three_levels():
    reports = [RecentReport(report_id=f"R-{i}", ts=TS, text=text, lat=lat, lon=lon,
                            urgency=urgency, source="app")
               for i, (lat, lon, urgency, text) in enumerate([
                   (10.93, 107.24, "urgent", HOSTILE), (10.94, 107.25, "normal", "ổ gà"),
                   (10.95, 107.23, None, "chưa phân loại")])]
    labels = {"urgent": "Urgent", "normal": "Normal", "untriaged": "Untriaged"}
    traces = citymap.report_traces(reports, labels,
                                   lambda r: citymap.hover_safe(r.text, 140))
    assert [tr.name for tr in traces] == ["Urgent", "Normal", "Untriaged"]
    assert [list(tr.x) for tr in traces] == [[107.24], [107.25], [107.23]]
    assert [tr.marker.symbol for tr in traces] == [look[1] for look in
                                                   citymap.REPORT_LOOK.values()]
    assert "<" not in traces[0].hovertext[0] and "&lt;img" in traces[0].hovertext[0]
    assert [tr.showlegend for tr in citymap.report_traces([], labels, str)] == [False] * 3


def test_camera_trace_and_framing(raw):
    raw["cameras"][0]["name"] = HOSTILE
    city = citymap.CityModel.model_validate(raw)
    online = {city.cameras[0].id: True}
    trace = citymap.camera_trace(city, online, "Cameras")
    assert list(trace.text)[:2] == ["01", "02"]
    assert list(trace.marker.symbol)[:2] == ["square", "square-open"]
    assert "<" not in trace.hovertext[0]
    fig = citymap.base_figure(city, show_labels=False)
    citymap.frame_sites(fig, city.cameras)
    lo, hi = fig.layout.xaxis.range
    assert all(lo < c.lon < hi for c in city.cameras)


@pytest.mark.parametrize("text", [HOSTILE, "<script>alert(1)</script>", "a & b > c"])
def test_hover_text_never_carries_markup(text):
    assert "<" not in citymap.hover_safe(text)
    assert "<" not in citymap.empty_figure(text).layout.annotations[0].text


def test_hover_text_is_cut_to_its_limit():
    assert citymap.hover_safe("x" * 500, 20) == "x" * 19 + "…"
    assert citymap.hover_safe(None) == ""
