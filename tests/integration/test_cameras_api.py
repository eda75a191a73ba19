"""The cameras API on the real PostgreSQL: rows stored by the persistence sink from real events
(frames with JPEGs, detections, traffic windows, alarms, a snapshot), read back through the
routes on a fake clock: status live/stale/offline, the annotated frame, the traffic series and
the incidents with their evidence; refusals that say what to do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from ioc import events as ev
from ioc import topics as tp
from ioc.api.main import create_app
from ioc.api.models import CameraFeed
from ioc.clock import FakeClock
from ioc.persistence import PersistenceSink
from ioc.worker import Message

pytestmark = pytest.mark.integration

T0 = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)  # the stream's "now"
W, H = 640, 360


def jpeg(shade: int = 90) -> bytes:
    img = np.full((H, W, 3), shade, np.uint8)
    cv2.rectangle(img, (0, 200), (W, H), (60, 60, 60), -1)  # a road
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


def frame(camera_id: str, seq: int, at: datetime) -> tuple[ev.CameraFrame, bytes]:
    return ev.CameraFrame(ts=at, camera_id=camera_id, seq=seq, width=W, height=H), jpeg()


def window(camera_id: str, end: datetime, index: float, motorbikes: int) -> ev.TrafficMetric:
    return ev.TrafficMetric(ts=end, camera_id=camera_id, window_start=end - timedelta(minutes=1),
                            counts={"motorcycle": motorbikes, "car": 2, "bus": 1, "person": 1},
                            crossings={"motorcycle_in": motorbikes // 2, "car_out": 1},
                            occupancy=0.3, congestion_index=index, average_speed_kmh=21.5)


def raise_alarm(camera_id: str, kind: str, at: datetime, evidence: str | None = None,
                severity: ev.Severity = ev.Severity.HIGH) -> ev.Alarm:
    return ev.Alarm(ts=at, source_id=camera_id, source_kind="camera", alarm_type=kind,
                    action=ev.AlarmAction.RAISE, severity=severity, message=f"{kind} seen",
                    evidence_ref=evidence)


def clear_alarm(camera_id: str, kind: str, at: datetime) -> ev.Alarm:
    return ev.Alarm(ts=at, source_id=camera_id, source_kind="camera", alarm_type=kind,
                    action=ev.AlarmAction.CLEAR)


SNAPSHOT = ev.Snapshot(ts=T0 - timedelta(minutes=3), camera_id="cam-01", frame_seq=40,
                       width=W, height=H, caption="Xe dừng bất thường / Stalled vehicle")
EVIDENCE = f"/api/snapshots/{SNAPSHOT.event_id}.jpg"
BOXES = [ev.Box(cls="motorcycle", conf=0.91, xyxy=(100, 210, 140, 270), track_id=7),
         ev.Box(cls="car", conf=0.8, xyxy=(300, 220, 420, 300), track_id=8)]


@pytest.fixture
def api(settings):
    """Three cameras' worth of events through the persistence sink, the API on T0."""
    messages: list[tuple[tp.Topic, ev.Event, bytes]] = []
    for camera_id, age_s, seq in (("cam-01", 10, 42), ("cam-02", 100, 7), ("cam-03", 400, 3)):
        event, image = frame(camera_id, seq, T0 - timedelta(seconds=age_s))
        messages.append((tp.CAMERA_FRAMES, event, image))
    live_frame = messages[0][1]
    messages.append((tp.VISION_DETECTIONS, ev.Detections(
        ts=live_frame.ts, camera_id="cam-01", frame_seq=42, model="test", boxes=BOXES), b""))
    # cam-01: 90 one-minute windows, the newest ending a minute ago; its congestion rises
    for i in range(90):
        end = T0 - timedelta(minutes=90 - i)
        messages.append((tp.TRAFFIC_METRICS, window("cam-01", end, i / 100, 10 + i), b""))
    messages.append((tp.TRAFFIC_METRICS, window("cam-02", T0 - timedelta(hours=2), 0.5, 4), b""))
    messages += [
        (tp.VISION_SNAPSHOTS, SNAPSHOT, jpeg(200)),
        (tp.ALERTS, raise_alarm("cam-01", "wrong_way", T0 - timedelta(minutes=40)), b""),
        (tp.ALERTS, clear_alarm("cam-01", "wrong_way", T0 - timedelta(minutes=30)), b""),
        (tp.ALERTS, raise_alarm("cam-01", "stalled_vehicle", SNAPSHOT.ts, EVIDENCE), b""),
        (tp.ALERTS, raise_alarm("cam-01", "camera_offline", T0 - timedelta(minutes=20),
                                severity=ev.Severity.MEDIUM), b""),
    ]
    sink = PersistenceSink(settings)
    sink([Message(topic, event, value, 0, offset, 0)
          for offset, (topic, event, value) in enumerate(messages)])
    sink.close()
    with TestClient(create_app(settings, clock=FakeClock(T0))) as client:
        yield client


