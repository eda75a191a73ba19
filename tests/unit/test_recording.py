"""Recordings (ioc.recording): a round trip keeps every event, in event-time order; a truncated,
altered or foreign file is refused with a reason before any event is read."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from ioc import recording
from ioc import topics as tp
from ioc.events import Alarm, CitizenReport, SensorKind, SensorReading

T0 = datetime(2026, 9, 12, 1, 0, tzinfo=UTC)


def entries() -> list[recording.Entry]:
    readings = [recording.Entry(tp.SENSOR_READINGS, SensorReading(
        ts=T0 + timedelta(seconds=10 * i), sensor_id="wl-1", kind=SensorKind.WATER_LEVEL,
        value=1.0 + i / 100, unit="m")) for i in range(50)]
    report = recording.Entry(tp.CITIZEN_REPORTS, CitizenReport(
        ts=T0 + timedelta(seconds=55), report_id="R-1", text="Nước ngập tới gối <b>", lat=10.93,
        lon=107.24))
    return [report, *reversed(readings)]


def test_a_round_trip_keeps_every_event_in_time_order(tmp_path):
    path = tmp_path / "r.zip"
    given = entries()
    m = recording.write(path, given, source="record")
    assert m.events == 51 and m.topics == {"ioc.sensor.readings": 50, "ioc.citizen.reports": 1}
    assert (m.start, m.end) == (T0, T0 + timedelta(seconds=490))
    assert recording.verify(path) == m
    got = list(recording.read(path))
    assert [e.event for e in got] == sorted((e.event for e in given), key=lambda e: e.ts)
    assert not list(tmp_path.glob(".*partial"))


def test_only_peoples_alarm_actions_are_inputs():
    mine = Alarm(ts=T0, source_id="wl-1", source_kind="sensor", alarm_type="water_level",
                 action="acknowledge", actor="lan")
    detector = mine.model_copy(update={"actor": "system", "action": "raise",
                                       "severity": "high"})
    assert recording.is_input(tp.ALERTS, mine) and not recording.is_input(tp.ALERTS, detector)


def rewrite(path, events: bytes | None = None, manifest: dict | None = None):
    with zipfile.ZipFile(path) as z:
        old_events, old_manifest = z.read("events.jsonl"), json.loads(z.read("manifest.json"))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("events.jsonl", events if events is not None else old_events)
        z.writestr("manifest.json", json.dumps({**old_manifest, **(manifest or {})}))


def test_altered_truncated_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "r.zip"
    recording.write(path, entries(), source="record")
    good = path.read_bytes()

    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(recording.RecordingError, match="truncated"):
        recording.verify(path)

    path.write_bytes(good)
    with zipfile.ZipFile(path) as z:
        lines = z.read("events.jsonl").splitlines(keepends=True)
    rewrite(path, events=b"".join(lines[:-1]))  # an event gone
    with pytest.raises(recording.RecordingError, match="does not match its manifest"):
        recording.verify(path)

    path.write_bytes(good)
    rewrite(path, manifest={"schema_version": 0})
    with pytest.raises(recording.RecordingError, match="schema version 0"):
        recording.verify(path)

    (tmp_path / "x.zip").write_bytes(b"not a zip at all")
    with pytest.raises(recording.RecordingError, match="not a readable zip"):
        recording.verify(tmp_path / "x.zip")
    with pytest.raises(recording.RecordingError, match="no recording"):
        recording.verify(tmp_path / "missing.zip")


def test_nothing_to_record_is_said():
    with pytest.raises(recording.RecordingError, match="nothing to record"):
        recording.write("/tmp/never-written.zip", [], source="record")
