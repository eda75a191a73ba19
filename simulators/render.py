"""Draws synthetic traffic-camera frames through a pinhole camera, with exact visible boxes.

The one module that draws frames. It knows nothing of time or traffic: give it road users placed
on the ground (`Placed`) and get back the image and, per road user, the tight box of the pixels
it shows. Road users are drawn far to near (painter's order), each also into a label image, so
a box covers what is visible, not what is hidden behind a bus; a road user less than
`MIN_VISIBLE` visible or under `MIN_BOX_PX` is no ground truth.

The static street comes from `camera_backdrop`, lit and graded once per look and cached; what
changes per frame is the road users, lamps, rain streaks, noise, blur and the JPEG.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from simulators.camera_backdrop import draw_backdrop, plan_street
from simulators.camera_batch import Batch, Item
from simulators.camera_bodies import HEAD, Body
from simulators.camera_light import Light
from simulators.camera_scene import Look, Pinhole, Scene

CLASSES = ("person", "bicycle", "car", "motorcycle", "bus", "truck")  # the model's class ids
MIN_VISIBLE = 0.3
MIN_BOX_PX = 4
SPECK_PX = 8  # road users this small on screen are drawn as one shape
# Fogged to less than this share of its contrast, a road user is drawn but is no ground truth;
# a big one (MIN_CONTRAST_PX tall) still shows down to half of that.
MIN_CONTRAST, MIN_CONTRAST_PX = 0.3, 20


class GroundTruth(NamedTuple):
    """A visible road user's tight box in pixels (x2, y2 exclusive) and its track."""

    cls: str
    x1: int
    y1: int
    x2: int
    y2: int
    track_id: int = 0


@dataclass(frozen=True)
class Placed:
    """A road user where it stands in this frame."""

    body: Body
    x: float
    y: float
    heading: float  # radians: 0 drives along +Y, pi/2 along +X
    track_id: int
    phase: float = 0.0  # walking or pedalling, 0..1
    braking: bool = False
    lights: bool = False