def test_every_camera_with_its_status_place_newest_window_and_open_alarms(api):
    body = api.get("/api/cameras").json()
    assert [c["camera_id"] for c in body] == ["cam-01", "cam-02", "cam-03"]
    status = {c["camera_id"]: c["status"] for c in body}
    # the stale limit is 60 s here: live within it, stale within 3x, offline beyond
    assert status == {"cam-01": "live", "cam-02": "stale", "cam-03": "offline"}
    one = body[0]
    assert one["stale_after_s"] == 60 and one["age_s"] == 10 and one["seq"] == 42
    assert one["name"].startswith("Ngã tư") and one["ward"] == "xuan-trung" and one["lat"] > 10
    newest = one["traffic"]
    assert datetime.fromisoformat(newest["ts"]) == T0 - timedelta(minutes=1)
    assert newest["counts"]["motorcycle"] == 99 and newest["crossings"] == {
        "motorcycle_in": 49, "car_out": 1}
    assert newest["congestion_index"] == 0.89 and newest["congestion_level"] == "congested"
    # cleared but not acknowledged is still standing (ISA-18.2): the operator owes it a look
    assert one["open_alarms"] == 3
    assert one["open_alarm_types"] == ["camera_offline", "stalled_vehicle", "wrong_way"]
    assert body[1]["traffic"] is None, "a window older than an hour is not the camera's now"
    # the fields of the older answer keep their meaning: the older model still parses it
    feeds = TypeAdapter(list[CameraFeed]).validate_python(body)
    assert feeds[0].seq == 42 and feeds[0].width == W


def test_silent_adds_the_configured_cameras_that_never_sent_a_frame(api):
    body = api.get("/api/cameras", params={"silent": "true"}).json()
    never = {c["camera_id"]: c for c in body}["cam-04"]
    assert never["status"] == "offline" and never["ts"] is None and never["name"]


