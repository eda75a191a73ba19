"""The detector at run time: an Ultralytics YOLO model exported to ONNX, run by ONNX Runtime.

No torch here. The model file is any Ultralytics detection export (`yolo export format=onnx`),
given by path; its class names come from the file's metadata and a class map turns them into the
city's classes (a COCO model's `motorcycle` is ours, its `dog` is dropped). Frames from many
cameras go through one `detect` call as one batch.

Two output layouts are read: the classic one, `[batch, 4 + classes, anchors]` with centre boxes
and per-class scores, which needs non-maximum suppression; and the end-to-end one (YOLO26,
`[batch, detections, 6]` of corner box, score and class), which does not.
"""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ioc import road_users

CLASSES = road_users.CLASSES  # DESIGN's names, in the model's id order
DEFAULT_MODEL = Path(__file__).with_name("model") / "traffic-yolo.onnx"


class ModelError(RuntimeError):
    """The model file is missing or is not what the detector can run; says which and why."""


@dataclass(frozen=True)
class FrameDetections:
    """One frame's boxes in its own pixels: corners [N, 4], scores [N], city class ids [N]."""

    xyxy: np.ndarray
    conf: np.ndarray
    cls: np.ndarray

    def __len__(self) -> int:
        return len(self.conf)

    def boxes(self) -> list[dict]:
        """As `ioc detect` writes them: class name, score, corners."""
        return [{"cls": CLASSES[c], "conf": round(float(s), 4),
                 "xyxy": [round(float(v), 1) for v in b]}
                for b, s, c in zip(self.xyxy, self.conf, self.cls, strict=True)]


EMPTY = FrameDetections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                        np.zeros(0, np.int64))


def load_class_map(path: Path | str | None) -> dict[str, str] | None:
    """A JSON object of model class name -> city class name; None keeps names that match ours."""
    if path is None:
        return None
    try:
        mapping = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"class map {path}: {exc}") from exc
    bad = {v for v in mapping.values() if v not in CLASSES}
    if not isinstance(mapping, dict) or bad:
        raise ModelError(f"class map {path}: values must be among {', '.join(CLASSES)}; "
                         f"got {sorted(bad)}")
    return mapping


