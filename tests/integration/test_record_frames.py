"""Camera frames through record and replay, on the real broker and database with the committed
model: a frame every 2 s → persistence keeps one per camera every 5 s (camera_frames) → `ioc
record` puts them, JPEG bytes and all, in the recording → a replay runs them through the vision
worker into detections, traffic metrics and camera alarms in its own schema (the same digest
at every speed, frames and all, is test_replay.py's). The detector gives the same boxes for a
frame alone or in a batch, which is what lets a replay's batches differ with its speed."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner
from waiting import wait_until

from analytics.vision.detector import Detector, decode_jpeg
from ioc import cli, recording
from ioc import replay as rp
from ioc import topics as tp
from ioc.city import load_city
from ioc.cli import _kpis_at, _replay_prepare, _replay_workers
from ioc.db.session import connect
from ioc.events import CameraFrame
from ioc.kafka import Publisher
from ioc.persistence import frame_bucket
from ioc.persistence import make_worker as persistence_worker
from simulators.cameras import CameraSim

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 12, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam: daylight, on a minute
EVERY_S = 5.0
GAP_S = 2  # between a camera's frames: two or three to each archive slot
# Two cameras for 80 s (a traffic window of 60 s closes 10 s after its end); a third for 6 s.
SECONDS = 80


def frames(camera_index: int, seconds: int) -> list[tuple[CameraFrame, bytes]]:
    sim = CameraSim(load_city().cameras[camera_index], seed=5, fps=1 / GAP_S, warm_up_s=20,
                    incidents_per_day=0)
    return [sim.next_frame(T0 + timedelta(seconds=k))[:2] for k in range(0, seconds, GAP_S)]


@pytest.fixture(scope="module")
def streams() -> dict[str, list[tuple[CameraFrame, bytes]]]:
    out = {}
    for index, seconds in ((0, SECONDS), (1, SECONDS), (2, 6)):
        sent = frames(index, seconds)
        out[sent[0][0].camera_id] = sent
    return out


def kept(sent: list[tuple[CameraFrame, bytes]]) -> dict[datetime, tuple[CameraFrame, bytes]]:
    """The first frame of each 5 s slot: what the archive must hold."""
    slots: dict[datetime, tuple[CameraFrame, bytes]] = {}
    for frame, jpeg in sent:
        slots.setdefault(frame_bucket(frame.ts, EVERY_S), (frame, jpeg))
    return slots


def archive(settings, streams) -> None:
    """The frames through the real persistence worker, in the order the cameras sent them."""
    stop = threading.Event()
    worker = persistence_worker(settings)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    publisher = Publisher(settings)
    try:
        for frame, jpeg in sorted((f for sent in streams.values() for f in sent),
                                  key=lambda f: (f[0].ts, f[0].camera_id)):
            publisher.publish(tp.CAMERA_FRAMES, frame, payload=jpeg)
        publisher.flush()
        expected = sum(len(kept(sent)) for sent in streams.values())

        def stored() -> int:
            with connect(settings) as conn:
                return conn.execute("SELECT count(*) FROM camera_frames").fetchone()[0]

        wait_until(lambda: stored() == expected, timeout_s=60,
                   what=f"{expected} frames archived (one per camera every {EVERY_S:g} s)")
        wait_until(lambda: worker.stats.processed >= sum(map(len, streams.values())),
                   timeout_s=60, what="every frame read")
    finally:
        stop.set()
        thread.join(30)
        publisher.close()


def test_archived_frames_are_recorded_and_replay_into_detections_metrics_and_alarms(
        settings, streams, tmp_path, monkeypatch):
    settings = settings.model_copy(update={"frame_archive_every_s": EVERY_S})
    archive(settings, streams)
    with connect(settings) as conn:
        rows = conn.execute("SELECT camera_id, bucket, seq, jpeg FROM camera_frames").fetchall()
    for camera_id, sent in streams.items():
        mine = {bucket: (seq, bytes(jpeg)) for c, bucket, seq, jpeg in rows if c == camera_id}
        assert mine == {slot: (f.seq, jpeg) for slot, (f, jpeg) in kept(sent).items()}

    path = tmp_path / "frames.zip"
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    done = CliRunner().invoke(cli.app, ["record", "--since", T0.isoformat(), "--until",
                                        (T0 + timedelta(minutes=5)).isoformat(),
                                        "--out", str(path)])
    assert done.exit_code == 0, done.output
    expected = sum(len(kept(sent)) for sent in streams.values())
    assert f"ioc.camera.frames={expected}" in done.stdout
    assert f"{expected}/{expected}" in done.stderr  # the bar counted the frames

    manifest = recording.verify(path)
    assert manifest.topics == {tp.CAMERA_FRAMES.name: expected}
    assert manifest.frames_every_s == EVERY_S
    recorded = {(e.event.camera_id, e.event.seq): e.jpeg for e in recording.read(path)}
    assert recorded == {(f.camera_id, f.seq): jpeg for sent in streams.values()
                        for f, jpeg in kept(sent).values()}

    def replay(speed):
        return rp.run(path, settings, _replay_workers(), speed, tag=uuid.uuid4().hex[:8],
                      prepare=_replay_prepare, kpis_at=_kpis_at)

    fastest = replay(None)
    made = fastest.outputs
    assert {d["camera_id"]: d["frames"] for d in made["detections"]} == {
        camera_id: len(kept(sent)) for camera_id, sent in streams.items()}
    assert all(d["boxes"] > d["frames"] for d in made["detections"])  # daylight traffic
    long_ones = {c for c, sent in streams.items() if len(sent) == SECONDS // GAP_S}
    assert {t["camera_id"] for t in made["traffic"]} == long_ones  # the 0-60 s window closed
    # Only the recording's cameras are watched, at its pace: the one that stopped after 6 s
    # (its last archived frame at 0 s) is offline 60 s later; the city's others are not seen.
    offline = [(a["source_id"], a["ts"]) for a in made["alarm_events"]
               if a["alarm_type"] == "camera_offline" and a["action"] == "raise"]
    short = next(c for c, sent in streams.items() if c not in long_ones)
    assert offline == [(short, T0 + timedelta(seconds=60))]
    with connect(fastest.namespace.settings) as conn:
        assert conn.execute("SELECT count(*) FROM detections").fetchone()[0] == expected
        assert conn.execute("SELECT count(*) FROM camera_frames").fetchone()[0] == expected
    # The same digest at 1x, 10x and as fast as it goes, frames and all: test_replay.py.


def test_a_frame_has_the_same_boxes_alone_or_in_a_batch(streams):
    """Measured 2026-12-04 on the committed model: bit-identical (scores and corners) for
    batches of 1, 5 and 16. A model or runtime for which this fails needs the replay to fix
    its batches."""
    images = [decode_jpeg(jpeg) for sent in list(streams.values())[:2] for _, jpeg in sent[:8]]
    detector = Detector()
    alone = [detector.detect([image])[0] for image in images]
    batched = detector.detect(images)
    assert sum(len(a) for a in alone) > len(images)
    for a, b in zip(alone, batched, strict=True):
        assert np.array_equal(a.xyxy, b.xyxy) and np.array_equal(a.conf, b.conf) \
            and np.array_equal(a.cls, b.cls)
