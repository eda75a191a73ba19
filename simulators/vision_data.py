"""Training and evaluation data for the vision stage, drawn by the camera simulator.

`write_yolo_dataset` writes an Ultralytics YOLO detection dataset: images/{train,val,test}/*.jpg,
labels/{split}/*.txt with one normalised `cls cx cy w h` line per visible road user, and
data.yaml naming the classes in the model's order (render.CLASSES: person, bicycle, car,
motorcycle, bus, truck). Frames come from many short scenes (a new street, camera, light,
weather and traffic for every few frames), never a long run of one camera.

The test split is held out twice over: other seeds, and scenes `TRAIN` never draws
(camera_scene.HELD_OUT): cameras 10-12.5 m high (train and val: 6-10 m), streets of 5 lanes
(train: 2, 3, 4 or 6), the saturated "market" building colours (train: pastel and concrete),
and more rain, fog, dusk and night (train: 45 % clear, 25 % night). A score on it says how well
a model copes with streets it has not seen, not how well it remembers the ones it has.

`write_clip` writes one camera's clip (000001.jpg ... in name order) and truth.json with the
line crossings, per-frame boxes with track ids, and the incidents: what `ioc count` and the
incident checks are measured against.
"""

from __future__ import annotations

import json
import math
import random
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2

from simulators.camera_scene import HELD_OUT, TRAIN, Domain, Scene, sample_scene
from simulators.camera_traffic import INCIDENT_KINDS, Incident
from simulators.cameras import StreetView
from simulators.render import CLASSES, GroundTruth

Progress = Callable[[int, int], None]  # (frames written, frames in all)
FRAMES_PER_SCENE = 12
WARM_UP_S = 8.0  # the street starts full; a few seconds let the queues settle
STREETS = ("NGUYEN TRAI", "LE LOI", "HUNG VUONG", "TRAN HUNG DAO", "QL1A", "CMT8",
           "HAI BA TRUNG", "LY THUONG KIET", "DT763", "QUANG TRUNG")


@dataclass(frozen=True)
class Split:
    name: str
    frames: int
    domain: Domain
    seed: str


@contextmanager
def _one_opencv_thread() -> Iterator[None]:
    """Frames are thousands of tiny polygons: OpenCV's thread pool costs more than it gives
    (measured on 2 busy cores: 20 ms a frame with it, 11 ms without)."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(threads)


def yolo_line(box: GroundTruth, width: int, height: int) -> str:
    cx, cy = (box.x1 + box.x2) / 2 / width, (box.y1 + box.y2) / 2 / height
    w, h = (box.x2 - box.x1) / width, (box.y2 - box.y1) / height
    return f"{CLASSES.index(box.cls)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}"


def _caption(rng: random.Random) -> str:
    when = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} " \
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    name = rng.choice((f"CAM-{rng.randint(1, 99):02d}", rng.choice(STREETS),
                       f"{rng.choice(STREETS)} - {rng.choice(STREETS)}"))
    return f"{name}  {when}" if rng.random() < 0.7 else when


def _scene_incidents(rng: random.Random) -> list[Incident]:
    """Now and then a stalled car, a crash or a jam, so such scenes are in the data too."""
    if rng.random() > 0.25:
        return []
    kind = rng.choice(INCIDENT_KINDS)
    return [Incident(kind, rng.uniform(0, 5), 120.0)]


def split_frames(split: Split, size: tuple[int, int]
                 ) -> Iterator[tuple[bytes, list[GroundTruth]]]:
    """The split's frames, as JPEG bytes with their boxes: a few from each of many scenes."""
    width, height = size
    rng = random.Random(f"dataset:{split.seed}")
    written = 0
    for i in range(math.ceil(split.frames / FRAMES_PER_SCENE)):
        scene = sample_scene(f"{split.seed}:{i}", split.domain)
        view = StreetView(scene, f"{split.seed}:{i}", width, height, _scene_incidents(rng),
                          warm_up_s=WARM_UP_S * rng.uniform(0.5, 1.5))
        view.warm_up()
        caption = _caption(rng)
        for _ in range(min(FRAMES_PER_SCENE, split.frames - written)):
            view.advance(rng.uniform(0.8, 2.5))
            img, boxes = view.frame(caption=caption)
            yield view.renderer.encode(img, scene.look.jpeg_quality), boxes
            written += 1