def _label_boxes(label: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Pixel count and tight box (x1, y1, x2, y2; x2, y2 exclusive) of every label value."""
    flat = label.ravel()
    where = np.flatnonzero(flat)
    values = flat[where]
    order = np.argsort(values, kind="stable")  # a radix sort for bytes
    where, values = where[order], values[order]
    counts = np.bincount(values, minlength=256)
    boxes: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)] * 256
    if len(where):
        w = label.shape[1]
        ys, xs = where // w, where % w
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        present = np.flatnonzero(counts)
        at = starts[present]
        x1, x2 = np.minimum.reduceat(xs, at), np.maximum.reduceat(xs, at)
        y1 = ys[at]  # sorted by position within a value, so the first row is the top
        y2 = np.maximum.reduceat(ys, at)
        for v, a, b, c, d in zip(present.tolist(), x1.tolist(), y1.tolist(), x2.tolist(),
                                 y2.tolist(), strict=True):
            boxes[v] = (a, b, c + 1, d + 1)
    return counts, boxes


def _overlaps(roi: tuple[int, int, int, int], rois: np.ndarray,
              caption: tuple[int, int, int, int] | None) -> bool:
    """Does any other road user's box, or the caption, overlap this one?"""
    x0, y0, x1, y1 = roi
    hit = (rois[:, 0] < x1) & (rois[:, 2] > x0) & (rois[:, 1] < y1) & (rois[:, 3] > y0)
    if int(hit.sum()) > 1:
        return True
    return caption is not None and caption[0] < x1 and caption[2] > x0 and caption[1] < y1 \
        and caption[3] > y0


class Renderer:
    """One camera's view of one scene: the street drawn once per look, frames on top of it."""

    def __init__(self, scene: Scene, width: int = 640, height: int = 360,
                 seed: int | str = 0) -> None:
        self.scene = scene
        self.width, self.height = width, height
        self.cam = Pinhole(scene.rig, width, height)
        self.plan = plan_street(scene.street)
        self._rng = random.Random(f"render:{seed}")
        self._backdrops: dict[Look, np.ndarray] = {}
        self._upright: np.ndarray | None = None  # per pixel: distance to a tree, pole, wall
        self._ground: np.ndarray | None = None  # where shadows may fall
        caption_rng = random.Random(f"caption:{scene.street.seed}")
        self.caption_corner = caption_rng.choice(("tl", "tl", "tr", "bl"))
        self.caption_scale = caption_rng.uniform(0.38, 0.55) * width / 640
        self._noise_tiles: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self._rain_layers: dict[float, list[np.ndarray]] = {}

    # -- the street ------------------------------------------------------------------------

    def backdrop(self, look: Look) -> np.ndarray:
        if look not in self._backdrops:
            if len(self._backdrops) > 24:
                self._backdrops.pop(next(iter(self._backdrops)))
            img, upright = draw_backdrop(self.plan, self.cam, Light.of(look))
            self._backdrops[look] = np.rint(img).astype(np.uint8)
            if self._upright is None:
                self._upright = upright
                self._ground = np.isinf(upright).astype(np.uint8) * 255
        return self._backdrops[look]

    # -- road users ------------------------------------------------------------------------

    def _shadows(self, img: np.ndarray, placed: list[Item], light: Light) -> None:
        """Soft ground shadows under road users, cast away from the sun, on open ground only."""
        if light.sun_gain < 0.12 or light.sun[2] <= 0.05 or not placed:
            return
        sx, sy, sz = light.sun
        flat = math.hypot(sx, sy)
        away = -np.array([sx, sy]) / max(1e-6, flat)
        xy = np.array([(a.x, a.y) for a in placed])
        heading = np.array([a.heading for a in placed])
        size = np.array([(a.body.length_m / 2, a.body.width_m / 2, a.body.height_m)
                         for a in placed])
        c, s = np.cos(heading), np.sin(heading)
        corners = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], float)
        lx = corners[None, :, 0] * size[:, None, 1]  # across
        ly = corners[None, :, 1] * size[:, None, 0]  # along
        wx = xy[:, None, 0] + lx * c[:, None] + ly * s[:, None]
        wy = xy[:, None, 1] - lx * s[:, None] + ly * c[:, None]
        reach = np.minimum(3.0, 0.6 * size[:, 2] * flat / max(sz, 0.2))[:, None]
        ground = np.concatenate([np.stack([wx, wy], -1),
                                 np.stack([wx + reach * away[0], wy + reach * away[1]], -1)], 1)
        pts = np.concatenate([ground, np.zeros(ground.shape[:2] + (1,))], -1).reshape(-1, 3)
        uv, z = self.cam.project(pts)
        uv, z = uv.reshape(-1, 8, 2), z.reshape(-1, 8)
        mask = np.zeros(img.shape[:2], np.uint8)
        for k in np.flatnonzero((z > Pinhole.NEAR_M).all(axis=1)):
            hull = cv2.convexHull(np.rint(uv[k] * 4).astype(np.int32))
            cv2.fillConvexPoly(mask, hull, 255, cv2.LINE_8, 2)
        if self._ground is not None:
            mask = cv2.bitwise_and(mask, self._ground)
        dark = cv2.multiply(img, (0.55, 0.55, 0.55, 0))
        cv2.copyTo(dark, mask, img)

    def _glow(self, img: np.ndarray, batch: Batch | None, light: Light) -> None:
        """Headlights and tail lights bloom at night; headlights light the road ahead."""
        if not light.lamps or batch is None:
            return
        h, w = self.height // 2, self.width // 2
        glow = np.zeros((h, w, 3), np.uint8)
        any_light = False
        for k, it in enumerate(batch.items):
            b = it.body
            if not (it.lights or it.braking) or not len(b.lamps) or not batch.any_front[k]:
                continue
            any_light = True
            x0, y0, x1, y1 = batch.bounds[k]
            r = max(1, min(4, round(0.08 * (y1 - y0) / max(1.0, b.height_m))))
            for u, v, kind in batch.lamps(k):
                if kind == HEAD and not it.lights:
                    continue
                colour = (150, 175, 190) if kind == HEAD else (25, 25, 150)
                cv2.circle(glow, (round(u / 2), round(v / 2)), r, colour, -1)
            if it.lights:  # the pool of light on the road ahead
                c, s = math.cos(it.heading), math.sin(it.heading)
                ahead = np.array([(-b.width_m / 2, b.length_m / 2), (b.width_m / 2, b.length_m / 2),
                                  (b.width_m, b.length_m / 2 + 9),
                                  (-b.width_m, b.length_m / 2 + 9)])
                world = ahead @ np.array([[c, -s], [s, c]]) + (it.x, it.y)
                uv, z = self.cam.project(np.column_stack([world, np.zeros(4)]))
                if (z > Pinhole.NEAR_M).all():
                    cv2.fillConvexPoly(glow, np.rint(uv * 2).astype(np.int32), (22, 30, 36),
                                       cv2.LINE_8, 2)
        if any_light:
            glow = cv2.GaussianBlur(glow, (0, 0), 2.0)
            if light.night < 1:
                glow = cv2.multiply(glow, (light.night,) * 3 + (0,))
            if light.look.infrared:
                glow = cv2.cvtColor(cv2.cvtColor(glow, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
            cv2.add(img, cv2.resize(glow, (self.width, self.height)), img)

    # -- the frame -------------------------------------------------------------------------

    def _sizes(self, placed: list[Placed]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per road user: distance to its middle, its size on screen in pixels, whether seen."""
        cam = self.cam
        mid = np.array([(a.x, a.y, a.body.height_m / 2) for a in placed])
        extent = np.array([max(a.body.length_m, a.body.height_m) for a in placed])
        cam_pts = cam.to_camera(mid)
        z = cam_pts[:, 2]
        dist = np.linalg.norm(cam_pts, axis=1)
        size = cam.f * extent / np.maximum(z, 1e-3)
        uv = cam.pixels(cam_pts)
        reach = size
        seen = (z > -extent) & (uv[:, 0] + reach > 0) & (uv[:, 0] - reach < self.width) \
            & (uv[:, 1] + reach > 0) & (uv[:, 1] - reach < self.height) & (size > 1.5)
        seen |= (z > -extent) & (z < 3 * extent)  # close by: let the full projection decide
        return dist, np.where(z > 0, size, np.inf), seen

    def render(self, placed: list[Placed], look: Look | None = None, caption: str = ""
               ) -> tuple[np.ndarray, list[GroundTruth]]:
        """The frame and the visible box of every road user that shows enough of itself."""
        look = look or self.scene.look
        light = Light.of(look)
        img = self.backdrop(look).copy()
        items: list[Item] = []
        specks: list[tuple[float, int, Placed]] = []
        if placed:
            dist, size, seen = self._sizes(placed)
            order = np.argsort(-dist)
            for k in order[seen[order]][-254:]:
                a = placed[k]
                lab = len(items) + len(specks) + 1
                if size[k] < SPECK_PX:
                    specks.append((float(dist[k]), lab, a))
                else:
                    items.append(Item(a.body, a.x, a.y, a.heading, a.phase, a.braking, a.lights,
                                      lab, float(dist[k]), a.track_id))
        batch = Batch(self.cam, items, light, self.width, self.height) if items else None
        if batch is not None:
            self._shadows(img, items, light)
        canvas = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
        canvas[:, :, 3] = 0
        speck_px = self._draw_specks(canvas, specks, light)
        if batch is not None:
            batch.paint(canvas)
        img, label = cv2.cvtColor(canvas, cv2.COLOR_BGRA2BGR), np.ascontiguousarray(
            canvas[:, :, 3])
        hidden = self._hide_behind_street(img, label, batch, look)
        self._glow(img, batch, light)
        img = self._weather(img, look)
        cap = self._caption(img, caption) if caption and look.caption else None
        if cap is not None:
            label[cap[1]:cap[3], cap[0]:cap[2]] = 0
        return img, self._truth(batch, specks, speck_px, label, hidden, cap, look.visibility_m)

    def _draw_specks(self, canvas: np.ndarray, specks: list[tuple[float, int, Placed]],
                     light: Light
                     ) -> dict[int, tuple[int, tuple[int, int, int, int]]]:
        """Far road users, a few pixels tall, as one shape each; returns their pixel counts."""
        out: dict[int, tuple[int, tuple[int, int, int, int]]] = {}
        if not specks:
            return out
        corners = []
        for _, _, a in specks:
            c, s = math.cos(a.heading), math.sin(a.heading)
            turn = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
            corners.append(a.body.box_corners @ turn.T + (a.x, a.y, 0.0))
        uv, z = self.cam.project(np.concatenate(corners))
        uv, z = uv.reshape(-1, 8, 2), z.reshape(-1, 8)
        colours = np.array([a.body.main_colour for _, _, a in specks])
        dist = np.array([d for d, _, _ in specks])
        colours = np.rint(light.grade(light.fog(light.shade(colours, np.zeros_like(colours)),
                                                dist), dist)).astype(int).tolist()
        for k, (_, lab, _) in enumerate(specks):
            if (z[k] < Pinhole.NEAR_M).any():
                continue
            hull = cv2.convexHull(np.rint(uv[k] * 4).astype(np.int32))
            cv2.fillConvexPoly(canvas, hull, colours[k] + [lab], cv2.LINE_8, 2)
            x0, y0 = np.floor(uv[k].min(axis=0)).astype(int) - 1
            x1, y1 = np.ceil(uv[k].max(axis=0)).astype(int) + 2
            out[lab] = (max(1, round(cv2.contourArea(hull) / 16)),
                        (max(0, x0), max(0, y0), min(self.width, x1), min(self.height, y1)))
        return out

    def _hide_behind_street(self, img: np.ndarray, label: np.ndarray, batch: Batch | None,
                            look: Look) -> set[int]:
        """Trees, poles and wires nearer than a road user are drawn over it."""
        hidden: set[int] = set()
        if self._upright is None or batch is None:
            return hidden
        back = self._backdrops[look]
        for k, it in enumerate(batch.items):
            x0, y0, x1, y1 = batch.roi[k]
            occ = self._upright[y0:y1, x0:x1]
            near = batch.near_m[k]
            if occ.size == 0 or occ.min() >= near:
                continue
            hide = (occ < near) & (label[y0:y1, x0:x1] == it.label)
            if hide.any():
                img[y0:y1, x0:x1][hide] = back[y0:y1, x0:x1][hide]
                label[y0:y1, x0:x1][hide] = 0
                hidden.add(it.label)
        return hidden

    def _truth(self, batch: Batch | None, specks: list[tuple[float, int, Placed]],
               speck_px: dict[int, tuple[int, tuple[int, int, int, int]]], label: np.ndarray,
               hidden: set[int], caption: tuple[int, int, int, int] | None,
               visibility_m: float) -> list[GroundTruth]:
        entries: list[tuple[int, Body, int, tuple[int, int, int, int], int, float]] = []
        if batch is not None:
            entries += [(it.label, it.body, batch.track_ids[k], batch.roi[k], k, it.distance)
                        for k, it in enumerate(batch.items)]
        rois = np.array(batch.roi if batch is not None else []).reshape(-1, 4)
        entries += [(lab, a.body, a.track_id, speck_px[lab][1], -1, dist)
                    for dist, lab, a in specks if lab in speck_px]
        truth = []
        shown_px, boxes = _label_boxes(label)
        for lab, body, track_id, roi, k, distance in entries:
            shown = int(shown_px[lab])
            if shown == 0:
                continue
            bx1, by1, bx2, by2 = boxes[lab]
            if bx2 - bx1 < MIN_BOX_PX or by2 - by1 < MIN_BOX_PX:
                continue
            contrast = math.exp(-3 * distance / visibility_m)  # what the fog leaves of it
            if contrast < MIN_CONTRAST and (contrast < MIN_CONTRAST / 2
                                            or by2 - by1 < MIN_CONTRAST_PX):
                continue
            if k < 0:
                whole = in_frame = speck_px[lab][0]
            elif batch.cut[k] or lab in hidden or _overlaps(roi, rois, caption):
                whole, in_frame = batch.hull_px(k, self.width, self.height)
                if shown < MIN_VISIBLE * max(whole, 1) or shown < MIN_VISIBLE * in_frame:
                    whole, in_frame = self._silhouette_px(batch, k)  # too close to call
            else:  # nothing could have hidden any of it
                whole = in_frame = shown
            # A big road user cut by the frame's edge is still there to be seen and labelled.
            cut_big = min(bx2 - bx1, by2 - by1) >= 24 and shown >= MIN_VISIBLE * in_frame
            if shown < MIN_VISIBLE * whole and not cut_big:
                continue
            truth.append(GroundTruth(body.cls, bx1, by1, bx2, by2, track_id))
        return truth

    def _silhouette_px(self, batch: Batch, k: int) -> tuple[int, int]:
        """Pixels the road user would cover alone: all of them, and those inside the frame."""
        bx0, by0, bx1, by1 = batch.bounds[k]
        pad = int(batch.pad[k])
        x0 = int(max(-self.width, bx0)) - pad
        y0 = int(max(-self.height, by0)) - pad
        x1 = int(min(2 * self.width, bx1)) + pad + 1
        y1 = int(min(2 * self.height, by1)) + pad + 1
        mask = np.zeros((max(1, y1 - y0), max(1, x1 - x0)), np.uint8)
        batch.silhouette(k, mask, (x0, y0))
        inside = mask[max(0, -y0):self.height - y0, max(0, -x0):self.width - x0]
        return int(np.count_nonzero(mask)), int(np.count_nonzero(inside))

    # -- weather and the camera ------------------------------------------------------------

    def _weather(self, img: np.ndarray, look: Look) -> np.ndarray:
        rng = self._rng
        if look.rain > 0:
            layers = self._rain_layers.get(look.rain)
            if layers is None:
                layers = self._rain_layers[look.rain] = self._make_rain(look.rain)
            cv2.add(img, layers[rng.randrange(len(layers))], img)
        if look.blur > 0.3:
            img = cv2.GaussianBlur(img, (0, 0), look.blur * self.width / 640)
        if look.motion_blur and rng.random() < look.motion_blur:
            n = rng.choice((5, 7, 9, 11))
            kernel = np.zeros((n, n), np.float32)
            angle = rng.uniform(0, math.pi)
            c = n // 2
            dx, dy = math.cos(angle) * c, math.sin(angle) * c
            cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0)
            img = cv2.filter2D(img, -1, kernel / kernel.sum())
        if look.noise > 0.5:
            plus, minus = self._noise(look.noise)
            oy, ox = rng.randrange(32), rng.randrange(32)
            h, w = self.height, self.width
            cv2.add(img, plus[oy:oy + h, ox:ox + w], img)
            cv2.subtract(img, minus[oy:oy + h, ox:ox + w], img)
        return img

    def _noise(self, sigma: float) -> tuple[np.ndarray, np.ndarray]:
        if sigma not in self._noise_tiles:
            rng = np.random.default_rng(self._rng.getrandbits(32))
            n = rng.normal(0, sigma, (self.height + 32, self.width + 32, 1))
            n = n + rng.normal(0, sigma * 0.35, (self.height + 32, self.width + 32, 3))
            self._noise_tiles[sigma] = (np.clip(n, 0, 255).astype(np.uint8),
                                        np.clip(-n, 0, 255).astype(np.uint8))
        return self._noise_tiles[sigma]

    def _make_rain(self, rain: float) -> list[np.ndarray]:
        rng = random.Random(f"rain:{self.scene.street.seed}:{rain}")
        slant = rng.uniform(-0.35, 0.35)
        layers = []
        for _ in range(4):
            layer = np.zeros((self.height, self.width, 3), np.uint8)
            for _ in range(int(350 * rain * self.width / 640)):
                x, y = rng.uniform(0, self.width), rng.uniform(0, self.height)
                length = rng.uniform(6, 22) * self.height / 360
                v = rng.randint(25, 70)
                cv2.line(layer, (round(x), round(y)),
                         (round(x + slant * length), round(y + length)), (v, v, v), 1,
                         cv2.LINE_AA)
            layers.append(layer)
        return layers

    def _caption(self, img: np.ndarray, text: str) -> tuple[int, int, int, int]:
        """Burn in the camera's name and clock, as CCTV cameras do; return its box."""
        font, scale_ = cv2.FONT_HERSHEY_SIMPLEX, self.caption_scale
        (tw, th), base = cv2.getTextSize(text, font, scale_, 1)
        w, h = self.width, self.height
        x = 6 if self.caption_corner in ("tl", "bl") else w - tw - 10
        y = 6 if self.caption_corner in ("tl", "tr") else h - th - base - 10
        box = (max(0, x - 3), max(0, y - 2), min(w, x + tw + 4), min(h, y + th + base + 4))
        cv2.rectangle(img, box[:2], (box[2] - 1, box[3] - 1), (20, 20, 20), -1)
        cv2.putText(img, text, (x, y + th + 1), font, scale_, (255, 255, 255), 1, cv2.LINE_AA)
        return box

    def encode(self, img: np.ndarray, quality: int) -> bytes:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        if not ok:
            raise RuntimeError("OpenCV could not encode the frame as JPEG")
        return buf.tobytes()
