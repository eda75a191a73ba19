"""Road users as the whole product names, groups and draws them: the six classes of DESIGN's
vision interface, the groups a traffic engineer reads counts in, and how a frame is annotated
(the camera wall's frames and an incident's evidence alike)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import cv2
import numpy as np

from ioc.camera_views import CameraView

CLASSES = ("person", "bicycle", "car", "motorcycle", "bus", "truck")
GROUPS: dict[str, tuple[str, ...]] = {
    "two_wheelers": ("bicycle", "motorcycle"),
    "cars": ("car",),
    "heavy": ("bus", "truck"),
    "people": ("person",),
}
# One colour per group (RGB), for the boxes on frames and the dashboard's legends alike.
GROUP_RGB = {"two_wheelers": (60, 200, 255), "cars": (90, 220, 90), "heavy": (255, 160, 40),
             "people": (255, 110, 230)}
OTHER_RGB = (210, 210, 210)
LINE_BGR = (0, 230, 255)
EVIDENCE_BGR = (0, 0, 255)
LABELLED_FROM = 0.08  # boxes at least this share of the frame's height get a label


class Box(Protocol):
    cls: str
    conf: float
    xyxy: tuple[float, float, float, float]


def group_of(cls: str) -> str | None:
    return next((g for g, members in GROUPS.items() if cls in members), None)


def hex_colour(group: str) -> str:
    return "#{:02x}{:02x}{:02x}".format(*GROUP_RGB[group])


def _bgr(cls: str) -> tuple[int, int, int]:
    r, g, b = GROUP_RGB.get(group_of(cls) or "", OTHER_RGB)
    return b, g, r


def _label(img: np.ndarray, text: str, x: int, y: int, colour, scale: float) -> None:
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    top = max(0, y - h - base - 2)
    cv2.rectangle(img, (x, top), (x + w + 4, top + h + base + 2), colour, -1)
    cv2.putText(img, text, (x + 2, top + h + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1,
                cv2.LINE_AA)


def _count_line(img: np.ndarray, view: CameraView, scale: float) -> None:
    """The count line, with an arrow to its "in" side (right of the line, looking from its
    first point to its second)."""
    height, width = img.shape[:2]
    sx, sy = width / view.width, height / view.height
    x1, y1, x2, y2 = view.count_line
    a, b = np.array([x1 * sx, y1 * sy]), np.array([x2 * sx, y2 * sy])
    cv2.line(img, tuple(a.round().astype(int)), tuple(b.round().astype(int)), LINE_BGR, 2,
             cv2.LINE_AA)
    d = b - a
    if np.hypot(*d) > 0:
        # y grows downwards in an image, so the right-hand normal of (dx, dy) is (-dy, dx).
        normal = np.array([-d[1], d[0]]) / np.hypot(*d)
        mid = (a + b) / 2
        tip = mid + normal * max(18.0, width / 30)
        cv2.arrowedLine(img, tuple(mid.round().astype(int)), tuple(tip.round().astype(int)),
                        LINE_BGR, 2, cv2.LINE_AA, tipLength=0.35)
        _label(img, "in", int(tip[0]) + 3, int(tip[1]) + 6, LINE_BGR, scale)


def draw(image: np.ndarray, boxes: Iterable[Box], view: CameraView | None = None,
         evidence: Iterable[tuple[float, float, float, float]] = (),
         caption: str = "") -> np.ndarray:
    """A copy of the frame with its boxes in their group's colour (class and score on the
    nearer ones), the count line if the view has one, an incident's own boxes thick and red,
    and a caption along the bottom."""
    img = image.copy()
    height, width = img.shape[:2]
    scale = max(0.33, width / 1900)
    if view is not None and view.count_line is not None:
        _count_line(img, view, scale)
    for box in boxes:
        x1, y1, x2, y2 = (int(round(v)) for v in box.xyxy)
        colour = _bgr(box.cls)
        cv2.rectangle(img, (x1, y1), (x2, y2), colour, 2 if width >= 960 else 1)
        if y2 - y1 >= height * LABELLED_FROM:  # far-off road users: the colour says the class
            _label(img, f"{box.cls} {box.conf:.2f}", x1, y1, colour, scale)
    for xyxy in evidence:
        x1, y1, x2, y2 = (int(round(v)) for v in xyxy)
        cv2.rectangle(img, (x1 - 2, y1 - 2), (x2 + 2, y2 + 2), EVIDENCE_BGR, 3)
    if caption:
        cv2.rectangle(img, (0, height - 22), (width, height), (0, 0, 0), -1)
        cv2.putText(img, caption, (6, height - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return img


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes | None:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buf.tobytes() if ok else None
