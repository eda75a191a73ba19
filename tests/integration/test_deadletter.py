"""Malformed messages go to ioc.deadletter with a reason a person can read; the stream goes on."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime

import pytest
from waiting import wait_until

from ioc import events as ev
from ioc import topics as tp
from ioc.db.session import connect
from ioc.kafka import META_HEADER, Publisher, make_consumer
from ioc.persistence import make_worker

pytestmark = pytest.mark.integration


def _reading(**overrides) -> dict:
    body = {"event_id": str(uuid.uuid4()), "ts": "2026-07-01T08:00:00Z", "schema_version": 1,
            "sensor_id": "aq-test-1", "kind": "pm25", "value": 12.5, "unit": "µg/m³"}
    body.update(overrides)
    return body


BAD = {
    "malformed JSON": (b'{"event_id": "x", "ts": ', "malformed JSON"),
    "wrong schema version": (json.dumps(_reading(schema_version=9)).encode(),
                             "schema_version 9 is not supported"),
    "missing field": (json.dumps({k: v for k, v in _reading().items() if k != "sensor_id"})
                      .encode(), "sensor_id: Field required"),
    "timestamp without zone": (json.dumps(_reading(ts="2026-07-01T08:00:00")).encode(),
                               "has no time zone"),
}


def test_bad_messages_are_dead_lettered_and_good_ones_still_land(settings):
    publisher = Publisher(settings)
    topic = settings.topic(tp.SENSOR_READINGS.name)
    good_ids = []
    for i, (value, _reason) in enumerate(BAD.values()):
        publisher.producer.send(topic, key=b"aq-test-1", value=value)
        good = ev.SensorReading(ts=datetime(2026, 7, 1, 8, i, tzinfo=UTC), sensor_id="aq-test-1",
                                kind="pm25", value=float(i), unit="µg/m³")
        publisher.publish(tp.SENSOR_READINGS, good)
        good_ids.append(good.event_id)
    frame = ev.CameraFrame(ts=datetime(2026, 7, 1, 8, tzinfo=UTC), camera_id="cam-01", seq=1,
                           width=640, height=360)
    oversized = b"\xff\xd8" + b"\0" * (ev.MAX_MESSAGE_BYTES + 10)
    publisher.producer.send(settings.topic(tp.CAMERA_FRAMES.name), key=b"cam-01",
                            value=oversized,
                            headers=[(META_HEADER, frame.model_dump_json().encode())])
    publisher.close()

    stop = threading.Event()
    worker = make_worker(settings)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        def stored() -> list[tuple]:
            with connect(settings) as conn:
                return conn.execute("SELECT reason, source_topic, source_offset, raw_bytes "
                                    "FROM deadletters").fetchall()

        letters = wait_until(lambda: len(stored()) == len(BAD) + 1 and stored(), 60,
                             f"{len(BAD) + 1} dead letters are stored")
        with connect(settings) as conn:
            ids = {r[0] for r in conn.execute("SELECT event_id FROM sensor_readings")}
        assert ids == set(good_ids), "every good reading lands despite the bad ones around it"
    finally:
        stop.set()
        thread.join(30)

    reasons = [r[0] for r in letters]
    for name, (_value, expected) in BAD.items():
        assert any(expected in reason for reason in reasons), f"{name}: {reasons}"
    assert any("over the 1000000 limit" in r for r in reasons)

    # The dead-letter topic itself carries the raw bytes and where they came from.
    consumer = make_consumer(settings, f"check-{uuid.uuid4().hex[:6]}")
    consumer.subscribe([settings.topic(tp.DEADLETTER.name)])
    seen: list[ev.DeadLetter] = []

    def read_all() -> bool:
        for batch in consumer.poll(500).values():
            seen.extend(ev.DeadLetter.model_validate_json(r.value) for r in batch)
        return len(seen) >= len(BAD) + 1

    wait_until(read_all, 30, "the dead letters are readable from ioc.deadletter")
    consumer.close()
    malformed = next(d for d in seen if d.reason.startswith("malformed JSON"))
    assert base64.b64decode(malformed.raw_b64) == BAD["malformed JSON"][0]
    assert malformed.source_topic == settings.topic(tp.SENSOR_READINGS.name)
    assert malformed.source_offset >= 0
