"""`ioc bench vision`: frames/s end to end against the raw model on the same frames, same run.

End to end is what the vision worker's sink does with a poll's frames: decode the JPEGs, run
the detector (letterbox, model, NMS) on them as one batch across cameras, track, count, fold
windows and incidents per camera, and publish the detections to a real (embedded) broker, with
the flush the worker waits for. The raw rate is the model call alone, on the same frames already
decoded and letterboxed, in batches of the same size. The two take turns batch by batch, so
that a host whose speed drifts slows both alike. Per-frame latency is the time of the frame's
batch (a poll's frames all leave together).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

from analytics.vision.detector import Detector, decode_jpeg
from ioc import events as ev
from ioc.clock import FakeClock
from ioc.config import Settings
from ioc.worker import Message

FrameSource = Callable[[int, int, float], list[tuple[ev.CameraFrame, bytes]]]
"""(cameras, seconds, fps) -> frames in time order, interleaved across cameras."""


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q) * 1000) if values else float("nan")


def run(detector: Detector, frames_of: FrameSource, cameras: int, seconds: int, fps: float,
        batch: int, console, rounds: int = 3) -> Iterator[str]:
    from analytics.vision import worker as vision_worker
    from ioc import topics as tp
    from ioc.embedded import EmbeddedBroker, free_port
    from ioc.kafka import Publisher, ensure_topics

    console.print(f"rendering {cameras} cameras × {seconds} s at {fps:g} frames/s …")
    frames = frames_of(cameras, seconds, fps)
    images = [decode_jpeg(jpeg) for _, jpeg in frames]
    # Raw: the model alone, the same frames in the same batches (after one warm-up call).
    batches = [images[i:i + batch] for i in range(0, len(images), batch)]
    prepared = [detector.prepare(b) for b in batches]
    detector.raw(prepared[0])

    root = Path(tempfile.mkdtemp(prefix="ioc-bench-vision-"))
    broker = EmbeddedBroker(free_port(), log_path=root / "broker.log").start()
    try:
        settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix="bench.",
                            data_dir=root, camera_fps=fps, vision_window_s=60)
        ensure_topics(settings)
        publisher = Publisher(settings)
        first: datetime = frames[0][0].ts
        sink = vision_worker.VisionSink(settings, detector, publisher, FakeClock(first))
        messages = [Message(tp.CAMERA_FRAMES, f, jpeg, 0, k, 0)
                    for k, (f, jpeg) in enumerate(frames)]
        sink(messages[:batch])  # warm-up: the first call builds every camera's pipeline

        # Batch by batch, the raw model and then the sink on the same frames: a host whose
        # speed drifts (a shared one) slows both alike. Each round starts the cameras afresh.
        raw_s = e2e_s = 0.0
        per_frame: list[float] = []
        for r in range(rounds):
            console.print(f"round {r + 1} of {rounds}: {len(images)} frames, raw model and end "
                          "to end in turn …")
            sink.pipelines.clear()
            for k, i in enumerate(range(0, len(messages), batch)):
                t0 = time.perf_counter()
                detector.raw(prepared[k])
                t1 = time.perf_counter()
                sink(messages[i:i + batch])
                t2 = time.perf_counter()
                raw_s, e2e_s = raw_s + t1 - t0, e2e_s + t2 - t1
                per_frame += [t2 - t1] * len(messages[i:i + batch])
        raw_fps, e2e_fps = rounds * len(images) / raw_s, rounds * len(messages) / e2e_s
        publisher.close()
    finally:
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)

    ratio = e2e_fps / raw_fps
    carried = int(e2e_fps // fps)
    yield (f"{len(frames)} frames of {cameras} simulated cameras at {fps:g} frames/s, "
           f"{frames[0][0].width}×{frames[0][0].height} JPEG, model {detector.label}, batches "
           f"of {batch}, 2 cores")
    yield (f"raw model                   {raw_fps:8.1f} frames/s ({rounds} rounds, batch by batch "
           "in turn with:)")
    yield (f"end to end                  {e2e_fps:8.1f} frames/s ({ratio:.0%} of raw; decode, "
           "detect, track, count, windows, incidents, publish)")
    yield (f"per batch of {batch}, each frame   p50 {_ms(per_frame, 50):.0f} ms, "
           f"p95 {_ms(per_frame, 95):.0f} ms (from the poll to its results durable)")
    yield (f"one machine carries        {carried} cameras at {fps:g} frames/s "
           f"({int(e2e_fps)} at 1 frame/s)")
    yield (f"SUMMARY vision frames={len(frames)} cameras={cameras} fps_per_camera={fps:g} "
           f"batch={batch} raw_fps={raw_fps:.1f} e2e_fps={e2e_fps:.1f} ratio={ratio:.2f} "
           f"latency_p50_ms={_ms(per_frame, 50):.0f} latency_p95_ms={_ms(per_frame, 95):.0f} "
           f"cameras_carried={carried}")


ClipSource = Callable[[float], list[tuple[list[np.ndarray], dict]]]
"""(fps) -> clips of the simulated cameras: each its decoded frames and its truth
(simulators.vision_data.write_clip: "line", "crossings")."""


def counting(detector: Detector, clips_at: ClipSource, rates: tuple[float, ...],
             console) -> Iterator[str]:
    """Line counts against the renderer's truth at each frame rate: ours and supervision's
    LineZone with `trackers`' ByteTrack at default settings, on the same detections."""
    from analytics.vision.cli import detected_frames
    from analytics.vision.compare import count_baseline, count_ours, relative_errors, total
    from analytics.vision.counting import CountLine

    summary = []
    for fps in rates:
        console.print(f"counting on clips at {fps:g} frames/s …")
        ours_all: dict = {}
        base_all: dict = {}
        truth_all: dict = {}
        for images, truth in clips_at(fps):
            frames = list(detected_frames(detector, iter(images), fps))
            line = CountLine(*truth["line"])
            for acc, counts in ((ours_all, count_ours(frames, line, fps)),
                                (base_all, count_baseline(frames, line)),
                                (truth_all, truth["crossings"])):
                for cls, c in counts.items():
                    cell = acc.setdefault(cls, {"in": 0, "out": 0})
                    cell["in"] += c.get("in", 0)
                    cell["out"] += c.get("out", 0)
        ours, base = relative_errors(ours_all, truth_all), relative_errors(base_all, truth_all)
        groups = ", ".join(f"{g} {ours[g]['total']:.0%} vs {base[g]['total']:.0%}"
                           for g in ours if g != "all")
        yield (f"counts at {fps:g} frames/s        true {total(truth_all)}, ours {total(ours_all)} "
               f"(error {ours['all']['total']:.1%}), LineZone+ByteTrack {total(base_all)} "
               f"(error {base['all']['total']:.1%}); per group, ours vs baseline: {groups}")
        tag = f"{fps:g}".replace(".", "_")
        summary += [f"count_error_{tag}fps={ours['all']['total']:.3f}",
                    f"baseline_count_error_{tag}fps={base['all']['total']:.3f}"]
    yield "SUMMARY vision-counts " + " ".join(summary)


