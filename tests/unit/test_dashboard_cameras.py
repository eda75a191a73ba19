"""/cameras without a city: the camera status rule, what a tile and the detail view show, the
frame annotation, evidence links that only ever point at the dashboard's own proxy, and the
page's callbacks against answers made the way the API makes them (httpx.MockTransport)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import cv2
import httpx
import numpy as np
import pytest
from dash import Dash, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.api import CityApi
from dashboard.context import Context
from dashboard.i18n import LANGS, STRINGS, t
from dashboard.pages import cameras
from dashboard.pages.cameras import detail, frames, tiles
from dashboard.pages.control.alarms_panel import alarm_row
from ioc import kpis
from ioc.api.models import AlarmOut, CameraIncidents, CameraStatus, CameraTrafficSeries
from ioc.api.routes.cameras import annotate
from ioc.camera_views import CameraView
from ioc.city import load_city
from ioc.policy import load_policy
from ioc.status import camera_stale_after, camera_status

T0 = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
TZ = "Asia/Ho_Chi_Minh"
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
LIMIT = timedelta(seconds=60)
SNAP = uuid.UUID("0b9c3c0e-7a51-4a57-9a53-2f6c0d1e5a11")


# ------------------------------------------------------------------ the status rule

@pytest.mark.parametrize(("age_s", "expected"), [
    (0, "live"), (60, "live"), (60.001, "stale"), (180, "stale"), (180.001, "offline"),
    (86400, "offline"), (-5, "live"),  # a frame stamped a little ahead of the stream's clock
])
def test_live_within_the_limit_stale_within_three_times_it_offline_beyond(age_s, expected):
    assert camera_status(T0 - timedelta(seconds=age_s), T0, LIMIT) == expected


def test_a_camera_that_never_sent_a_frame_is_offline():
    assert camera_status(None, T0, LIMIT) == "offline"


def test_the_limit_is_the_kpis_own_and_follows_the_scenario_speed():
    policy = load_policy()
    assert camera_stale_after(policy, 1.0, 1.0) == timedelta(seconds=policy.camera_stale_s)
    # at 60x, a frame every 4 s of camera time is one every 240 scenario seconds: 3 frames
    assert camera_stale_after(policy, 0.25, 60.0) == timedelta(seconds=720)


def test_an_answer_without_a_status_is_judged_by_the_cameras_online_rule():
    old = CameraStatus(camera_id="cam-01", ts=T0 - timedelta(seconds=30), seq=1, width=640,
                       height=360)
    assert tiles.status_of(old, T0, LIMIT) == "live"
    assert tiles.status_of(old, T0 + timedelta(minutes=5), LIMIT) == "offline"
    assert tiles.status_of(old, None, LIMIT) == "offline", "no clock: not claimed live"
    assert tiles.status_of(old.model_copy(update={"status": "stale"}), T0, LIMIT) == "stale"


# ------------------------------------------------------------------ tiles

def traffic(index: float, **counts) -> dict:
    return {"window_start": (T0 - timedelta(minutes=2)).isoformat(),
            "ts": (T0 - timedelta(minutes=1)).isoformat(),
            "counts": counts or {"motorcycle": 30, "bicycle": 2, "car": 5, "bus": 1,
                                 "truck": 2, "person": 3},
            "crossings": {"motorcycle_in": 12, "motorcycle_out": 9, "car_in": 2},
            "occupancy": 0.31, "congestion_index": index,
            "congestion_level": kpis.congestion_level(index), "average_speed_kmh": 23.4}


def camera(camera_id: str = "cam-01", *, age_s: float | None = 5, status: str = "live",
           name: str = "Ngã tư QL1A", index: float | None = 0.52, alarms: int = 0,
           **extra) -> dict:
    """One camera as `GET /api/cameras?silent=true` sends it."""
    ts = None if age_s is None else (T0 - timedelta(seconds=age_s)).isoformat()
    return {"camera_id": camera_id, "ts": ts, "seq": None if ts is None else 42,
            "width": None if ts is None else 640, "height": None if ts is None else 360,
            "status": status, "age_s": age_s, "stale_after_s": 60, "name": name,
            "road": "ql1a", "ward": "xuan-trung", "lat": 10.938, "lon": 107.244,
            "traffic": None if index is None else traffic(index), "open_alarms": alarms,
            "open_alarm_types": ["stalled_vehicle"] * alarms, **extra}


def tree(component) -> list[tuple[str, dict]]:
    """Every component in a layout as (type, props), depth first."""
    def walk(node):
        if isinstance(node, dict) and "type" in node and "props" in node:
            yield node["type"], node["props"]
            yield from walk(node["props"].get("children"))
        elif isinstance(node, list | tuple):
            for child in node:
                yield from walk(child)
    return list(walk(json.loads(json.dumps(component, default=lambda c: c.to_plotly_json()))))


def texts(component) -> list[str]:
    out = []
    for _type, props in tree(component):
        children = props.get("children")
        for child in children if isinstance(children, list) else [children]:
            if isinstance(child, str | int):
                out.append(str(child))
    return out


def by_class(component, css: str) -> list[dict]:
    return [props for _type, props in tree(component)
            if css in str(props.get("className", "")).split()]


def make_tile(data: dict, lang: str = "en", status: str | None = None) -> html.Div:
    cam = CameraStatus.model_validate(data)
    return tiles.tile(cam, status or cam.status, lang, TZ, href="/cameras?camera=" + cam.camera_id,
                      frame_src=f"/camera-frame/{cam.camera_id}.jpg?seq=42",
                      ward_name=lambda slug, _lang: f"Ward {slug}")


def test_a_tile_shows_its_frame_status_counts_congestion_and_alarms():
    built = make_tile(camera(alarms=2))
    props = built.to_plotly_json()["props"]
    assert props["data-camera-id"] == "cam-01" and props["data-status"] == "live"
    assert "cam-live" in props["className"]
    words = texts(built)
    assert "Ngã tư QL1A" in words and "Live" in words and "cam-01 · Ward xuan-trung" in words
    counts = {p["data-group"]: p["data-count"] for p in by_class(built, "cam-count")}
    assert counts == {"two_wheelers": "32", "cars": "5", "heavy": "3", "people": "3"}
    [level] = by_class(built, "cam-congestion")
    assert level["data-level"] == "busy"
    [badge] = by_class(built, "cam-alarms")
    assert badge["data-open"] == 2 and badge["title"] == "Stalled vehicle, Stalled vehicle"
    [img] = [p for kind, p in tree(built) if kind == "Img"]
    assert img["src"] == "/camera-frame/cam-01.jpg?seq=42"
    [link] = [p for kind, p in tree(built) if kind == "Link"]
    assert link["href"] == "/cameras?camera=cam-01", "the whole tile opens its detail"


@pytest.mark.parametrize(("index", "level", "look"), [
    (0.0, "free", "ok"), (0.39, "free", "ok"), (0.4, "busy", "warning"),
    (0.69, "busy", "warning"), (0.7, "congested", "alarm"), (1.0, "congested", "alarm")])
def test_congestion_reads_with_the_kpis_thresholds(index, level, look):
    built = tiles.congestion_bar(CameraStatus.model_validate(camera(index=index)).traffic, "vi")
    assert built.to_plotly_json()["props"]["data-level"] == level
    [fill] = by_class(built, "cam-bar-fill")
    assert f"bg-{look}" in fill["className"] and fill["style"]["width"] == f"{100 * index:.0f}%"
    marks = [p["style"]["left"] for p in by_class(built, "cam-bar-mark")]
    assert marks == [f"{100 * kpis.BUSY:.0f}%", f"{100 * kpis.CONGESTED:.0f}%"]
    assert t(f"cameras.level.{level}", "vi") in texts(built)


def test_a_stale_or_offline_tile_says_so_in_words_and_a_camera_without_traffic_says_that():
    stale = make_tile(camera(status="stale", age_s=100, index=None), lang="vi")
    assert "Chậm cập nhật" in texts(stale) and "cam-stale" in stale.className
    assert t("cameras.no_traffic", "vi") in texts(stale)
    assert {p["data-count"] for p in by_class(stale, "cam-count")} == {""}
    assert not by_class(stale, "cam-alarms"), "no badge without open alarms"
    offline = make_tile(camera(status="offline", age_s=900), lang="vi")
    assert "Mất tín hiệu" in texts(offline)


def test_camera_text_is_text_never_markup():
    built = make_tile(camera(name=HOSTILE, alarms=1, ward=HOSTILE))
    assert HOSTILE in texts(built)
    kinds = {kind for kind, _ in tree(built)}
    assert kinds <= {"Div", "Span", "B", "Img", "Link"}, kinds
    [img] = [p for kind, p in tree(built) if kind == "Img"]
    assert img["alt"] == HOSTILE and img["src"].startswith("/camera-frame/")


def test_groups_and_crossings_add_up_by_class():
    assert tiles.group_counts({"motorcycle": 5, "bicycle": 1, "truck": 2, "dog": 9}) == {
        "two_wheelers": 6, "cars": 0, "heavy": 2, "people": 0}
    assert tiles.crossings_total({"car_in": 2, "motorcycle_in": 5, "bus_out": 1}) == (7, 1)
    assert tiles.online_count(["live", "stale", "offline", "live"], "en") == "2 / 4 online"


# ------------------------------------------------------------------ evidence links

@pytest.mark.parametrize("ref", [
    None, "", "javascript:alert(1)", f"/api/snapshots/{SNAP}.png", f"/api/snapshots/{SNAP}",
    f"http://evil.example/api/snapshots/{SNAP}.jpg", "/api/snapshots/../../etc/passwd.jpg",
    f"/api/snapshots/{SNAP}.jpg?x=<script>", "/api/snapshots/" + "z" * 36 + ".jpg"])
def test_an_evidence_ref_that_is_not_a_snapshot_shows_nothing(ref):
    assert frames.snapshot_id(ref) is None
    assert frames.evidence_path(Dash(__name__), ref) is None


def test_a_snapshot_ref_becomes_the_dashboards_own_url():
    assert frames.evidence_path(Dash(__name__), f"/api/snapshots/{SNAP}.jpg") == \
        f"/camera-evidence/{SNAP}.jpg"


def alarm(**fields) -> AlarmOut:
    return AlarmOut.model_validate({
        "alarm_id": str(uuid.uuid4()), "source_id": "cam-01", "source_kind": "camera",
        "alarm_type": "stalled_vehicle", "state": "unacknowledged", "severity": "medium",
        "base_severity": "medium", "escalated": False, "raised_at": T0.isoformat(),
        "active": True, "message": "Xe chết máy trên làn / Stalled vehicle",
        "evidence_ref": f"/api/snapshots/{SNAP}.jpg", **fields})


def test_a_camera_alarm_on_control_shows_its_evidence_and_a_sensor_alarm_none():
    src = frames.evidence_paths(Dash(__name__))
    row = alarm_row(alarm(), "vi", TZ, lambda *_: None, False, src)
    [img] = [p for kind, p in tree(row) if kind == "Img"]
    assert img["src"] == f"/camera-evidence/{SNAP}.jpg"
    sensor = alarm_row(alarm(source_kind="sensor", source_id="wl-1"), "vi", TZ,
                       lambda *_: None, False, src)
    assert not [p for kind, p in tree(sensor) if kind == "Img"]
    assert not [p for kind, p in tree(alarm_row(alarm(), "vi", TZ, lambda *_: None, False))
                if kind == "Img"], "without the proxy (older callers) no thumbnail"


# ------------------------------------------------------------------ the detail view

def series(n: int = 5) -> CameraTrafficSeries:
    windows = []
    for i in range(n):
        w = traffic(i / 5)
        w["ts"] = (T0 - timedelta(minutes=n - i)).isoformat()
        w["window_start"] = (T0 - timedelta(minutes=n - i + 1)).isoformat()
        windows.append(w)
    return CameraTrafficSeries.model_validate({
        "camera_id": "cam-01", "since": (T0 - timedelta(hours=1)).isoformat(),
        "until": T0.isoformat(), "windows": windows})


def test_the_charts_stack_road_users_by_group_and_band_the_congestion():
    counts = detail.counts_figure(series(), "vi", TZ)
    assert [tr.name for tr in counts.data] == [t(f"cameras.group.{g}", "vi")
                                               for g in tiles.GROUPS]
    assert counts.layout.barmode == "stack" and list(counts.data[0].y) == [32] * 5
    assert counts.data[0].x[0] == datetime(2026, 10, 5, 9, 55), "local time, Vietnam"
    congestion = detail.congestion_figure(series(), "en", TZ)
    assert list(congestion.layout.yaxis.range) == [0, 1]
    assert list(congestion.data[0].y) == [0.0, 0.2, 0.4, 0.6, 0.8]
    assert {round(s.y0, 2) for s in congestion.layout.shapes} >= {0.0, kpis.BUSY, kpis.CONGESTED}
    empty = detail.counts_figure(series(0), "en", TZ)
    assert not empty.data and empty.layout.annotations[0].text == t("cameras.no_traffic", "en")


def test_incidents_show_their_snapshot_through_the_proxy_and_their_words_as_text():
    body = CameraIncidents(camera_id="cam-01", now=T0, incidents=[
        alarm(message=HOSTILE),
        alarm(alarm_type="wrong_way", state="returned_to_normal_unacknowledged", active=False,
              cleared_at=T0.isoformat(), evidence_ref="javascript:alert(1)")])
    built = html.Div(detail.incidents_list(body, "vi", TZ, frames.evidence_paths(Dash(__name__))))
    cards = by_class(built, "cam-incident")
    assert [c["data-type"] for c in cards] == ["stalled_vehicle", "wrong_way"]
    imgs = [p["src"] for kind, p in tree(built) if kind == "Img"]
    assert imgs == [f"/camera-evidence/{SNAP}.jpg"], "a ref that is no snapshot: no image"
    words = texts(built)
    assert HOSTILE in words and "Xe chết máy trên làn" in words and "Xe đi ngược chiều" in words
    assert any(w.startswith("Hết lúc") for w in " · ".join(words).split(" · "))
    assert t("cameras.detail.no_evidence", "vi") in words
    none = html.Div(detail.incidents_list(CameraIncidents(camera_id="cam-01", now=T0,
                                                          incidents=[]), "en", TZ, str))
    assert t("cameras.detail.no_incidents", "en") in texts(none)


# ------------------------------------------------------------------ the annotated frame

def test_annotation_draws_boxes_and_the_count_line_at_the_frames_own_scale():
    img = np.full((180, 320, 3), 80, np.uint8)
    jpeg = cv2.imencode(".jpg", img)[1].tobytes()
    view = CameraView(camera_id="cam-01", width=640, height=360, count_line=(0, 180, 640, 180))
    boxes = [{"cls": "car", "conf": 0.9, "xyxy": [40, 60, 120, 140], "track_id": 3}]
    out = cv2.imdecode(np.frombuffer(annotate(jpeg, boxes, view), np.uint8), cv2.IMREAD_COLOR)
    assert out.shape == img.shape
    changed = np.abs(out.astype(int) - cv2.imdecode(np.frombuffer(jpeg, np.uint8),
                                                    cv2.IMREAD_COLOR).astype(int)).sum(2) > 60
    assert changed[90, 200:260].any(), "the line at half height, scaled from 640x360"
    assert changed[100, 38:43].any(), "the car's left edge"
    assert not changed[170, 150:200].any()
    assert annotate(b"\xff\xd8 not a jpeg", boxes, view) is None  # then served as it is


# ------------------------------------------------------------------ i18n

BUILT_KEYS = ([f"cameras.status.{s}" for s in tiles.STATES]
              + [f"cameras.group.{g}" for g in tiles.GROUPS]
              + [f"cameras.level.{lv}" for lv in ("free", "busy", "congested")]
              + [f"alarm.type.{k}" for k in ("stalled_vehicle", "wrong_way", "crash",
                                             "congestion", "camera_offline")])


@pytest.mark.parametrize("key", BUILT_KEYS)
def test_every_word_the_page_builds_exists_in_both_languages(key):
    assert set(STRINGS[key]) == set(LANGS) and all(STRINGS[key].values())


# ------------------------------------------------------------------ the callbacks

class FakeApi:
    def __init__(self, **bodies) -> None:
        self.bodies = {"/" + k.replace("__", "/"): v for k, v in bodies.items()}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = self.bodies.get(request.url.path)
        if body is None:
            return httpx.Response(404, json={"detail": "Not Found"})
        return httpx.Response(200, json=body)


def page(**bodies) -> Dash:
    api = CityApi("http://api.test", transport=httpx.MockTransport(FakeApi(
        api__city=load_city().model_dump(mode="json"), **bodies)))
    ctx = Context(api=api, tz=TZ, policy=load_policy(), sensor_stale=timedelta(seconds=30),
                  camera_stale=LIMIT, scenario_speed=1.0, scenario_start=None)
    app = Dash(__name__)
    cameras.register_callbacks(app, ctx)
    return app


def callback(app: Dash, output_id: str):
    [entry] = [v for k, v in app.callback_map.items() if f"{output_id}." in k]
    return entry["callback"].__wrapped__


def test_the_wall_has_a_tile_per_camera_with_a_frame_and_names_the_silent_ones():
    app = page(api__cameras=[camera("cam-01", alarms=1), camera("cam-02", status="stale",
                                                                age_s=100),
                             camera("cam-03", age_s=None, status="offline", index=None)])
    grid, count, figure, key = callback(app, "camera-grid")(0, "vi", None, "cam-02")
    shown = [c.to_plotly_json()["props"] for c in grid if "cam-tile" in c.className]
    assert [(p["data-camera-id"], p["data-status"]) for p in shown] == [
        ("cam-01", "live"), ("cam-02", "stale")]
    assert "selected" in shown[1]["className"]
    [silent] = [c for c in grid if getattr(c, "id", None) == "camera-silent"]
    assert "cam-03" in " ".join(texts(silent))
    assert count == "1 / 3 trực tuyến"
    traces = [tr for tr in figure.data if tr.customdata is not None]
    assert [list(tr.customdata) for tr in traces] == [["cam-01"], ["cam-02"], ["cam-03"]]
    assert [tr.name for tr in traces] == ["Trực tiếp (1)", "Chậm cập nhật (1)",
                                          "Mất tín hiệu (1)"]
    assert list(figure.data[-1].x) == [107.244], "the chosen camera is ringed"
    again = callback(app, "camera-grid")(1, "vi", key, "cam-02")
    assert again[2] is no_update and again[3] == key, "the map is re-sent only on a change"


def test_with_no_frame_yet_the_wall_is_waiting_for_data():
    app = page(api__cameras=[camera("cam-01", age_s=None, status="offline", index=None)])
    grid, count, *_ = callback(app, "camera-grid")(0, "en", None)
    assert getattr(grid[0], "id", None) == "camera-empty"
    assert t("data.waiting", "en") in texts(grid[0])
    assert count == "0 / 1 online"


def test_the_api_unreachable_says_so():
    grid, count, *_ = callback(page(), "camera-grid")(0, "en", None)
    assert t("data.unavailable", "en") in texts(html.Div(grid)) and count == ""


def test_a_map_click_on_a_camera_opens_it_and_elsewhere_does_nothing():
    opened = callback(page(), "cameras-nav")
    assert opened({"points": [{"customdata": "cam-02"}]}) == "/cameras?camera=cam-02"
    with pytest.raises(PreventUpdate):
        opened({"points": [{"x": 107.2, "y": 10.9}]})  # a ward


def test_the_detail_view_fills_in_from_the_cameras_traffic_and_incidents():
    incidents = CameraIncidents(camera_id="cam-01", now=T0, incidents=[alarm()])
    app = page(api__cameras=[camera("cam-01", alarms=1)],
               **{"api__cameras__cam-01__traffic": series().model_dump(mode="json"),
                  "api__cameras__cam-01__incidents": incidents.model_dump(mode="json")})
    got = callback(app, "cam-detail-title")(0, "en", "cam-01", None)
    assert got["title"] == "Ngã tư QL1A" and got["src"] == "/camera-frame/cam-01.jpg?seq=42"
    assert got["img_hidden"] is False and "Live" in texts(got["pill"])
    assert len(got["counts"].data) == 4 and got["key"]["camera"] == "cam-01"
    assert by_class(html.Div(got["incidents"]), "cam-incident")
    later = callback(app, "cam-detail-title")(1, "en", "cam-01", got["key"])
    assert later["counts"] is no_update, "no new window: the charts stay as they are"

    unknown = callback(app, "cam-detail-title")(0, "en", HOSTILE, None)
    assert unknown["img_hidden"] is True and unknown["title"] == HOSTILE
    nothing = callback(app, "cam-detail-title")(0, "en", None, None)
    assert all(v is no_update for v in nothing.values())


def test_the_page_layout_opens_a_camera_from_the_url():
    Dash(__name__)  # the app dash.get_relative_path asks
    wall = cameras.layout("vi")
    one = cameras.layout("en", camera="cam-01")
    assert "cams-wall-mode" in wall.className and "cams-detail-mode" in one.className
    stores = {p["id"]: p.get("data") for kind, p in tree(one) if kind == "Store"}
    assert stores["camera-selected"] == "cam-01"
    hidden = {p["id"]: p.get("hidden") for kind, p in tree(wall) if kind == "Section"
              and p.get("id") == "camera-detail"}
    assert hidden == {"camera-detail": True}
    assert [p["refresh"] for kind, p in tree(one) if kind == "Location"] == ["callback-nav"]