def decode(content: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None, "not a JPEG"
    return img


def test_the_annotated_frame_draws_that_frames_boxes_and_the_count_line(api):
    raw = api.get("/api/cameras/cam-01/snapshot.jpg")
    drawn = api.get("/api/cameras/cam-01/frame.jpg", params={"annotated": "true"})
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/jpeg"
    assert drawn.headers["cache-control"] == "no-store"
    assert drawn.headers["x-frame-seq"] == "42" and drawn.headers["x-detections"] == "2"
    a, b = decode(raw.content).astype(int), decode(drawn.content).astype(int)
    assert a.shape == b.shape == (H, W, 3)
    diff = np.abs(a - b).sum(axis=2) > 60
    assert diff[240, 98:103].any(), "the motorbike's box edge is drawn"
    assert diff[260, 298:303].any(), "the car's box edge is drawn"
    assert not diff[330, 20:40].any(), "away from boxes and line the frame is unchanged"
    # cam-01's count line runs from (258, 108) to (636, 357): its midpoint is on it
    assert diff[230:236, 444:450].any(), "the count line is drawn"

    plain = api.get("/api/cameras/cam-01/frame.jpg", params={"annotated": "false"})
    assert plain.content == raw.content and plain.headers["x-detections"] == "none"
    no_boxes = api.get("/api/cameras/cam-02/frame.jpg")
    assert no_boxes.status_code == 200 and no_boxes.headers["x-detections"] == "none"
    missing = api.get("/api/cameras/cam-09/frame.jpg")
    assert missing.status_code == 404 and "GET /api/cameras" in missing.json()["detail"]


def test_the_traffic_series_is_the_span_asked_oldest_first(api):
    hour = api.get("/api/cameras/cam-01/traffic", params={"window": "PT1H"}).json()
    ends = [datetime.fromisoformat(w["ts"]) for w in hour["windows"]]
    # windows that ended in the last hour: the one ending exactly an hour ago is older
    assert len(ends) == 59 and ends == sorted(ends)
    assert ends[0] == T0 - timedelta(minutes=59) and ends[-1] == T0 - timedelta(minutes=1)
    assert hour["truncated"] is False and hour["windows"][-1]["congestion_level"] == "congested"
    assert api.get("/api/cameras/cam-01/traffic").json() == hour, "PT1H is the default"
    since = (T0 - timedelta(minutes=10)).isoformat()
    assert len(api.get("/api/cameras/cam-01/traffic", params={"since": since})
               .json()["windows"]) == 9
    assert api.get("/api/cameras/cam-04/traffic").json()["windows"] == []  # known, no data


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"window": "P2D"}, 422, "at most 24 h"),
    ({"window": "an hour"}, 422, "PT6H"),
    ({"window": "PT1H", "since": "2026-10-05T02:00:00Z"}, 422, "not both"),
    ({"since": "2026-10-05T04:00:00Z"}, 422, "not before now"),
    ({"since": "2026-10-05T02:00:00"}, 422, "since"),  # no zone: which 02:00?
])
def test_a_span_it_cannot_answer_is_refused_with_the_fix(api, params, status, words):
    r = api.get("/api/cameras/cam-01/traffic", params=params)
    assert r.status_code == status and words in r.json()["detail"], r.text


def test_an_unknown_camera_is_404_naming_where_the_cameras_are(api):
    for path in ("traffic", "incidents"):
        r = api.get(f"/api/cameras/cam-99/{path}")
        assert r.status_code == 404 and "/api/cameras" in r.json()["detail"]


def test_incidents_newest_first_with_state_times_and_evidence(api):
    body = api.get("/api/cameras/cam-01/incidents").json()
    kinds = [i["alarm_type"] for i in body["incidents"]]
    assert kinds == ["stalled_vehicle", "wrong_way"], "offline is no incident; newest first"
    stalled, wrong_way = body["incidents"]
    assert stalled["evidence_ref"] == EVIDENCE and stalled["state"] == "unacknowledged"
    assert stalled["severity"] == "high" and stalled["ward"] == "xuan-trung"
    assert wrong_way["state"] == "returned_to_normal_unacknowledged"
    assert datetime.fromisoformat(wrong_way["cleared_at"]) == T0 - timedelta(minutes=30)
    evidence = api.get(stalled["evidence_ref"])
    assert evidence.status_code == 200 and decode(evidence.content)[10, 10].min() > 150
    one = api.get("/api/cameras/cam-01/incidents", params={"limit": 1}).json()["incidents"]
    assert [i["alarm_type"] for i in one] == ["stalled_vehicle"]
    assert api.get("/api/cameras/cam-01/incidents", params={"limit": 0}).status_code == 422
    assert api.get("/api/cameras/cam-02/incidents").json()["incidents"] == []
    assert uuid.UUID(stalled["alarm_id"])
