"""Draws synthetic traffic-camera frames: a street seen from the side, road users, exact boxes.

The one module that draws. It knows nothing of time or traffic: give it actors (class, row,
position, size, colours) and a daylight level, get back the image and a tight box per actor.
Every shape of an actor stays inside its box and touches each of its edges, so the boxes are
exact ground truth for training and for checking the vision stage.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal, NamedTuple

import cv2
import numpy as np

CLASSES = ("person", "bicycle", "car", "motorcycle", "bus", "truck")
BGR = tuple[int, int, int]

# (length, height) in pixels at row scale 1.0 on a 360-pixel-high frame (about 24 px per metre).
BASE_SIZE: dict[str, tuple[float, float]] = {
    "person": (14, 42), "bicycle": (40, 42), "motorcycle": (46, 40),
    "car": (106, 38), "bus": (240, 76), "truck": (180, 72),
}


class GroundTruth(NamedTuple):
    cls: str
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class Row:
    """A line road users travel along: a sidewalk or a lane; far rows are higher and smaller."""

    kind: Literal["walk", "moto", "mixed"]
    direction: int  # +1: moving right, -1: moving left
    base_y: int  # where wheels and feet touch the ground
    scale: float


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    rows: tuple[Row, ...]
    road_top: int
    road_bottom: int
    skyline: int  # bottom of the buildings, top of the far sidewalk

    @classmethod
    def for_size(cls, width: int = 640, height: int = 360) -> Layout:
        k = height / 360  # designed at 360 px high; everything vertical scales with it
        spec = [("walk", -1, 121, .70), ("walk", 1, 126, .72), ("moto", -1, 152, .78),
                ("moto", -1, 168, .80), ("mixed", -1, 208, .86), ("mixed", 1, 252, .94),
                ("moto", 1, 282, 1.0), ("moto", 1, 298, 1.02), ("walk", -1, 340, 1.10),
                ("walk", 1, 352, 1.12)]
        rows = tuple(Row(kind, d, round(y * k), s * k) for kind, d, y, s in spec)
        return cls(width, height, rows, round(128 * k), round(312 * k), round(100 * k))

    def footprint(self, cls: str, size: float, row: int) -> tuple[float, float]:
        length, height = BASE_SIZE[cls]
        s = size * self.rows[row].scale
        return length * s, height * s


@dataclass(frozen=True)
class Actor:
    cls: str
    row: int
    x: float  # centre, pixels
    size: float = 1.0  # variation around the class's base size
    colour: BGR = (180, 180, 180)
    accent: BGR = (40, 40, 40)  # helmet, cargo box, stripe
    style: int = 0  # random bits for details: a passenger, a conical hat, a roof sign
    facing: int = 1  # +1 faces right; a wrong-way rider faces against the row
    step: float = 0.0  # walking / pedalling phase, 0..1

    def box(self, layout: Layout) -> tuple[int, int, int, int]:
        length, height = layout.footprint(self.cls, self.size, self.row)
        y2 = layout.rows[self.row].base_y
        x1 = round(self.x - length / 2)
        return x1, round(y2 - height), x1 + max(2, round(length)), y2


class _Mapper:
    """Maps actor-relative (u, v) to pixels: u 0 = back, 1 = front; v 0 = top, 1 = bottom."""

    def __init__(self, box: tuple[int, int, int, int], facing: int) -> None:
        self.x1, self.y1, self.x2, self.y2 = box
        self.w, self.h = self.x2 - self.x1, self.y2 - self.y1
        self.facing = facing

    def p(self, u: float, v: float) -> tuple[int, int]:
        x = self.x1 + u * self.w if self.facing > 0 else self.x2 - u * self.w
        return round(x), round(self.y1 + v * self.h)

    def poly(self, *uv: tuple[float, float]) -> np.ndarray:
        return np.array([self.p(u, v) for u, v in uv], np.int32)


def _shade(colour: BGR, light: float) -> BGR:
    return tuple(int(c * light) for c in colour)  # type: ignore[return-value]


def _wheel(img: np.ndarray, centre: tuple[int, int], r: int, light: float, ring: bool = False):
    if ring:  # a bicycle wheel: thin tyre, spokes suggested by the hub
        cv2.circle(img, centre, max(1, r - 1), _shade((30, 30, 30), light), max(1, r // 6))
    else:
        cv2.circle(img, centre, r, _shade((25, 25, 25), light), -1)
        cv2.circle(img, centre, max(1, r // 2), _shade((140, 140, 140), light), -1)


def _rider(img, m: _Mapper, hip_u: float, light: float, helmet: BGR, shirt: BGR, hat: bool,
           hands_u: float) -> None:
    """Seated rider whose head touches the top of the box."""
    t = max(2, round(m.h * 0.10))
    head_r = max(2, round(m.h * 0.11))
    head = m.p(hip_u + 0.1, 0.0)
    head = (head[0], m.y1 + head_r)
    shoulder = m.p(hip_u + 0.08, 0.3)
    hip = m.p(hip_u, 0.58)
    cv2.line(img, hip, shoulder, _shade(shirt, light), t + 1)
    cv2.line(img, shoulder, m.p(hands_u, 0.42), _shade(shirt, light), max(1, t - 1))
    cv2.line(img, hip, m.p(hip_u + 0.12, 0.72), _shade((60, 50, 40), light), t)
    if hat:  # nón lá: a conical hat, its tip on the box's top edge
        cx = head[0]
        cv2.fillConvexPoly(img, np.array([(cx, m.y1), (cx - 2 * head_r, m.y1 + 2 * head_r),
                                          (cx + 2 * head_r, m.y1 + 2 * head_r)], np.int32),
                           _shade((150, 205, 225), light))
    else:
        cv2.circle(img, head, head_r, _shade(helmet, light), -1)


def _draw_person(img, m: _Mapper, a: Actor, light: float) -> None:
    t = max(1, round(m.w * 0.2))
    head_r = max(2, round(m.h * 0.09))
    top = (m.p(0.5, 0)[0], m.y1 + head_r)
    # Legs scissor as the person walks; thick lines overhang their ends, so stop short by t/2.
    swing = (0.5 - t / (2 * max(1, m.w))) * abs(2 * a.step - 1)
    foot_v = 1 - t / (2 * max(1, m.h))
    hip = m.p(0.5, 0.55)
    cv2.line(img, hip, m.p(0.5 - swing, foot_v), _shade((70, 60, 50), light), t)
    cv2.line(img, hip, m.p(0.5 + swing, foot_v), _shade((70, 60, 50), light), t)
    cv2.rectangle(img, m.p(0, 0.2), m.p(1, 0.58), _shade(a.colour, light), -1)
    if a.style & 1:
        cv2.fillConvexPoly(img, np.array([(top[0], m.y1), (m.x1, m.y1 + 2 * head_r),
                                          (m.x2, m.y1 + 2 * head_r)], np.int32),
                           _shade((150, 205, 225), light))
    else:
        cv2.circle(img, top, head_r, _shade((80, 100, 130), light), -1)


def _draw_bicycle(img, m: _Mapper, a: Actor, light: float) -> None:
    r = round(m.h * 0.24)
    back, front = m.p(0, 1), m.p(1, 1)
    rear_c = (back[0] + r if m.facing > 0 else back[0] - r, m.y2 - r)
    front_c = (front[0] - r if m.facing > 0 else front[0] + r, m.y2 - r)
    _wheel(img, rear_c, r, light, ring=True)
    _wheel(img, front_c, r, light, ring=True)
    frame = _shade(a.colour, light)
    t = max(1, round(m.h * 0.05))
    saddle, bars = m.p(0.38, 0.52), m.p(0.78, 0.45)
    for p, q in ((rear_c, saddle), (saddle, m.p(0.5, 0.78)), (m.p(0.5, 0.78), rear_c),
                 (saddle, bars), (bars, front_c), (m.p(0.5, 0.78), bars)):
        cv2.line(img, p, q, frame, t)
    _rider(img, m, 0.36, light, a.accent, (90, 120, 160), hat=bool(a.style & 1), hands_u=0.76)


def _draw_motorcycle(img, m: _Mapper, a: Actor, light: float) -> None:
    r = round(m.h * 0.2)
    back, front = m.p(0, 1), m.p(1, 1)
    rear_c = (back[0] + r if m.facing > 0 else back[0] - r, m.y2 - r)
    front_c = (front[0] - r if m.facing > 0 else front[0] + r, m.y2 - r)
    _wheel(img, rear_c, r, light)
    _wheel(img, front_c, r, light)
    body = _shade(a.colour, light)
    cv2.fillConvexPoly(img, m.poly((0.12, 0.62), (0.5, 0.58), (0.86, 0.5), (0.9, 0.62),
                                   (0.72, 0.8), (0.25, 0.8)), body)
    cv2.line(img, m.p(0.82, 0.48), front_c, _shade((60, 60, 60), light), max(1, r // 3))
    if a.style & 2:  # a passenger behind: two on a bike is the norm
        _rider(img, m, 0.2, light, (200, 200, 60), (120, 90, 150), False, 0.4)
    _rider(img, m, 0.38, light, a.accent, (150, 110, 70), hat=False, hands_u=0.84)
    if light < 0.6:
        cv2.circle(img, m.p(0.9, 0.5), max(1, r // 2), (200, 255, 255), -1)


def _draw_car(img, m: _Mapper, a: Actor, light: float) -> None:
    r = round(m.h * 0.22)
    body = _shade(a.colour, light)
    cv2.fillConvexPoly(img, m.poly((0, 0.45), (1, 0.5), (1, 0.85), (0, 0.85)), body)
    cv2.fillConvexPoly(img, m.poly((0.2, 0.45), (0.3, 0), (0.66, 0), (0.8, 0.45)), body)
    glass = _shade((110, 90, 70), light)
    cv2.fillConvexPoly(img, m.poly((0.25, 0.42), (0.32, 0.1), (0.47, 0.1), (0.47, 0.42)), glass)
    cv2.fillConvexPoly(img, m.poly((0.5, 0.42), (0.5, 0.1), (0.64, 0.1), (0.75, 0.42)), glass)
    for u in (0.2, 0.8):
        c = m.p(u, 1)
        _wheel(img, (c[0], m.y2 - r), r, light)
    front_light = (200, 255, 255) if light < 0.6 else (170, 220, 230)
    cv2.rectangle(img, m.p(0.96, 0.52), m.p(1, 0.62), front_light, -1)
    cv2.rectangle(img, m.p(0, 0.5), m.p(0.03, 0.62), (40, 40, 220), -1)
    if a.style & 4:  # taxi sign on the roof
        cv2.rectangle(img, m.p(0.42, 0), m.p(0.54, 0.08), _shade(a.accent, light), -1)


def _draw_bus(img, m: _Mapper, a: Actor, light: float) -> None:
    r = round(m.h * 0.12)
    cv2.rectangle(img, m.p(0, 0), m.p(1, 0.9), _shade(a.colour, light), -1)
    cv2.rectangle(img, m.p(0, 0.62), m.p(1, 0.7), _shade(a.accent, light), -1)
    window = (120, 200, 230) if light < 0.5 else _shade((100, 80, 60), light)
    cv2.rectangle(img, m.p(0.04, 0.12), m.p(0.83, 0.45), window, -1)
    for u in np.linspace(0.04, 0.83, 7)[1:-1]:
        cv2.line(img, m.p(float(u), 0.12), m.p(float(u), 0.45), _shade(a.colour, light), 2)
    cv2.fillConvexPoly(img, m.poly((0.87, 0.1), (0.99, 0.14), (0.99, 0.45), (0.87, 0.45)),
                       _shade((90, 70, 50), light))
    cv2.rectangle(img, m.p(0.86, 0.5), m.p(0.93, 0.88), _shade((70, 70, 70), light), -1)
    for u in (0.15, 0.75):
        c = m.p(u, 1)
        _wheel(img, (c[0], m.y2 - r), r, light)


def _draw_truck(img, m: _Mapper, a: Actor, light: float) -> None:
    r = round(m.h * 0.13)
    cv2.rectangle(img, m.p(0, 0.05), m.p(0.72, 0.85), _shade(a.accent, light), -1)
    cv2.line(img, m.p(0.0, 0.45), m.p(0.72, 0.45), _shade((60, 60, 60), light), 1)
    cv2.fillConvexPoly(img, m.poly((0.74, 0), (0.93, 0), (1, 0.35), (1, 0.88), (0.74, 0.88)),
                       _shade(a.colour, light))
    cv2.fillConvexPoly(img, m.poly((0.8, 0.06), (0.92, 0.06), (0.97, 0.33), (0.8, 0.33)),
                       _shade((100, 80, 60), light))
    for u in (0.1, 0.24, 0.86):
        c = m.p(u, 1)
        _wheel(img, (c[0], m.y2 - r), r, light)
    if light < 0.6:
        cv2.rectangle(img, m.p(0.97, 0.55), m.p(1, 0.65), (200, 255, 255), -1)


_DRAW = {"person": _draw_person, "bicycle": _draw_bicycle, "motorcycle": _draw_motorcycle,
         "car": _draw_car, "bus": _draw_bus, "truck": _draw_truck}


def draw_background(layout: Layout, rng: random.Random, night: bool) -> np.ndarray:
    """The static street: sky, shophouses, trees, sidewalks, asphalt, lane markings.

    Day and night are drawn from equal generators and draw the same numbers in the same order,
    so they show the same street and blend cleanly at dusk.
    """
    w, h = layout.width, layout.height
    dim = 0.35 if night else 1.0
    img = np.empty((h, w, 3), np.uint8)
    sky = ((40, 20, 15), (70, 45, 35)) if night else ((225, 190, 150), (235, 225, 210))
    for y in range(layout.skyline):
        t = y / max(1, layout.skyline)
        img[y] = [round(a + (b - a) * t) for a, b in zip(*sky, strict=True)]
    x = -rng.randint(0, 30)
    while x < w:  # nhà ống: narrow tall shophouses with a sign board
        bw = rng.randint(45, 90)
        top = rng.randint(10, layout.skyline - 40)
        colour = rng.choice([(170, 210, 235), (200, 220, 200), (190, 200, 230), (220, 220, 225),
                             (160, 190, 220), (215, 200, 175)])
        cv2.rectangle(img, (x, top), (x + bw - 2, layout.skyline), _shade(colour, dim), -1)
        for wy in range(top + 8, layout.skyline - 25, 18):
            for wx in range(x + 6, x + bw - 14, 16):
                lit = rng.random() < 0.45 and night
                win = (120, 220, 250) if lit else _shade((110, 100, 90), dim)
                cv2.rectangle(img, (wx, wy), (wx + 8, wy + 10), win, -1)
        sign = rng.choice([(40, 40, 200), (200, 120, 30), (40, 160, 40), (30, 200, 230)])
        cv2.rectangle(img, (x + 3, layout.skyline - 22), (x + bw - 5, layout.skyline - 12),
                      _shade(sign, 0.5 if night else 1.0), -1)
        x += bw
    # Far sidewalk, road, near sidewalk.
    img[layout.skyline:layout.road_top] = _shade((170, 180, 190), dim)
    img[layout.road_bottom:] = _shade((170, 180, 190), dim)
    for y0 in (layout.skyline, layout.road_bottom):
        for xx in range(0, w, 24):
            cv2.line(img, (xx, y0), (xx, y0 + 6), _shade((140, 150, 160), dim), 1)
    road_h = layout.road_bottom - layout.road_top
    asphalt = 95 * (0.4 if night else 1.0) + np.random.default_rng(rng.getrandbits(32)).normal(
        0, 7, (road_h, w))
    img[layout.road_top:layout.road_bottom] = np.clip(asphalt, 0, 255).astype(np.uint8)[..., None]
    white = (120, 120, 120) if night else (230, 230, 230)
    yellow = (20, 100, 120) if night else (40, 200, 230)
    cv2.line(img, (0, layout.road_top + 2), (w, layout.road_top + 2), white, 2)
    cv2.line(img, (0, layout.road_bottom - 3), (w, layout.road_bottom - 3), white, 2)
    centre = (layout.rows[4].base_y + layout.rows[5].base_y) // 2 - round(layout.height * 0.03)
    cv2.line(img, (0, centre - 2), (w, centre - 2), yellow, 2)
    cv2.line(img, (0, centre + 2), (w, centre + 2), yellow, 2)
    for y in ((layout.rows[3].base_y + layout.rows[4].base_y) // 2 - 8,
              (layout.rows[5].base_y + layout.rows[6].base_y) // 2 - 6):
        for xx in range(-rng.randint(0, 40), w, 60):
            cv2.line(img, (xx, y), (xx + 30, y), white, 2)
    # Trees and a power pole with its tangle of wires, on the far sidewalk.
    for _ in range(rng.randint(2, 4)):
        tx = rng.randint(0, w)
        trunk = _shade((40, 70, 100), dim)
        cv2.line(img, (tx, layout.road_top - 4), (tx, layout.skyline - 25), trunk, 4)
        for _ in range(5):
            leaf = (tx + rng.randint(-22, 22), layout.skyline - 30 + rng.randint(-18, 12))
            cv2.circle(img, leaf, rng.randint(12, 20), _shade((60, 130, 70), dim), -1)
    pole = rng.randint(w // 4, 3 * w // 4)
    cv2.line(img, (pole, layout.road_top - 2), (pole, 4), _shade((150, 150, 150), dim), 4)
    for k in range(4):
        cv2.line(img, (0, 12 + 6 * k + rng.randint(0, 8)), (pole, 8 + 5 * k), (30, 30, 30), 1)
        cv2.line(img, (pole, 8 + 5 * k), (w, 14 + 6 * k + rng.randint(0, 8)), (30, 30, 30), 1)
    return img


class SceneRenderer:
    """One camera's street: its background drawn once, then frames on top of it."""

    def __init__(self, seed: str | int, width: int = 640, height: int = 360,
                 jpeg_quality: int = 70) -> None:
        self.layout = Layout.for_size(width, height)
        self.jpeg_quality = jpeg_quality
        # Same rng seed for day and night, so the street is the same street in both.
        self._day = draw_background(self.layout, random.Random(f"{seed}:street"), night=False)
        self._night = draw_background(self.layout, random.Random(f"{seed}:street"), night=True)
        self._lit: dict[int, np.ndarray] = {}

    def _background(self, daylight: float) -> np.ndarray:
        level = round(max(0.0, min(1.0, daylight)) * 16)  # 17 cached blends cover dusk and dawn
        if level not in self._lit:
            a = level / 16
            self._lit[level] = cv2.addWeighted(self._day, a, self._night, 1 - a, 0)
        return self._lit[level].copy()

    def render(self, actors: list[Actor], daylight: float, caption: str = ""
               ) -> tuple[np.ndarray, list[GroundTruth]]:
        """Draw far rows first so nearer road users occlude them; return image and boxes."""
        img = self._background(daylight)
        light = 0.35 + 0.65 * max(0.0, min(1.0, daylight))
        w, h = self.layout.width, self.layout.height
        truth = []
        for a in sorted(actors, key=lambda a: (self.layout.rows[a.row].base_y, a.x)):
            box = a.box(self.layout)
            if box[2] <= 0 or box[0] >= w:
                continue
            _DRAW[a.cls](img, _Mapper(box, a.facing), a, light)
            x1, y1, x2, y2 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
            if x2 - x1 >= 4 and y2 - y1 >= 4:  # a sliver at the frame edge is no object
                truth.append(GroundTruth(a.cls, x1, y1, x2, y2))
        if caption:
            # An on-screen display as real CCTV cameras burn in: white on a dark band.
            (tw, th), _ = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
            cv2.rectangle(img, (4, 4), (12 + tw, 10 + th), (20, 20, 20), -1)
            cv2.putText(img, caption, (8, 7 + th), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255),
                        1, cv2.LINE_AA)
        return img, truth

    def render_jpeg(self, actors: list[Actor], daylight: float, caption: str = ""
                    ) -> tuple[bytes, list[GroundTruth]]:
        img, truth = self.render(actors, daylight, caption)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise RuntimeError("OpenCV could not encode the frame as JPEG")
        return buf.tobytes(), truth