class Detector:
    def __init__(self, model: Path | str = DEFAULT_MODEL, class_map: dict[str, str] | None = None,
                 conf: float = 0.3, iou: float = 0.5, threads: int | None = None) -> None:
        import onnxruntime as ort  # imported here so the rest of the stage loads without it

        self.path = Path(model)
        if self.path.suffix == ".pt":
            raise ModelError(
                f"{self.path}: an Ultralytics .pt file needs torch, which the vision worker does "
                "not load; export it once with `yolo export model=%s format=onnx dynamic=True` "
                "and give the .onnx file" % self.path)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: no such model file (expected an Ultralytics YOLO "
                             "detection model exported to ONNX)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or max(1, (os.cpu_count() or 2))
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(self.path), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"{self.path}: ONNX Runtime cannot load it ({exc})") from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("task", "detect") != "detect":
            raise ModelError(f"{self.path}: a '{meta['task']}' model; expected a detection model")
        try:
            names = ast.literal_eval(meta["names"])  # "{0: 'person', 1: 'bicycle', ...}"
        except (KeyError, ValueError, SyntaxError) as exc:
            raise ModelError(f"{self.path}: no class names in its metadata; expected an "
                             "Ultralytics export (yolo export format=onnx)") from exc
        self.names = [names[i] for i in sorted(names)]
        mapping = class_map if class_map is not None else {n: n for n in CLASSES}
        # Model class id -> city class id, or -1 for classes the city does not count.
        self.to_city = np.array([CLASSES.index(mapping[n]) if n in mapping else -1
                                 for n in self.names], np.int64)
        if (self.to_city < 0).all():
            raise ModelError(f"{self.path}: none of its classes ({', '.join(self.names[:8])} …) "
                             f"maps to {', '.join(CLASSES)}; give a class map")
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        h, w = inp.shape[2], inp.shape[3]
        # A dynamic-size export runs each frame at its own aspect (640×360 at 320 px wide is
        # 320×192: 40 % fewer pixels than the square); a fixed one at its size.
        self.dynamic = not (isinstance(h, int) and isinstance(w, int))
        if self.dynamic:
            size = ast.literal_eval(meta.get("imgsz", "[320, 320]"))
            h, w = size if isinstance(size, list | tuple) else (size, size)
        self.size = (int(h), int(w))
        self.stride = int(meta.get("stride", 32))
        self.fixed_batch = inp.shape[0] if isinstance(inp.shape[0], int) else None
        self.conf, self.iou = conf, iou
        self.label = f"{self.path.stem}@{self.size[1]}x{self.size[0]}"

    # -- pre and post ------------------------------------------------------------------------

    def input_size(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """The model input (height, width) an image of this shape is letterboxed to."""
        if not self.dynamic:
            return self.size
        h, w = shape[:2]
        r = min(self.size[0] / h, self.size[1] / w)
        s = self.stride
        return -(-round(h * r) // s) * s, -(-round(w * r) // s) * s

    def reduction(self, width: int, height: int) -> int:
        """How many times smaller (1, 2, 4 or 8) a frame of this size may be decoded and still
        be no smaller than the model's input: libjpeg scales while it decodes, for a fraction
        of a full decode and the resize after it (640×360 for a 320-px model: by 2)."""
        th, tw = self.input_size((height, width))
        ratio = min(th / height, tw / width)
        return next((f for f in (8, 4, 2) if f * ratio <= 1), 1)

    def _letterbox(self, img: np.ndarray) -> tuple[np.ndarray, float, tuple[float, float]]:
        h, w = img.shape[:2]
        th, tw = self.input_size(img.shape)
        r = min(th / h, tw / w)
        nh, nw = round(h * r), round(w * r)
        canvas = np.full((th, tw, 3), 114, np.uint8)
        top, left = (th - nh) // 2, (tw - nw) // 2
        canvas[top:top + nh, left:left + nw] = img if (nh, nw) == (h, w) else cv2.resize(
            img, (nw, nh), interpolation=cv2.INTER_AREA)
        return canvas, r, (left, top)

    @staticmethod
    def _blob(canvases: list[np.ndarray]) -> np.ndarray:
        """BGR images as the model's input: RGB, NCHW, float32 in [0, 1], in one OpenCV call."""
        return cv2.dnn.blobFromImages(canvases, scalefactor=1 / 255, swapRB=True)

    def _boxes(self, out: np.ndarray, r: float, pad: tuple[float, float],
               shape: tuple[int, int], scale: int = 1) -> FrameDetections:
        if out.ndim == 2 and out.shape[1] == 6 and out.shape[0] != 4 + len(self.names):
            xyxy, conf, cls = out[:, :4], out[:, 4], out[:, 5].astype(np.int64)
            keep = conf >= self.conf
            xyxy, conf, cls = xyxy[keep], conf[keep], cls[keep]
        else:
            pred = out.T  # [anchors, 4 + classes]
            scores = pred[:, 4:]
            cls = scores.argmax(1)
            conf = scores[np.arange(len(cls)), cls]
            keep = conf >= self.conf
            pred, cls, conf = pred[keep], cls[keep], conf[keep]
            cx, cy, bw, bh = pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]
            xyxy = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
            if len(conf):
                # Class-aware NMS in one call: offset each class's boxes far apart.
                offset = cls[:, None] * 4096.0
                shifted = xyxy + offset
                rects = np.column_stack([shifted[:, :2], shifted[:, 2:] - shifted[:, :2]])
                idx = cv2.dnn.NMSBoxes(rects.tolist(), conf.tolist(), self.conf, self.iou)
                idx = np.asarray(idx, np.int64).reshape(-1)
                xyxy, conf, cls = xyxy[idx], conf[idx], cls[idx]
        city = self.to_city[cls] if len(cls) else cls
        keep = city >= 0
        xyxy = (xyxy[keep] - [pad[0], pad[1], pad[0], pad[1]]) * (scale / r)
        h, w = shape[0] * scale, shape[1] * scale
        xyxy = np.clip(xyxy, 0, [w, h, w, h]).astype(np.float32)
        return FrameDetections(xyxy, conf[keep].astype(np.float32), city[keep])

    # -- the call ----------------------------------------------------------------------------

    def detect(self, images: list[np.ndarray],
               scales: list[int] | None = None) -> list[FrameDetections]:
        """Boxes for each BGR image, all of them in one batch (or in chunks the model accepts).
        `scales`: how many times smaller than its frame each image was decoded (`reduction`);
        boxes are in the frame's pixels."""
        results: list[FrameDetections | None] = [None] * len(images)
        by_size: dict[tuple[int, int], list[int]] = {}
        for i, img in enumerate(images):  # one batch per input size (cameras of one size: one)
            by_size.setdefault(self.input_size(img.shape), []).append(i)
        for indices in by_size.values():
            chunk = self.fixed_batch or len(indices)
            for start in range(0, len(indices), chunk):
                part = indices[start:start + chunk]
                prepared = [self._letterbox(images[i]) for i in part]
                canvases = [p[0] for p in prepared]
                canvases += canvases[-1:] * (chunk - len(part))  # a fixed-batch model: pad
                out = self.session.run(None, {self.input_name: self._blob(canvases)})[0]
                for k, (i, (_, r, pad)) in enumerate(zip(part, prepared, strict=True)):
                    results[i] = self._boxes(out[k], r, pad, images[i].shape[:2],
                                             scales[i] if scales else 1)
        return results  # type: ignore[return-value]

    def raw(self, batch: np.ndarray) -> np.ndarray:
        """The model alone on a prepared batch: what `ioc bench vision` compares against."""
        return self.session.run(None, {self.input_name: batch})[0]

    def prepare(self, images: list[np.ndarray]) -> np.ndarray:
        """Images of one size as the model's input batch."""
        return self._blob([self._letterbox(img)[0] for img in images])


_DECODE_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2,
                 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def decode_jpeg(data: bytes, max_bytes: int = 1_000_000, reduce: int = 1) -> np.ndarray:
    """A JPEG's pixels (`reduce` times smaller on each side, rounded up: 1, 2, 4 or 8), or
    ValueError saying what is wrong with it (too big, corrupt, cut short)."""
    if len(data) > max_bytes:
        raise ValueError(f"frame of {len(data):,} bytes is over the {max_bytes:,}-byte limit")
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG (no FF D8 start marker)")
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ValueError("JPEG cut short (no FF D9 end marker)")
    img = cv2.imdecode(np.frombuffer(data, np.uint8), _DECODE_FLAGS[reduce])
    if img is None:
        raise ValueError("corrupt JPEG: OpenCV could not decode it")
    return img
