"""`ioc detect`, `ioc count` and `ioc vision …`: the vision stage's commands.

The core CLI (`ioc/cli.py`) registers them and lends them what a stage may not reach for itself:
the simulators' writers of the training set and of evaluation clips. Heavy imports (ONNX
Runtime, Ultralytics) stay inside the commands, so `ioc config` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, Protocol

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

if TYPE_CHECKING:
    from analytics.vision.detector import Detector
    from ioc.config import Settings

out = Console()
err = Console(stderr=True)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".mjpeg", ".mjpg", ".ts"}


def progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err, transient=False)


def images_in(paths: list[Path]) -> list[Path]:
    """The images named, and those in the folders named (in name order)."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return found


def load_detector(settings: Settings) -> Detector:
    from analytics.vision.detector import DEFAULT_MODEL, Detector, load_class_map

    return Detector(settings.vision_model or DEFAULT_MODEL,
                    load_class_map(settings.vision_class_map), conf=settings.vision_conf)


MODEL_DIR = Path(__file__).with_name("model")
# The committed model's recipe: `make model` runs exactly this.
DATA_SEED = 11
TRAIN_FRAMES, VAL_FRAMES, TEST_FRAMES = 1500, 150, 600
EPOCHS = 30
# The second stage goes on from the first's weights for this many epochs (the learning rate
# starts again): at 30 epochs the first was still improving (val mAP50 0.19, 0.32, 0.36 at
# 10, 20, 30), and two stages fit one session on 2 cores where one long run does not.
EPOCHS_SECOND_STAGE = 15


class DatasetWriter(Protocol):
    def __call__(self, root: Path, *, train: int, val: int, test: int, seed: int,
                 progress: Callable[[int, int], None] | None = None) -> Path:
        """Write a YOLO data set of rendered frames under `root`; return its data.yaml."""


