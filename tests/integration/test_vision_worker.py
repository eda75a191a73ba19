"""Camera frames end to end on the real broker and database, with the committed model:
simulated frames → vision worker → detections, traffic metrics and a stalled-vehicle alarm with
its snapshot → persistence → the tables and the API. Bad frames are dead-lettered and the other
camera's frames go on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from waiting import wait_until

from analytics.vision.detector import DEFAULT_MODEL, ModelError
from analytics.vision.worker import make_worker as make_vision_worker
from ioc import topics as tp
from ioc.api.main import create_app
from ioc.city import load_city
from ioc.clock import FakeClock
from ioc.db.session import connect
from ioc.events import CameraFrame
from ioc.kafka import Publisher
from ioc.persistence import make_worker
from simulators.camera_traffic import Incident
from simulators.cameras import CameraSim

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 12, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam: daylight
FPS = 2.0
SECONDS = 100


def frames(camera_index: int, incidents=()) -> list[tuple[CameraFrame, bytes]]:
    sim = CameraSim(load_city().cameras[camera_index], seed=3, fps=FPS, warm_up_s=20,
                    incidents=incidents, incidents_per_day=0)
    out = []
    for k in range(int(SECONDS * FPS)):
        frame, jpeg, _ = sim.next_frame(T0 + timedelta(seconds=k / FPS))
        out.append((frame, jpeg))
    return out


def test_frames_become_counts_metrics_and_an_incident_alarm_with_its_snapshot(settings):
    stalled = frames(0, [Incident("stalled", 5.0, 300.0)])
    other = frames(1)
    camera, other_camera = stalled[0][0].camera_id, other[0][0].camera_id
    clock = FakeClock(T0)
    stop = threading.Event()
    workers = [make_worker(settings), make_vision_worker(settings, clock=clock)]
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for thread in threads:
        thread.start()
    publisher = Publisher(settings)
    try:
        bad = stalled[10][0]
        publisher.publish(tp.CAMERA_FRAMES, bad.model_copy(update={"seq": 10_001}),
                          payload=stalled[10][1][: len(stalled[10][1]) // 2])  # cut short
        publisher.publish(tp.CAMERA_FRAMES, bad.model_copy(update={"seq": 10_002, "width": 320}),
                          payload=stalled[10][1])  # its header lies about its size
        publisher.publish(tp.CAMERA_FRAMES, bad.model_copy(update={"seq": 10_003}),
                          payload=b"\xff\xd8" + b"\0" * 1_100_000)  # over 1 MB
        for (a, a_jpeg), (b, b_jpeg) in zip(stalled, other, strict=True):
            publisher.publish(tp.CAMERA_FRAMES, a, payload=a_jpeg)
            publisher.publish(tp.CAMERA_FRAMES, b, payload=b_jpeg)
        publisher.flush()

        def rows(sql: str, *args) -> list:
            with connect(settings) as conn:
                return conn.execute(sql, args).fetchall()

        wait_until(lambda: rows("SELECT count(*) FROM detections")[0][0]
                   >= 2 * SECONDS * FPS, timeout_s=240, what="every frame's detections")
        wait_until(lambda: rows("SELECT 1 FROM alarm_events WHERE source_id = %s AND "
                                "alarm_type = 'stalled_vehicle' AND action = 'raise'", camera),
                   timeout_s=30, what="the stalled-vehicle alarm")
        wait_until(lambda: len(rows("SELECT 1 FROM deadletters WHERE worker IN "
                                    "('vision', 'persistence')")) >= 3,
                   timeout_s=30, what="the three bad frames' dead letters")
        reasons = " ".join(r[0] for r in rows("SELECT reason FROM deadletters"))
        assert "cut short" in reasons and "header says 320x360" in reasons \
            and "over the 1000000 limit" in reasons
        detections = rows("SELECT camera_id, count(*), sum(n_boxes) FROM detections "
                          "GROUP BY camera_id")
        assert {c for c, _, _ in detections} == {camera, other_camera}
        assert all(n >= SECONDS * FPS * 0.9 and boxes > n for _, n, boxes in detections)
        metrics = rows("SELECT camera_id, crossings, congestion_index FROM traffic_metrics")
        assert {c for c, _, _ in metrics} >= {camera, other_camera}
        assert any(sum(crossings.values()) > 0 for _, crossings, _ in metrics)
        evidence = rows("SELECT evidence_ref FROM alarm_events WHERE source_id = %s AND "
                        "alarm_type = 'stalled_vehicle' AND action = 'raise' ORDER BY ts",
                        camera)[0]
        with TestClient(create_app(settings, clock=clock)) as client:
            snapshot = client.get(evidence[0])
            assert snapshot.status_code == 200 and snapshot.content[:2] == b"\xff\xd8"
            alarms = client.get("/api/alarms", params={"source_kind": "camera"}).json()["alarms"]
        (alarm,) = [a for a in alarms if a["source_id"] == camera
                    and a["alarm_type"] == "stalled_vehicle"]
        site = load_city().cameras[0]
        assert alarm["evidence_ref"] == evidence[0] and alarm["severity"] == "medium"
        assert (alarm["ward"], alarm["lat"], alarm["lon"]) == (site.ward, site.lat, site.lon)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        publisher.close()


def test_a_missing_model_is_refused_at_start_naming_the_file(settings, tmp_path):
    missing = tmp_path / "nope.onnx"
    with pytest.raises(ModelError, match=f"{missing}: no such model file"):
        make_vision_worker(settings.model_copy(update={"vision_model": missing}))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="ONNX Runtime cannot load it"):
        make_vision_worker(settings.model_copy(update={"vision_model": broken}))
    assert DEFAULT_MODEL.is_file(), "the committed model is what the worker serves"
