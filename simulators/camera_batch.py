"""The near road users of one frame, projected, lit and painted together.

Everything per vertex and per primitive is done for all road users at once (one projection, one
shading pass, one visibility test), so the Python loop that is left only hands finished polygons
to OpenCV. Each primitive that belongs to a silhouette is painted into a label image too, with
its road user's label, which is how the renderer knows what of each one is visible.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

from simulators.camera_bodies import CABIN, HEAD, HULL, POLY, ROD, SIGN, SPHERE, TAIL, Body
from simulators.camera_light import Light
from simulators.camera_scene import Pinhole

DETAIL_PX = 24  # road users shorter than this on screen skip their small decals
FINE_PX = 16  # ... and their thin bits
FILL, LINE, CIRCLE = cv2.fillConvexPoly, cv2.line, cv2.circle


class Item(NamedTuple):
    body: Body
    x: float
    y: float
    heading: float
    phase: float
    braking: bool
    lights: bool
    label: int
    distance: float
    track_id: int


def _posed(item: Item) -> np.ndarray:
    """The body's vertices with legs and pedals where this frame's phase puts them."""
    b = item.body
    if not len(b.anim):
        return b.verts
    verts = b.verts.copy()
    idx = b.anim[:, 0].astype(int)
    angle = 2 * math.pi * (item.phase + b.anim[:, 3])
    cos = np.cos(angle)
    verts[idx, 1] += b.anim[:, 1] * np.sin(angle)
    verts[idx, 2] += b.anim[:, 2] * np.where(b.anim[:, 4] > 0, cos, np.maximum(0, cos))
    return verts


def _concat(arrays: list[np.ndarray], offsets: np.ndarray | None = None) -> np.ndarray:
    if offsets is not None:
        arrays = [a + o for a, o in zip(arrays, offsets, strict=True)]
    return np.concatenate(arrays) if arrays else np.zeros(0)


class Batch:
    def __init__(self, cam: Pinhole, items: list[Item], light: Light, width: int,
                 height: int) -> None:
        self.items = items
        self.track_ids = [it.track_id for it in items]
        bodies = [it.body for it in items]
        n = len(items)
        nv = np.array([len(b.verts) for b in bodies])
        np_ = np.array([len(b.kind) for b in bodies])
        self.voff = voff = np.concatenate([[0], np.cumsum(nv)[:-1]]).astype(int)
        self.poff = poff = np.concatenate([[0], np.cumsum(np_)[:-1]]).astype(int)
        verts = np.concatenate([_posed(it) for it in items])
        vid = np.repeat(np.arange(n), nv)
        heading = np.array([it.heading for it in items])
        cs, sn = np.cos(heading), np.sin(heading)
        pos = np.array([(it.x, it.y) for it in items])
        c, s = cs[vid], sn[vid]
        world = np.column_stack([c * verts[:, 0] + s * verts[:, 1] + pos[vid, 0],
                                 -s * verts[:, 0] + c * verts[:, 1] + pos[vid, 1], verts[:, 2]])
        self.world = world
        cam_pts = (world - cam.C) @ cam.R.T
        z = cam_pts[:, 2]
        front = z > Pinhole.NEAR_M
        uv = cam_pts[:, :2] * (cam.f / np.maximum(z, 1e-3))[:, None] + (cam.cx, cam.cy)
        self.uv4 = np.rint(np.clip(uv, -2e4, 2e4) * 4).astype(np.int32)
        lo = np.minimum.reduceat(np.where(front[:, None], uv, np.inf), voff)
        hi = np.maximum.reduceat(np.where(front[:, None], uv, -np.inf), voff)
        self.any_front = np.logical_or.reduceat(front, voff)
        all_front = np.logical_and.reduceat(front, voff)
        # Primitive tables of all bodies, end to end, with indices moved to match.
        pid = np.repeat(np.arange(n), np_)
        kind = _concat([b.kind for b in bodies]).astype(int)
        counts = {k: np.array([len(t) for t in tables]) for k, tables in (
            (POLY, [b.polys for b in bodies]), (SPHERE, [b.spheres for b in bodies]),
            (ROD, [b.rods for b in bodies]), (HULL, [b.hulls for b in bodies]))}
        table_off = {k: np.concatenate([[0], np.cumsum(v)[:-1]]).astype(int)
                     for k, v in counts.items()}
        ref = _concat([b.ref for b in bodies]).astype(int)
        for k in (POLY, SPHERE, ROD, HULL):
            here = kind == k
            ref[here] += table_off[k][pid[here]]
        polys = _concat([b.polys for b in bodies], voff).astype(int).reshape(-1, 8)
        spheres = _concat([b.spheres for b in bodies], voff).astype(int)
        rods = _concat([b.rods for b in bodies], voff).astype(int).reshape(-1, 2)
        hulls = _concat([b.hulls for b in bodies], voff).astype(int).reshape(-1, 16)
        parent = _concat([b.parent for b in bodies]).astype(int)
        has_parent = parent >= 0
        parent[has_parent] += poff[pid[has_parent]]
        # What shows: in front of the camera, facing it, big enough to matter.
        vis = np.ones(len(kind), bool)
        is_poly = np.flatnonzero(kind == POLY)
        if len(polys):
            pu, pv = uv[polys, 0], uv[polys, 1]
            nxt = np.roll(np.arange(8), -1)
            area = (pu * pv[:, nxt] - pu[:, nxt] * pv).sum(axis=1)
            ok = front[polys].all(axis=1) & (area < 0)
            cull = _concat([b.cull for b in bodies]).astype(bool)
            vis[is_poly] = ok[ref[is_poly]] | ~cull[is_poly]
        for k, table in ((SPHERE, spheres[:, None]), (ROD, rods), (HULL, hulls)):
            here = np.flatnonzero(kind == k)
            if len(here):
                vis[here] = front[table].all(axis=1)[ref[here]]
        tall = (hi[:, 1] - lo[:, 1])[pid]
        vis &= ~((tall < DETAIL_PX) & _concat([b.detail for b in bodies]).astype(bool))
        vis &= ~((tall < FINE_PX) & _concat([b.fine for b in bodies]).astype(bool))
        vis[has_parent] &= vis[parent[has_parent]]
        # Colours: lit surfaces and lamps, then haze and the camera's response.
        normal = _concat([b.normal for b in bodies]).reshape(-1, 3)
        cp, sp = cs[pid], sn[pid]
        normal = np.column_stack([cp * normal[:, 0] + sp * normal[:, 1],
                                  -sp * normal[:, 0] + cp * normal[:, 1], normal[:, 2]])
        base = _concat([b.colour for b in bodies]).reshape(-1, 3)
        colour = light.shade(base, normal)
        emissive = _concat([b.emissive for b in bodies]).astype(int)
        braking = np.array([it.braking for it in items])[pid]
        on = np.array([it.lights for it in items])[pid] & light.lamps
        colour[(emissive == HEAD) & on] = (235, 250, 255)
        tail = emissive == TAIL
        colour[tail & on] = (70, 70, 230)
        colour[tail & braking] = (110, 110, 255)
        if light.lamps:
            sign = emissive == SIGN
            colour[sign] = np.minimum(255, base[sign] * 1.2 + 40)
            bus = np.array([b.cls == "bus" for b in bodies])[pid] & (emissive == CABIN)
            colour[bus] = colour[bus] * 0.4 + np.array([90, 150, 175])
        distance = np.array([it.distance for it in items])
        colour = light.grade(light.fog(colour, distance[pid]), distance[pid])
        radius = _concat([b.radius for b in bodies])
        thick = np.zeros(len(kind))
        zc = np.maximum(z, 1e-3)
        here = kind == SPHERE
        thick[here] = radius[here] * cam.f / zc[spheres[ref[here]]] * 4
        here = kind == ROD
        thick[here] = np.maximum(1, np.rint(2 * radius[here] * cam.f
                                            / zc[rods[ref[here]]].mean(axis=1)))
        self.kind, self.ref, self.vis = kind, ref, vis
        self.lab = _concat([b.label for b in bodies]).astype(bool)
        self.colour, self.thick = colour, thick.astype(int)
        self.polys, self.spheres, self.rods, self.hulls = polys, spheres, rods, hulls
        self.prim_actor = pid
        self.decal = has_parent
        # Parts: their road user, unit, primitives and distance, for the painter's order.
        self.part_centre = _concat([b.part_centre for b in bodies], voff).astype(int)
        nparts = np.array([len(b.part_centre) for b in bodies])
        self.part_actor = np.repeat(np.arange(n), nparts)
        self.part_depth = np.linalg.norm(cam_pts[self.part_centre], axis=1) - _concat(
            [b.part_bias for b in bodies])
        nunits = np.array([len(b.unit_centre) for b in bodies])
        self.unit_off = np.concatenate([[0], np.cumsum(nunits)[:-1]]).astype(int)
        self.part_unit = _concat([b.part_unit for b in bodies]).astype(int) + self.unit_off[
            self.part_actor]
        ranges = _concat([np.array(b.part_range).reshape(-1, 2) for b in bodies]).reshape(-1, 2)
        self.part_range = ranges.astype(int) + poff[self.part_actor][:, None]
        unit_centre = _concat([b.unit_centre for b in bodies], voff).astype(int)
        self.unit_dist = np.hypot(world[unit_centre, 0] - cam.C[0],
                                  world[unit_centre, 1] - cam.C[1])
        # Per road user: where on screen, what could cut or hide it.
        pad = (np.maximum.reduceat(thick, poff) / 4).astype(int) + 2
        self.pad = pad
        self.bounds = np.column_stack([lo, hi])
        self.roi = [(max(0, int(x0) - p), max(0, int(y0) - p), min(width, int(x1) + p + 1),
                     min(height, int(y1) + p + 1)) if ok else (0, 0, 0, 0)
                    for (x0, y0, x1, y1), p, ok in zip(self.bounds.tolist(), pad.tolist(),
                                                       self.any_front.tolist(), strict=True)]
        self.cut = [(not f) or x0 < p or y0 < p or x1 > width - p or y1 > height - p
                    for (x0, y0, x1, y1), p, f in zip(self.bounds.tolist(), pad.tolist(),
                                                      all_front.tolist(), strict=True)]
        self.near_m = [it.distance - 0.5 * max(it.body.length_m, it.body.width_m)
                       for it in items]
        self._front = front
        self._uv = uv

    def _draw_list(self, parts: np.ndarray) -> np.ndarray:
        """The visible primitives of these parts, in their order."""
        r = self.part_range[parts]
        lengths = r[:, 1] - r[:, 0]
        starts = np.repeat(r[:, 0] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        prims = starts + np.arange(int(lengths.sum()))
        return prims[self.vis[prims]]

    def paint(self, canvas: np.ndarray) -> None:
        """All road users onto a BGRA canvas whose fourth channel is the label image: far
        units first, far parts first within a unit, colour and label in one stroke."""
        unit_rank = np.empty(len(self.unit_dist), int)
        unit_rank[np.argsort(-self.unit_dist, kind="stable")] = np.arange(len(self.unit_dist))
        parts = np.lexsort((-self.part_depth, unit_rank[self.part_unit]))
        prims = self._draw_list(parts)
        values = np.array([it.label for it in self.items])[self.prim_actor[prims]]
        # A decal lies on its labelled face; anything else unlabelled (an umbrella) hides
        # what is under it without being part of anyone's box.
        values = np.where(self.lab[prims] | self.decal[prims], values, 0)
        paint = np.column_stack([np.rint(self.colour[prims]), values]).astype(int).tolist()
        kind, ref, thick = self.kind[prims], self.ref[prims], self.thick[prims].tolist()
        poly_pts = self.uv4[self.polys[ref[kind == POLY]]]
        hull_pts = self.uv4[self.hulls[ref[kind == HULL]]]
        centres = self.uv4[self.spheres[ref[kind == SPHERE]]].tolist()
        ends = self.uv4[self.rods[ref[kind == ROD]]].tolist()
        counters = [0, 0, 0, 0]
        for j, k in enumerate(kind.tolist()):
            n = counters[k]
            counters[k] = n + 1
            if k == POLY:
                FILL(canvas, poly_pts[n], paint[j], 8, 2)
            elif k == SPHERE:
                CIRCLE(canvas, centres[n], max(1, thick[j]), paint[j], -1, 8, 2)
            elif k == ROD:
                p, q = ends[n]
                LINE(canvas, p, q, paint[j], thick[j], 8, 2)
            else:
                FILL(canvas, cv2.convexHull(hull_pts[n]), paint[j], 8, 2)

    def _draw(self, prims: np.ndarray, mask: np.ndarray, offset: tuple[int, int]) -> None:
        """Silhouettes only: these primitives into a one-channel mask shifted by `offset`."""
        kind, ref, thick = self.kind[prims], self.ref[prims], self.thick[prims].tolist()
        uv4 = self.uv4 - np.array([offset[0] * 4, offset[1] * 4], np.int32)
        poly_pts = uv4[self.polys[ref[kind == POLY]]]
        hull_pts = uv4[self.hulls[ref[kind == HULL]]]
        centres = uv4[self.spheres[ref[kind == SPHERE]]].tolist()
        ends = uv4[self.rods[ref[kind == ROD]]].tolist()
        counters = [0, 0, 0, 0]
        for j, k in enumerate(kind.tolist()):
            n = counters[k]
            counters[k] = n + 1
            if k == POLY:
                FILL(mask, poly_pts[n], 1, 8, 2)
            elif k == SPHERE:
                CIRCLE(mask, centres[n], max(1, thick[j]), 1, -1, 8, 2)
            elif k == ROD:
                p, q = ends[n]
                LINE(mask, p, q, 1, thick[j], 8, 2)
            else:
                FILL(mask, cv2.convexHull(hull_pts[n]), 1, 8, 2)

    def silhouette(self, actor: int, mask: np.ndarray, origin: tuple[int, int]) -> None:
        """The road user alone, its silhouette painted into `mask` whose (0, 0) is `origin`."""
        parts = np.flatnonzero(self.part_actor == actor)
        prims = self._draw_list(parts)
        self._draw(prims[self.lab[prims]], mask, origin)

    def hull_px(self, actor: int, width: int, height: int) -> tuple[float, float]:
        """Area of the convex hull around the road user on screen, all and inside the frame:
        never less than its silhouette, so a share of it is a lower bound on visibility."""
        a, b = self.voff[actor], self.voff[actor] + len(self.items[actor].body.verts)
        pts = self._uv[a:b][self._front[a:b]].astype(np.float32)
        if len(pts) < 3:
            return 0.0, 0.0
        hull = cv2.convexHull(pts)
        frame = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
        inside, _ = cv2.intersectConvexConvex(hull, frame)
        pad = float(self.pad[actor])  # rods and spheres reach past their centre lines
        return cv2.contourArea(hull) + pad * cv2.arcLength(hull, True), inside + pad * pad

    def lamps(self, actor: int) -> list[tuple[float, float, int]]:
        """Head and tail lamps on screen: (x, y, HEAD or TAIL)."""
        b = self.items[actor].body
        if not len(b.lamps):
            return []
        pts = self.uv4[self.voff[actor] + b.lamps[:, 0]] / 4
        return [(float(x), float(y), int(k)) for (x, y), k in zip(pts, b.lamps[:, 1],
                                                                    strict=True)]
