"""Every topic's serde round-trips, and every kind of bad input gets a readable reason."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ioc import events as ev
from ioc import topics as tp
from ioc.kafka import META_HEADER, Undecodable, decode, encode

TS = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)

SAMPLES: dict[str, ev.Event] = {
    tp.SENSOR_READINGS.name: ev.SensorReading(ts=TS, sensor_id="aq-1", kind="pm25", value=12.0,
                                              unit="µg/m³"),
    tp.CITIZEN_REPORTS.name: ev.CitizenReport(ts=TS, report_id="R-1", text="Ngập nước đường CMT8",
                                              lat=10.93, lon=107.24),
    tp.REPORT_EVENTS.name: ev.ReportEvent(ts=TS, report_id="R-1", action="acknowledge",
                                          actor="op1"),
    tp.REPORTS_TRIAGED.name: ev.ReportTriaged(ts=TS, report_id="R-1", urgency="urgent",
                                              category="flooding", department="public_works",
                                              confidence=0.9, cues=["ngập"]),
    tp.VISION_DETECTIONS.name: ev.Detections(ts=TS, camera_id="cam-01", frame_seq=3, boxes=[
        ev.Box(cls="motorcycle", conf=0.8, xyxy=(1, 2, 3, 4))]),
    tp.TRAFFIC_METRICS.name: ev.TrafficMetric(ts=TS, camera_id="cam-01",
                                              window_start=TS - timedelta(minutes=1)),
    tp.ALERTS.name: ev.Alarm(ts=TS, source_id="wl-1", source_kind="sensor",
                             alarm_type="water_level", action="raise", severity="high"),
    tp.HEARTBEATS.name: ev.Heartbeat(ts=TS, worker="persistence", instance="h:1", started_at=TS),
    tp.DEADLETTER.name: ev.DeadLetter(ts=TS, reason="x", source_topic="t", source_partition=0,
                                      source_offset=1, raw_b64="", raw_bytes=0, worker="w"),
}


def test_every_topic_has_a_sample():
    assert set(SAMPLES) | {t.name for t in tp.ALL if t.jpeg} == set(tp.BY_NAME)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip(name):
    topic, event = tp.BY_NAME[name], SAMPLES[name]
    msg = encode(topic, event)
    assert msg.key == topic.key_of(event).encode()
    assert decode(topic, msg.value, msg.headers) == event


@pytest.mark.parametrize("topic, event", [
    (tp.CAMERA_FRAMES, ev.CameraFrame(ts=TS, camera_id="cam-01", seq=1, width=640, height=360)),
    (tp.VISION_SNAPSHOTS, ev.Snapshot(ts=TS, camera_id="cam-01", frame_seq=9, width=640,
                                      height=360, caption="stalled vehicle")),
])
def test_jpeg_topics_carry_the_event_in_a_header(topic, event):
    jpeg = b"\xff\xd8rest-of-jpeg"
    msg = encode(topic, event, jpeg)
    assert msg.value == jpeg
    assert decode(topic, msg.value, msg.headers) == event
    with pytest.raises(ValueError, match="JPEG"):
        encode(topic, event)


def test_timestamps_are_normalised_to_utc():
    hcm = timezone(timedelta(hours=7))
    r = ev.SensorReading(ts=datetime(2026, 7, 1, 15, 0, tzinfo=hcm), sensor_id="a",
                         kind="noise", value=50, unit="dBA")
    assert r.ts == TS and r.ts.tzinfo == UTC


def _body(**overrides) -> bytes:
    body = json.loads(SAMPLES[tp.SENSOR_READINGS.name].model_dump_json())
    body.update(overrides)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


@pytest.mark.parametrize("value, reason", [
    (b"{nope", "malformed JSON"),
    (_body(schema_version=2), "schema_version 2 is not supported"),
    (_body(sensor_id=None), "sensor_id: Field required"),
    (_body(ts="2026-07-01T08:00:00"), "has no time zone"),
    (_body(value="NaN"), "value"),
    (_body(kind="radiation"), "kind"),
    (_body(extra_field=1), "extra_field"),
    (_body(event_id="not-a-uuid"), "event_id"),
    (None, "empty message"),
    (b"x" * (ev.MAX_MESSAGE_BYTES + 1), "over the 1000000 limit"),
])
def test_bad_input_has_a_reason(value, reason):
    with pytest.raises(Undecodable) as err:
        decode(tp.SENSOR_READINGS, value, [])
    assert reason in str(err.value)


def test_frame_without_meta_or_not_jpeg():
    with pytest.raises(Undecodable, match="header"):
        decode(tp.CAMERA_FRAMES, b"\xff\xd8", [])
    meta = SAMPLES[tp.SENSOR_READINGS.name].model_dump_json().encode()
    with pytest.raises(Undecodable, match="not a JPEG"):
        decode(tp.CAMERA_FRAMES, b"PNG", [(META_HEADER, meta)])


def test_publishing_the_wrong_model_is_a_bug():
    from ioc.kafka import Publisher

    class NoSend:
        def send(self, *a, **k):
            raise AssertionError("must not be sent")

    pub = Publisher.__new__(Publisher)
    pub.producer = NoSend()
    with pytest.raises(TypeError):
        pub.publish(tp.ALERTS, SAMPLES[tp.SENSOR_READINGS.name])


def test_event_ids_are_unique():
    assert len({ev.SensorReading(ts=TS, sensor_id="a", kind="pm25", value=1, unit="x").event_id
                for _ in range(100)}) == 100
    assert isinstance(SAMPLES[tp.ALERTS.name].event_id, uuid.UUID)


def test_a_nul_character_is_dead_lettered_not_stored():
    with pytest.raises(Undecodable, match="NUL"):
        decode(tp.CITIZEN_REPORTS, json.dumps({
            "ts": "2026-07-01T08:00:00Z", "report_id": "R-1", "text": "ngập\u0000",
            "lat": 10.93, "lon": 107.24}).encode(), [])


def test_the_six_characters_of_an_escaped_nul_are_text_not_a_nul():
    text = "Mã lỗi: \\u0000 trên bảng điện"  # what a citizen typed: backslash, u, 0, 0, 0, 0
    event = decode(tp.CITIZEN_REPORTS, json.dumps({
        "ts": "2026-07-01T08:00:00Z", "report_id": "R-1", "text": text,
        "lat": 10.93, "lon": 107.24}).encode(), [])
    assert event.text == text
    letter = ev.DeadLetter(ts=TS, worker="w", reason="contains a NUL character (\\u0000)",
                           source_topic="t", source_partition=0, source_offset=1, raw_bytes=1,
                           raw_b64="AA==")
    assert decode(tp.DEADLETTER, letter.model_dump_json().encode(), []) == letter