@dataclass(frozen=True)
class VisionCommands:
    settings: Callable[[], Settings]  # the effective settings, or a clean exit naming the fault
    fail: Callable[[str], NoReturn]  # a one-line reason on stderr, and a non-zero exit
    write_dataset: DatasetWriter  # the simulators' renderer
    simulated_views: Callable[[], list]  # the simulated cameras' views (ioc.camera_views)

    def register(self, app: typer.Typer) -> None:
        app.command("detect")(self.detect)
        app.command("count")(self.count)
        vision = typer.Typer(no_args_is_help=True, help="The traffic detector: its data and "
                             "training (`make model`).")
        vision.command("train")(self.train)
        vision.command("views")(self.views)
        app.add_typer(vision, name="vision")

    def count(
        self,
        clip: Annotated[Path, typer.Argument(help="A folder of frames (name order) or a video")],
        line: Annotated[str, typer.Option(help="The counting line X1,Y1,X2,Y2 in pixels; "
                                                "'in' crosses from its left to its right, "
                                                "looking from (X1,Y1) to (X2,Y2)")],
        out_path: Annotated[Path, typer.Option("--out", help='JSON written: {"frames", "fps", '
                                                            '"line", "crossings"}')],
        fps: Annotated[float, typer.Option(
            min=0.1, max=120, help="The clip's frame rate: a folder's frames are taken this many a "
            "second; a video is sampled down to it")] = 5.0,
    ) -> None:
        """Count the vehicles and people whose track crosses the line in a recorded clip, with
        the configured model, tracker and counter."""
        from analytics.vision.detector import ModelError

        settings = self.settings()
        try:
            from analytics.vision.counting import CountLine

            CountLine.parse(line)
            detector = load_detector(settings)
            total, _ = clip_frames(clip, fps)
        except (ModelError, FileNotFoundError, ValueError) as exc:
            self.fail(str(exc))
        with progress() as bar:
            task = bar.add_task("counting", total=total or None)
            result = count_clip(detector, clip, line, fps, on_frame=lambda: bar.advance(task))
        out_path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        summary = ", ".join(f"{cls} in {c['in']} out {c['out']}"
                            for cls, c in result["crossings"].items()) or "no crossings"
        out.print(f"{result['frames']} frames at {fps:g}/s: {summary} -> {out_path}",
                  highlight=False, soft_wrap=True)

    def views(
        self,
        write: Annotated[bool, typer.Option(help="Write ioc/data/camera_views.json")] = False,
    ) -> None:
        """The simulated cameras' count lines, carriageways and ground calibrations, from the
        renderer's camera geometry; --write puts them where the vision worker reads them."""
        from importlib.resources import files

        from ioc.camera_views import VIEWS_FILE, write_views

        views = self.simulated_views()
        for v in views:
            out.print(f"{v.camera_id}  line {v.count_line}", highlight=False)
        if write:
            path = Path(str(files("ioc").joinpath(VIEWS_FILE)))
            write_views(views, path)
            out.print(f"wrote {len(views)} camera views -> {path}", highlight=False)

    def train(
        self,
        out_dir: Annotated[Path, typer.Option("--out", help="Where the model files go")] =
        MODEL_DIR,
        epochs: Annotated[int | None, typer.Option(
            min=1, help=f"Default {EPOCHS}, or {EPOCHS_SECOND_STAGE} with --from")] = None,
        train_frames: Annotated[int, typer.Option(min=8)] = TRAIN_FRAMES,
        val_frames: Annotated[int, typer.Option(min=4)] = VAL_FRAMES,
        test_frames: Annotated[int, typer.Option(min=4)] = TEST_FRAMES,
        seed: Annotated[int, typer.Option(help="Seed of the rendered data set")] = DATA_SEED,
        batch: Annotated[int, typer.Option(min=1)] = 32,
        device: Annotated[str, typer.Option(help="cpu, or a CUDA device such as 0")] = "cpu",
        start_from: Annotated[Path | None, typer.Option(
            "--from", help="Go on from this .pt (a second stage) instead of the config")
        ] = None,
    ) -> None:
        """Render the data set and train the detector from the YOLOv8n config (no pretrained
        weights, fixed seeds), or on from an earlier stage's .pt; write the .pt, the ONNX
        export and the held-out metrics."""
        try:
            from analytics.vision.train import TrainPlan, train
        except ImportError as exc:
            self.fail(f"training needs torch and ultralytics ({exc.name} is missing): run "
                      "`make model`, which installs them in .venv-train")
        epochs = epochs or (EPOCHS_SECOND_STAGE if start_from else EPOCHS)
        settings = self.settings()
        work = settings.data_dir / "vision-training"
        data_root = work / f"data-{seed}-{train_frames}-{val_frames}-{test_frames}"
        yaml_path = data_root / "data.yaml"
        if not yaml_path.exists():
            with progress() as bar:
                task = bar.add_task("rendering the data set",
                                    total=train_frames + val_frames + test_frames)
                yaml_path = self.write_dataset(
                    data_root, train=train_frames, val=val_frames, test=test_frames, seed=seed,
                    progress=lambda done, total: bar.update(task, completed=done, total=total))
        err.print(f"training on {yaml_path} for {epochs} epochs on {device} …", highlight=False)
        result = train(TrainPlan(yaml_path, out_dir, work / "runs", epochs=epochs, batch=batch,
                                 device=device,
                                 start_from=str(start_from) if start_from else None))
        out.print(f"trained in {result.seconds / 60:.1f} min on {result.machine}: held-out test "
                  f"mAP50 {result.test['map50']:.3f} -> {out_dir}", highlight=False)
        out.print("SUMMARY vision-train " + " ".join(
            [f"seconds={result.seconds:.0f}", f"epochs={result.epochs_run}",
             f"test_map50={result.test['map50']}"]
            + [f"test_map50_{c}={m['map50']}" for c, m in result.test["classes"].items()]),
            highlight=False, soft_wrap=True)

    def detect(
        self,
        paths: Annotated[list[Path], typer.Argument(help="Images, or folders of images")],
        out_path: Annotated[Path, typer.Option(
            "--out", help='JSONL written: {"image","width","height","boxes":[{"cls","conf",'
                          '"xyxy"}]} per image')],
        batch: Annotated[int, typer.Option(min=1, max=64, help="Images per model call")] = 8,
    ) -> None:
        """Run the configured vision model on still images (classes person, bicycle, car,
        motorcycle, bus, truck)."""
        import cv2

        from analytics.vision.detector import ModelError

        settings = self.settings()
        try:
            detector = load_detector(settings)
            files = images_in(paths)
        except (ModelError, FileNotFoundError) as exc:
            self.fail(str(exc))
        if not files:
            self.fail("no images found (looked for " + ", ".join(sorted(IMAGE_SUFFIXES)) + ")")
        unreadable = 0
        with out_path.open("w", encoding="utf-8") as sink, progress() as bar:
            task = bar.add_task("detecting", total=len(files))
            for chunk in _chunks(files, batch):
                images, names = [], []
                for f in chunk:
                    img = cv2.imread(str(f), cv2.IMREAD_COLOR)
                    if img is None:
                        unreadable += 1
                        err.print(f"skipped {f}: not an image OpenCV can read", highlight=False)
                        continue
                    images.append(img)
                    names.append(f)
                for f, img, found in zip(names, images, detector.detect(images), strict=True):
                    sink.write(json.dumps({"image": str(f), "width": img.shape[1],
                                           "height": img.shape[0], "boxes": found.boxes()},
                                          ensure_ascii=False) + "\n")
                bar.advance(task, len(chunk))
        done = len(files) - unreadable
        out.print(f"detected on {done} images with {detector.label} -> {out_path}"
                  + (f" ({unreadable} unreadable, skipped)" if unreadable else ""),
                  highlight=False, soft_wrap=True)