IncidentClipSource = Callable[[], Iterator[tuple[str, Iterator[np.ndarray], dict, object]]]
"""() -> clips of the simulated city's cameras, each its name, its frames (decoded, in order),
its truth (simulators.vision_data.write_clip: "fps", "frames", "incidents") and the camera's view
(ioc.camera_views), rendered as they are asked for."""


def incident_recall(detector: Detector, clips: IncidentClipSource, batch: int,
                    console) -> Iterator[str]:
    """Each clip through the detector and the camera's pipeline (tracker, windows, incidents,
    the alarm gate), as the vision worker runs them; its alarm raises scored against the
    scripted incidents (`incident_score`)."""
    from datetime import UTC, timedelta

    from analytics.vision.cli import _chunks_of
    from analytics.vision.incident_score import Clip, Raised, TrueIncident, score
    from analytics.vision.pipeline import CameraPipeline
    from ioc.events import AlarmAction

    start = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    scored: list[Clip] = []
    fps = 0.0
    for name, images, truth, view in clips():
        fps = truth["fps"]
        pipeline = CameraPipeline(name, truth["width"], truth["height"], view=view,
                                  fps_hint=fps)
        raised: list[Raised] = []
        n = 0
        for chunk in _chunks_of(images, batch):
            for found in detector.detect(chunk):
                out = pipeline.frame(start + timedelta(seconds=n / fps), found)
                raised += [Raised(c.incident.kind.value, c.ts - start.timestamp())
                           for c in out.changes if c.action is AlarmAction.RAISE]
                n += 1
        incidents = tuple(TrueIncident(i["kind"], i["start_s"], i["end_s"])
                          for i in truth["incidents"])
        scored.append(Clip(incidents, tuple(raised), n / fps, name))
        said = ", ".join(f"{r.alarm_type} at {r.at_s:.0f} s" for r in raised) or "nothing"
        scripted = ", ".join(f"{i.kind} at {i.start_s:.0f} s" for i in incidents) or "nothing"
        console.print(f"{name}: scripted {scripted}; raised {said}", highlight=False)
    result = score(scored)
    for kind, cell in result.kinds.items():
        if cell.scripted:
            delay = f", raised {np.median(cell.delays_s):.0f} s after (median)" \
                if cell.delays_s else ""
            yield (f"{kind:<11} found {cell.found} of {cell.scripted} as {kind} "
                   f"({cell.recall:.0%}), {cell.found_any} with any incident alarm{delay}")
    yield (f"recall                      {result.recall:.2f} (any incident alarm: "
           f"{result.recall_any:.2f}) of {result.scripted} scripted incidents, within 3 min")
    yield (f"false alarms                {len(result.false_alarms)} in "
           f"{result.camera_hours:.2f} camera-hours "
           f"({result.false_alarms_per_camera_hour:.1f} per camera-hour)")
    for clip, r in result.false_alarms:
        yield f"  false: {clip} {r.alarm_type} at {r.at_s:.0f} s"
    yield (f"SUMMARY vision-incidents clips={len(scored)} fps={fps:g} "
           f"scripted={result.scripted} recall={result.recall:.3f} "
           f"recall_any={result.recall_any:.3f} false_alarms={len(result.false_alarms)} "
           f"camera_hours={result.camera_hours:.3f} "
           f"false_per_camera_hour={result.false_alarms_per_camera_hour:.2f} "
           + " ".join(f"recall_{k}={c.recall:.3f}" for k, c in result.kinds.items()
                      if c.scripted))