def _write_split(root: Path, split: Split, size: tuple[int, int], done: int, total: int,
                 progress: Progress | None) -> Counter[str]:
    images, labels = root / "images" / split.name, root / "labels" / split.name
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    for n, (jpeg, boxes) in enumerate(split_frames(split, size)):
        stem = f"{split.name}_{n:06d}"
        (images / f"{stem}.jpg").write_bytes(jpeg)
        (labels / f"{stem}.txt").write_text(
            "".join(yolo_line(b, *size) + "\n" for b in boxes))
        counts.update(b.cls for b in boxes)
        if progress is not None:
            progress(done + n + 1, total)
    return counts


def splits(train: int, val: int, test: int, seed: int) -> list[Split]:
    return [Split("train", train, TRAIN, f"{seed}:train"), Split("val", val, TRAIN, f"{seed}:val"),
            Split("test", test, HELD_OUT, f"{seed}:test")]


def write_yolo_dataset(root: Path | str, train: int = 5000, val: int = 500, test: int = 500,
                       seed: int = 0, size: tuple[int, int] = (640, 360),
                       progress: Progress | None = None) -> Path:
    """Write the dataset under `root`; return its data.yaml. manifest.json beside it counts
    the boxes per class in each split and says which scenes each split was drawn from."""
    root = Path(root)
    parts = splits(train, val, test, seed)
    total, done = train + val + test, 0
    stats: dict[str, dict[str, int]] = {}
    with _one_opencv_thread():
        for split in parts:
            stats[split.name] = dict(_write_split(root, split, size, done, total, progress))
            done += split.frames
    names = "".join(f"  {i}: {name}\n" for i, name in enumerate(CLASSES))
    data_yaml = root / "data.yaml"
    data_yaml.write_text(
        f"path: {root.resolve()}\ntrain: images/train\nval: images/val\ntest: images/test\n"
        f"names:\n{names}")
    (root / "manifest.json").write_text(json.dumps({
        "seed": seed, "size": list(size), "frames_per_scene": FRAMES_PER_SCENE,
        "frames": {s.name: s.frames for s in parts}, "boxes": stats,
        "domains": {"train": asdict(TRAIN), "val": asdict(TRAIN), "test": asdict(HELD_OUT)},
    }, indent=2))
    return data_yaml


def write_clip(directory: Path | str, seconds: float, fps: float, seed: int | str,
               scene: Scene | None = None, incidents: Sequence[Incident] = (),
               size: tuple[int, int] = (640, 360), warm_up_s: float = 20.0) -> dict:
    """Write a clip of one camera and truth.json; return the truth.

    truth.json: {fps, width, height, frames, line: [x1, y1, x2, y2], homography (image ->
    ground metres), crossings: {cls: {in, out}}, crossing_events: [{id, cls, direction, t_s}],
    tracks: [[{id, cls, xyxy}, ...] per frame], incidents: [{kind, track_ids, start_s,
    end_s}]}; times are seconds from the first frame (frame n is at (n - 1) / fps).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    scene = scene or sample_scene(seed)
    width, height = size
    view = StreetView(scene, seed, width, height, incidents, warm_up_s=warm_up_s)
    view.warm_up()
    frames = max(1, round(seconds * fps))
    tracks, crossings = [], []
    caption = f"CAM-{zlib.crc32(str(seed).encode()) % 100:02d}"
    with _one_opencv_thread():
        for n in range(frames):
            if n:
                crossings += view.advance(1 / fps)
            img, boxes = view.frame(caption=caption)
            (directory / f"{n + 1:06d}.jpg").write_bytes(
                view.renderer.encode(img, scene.look.jpeg_quality))
            tracks.append([{"id": b.track_id, "cls": b.cls, "xyxy": [b.x1, b.y1, b.x2, b.y2]}
                           for b in boxes])
    end = view.t_s
    truth = {
        "fps": fps, "width": width, "height": height, "frames": frames,
        "line": list(view.count_line), "homography": view.homography.tolist(),
        "crossings": {cls: view.counts().get(cls, {"in": 0, "out": 0}) for cls in CLASSES},
        "crossing_events": [{"id": c.track_id, "cls": c.cls, "direction": c.direction,
                             "t_s": c.t_s} for c in crossings],
        "tracks": tracks,
        "incidents": [{"kind": i.kind, "track_ids": list(i.track_ids),
                       "start_s": round(i.start_s, 2), "end_s": round(min(i.end_s, end), 2)}
                      for i in view.incidents if i.start_s <= end],
    }
    (directory / "truth.json").write_text(json.dumps(truth))
    return truth