def clip_frames(clip: Path, fps: float) -> tuple[int, Iterator]:
    """(how many frames will come, the frames): a folder's images in name order, each one
    1/fps apart; a video's frames sampled down to `fps` from its own rate."""
    import cv2

    if clip.is_dir():
        files = images_in([clip])
        if not files:
            raise FileNotFoundError(f"{clip}: no images in it (looked for "
                                    + ", ".join(sorted(IMAGE_SUFFIXES)) + ")")

        def from_folder():
            for f in files:
                img = cv2.imread(str(f), cv2.IMREAD_COLOR)
                if img is None:
                    err.print(f"skipped {f}: not an image OpenCV can read", highlight=False)
                    continue
                yield img
        return len(files), from_folder()
    if not clip.is_file():
        raise FileNotFoundError(f"{clip}: no such clip (a folder of frames or a video file)")
    video = cv2.VideoCapture(str(clip))
    if not video.isOpened():
        raise FileNotFoundError(f"{clip}: OpenCV cannot open it as a video")
    own = video.get(cv2.CAP_PROP_FPS) or fps
    total = int(video.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    step = max(1.0, own / fps)

    def from_video():
        index, next_kept = 0, 0.0
        while True:
            ok, img = video.read()
            if not ok:
                break
            if index >= next_kept - 1e-6:
                next_kept += step
                yield img
            index += 1
        video.release()
    return int(total / step) if total else 0, from_video()


def detected_frames(detector: Detector, images: Iterator, fps: float, batch: int = 8,
                    on_frame: Callable[[], None] | None = None) -> Iterator:
    """The clip's frames as the tracker takes them: frame k at k / fps seconds, with the
    detector's boxes, run `batch` frames at a time."""
    import numpy as np

    from analytics.vision.tracking import Frame

    n = 0
    for chunk in _chunks_of(images, batch):
        for found in detector.detect(chunk):
            yield Frame(n / fps, found.xyxy, found.conf, np.asarray(found.cls))
            n += 1
            if on_frame:
                on_frame()


def count_clip(detector: Detector, clip: Path, line: str, fps: float, batch: int = 8,
               on_frame: Callable[[], None] | None = None) -> dict:
    """What `ioc count` writes: the clip's crossings of `line` per class and direction."""
    from analytics.vision.compare import count_ours
    from analytics.vision.counting import CountLine

    count_line = CountLine.parse(line)
    _, images = clip_frames(clip, fps)
    seen = [0]

    def frame_done() -> None:
        seen[0] += 1
        if on_frame:
            on_frame()

    counts = count_ours(detected_frames(detector, images, fps, batch, frame_done), count_line,
                        fps)
    crossings = {cls: {"in": c["in"], "out": c["out"]} for cls, c in sorted(counts.items())}
    return {"frames": seen[0], "fps": fps, "line": [count_line.x1, count_line.y1,
                                                     count_line.x2, count_line.y2],
            "crossings": crossings}


def _chunks_of(items: Iterator, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
