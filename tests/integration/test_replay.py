"""Replay through the real pipeline (broker, PostgreSQL, triage, sensors, vision, persistence):
the same recording, camera frames and all, gives the same digest at 3x, 10x and as fast as it
goes (3x judges silence with the same lateness as 1x, in a third of the time), and a recording made from a replay's own stored streams replays to the same outputs
(record -> replay round trip)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ioc import recording
from ioc import replay as rp
from ioc import topics as tp
from ioc.city import load_city
from ioc.cli import _kpis_at, _replay_prepare, _replay_workers
from ioc.db import export
from ioc.db.session import connect
from ioc.events import CitizenReport, SensorKind, SensorReading
from simulators.cameras import CameraSim

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 12, 19, 0, tzinfo=UTC)  # 02:00 in Vietnam
SECONDS = 90


def inputs() -> list[recording.Entry]:
    """A gauge that rises through the alert levels, one that falls silent, two reports."""
    entries = []
    for t in range(0, SECONDS, 10):
        level = 1.0 + 0.025 * t
        entries.append(recording.Entry(tp.SENSOR_READINGS, SensorReading(
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"wl1-{t}"), ts=T0 + timedelta(seconds=t),
            sensor_id="wl-suoiret-1", kind=SensorKind.WATER_LEVEL, value=round(level, 2),
            unit="m")))
        if t < 20:
            entries.append(recording.Entry(tp.SENSOR_READINGS, SensorReading(
                event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"wl2-{t}"),
                ts=T0 + timedelta(seconds=t), sensor_id="wl-suoiret-2",
                kind=SensorKind.WATER_LEVEL, value=0.7, unit="m")))
    for i, text in enumerate(("Nước dâng tới nóc xe, cả nhà đang kẹt trên gác, cứu với",
                              "Đèn đường hẻm 12 hỏng mấy hôm nay")):
        entries.append(recording.Entry(tp.CITIZEN_REPORTS, CitizenReport(
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"r{i}"), ts=T0 + timedelta(seconds=15 + i),
            report_id=f"R-replay{i}", text=text, lat=10.9375, lon=107.242, ward="xuan-an")))
    return entries


def camera_frames() -> list[recording.Entry]:
    """Two cameras, a frame every 5 s: what the vision worker makes of them joins the digest."""
    entries = []
    for index in (0, 1):
        sim = CameraSim(load_city().cameras[index], seed=5, fps=0.2, warm_up_s=20,
                        incidents_per_day=0)
        for t in range(0, SECONDS, 5):
            frame, jpeg, _ = sim.next_frame(T0 + timedelta(seconds=t))
            entries.append(recording.Entry(tp.CAMERA_FRAMES, frame, jpeg))
    return entries


def replay(path, settings, speed):
    return rp.run(path, settings, _replay_workers(), speed, tag=uuid.uuid4().hex[:8],
                  prepare=_replay_prepare, kpis_at=_kpis_at)


def test_the_same_recording_gives_the_same_digest_at_every_speed(settings, tmp_path):
    path = tmp_path / "r.zip"
    recording.write(path, inputs() + camera_frames(), source="test")
    fastest = replay(path, settings, None)
    made = fastest.outputs
    assert {d["camera_id"]: d["frames"] for d in made["detections"]} == {
        c.id: SECONDS // 5 for c in load_city().cameras[:2]}
    assert {t["report_id"] for t in made["triage"]} == {"R-replay0", "R-replay1"}
    raised = {(a["source_id"], a["alarm_type"]) for a in made["alarms"]}
    assert ("wl-suoiret-1", "water_level") in raised  # past 1.2 m for more than a minute
    assert ("wl-suoiret-2", "offline") in raised  # silent since 10 s, past 60 s at 70 s
    # Every other city sensor sent nothing at all in this recording: silent from its start.
    assert fastest.digest == replay(path, settings, 10).digest == replay(path, settings, 3).digest


def test_a_recording_of_a_replay_replays_to_the_same_outputs(settings, tmp_path):
    first = tmp_path / "first.zip"
    recording.write(first, inputs(), source="test")
    original = replay(first, settings, None)
    with connect(original.namespace.settings) as conn:
        again = list(export.entries(conn, T0, T0 + timedelta(seconds=SECONDS)))
    second = tmp_path / "second.zip"
    manifest = recording.write(second, again, source="record")
    assert manifest.topics == {"ioc.sensor.readings": 11, "ioc.citizen.reports": 2}
    assert replay(second, settings, None).digest == original.digest


def test_bad_speeds_and_a_second_replay_are_refused(settings):
    for bad in ("0", "-2", "fast"):
        with pytest.raises(rp.ReplayError, match="speed"):
            rp.parse_speed(bad)
    with rp.ReplayLock(settings.data_dir), pytest.raises(rp.ReplayError,
                                                          match="another replay is running"):
        with rp.ReplayLock(settings.data_dir):
            pass
