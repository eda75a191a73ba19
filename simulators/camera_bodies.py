"""Road users as simple 3D bodies: boxes, tapered boxes, wheels, rods and spheres.

A `Body` is built once per road user, in its own frame (metres; x to its right, y forward, z
up, origin on the ground under its middle), and compiled into flat arrays so that a frame can
project all of it with one matrix product. The renderer draws it part by part, far parts first.

Looks vary widely on purpose (kinds, proportions, colours including random hues, stripes,
loads, passengers, ponchos): a detector trained on these frames must not learn one toy car.
"""

from __future__ import annotations

import colorsys
import math
import random
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

BGR = tuple[int, int, int]

POLY, SPHERE, ROD, HULL = range(4)
# Emissive kinds: how a decal lights up at night or when braking.
PLAIN, HEAD, TAIL, SIGN, CABIN = range(5)
MAX_POLY, MAX_HULL = 8, 16


@dataclass
class Body:
    cls: str
    length_m: float
    width_m: float
    height_m: float
    verts: np.ndarray  # (V, 3) local metres
    kind: np.ndarray  # (P,) POLY / SPHERE / ROD / HULL
    ref: np.ndarray  # (P,) row in the kind's own index array
    polys: np.ndarray  # (n, MAX_POLY) vertex indices, short polygons padded with their last
    spheres: np.ndarray  # (n,) centre vertex
    rods: np.ndarray  # (n, 2)
    hulls: np.ndarray  # (n, MAX_HULL)
    radius: np.ndarray  # (P,) spheres and rods
    colour: np.ndarray  # (P, 3) BGR, before light and fog
    normal: np.ndarray  # (P, 3) local; zero where the surface has no single normal
    emissive: np.ndarray  # (P,)
    label: np.ndarray  # (P,) bool: part of the road user's silhouette (its box)
    parent: np.ndarray  # (P,) the face a decal is painted on; -1 for a free primitive
    cull: np.ndarray  # (P,) bool: a one-sided face, drawn only when it faces the camera
    detail: np.ndarray  # (P,) bool: small decals, skipped on road users under DETAIL_PX
    fine: np.ndarray  # (P,) bool: thin bits (wheels, arms, handlebars), skipped under FINE_PX
    part_of: np.ndarray  # (P,) the part each primitive belongs to; primitives sorted by part
    part_centre: np.ndarray  # (parts,) vertex index of each part's centre
    part_bias: np.ndarray  # (parts,) metres a part is drawn nearer than its centre says
    part_unit: np.ndarray  # (parts,) segment of a long vehicle the part belongs to
    unit_centre: np.ndarray  # (units,) vertex index
    part_range: list[tuple[int, int]]  # primitives of each part
    anim: np.ndarray  # (k, 5): vertex, amplitude y, amplitude z, phase offset, mode
    lamps: np.ndarray  # (k, 2): vertex, HEAD or TAIL: the glows drawn at night

    # Index arrays the renderer uses every frame, worked out once.
    @cached_property
    def masks(self) -> dict[str, np.ndarray]:
        k = self.kind
        return {"poly": np.flatnonzero(k == POLY), "sphere": np.flatnonzero(k == SPHERE),
                "rod": np.flatnonzero(k == ROD), "hull": np.flatnonzero(k == HULL),
                "decal": np.flatnonzero(self.parent >= 0),
                "detail": np.flatnonzero(self.detail), "fine": np.flatnonzero(self.fine),
                "lit": np.flatnonzero(self.emissive != PLAIN),
                "next": np.roll(np.arange(MAX_POLY), -1)}

    @cached_property
    def main_colour(self) -> np.ndarray:
        """The colour it reads as from afar: its most common labelled face colour."""
        faces = (self.kind == POLY) & self.label
        return np.median(self.colour[faces], axis=0) if faces.any() else self.colour[0]

    @cached_property
    def box_corners(self) -> np.ndarray:
        """(8, 3) corners of the box around it, for far road users drawn as one shape."""
        hl, hw, h = self.length_m / 2, self.width_m / 2, self.height_m
        return np.array([(x, y, z) for z in (0.0, h) for x, y in
                         ((-hw, -hl), (hw, -hl), (hw, hl), (-hw, hl))])


class _Builder:
    def __init__(self, cls: str) -> None:
        self.cls = cls
        self.verts: list[tuple[float, float, float]] = []
        self.prims: list[dict] = []
        self.parts: list[tuple[int, float, int]] = []  # centre vertex, bias, unit
        self.units: list[int] = []
        self.anim: list[tuple[int, float, float, float, int]] = []
        self.lamps: list[tuple[int, int]] = []
        self.fine = False  # set around the thin bits a far road user can do without

    def v(self, x: float, y: float, z: float) -> int:
        self.verts.append((x, y, z))
        return len(self.verts) - 1

    def unit(self, x: float, y: float, z: float) -> int:
        self.units.append(self.v(x, y, z))
        return len(self.units) - 1

    def nearest_unit(self, y: float) -> int:
        return min(range(len(self.units)), key=lambda u: abs(self.verts[self.units[u]][1] - y))

    def part(self, x: float, y: float, z: float, unit: int = 0, bias: float = 0.0) -> int:
        self.parts.append((self.v(x, y, z), bias, unit))
        return len(self.parts) - 1

    def _prim(self, part: int, kind: int, idx, colour, normal=(0, 0, 0), label=True,
              parent=-1, cull=False, detail=False, emissive=PLAIN, radius=0.0) -> int:
        self.prims.append(dict(part=part, kind=kind, idx=idx, colour=colour, normal=normal,
                               label=label, parent=parent, cull=cull, detail=detail,
                               emissive=emissive, radius=radius, fine=self.fine))
        return len(self.prims) - 1

    def face(self, part: int, corners: list[int], colour: BGR, label: bool = True) -> int:
        """A one-sided flat face; corners counter-clockwise seen from outside (bl, br, tr, tl)."""
        (ax, ay, az), (bx, by, bz), (cx, cy, cz) = (self.verts[i] for i in corners[:3])
        ux, uy, uz, vx, vy, vz = bx - ax, by - ay, bz - az, cx - bx, cy - by, cz - bz
        n = (uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx)
        size = math.sqrt(n[0] ** 2 + n[1] ** 2 + n[2] ** 2) or 1.0
        return self._prim(part, POLY, corners, colour, tuple(c / size for c in n), label=label,
                          cull=True)

    def box(self, part: int, x0: float, x1: float, y0: float, y1: float, z0: float, z1: float,
            colour: BGR, inset: tuple[float, float, float, float] = (0, 0, 0, 0),
            faces: str = "tblrf", label: bool = True, shades: dict[str, BGR] | None = None
            ) -> dict[str, int]:
        """A box, or a tapered one: the top inset by (left, right, back, front) metres."""
        il, ir, ib, if_ = inset
        b = [self.v(x0, y0, z0), self.v(x1, y0, z0), self.v(x1, y1, z0), self.v(x0, y1, z0)]
        t = [self.v(x0 + il, y0 + ib, z1), self.v(x1 - ir, y0 + ib, z1),
             self.v(x1 - ir, y1 - if_, z1), self.v(x0 + il, y1 - if_, z1)]
        corners = {"b": [b[0], b[1], t[1], t[0]], "r": [b[1], b[2], t[2], t[1]],
                   "f": [b[2], b[3], t[3], t[2]], "l": [b[3], b[0], t[0], t[3]],
                   "t": [t[0], t[1], t[2], t[3]]}
        shades = shades or {}
        return {k: self.face(part, corners[k], shades.get(k, colour), label)
                for k in faces}

    def decal(self, face: int, u0: float, v0: float, u1: float, v1: float, colour: BGR,
              emissive: int = PLAIN, detail: bool = True) -> int:
        """A quad painted on a face, in the face's (u right, v up) unit square."""
        c = [self.verts[i] for i in self.prims[face]["idx"]]

        def at(u: float, v: float) -> int:
            w = ((1 - u) * (1 - v), u * (1 - v), u * v, (1 - u) * v)
            return self.v(*(sum(w[k] * c[k][j] for k in range(4)) for j in range(3)))

        idx = [at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)]
        face_prim = self.prims[face]
        if emissive in (HEAD, TAIL):
            self.lamps.append((self.v(*(sum(self.verts[i][j] for i in idx) / 4 for j in range(3))),
                               emissive))
        return self._prim(face_prim["part"], POLY, idx, colour, face_prim["normal"], label=False,
                          parent=face, cull=True, detail=detail and emissive == PLAIN,
                          emissive=emissive)

    def disc(self, part: int, x: float, y: float, z: float, r: float, side: int,
             colour: BGR, n: int = 8, label: bool = True, detail: bool = False) -> int:
        """A wheel's face in the plane x = const, seen from the side `side` (+1 right)."""
        angles = [2 * math.pi * k / n for k in range(n)]
        if side < 0:
            angles.reverse()
        idx = [self.v(x, y + r * math.cos(a), z + r * math.sin(a)) for a in angles]
        return self._prim(part, POLY, idx, colour, (side, 0, 0), label=label, cull=True,
                          detail=detail)

    def sphere(self, part: int, x: float, y: float, z: float, r: float, colour: BGR,
               label: bool = True) -> int:
        return self._prim(part, SPHERE, self.v(x, y, z), colour, label=label, radius=r)

    def rod(self, part: int, a: tuple[float, float, float], b: tuple[float, float, float],
            r: float, colour: BGR, label: bool = True) -> tuple[int, int]:
        ia, ib = self.v(*a), self.v(*b)
        self._prim(part, ROD, (ia, ib), colour, label=label, radius=r)
        return ia, ib

    def hull(self, part: int, points: list[tuple[float, float, float]], colour: BGR,
             label: bool = True) -> int:
        """A convex solid drawn as its silhouette: hats, umbrellas, ponchos."""
        return self._prim(part, HULL, [self.v(*p) for p in points[:MAX_HULL]], colour,
                          label=label)

    def wheel(self, part: int, x: float, y: float, r: float, half_width: float,
              tyre: BGR = (28, 28, 30), hub: BGR | None = (150, 150, 150),
              tread: bool = False) -> None:
        coarse = self.fine
        self.fine = True
        for side in (-1, 1):
            self.disc(part, x + side * half_width, y, r, r, side, tyre)
            if hub is not None:
                self.disc(part, x + side * (half_width + 0.005), y, r, r * 0.5, side, hub,
                          n=6, label=False, detail=True)
        self.fine = coarse
        if tread:  # seen from the front or back, a two-wheeler's wheel is a thin dark slab
            self.box(part, x - half_width, x + half_width, y - 0.45 * r, y + 0.45 * r, 0.0,
                     2 * r, tyre, faces="bf")

    def animate(self, vertex: int, amp_y: float, amp_z: float, phase: float, mode: int = 0
                ) -> None:
        """Mode 0 swings (walking legs and arms); mode 1 turns a circle (pedals)."""
        self.anim.append((vertex, amp_y, amp_z, phase, mode))

    def build(self, length: float, width: float, height: float) -> Body:
        order = sorted(range(len(self.prims)), key=lambda i: self.prims[i]["part"])
        new_index = {old: new for new, old in enumerate(order)}
        prims = [self.prims[i] for i in order]
        kind = np.array([p["kind"] for p in prims], np.int32)
        refs = np.zeros(len(prims), np.int32)
        tables: dict[int, list] = {POLY: [], SPHERE: [], ROD: [], HULL: []}
        for i, p in enumerate(prims):
            refs[i] = len(tables[p["kind"]])
            idx = p["idx"]
            if p["kind"] == POLY:
                idx = list(idx) + [idx[-1]] * (MAX_POLY - len(idx))
            elif p["kind"] == HULL:
                idx = list(idx) + [idx[-1]] * (MAX_HULL - len(idx))
            tables[p["kind"]].append(idx)
        ranges, start = [], 0
        for part in range(len(self.parts)):
            end = start
            while end < len(prims) and prims[end]["part"] == part:
                end += 1
            ranges.append((start, end))
            start = end
        return Body(
            cls=self.cls, length_m=length, width_m=width, height_m=height,
            verts=np.array(self.verts, np.float64), kind=kind, ref=refs,
            polys=np.array(tables[POLY], np.int32).reshape(-1, MAX_POLY),
            spheres=np.array(tables[SPHERE], np.int32).reshape(-1),
            rods=np.array(tables[ROD], np.int32).reshape(-1, 2),
            hulls=np.array(tables[HULL], np.int32).reshape(-1, MAX_HULL),
            radius=np.array([p["radius"] for p in prims], np.float64),
            colour=np.array([p["colour"] for p in prims], np.float64).reshape(-1, 3),
            normal=np.array([p["normal"] for p in prims], np.float64).reshape(-1, 3),
            emissive=np.array([p["emissive"] for p in prims], np.int32),
            label=np.array([p["label"] for p in prims], bool),
            parent=np.array([new_index[p["parent"]] if p["parent"] >= 0 else -1 for p in prims],
                            np.int32),
            cull=np.array([p["cull"] for p in prims], bool),
            detail=np.array([p["detail"] for p in prims], bool),
            fine=np.array([p["fine"] for p in prims], bool),
            part_of=np.array([p["part"] for p in prims], np.int32),
            part_centre=np.array([c for c, _, _ in self.parts], np.int32),
            part_bias=np.array([b for _, b, _ in self.parts], np.float64),
            part_unit=np.array([u for _, _, u in self.parts], np.int32),
            unit_centre=np.array(self.units, np.int32),
            part_range=ranges,
            anim=np.array(self.anim, np.float64).reshape(-1, 5),
            lamps=np.array(self.lamps, np.int32).reshape(-1, 2),
        )


# -- colours ---------------------------------------------------------------------------------

GLASS: BGR = (70, 58, 50)
DARK: BGR = (32, 32, 34)
HEADLAMP: BGR = (200, 215, 220)
TAILLAMP: BGR = (40, 40, 150)
PLATE_WHITE: BGR = (225, 228, 230)
PLATE_YELLOW: BGR = (60, 200, 230)  # Vietnamese commercial plates are yellow


def hue(rng: random.Random, s: tuple[float, float] = (0.4, 1.0),
        v: tuple[float, float] = (0.35, 0.95)) -> BGR:
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*s), rng.uniform(*v))
    return round(b * 255), round(g * 255), round(r * 255)


def jitter(rng: random.Random, c: BGR, amount: float = 0.12) -> BGR:
    k = rng.uniform(1 - amount, 1 + amount)
    return tuple(max(0, min(255, round(x * k + rng.uniform(-8, 8)))) for x in c)  # type: ignore


def scale(c: BGR, k: float) -> BGR:
    return tuple(max(0, min(255, round(x * k))) for x in c)  # type: ignore[return-value]


CAR_COLOURS: tuple[tuple[BGR, float], ...] = (
    ((235, 235, 235), .26), ((185, 186, 190), .17), ((30, 30, 32), .15), ((115, 115, 120), .1),
    ((40, 40, 170), .07), ((150, 85, 30), .06), ((60, 95, 135), .04), ((60, 90, 50), .03),
    ((170, 200, 215), .03),
)
BIKE_COLOURS: tuple[tuple[BGR, float], ...] = (
    ((28, 28, 30), .3), ((40, 40, 180), .14), ((225, 225, 225), .12), ((160, 80, 30), .1),
    ((130, 130, 135), .1), ((40, 70, 110), .06), ((50, 140, 210), .05),
)
CLOTHES: tuple[BGR, ...] = ((235, 235, 235), (40, 40, 40), (120, 70, 40), (60, 60, 150),
                            (150, 150, 150), (190, 130, 80), (70, 110, 60), (40, 90, 190),
                            (210, 200, 240), (90, 60, 110))
SKIN: tuple[BGR, ...] = ((120, 150, 190), (105, 135, 175), (140, 170, 205), (90, 115, 150))
HAIR: tuple[BGR, ...] = ((25, 25, 28), (30, 35, 45), (20, 22, 25))


def _choose(rng: random.Random, table: tuple[tuple[BGR, float], ...], random_hue: float = 0.1
            ) -> BGR:
    if rng.random() < random_hue:
        return hue(rng)
    colours, weights = zip(*table, strict=True)
    return jitter(rng, rng.choices(colours, weights)[0], 0.08)


def _cloth(rng: random.Random) -> BGR:
    return hue(rng) if rng.random() < 0.45 else jitter(rng, rng.choice(CLOTHES))


# -- four wheels -----------------------------------------------------------------------------


def _plate(b: _Builder, face: int, colour: BGR) -> None:
    b.decal(face, 0.4, 0.12, 0.6, 0.3, colour)


def _car_size(rng: random.Random) -> tuple[str, float, float, float]:
    kind = rng.choices(("sedan", "hatch", "suv", "pickup", "van", "mini", "taxi"),
                       (.26, .18, .2, .07, .1, .09, .1))[0]
    dims = {"sedan": (4.5, 1.78, 1.45), "hatch": (3.95, 1.72, 1.5), "suv": (4.7, 1.86, 1.78),
            "pickup": (5.2, 1.86, 1.8), "van": (4.8, 1.82, 1.95), "mini": (3.6, 1.6, 1.5),
            "taxi": (4.45, 1.74, 1.47)}[kind]
    length, width, height = (d * rng.uniform(0.93, 1.07) for d in dims)
    return kind, length, width, height


def car(rng: random.Random) -> Body:
    kind, length, width, height = _car_size(rng)
    colour = _choose(rng, CAR_COLOURS, random_hue=0.12)
    if kind == "taxi":
        colour = rng.choice([(235, 235, 235), (70, 150, 40), (40, 170, 240), (235, 235, 235)])
    b = _Builder("car")
    hl, hw = length / 2, width / 2
    r = rng.uniform(0.28, 0.34)
    belt = height * rng.uniform(0.5, 0.6)
    b.unit(0, 0, height / 2)
    under = b.part(0, 0, 0.15)
    b.box(under, -hw + 0.06, hw - 0.06, -hl + 0.3, hl - 0.3, 0.05, 0.4, DARK, faces="blrf")
    body = b.part(0, 0, belt / 2 + 0.15)
    side_shade = {"t": scale(colour, 1.04)}
    f = b.box(body, -hw, hw, -hl, hl, 0.28, belt, colour, inset=(0.04, 0.04, 0.1, 0.14),
              shades=side_shade)
    bumper = scale(colour, 0.55) if rng.random() < 0.5 else DARK
    for face in ("f", "b"):
        b.decal(f[face], 0.0, 0.0, 1.0, 0.18, bumper)
    b.decal(f["f"], 0.3, 0.3, 0.7, 0.55, DARK)  # grille
    lamp_w = rng.uniform(0.12, 0.22)
    for u in (0.03, 0.97 - lamp_w):
        b.decal(f["f"], u, 0.55, u + lamp_w, 0.85, HEADLAMP, HEAD)
        b.decal(f["b"], u, 0.5, u + lamp_w * 0.9, 0.82, TAILLAMP, TAIL)
    _plate(b, f["f"], PLATE_YELLOW if kind == "taxi" and rng.random() < 0.5 else PLATE_WHITE)
    _plate(b, f["b"], PLATE_WHITE)
    if rng.random() < 0.25:  # a stripe along the sides
        stripe = hue(rng) if rng.random() < 0.5 else scale(colour, 0.6)
        for face in ("l", "r"):
            b.decal(f[face], 0.05, 0.45, 0.95, 0.6, stripe)
    for face in ("l", "r"):  # door seams
        b.decal(f[face], 0.5, 0.15, 0.51, 0.95, scale(colour, 0.6))
    hood = {"van": 0.7, "pickup": 1.3, "mini": 0.8}.get(kind, rng.uniform(0.95, 1.3))
    rear = {"hatch": 0.25, "suv": 0.3, "van": 0.15, "mini": 0.2}.get(kind, rng.uniform(0.55, 0.9))
    cabin_back = -hl + rear if kind != "pickup" else -hl + length * 0.42
    slope_f = {"van": 0.35, "suv": 0.5}.get(kind, rng.uniform(0.5, 0.75))
    slope_b = {"hatch": 0.15, "suv": 0.08, "van": 0.1, "pickup": 0.05}.get(
        kind, rng.uniform(0.25, 0.55))
    cabin_y = (cabin_back + hl - hood) / 2
    cabin = b.part(0, cabin_y, (belt + height) / 2)
    roof = scale(colour, 1.02) if rng.random() < 0.8 else DARK
    c = b.box(cabin, -hw + 0.06, hw - 0.06, cabin_back, hl - hood, belt - 0.01, height, colour,
              inset=(0.13, 0.13, slope_b, slope_f), shades={"t": roof})
    glass = jitter(rng, GLASS, 0.25)
    sky_glass = scale(glass, rng.uniform(1.2, 1.7))
    b.decal(c["f"], 0.05, 0.06, 0.95, 0.92, sky_glass, CABIN, detail=False)
    b.decal(c["b"], 0.08, 0.12, 0.92, 0.9, glass, CABIN, detail=False)
    split = rng.uniform(0.45, 0.55)
    for face in ("l", "r"):
        b.decal(c[face], 0.04, 0.12, split - 0.02, 0.88, glass, CABIN, detail=False)
        b.decal(c[face], split + 0.02, 0.12, 0.96, 0.88, glass, CABIN, detail=False)
    if kind == "taxi" or rng.random() < 0.03:
        sign = b.part(0, cabin_y, height + 0.1, bias=-0.05)
        s = b.box(sign, -0.25, 0.25, cabin_y - 0.12, cabin_y + 0.12, height, height + 0.16,
                  rng.choice([(230, 230, 230), (40, 200, 240), (60, 160, 60)]))
        for face in ("f", "b", "l", "r"):
            b.decal(s[face], 0.1, 0.2, 0.9, 0.8, (60, 220, 250), SIGN)
    if kind == "pickup":
        bed = b.part(0, -hl + length * 0.21, belt + 0.2)
        bd = b.box(bed, -hw + 0.04, hw - 0.04, -hl + 0.02, cabin_back, belt, belt + 0.35,
                   colour)
        b.decal(bd["t"], 0.06, 0.06, 0.94, 0.94, DARK if rng.random() < 0.6 else hue(rng))
    elif rng.random() < 0.15:  # roof rack or a load tied on the roof
        load = b.part(0, cabin_y, height + 0.15, bias=-0.05)
        b.box(load, -hw + 0.25, hw - 0.25, cabin_y - 0.6, cabin_y + 0.4, height,
              height + rng.uniform(0.1, 0.35), hue(rng, v=(0.3, 0.7)))
    for side in (-1, 1):
        wheels = b.part(side * hw, 0, r, bias=0.4)
        for y in (-hl + 0.8, hl - 0.85):
            b.wheel(wheels, side * (hw - 0.01), y, r, 0.0,
                    hub=rng.choice([(160, 160, 165), (60, 60, 60), (200, 200, 205)]))
    return b.build(length, width, height)


def _long_body(b: _Builder, length: float, width: float, z0: float, z1: float, colour: BGR,
               y0: float, seg_m: float = 4.0, front: bool = True, back: bool = True
               ) -> list[dict[str, int]]:
    """A long box cut into segments, each drawn in its own turn so painting stays right."""
    n = max(1, round(length / seg_m))
    faces = []
    for k in range(n):
        a, c = y0 + k * length / n, y0 + (k + 1) * length / n
        unit = b.unit(0, (a + c) / 2, (z0 + z1) / 2)
        part = b.part(0, (a + c) / 2, (z0 + z1) / 2, unit)
        names = "tlr" + ("b" if k == 0 and back else "") + ("f" if k == n - 1 and front else "")
        faces.append(b.box(part, -width / 2, width / 2, a, c, z0, z1, colour, faces=names))
    return faces


def _chassis(b: _Builder, y0: float, y1: float, half_width: float, z0: float, z1: float
             ) -> None:
    """The dark underside, cut like the body so each piece is drawn with its own segment."""
    n = max(1, round((y1 - y0) / 4.0))
    for k in range(n):
        a, c = y0 + k * (y1 - y0) / n, y0 + (k + 1) * (y1 - y0) / n
        part = b.part(0, (a + c) / 2, (z0 + z1) / 2, unit=b.nearest_unit((a + c) / 2), bias=-0.5)
        b.box(part, -half_width, half_width, a, c, z0, z1, DARK,
              faces="lr" + ("b" if k == 0 else "") + ("f" if k == n - 1 else ""))


def _bus_size(rng: random.Random) -> tuple[str, float, float, float]:
    kind = rng.choices(("city", "mini", "coach"), (.5, .3, .2))[0]
    length, width, height = {"city": (rng.uniform(9, 12), 2.5, rng.uniform(3.0, 3.3)),
                             "mini": (rng.uniform(6, 8), 2.1, rng.uniform(2.6, 2.9)),
                             "coach": (rng.uniform(11, 12.5), 2.5, rng.uniform(3.4, 3.8))}[kind]
    return kind, length, width, height


def bus(rng: random.Random) -> Body:
    kind, length, width, height = _bus_size(rng)
    colour = rng.choice([(60, 150, 60), (40, 190, 230), (230, 230, 230), (40, 60, 200),
                         (200, 140, 40)]) if rng.random() < 0.75 else hue(rng)
    b = _Builder("bus")
    hl, hw = length / 2, width / 2
    r = 0.5 if kind != "mini" else 0.38
    faces = _long_body(b, length, width, 0.4, height, colour, -hl)
    glass = jitter(rng, GLASS, 0.2)
    stripe = hue(rng) if rng.random() < 0.6 else scale(colour, 0.6)
    stripe_v = rng.uniform(0.2, 0.45)
    n = len(faces)
    for k, f in enumerate(faces):
        for face in ("l", "r"):
            b.decal(f[face], 0.0, stripe_v, 1.0, stripe_v + rng.uniform(0.04, 0.12), stripe)
            b.decal(f[face], 0.0, 0.55, 1.0, 0.9, glass, CABIN, detail=False)
            if rng.random() < 0.7:  # window pillars
                for u in (0.33, 0.66):
                    b.decal(f[face], u, 0.55, u + 0.03, 0.9, colour)
        b.decal(f["t"], 0.05, 0.05, 0.95, 0.95, scale(colour, 0.92))
        if k == n - 1:
            b.decal(f["f"], 0.04, 0.45, 0.96, 0.93, scale(glass, 1.4), CABIN, detail=False)
            b.decal(f["f"], 0.15, 0.93, 0.85, 0.99, (40, 140, 230), SIGN)
            for u in (0.04, 0.8):
                b.decal(f["f"], u, 0.1, u + 0.16, 0.2, HEADLAMP, HEAD)
            _plate(b, f["f"], PLATE_YELLOW)
        if k == 0:
            b.decal(f["b"], 0.1, 0.55, 0.9, 0.9, glass, CABIN)
            for u in (0.04, 0.84):
                b.decal(f["b"], u, 0.1, u + 0.12, 0.3, TAILLAMP, TAIL)
            _plate(b, f["b"], PLATE_YELLOW)
    _chassis(b, -hl + 0.6, hl - 0.6, hw - 0.1, 0.1, 0.45)
    for side in (-1, 1):
        for y in (-hl + 2.2, hl - 2.0):
            wheel = b.part(side * hw, y, r, unit=b.nearest_unit(y), bias=0.3)
            b.wheel(wheel, side * (hw - 0.02), y, r, 0.0)
    return b.build(length, width, height)


def _truck_size(rng: random.Random) -> tuple[str, float, float]:
    kind = rng.choices(("box", "small", "flatbed", "dump", "tanker", "container"),
                       (.28, .25, .15, .12, .08, .12))[0]
    length = {"box": rng.uniform(6.5, 9), "small": rng.uniform(4.6, 6),
              "flatbed": rng.uniform(7, 10), "dump": rng.uniform(6.5, 8.5),
              "tanker": rng.uniform(8, 11), "container": rng.uniform(14, 16.5)}[kind]
    width = 1.9 if kind == "small" else rng.uniform(2.3, 2.5)
    return kind, length, width


def truck(rng: random.Random) -> Body:
    kind, length, width = _truck_size(rng)
    cab_h = rng.uniform(2.1, 2.4) if kind == "small" else rng.uniform(2.6, 3.0)
    cab_l = 1.7 if kind == "small" else rng.uniform(2.0, 2.4)
    cab_colour = (rng.choice([(170, 90, 30), (230, 230, 230), (40, 40, 170), (40, 190, 230),
                              (60, 130, 60), (150, 150, 150)])
                  if rng.random() < 0.8 else hue(rng))
    b = _Builder("truck")
    hl, hw = length / 2, width / 2
    r = 0.4 if kind == "small" else 0.52
    cab_unit = b.unit(0, hl - cab_l / 2, cab_h / 2)
    cab = b.part(0, hl - cab_l / 2, cab_h / 2 + 0.3, cab_unit)
    c = b.box(cab, -hw, hw, hl - cab_l, hl, 0.45, cab_h, cab_colour,
              inset=(0.05, 0.05, 0.0, rng.uniform(0.1, 0.3)))
    glass = jitter(rng, GLASS, 0.2)
    b.decal(c["f"], 0.06, 0.5, 0.94, 0.92, scale(glass, 1.4), CABIN, detail=False)
    b.decal(c["f"], 0.25, 0.15, 0.75, 0.4, DARK)
    for u in (0.03, 0.82):
        b.decal(c["f"], u, 0.12, u + 0.15, 0.25, HEADLAMP, HEAD)
    _plate(b, c["f"], PLATE_YELLOW)
    for face, (u0, u1) in (("l", (0.45, 0.95)), ("r", (0.05, 0.55))):
        b.decal(c[face], u0, 0.55, u1, 0.9, glass, CABIN, detail=False)
    cargo_l = length - cab_l - 0.15
    y0 = -hl
    cargo_colour = (rng.choice([(230, 230, 230), (200, 200, 205), (160, 100, 40), (40, 170, 220)])
                    if rng.random() < 0.7 else hue(rng))
    bed_z = 1.0 if kind != "small" else 0.8
    if kind in ("box", "small", "container"):
        top = {"box": rng.uniform(3.0, 3.6), "small": rng.uniform(2.3, 2.8),
               "container": rng.uniform(3.9, 4.1)}[kind]
        if kind == "small" and rng.random() < 0.4:  # an open bed with a tarp
            top = bed_z + 0.5
        if kind == "container":
            cargo_colour = rng.choice([(40, 40, 170), (150, 80, 30), (60, 120, 60), (130, 130, 130),
                                       (40, 110, 220), (200, 200, 200)])
        faces = _long_body(b, cargo_l, width, bed_z, top, cargo_colour, y0, front=True)
        for k, f in enumerate(faces):
            if kind == "container":
                for u in np.linspace(0.05, 0.95, 8):
                    for face in ("l", "r"):
                        b.decal(f[face], u, 0.03, u + 0.02, 0.97, scale(cargo_colour, 0.7))
            elif rng.random() < 0.5:
                logo = hue(rng)
                for face in ("l", "r"):
                    b.decal(f[face], 0.1, 0.3, 0.9, rng.uniform(0.45, 0.75), logo)
            if k == 0:
                b.decal(f["b"], 0.49, 0.05, 0.51, 0.95, scale(cargo_colour, 0.6))
                for u in (0.03, 0.88):
                    b.decal(f["b"], u, 0.02, u + 0.09, 0.1, TAILLAMP, TAIL)
                _plate(b, f["b"], PLATE_YELLOW)
    else:
        rail = {"flatbed": 0.55, "dump": 1.2, "tanker": 0.2}[kind]
        faces = _long_body(b, cargo_l, width, bed_z, bed_z + rail, cargo_colour
                           if kind != "dump" else rng.choice([(40, 140, 230), (40, 190, 230),
                                                              (40, 40, 180), (60, 120, 60)]), y0)
        for k, f in enumerate(faces):
            if kind == "dump":
                b.decal(f["t"], 0.05, 0.05, 0.95, 0.95, (50, 80, 110))  # a load of earth
            if k == 0:
                for u in (0.03, 0.88):
                    b.decal(f["b"], u, 0.1, u + 0.09, 0.3, TAILLAMP, TAIL)
        if kind == "tanker":
            tank = (200, 200, 205) if rng.random() < 0.7 else hue(rng)
            n = max(1, round(cargo_l / 4))
            for k in range(n):
                a, e = y0 + 0.2 + k * (cargo_l - 0.4) / n, y0 + 0.2 + (k + 1) * (cargo_l - 0.4) / n
                unit = b.unit(0, (a + e) / 2, 2.0)
                part = b.part(0, (a + e) / 2, 2.2, unit)
                b.box(part, -hw + 0.1, hw - 0.1, a, e, bed_z + rail, 3.0, tank,
                      inset=(0.55, 0.55, 0, 0),
                      faces="tlr" + ("b" if k == 0 else "") + ("f" if k == n - 1 else ""))
        elif kind == "flatbed" and rng.random() < 0.7:  # a load under a tarp, or crates
            load = hue(rng, s=(0.3, 0.9), v=(0.3, 0.8))
            n = len(faces)
            for k in range(n):
                a, e = y0 + 0.2 + k * (cargo_l - 0.4) / n, y0 + 0.2 + (k + 1) * (cargo_l - 0.4) / n
                unit = b.unit(0, (a + e) / 2, 2.0)
                part = b.part(0, (a + e) / 2, 2.1, unit)
                b.box(part, -hw + 0.15, hw - 0.15, a, e, bed_z + rail, bed_z + rail
                      + rng.uniform(0.6, 1.4), load, inset=(0.15, 0.15, 0, 0),
                      faces="tlr" + ("b" if k == 0 else "") + ("f" if k == n - 1 else ""))
    _chassis(b, -hl + 0.3, hl - 0.3, hw - 0.2, 0.3, bed_z)
    axles = [hl - cab_l / 2 - 0.2, -hl + 1.2]
    if length > 8:
        axles.append(-hl + 2.6)
    if length > 13:
        axles.append(-hl + 4.0)
    for side in (-1, 1):
        for y in axles:
            wheel = b.part(side * hw, y, r, unit=b.nearest_unit(y), bias=0.3)
            b.wheel(wheel, side * (hw - 0.03), y, r, 0.0)
    return b.build(length, width, max(cab_h, 3.0))


# -- two wheels and two feet -----------------------------------------------------------------


def _head(b: _Builder, part: int, y: float, z: float, rng: random.Random, headgear: str,
          skin: BGR, helmet: BGR) -> None:
    b.sphere(part, 0, y + 0.02, z, 0.1, skin)
    if headgear == "helmet":
        b.sphere(part, 0, y - 0.02, z + 0.04, 0.135, helmet)
    elif headgear == "hat":  # nón lá, the conical hat
        ring = [(0.26 * math.cos(a), y + 0.26 * math.sin(a), z + 0.06)
                for a in np.linspace(0, 2 * math.pi, 10, endpoint=False)]
        b.hull(part, ring + [(0, y, z + 0.3)], jitter(rng, (150, 205, 225), 0.08))
    elif headgear == "cap":
        b.sphere(part, 0, y - 0.02, z + 0.03, 0.11, helmet)
        b.hull(part, [(-0.08, y, z + 0.05), (0.08, y, z + 0.05), (-0.08, y + 0.17, z + 0.04),
                      (0.08, y + 0.17, z + 0.04), (0, y + 0.05, z + 0.09)], helmet)
    else:
        b.sphere(part, 0, y - 0.025, z + 0.03, 0.105, rng.choice(HAIR))


def _rider(b: _Builder, rng: random.Random, y: float, seat_z: float, hands: tuple[float, float],
           headgear: str, poncho: BGR | None, scale_m: float = 1.0, legs_to: float = 0.3
           ) -> None:
    """A seated rider: hips at (y, seat_z), hands on the bars at (y, z) `hands`."""
    s = scale_m
    shirt, pants = _cloth(rng), jitter(rng, rng.choice(CLOTHES[:5] + (hue(rng),)))
    skin = rng.choice(SKIN)
    torso_top = seat_z + 0.58 * s
    lean = rng.uniform(0.03, 0.12)
    b.fine = True
    for side in (-1, 1):
        leg = b.part(side * 0.2, y + 0.15, seat_z - 0.15, bias=0.05)
        knee = (side * 0.19 * s, y + 0.32 * s, seat_z - 0.02)
        b.rod(leg, (side * 0.11 * s, y, seat_z + 0.04), knee, 0.075 * s, pants)
        b.rod(leg, knee, (side * 0.18 * s, y + 0.3 * s, legs_to), 0.06 * s, pants)
    b.fine = False
    body = b.part(0, y + 0.05, seat_z + 0.35 * s, bias=0.02)
    if poncho is not None:
        ring = [(0.42 * math.cos(a), y + 0.1 + 0.75 * math.sin(a), seat_z - 0.25)
                for a in np.linspace(0, 2 * math.pi, 9, endpoint=False)]
        top = [(sx * 0.2, y + sy, torso_top) for sx in (-1, 1) for sy in (-0.12, 0.12)]
        b.hull(body, ring + top, poncho)
    else:
        b.box(body, -0.19 * s, 0.19 * s, y - 0.13 * s, y + 0.12 * s, seat_z, torso_top, shirt,
              inset=(0.02, 0.02, -lean, lean))
        b.fine = True
        for side in (-1, 1):
            b.rod(body, (side * 0.2 * s, y + lean, torso_top - 0.07),
                  (side * 0.28, hands[0], hands[1]), 0.045 * s, shirt)
        b.fine = False
    head = b.part(0, y + lean, torso_top + 0.14 * s, bias=0.03)
    _head(b, head, y + lean, torso_top + 0.13 * s, rng, headgear, skin,
          hue(rng) if rng.random() < 0.5 else jitter(rng, rng.choice(CLOTHES)))


def _motorcycle_size(rng: random.Random) -> tuple[str, float]:
    kind = rng.choice(("scooter", "scooter", "underbone", "sport"))
    return kind, rng.uniform(1.75, 1.95) if kind != "sport" else rng.uniform(1.95, 2.1)


def motorcycle(rng: random.Random, rain: bool = False, parked: bool = False) -> Body:
    kind, length = _motorcycle_size(rng)
    r = rng.uniform(0.25, 0.29) if kind == "scooter" else rng.uniform(0.29, 0.32)
    colour = _choose(rng, BIKE_COLOURS, 0.15)
    b = _Builder("motorcycle")
    hl = length / 2
    b.unit(0, 0, 0.7)
    wb = hl - r - 0.05
    for y in (-wb, wb):
        wheel = b.part(0, y, r)
        b.wheel(wheel, 0.0, y, r, 0.055, hub=(120, 120, 125), tread=True)
    body = b.part(0, -0.1, 0.55)
    width = 0.22 if kind == "scooter" else 0.16
    f = b.box(body, -width, width, -hl + 0.05, wb - 0.05, r + 0.02, r + 0.5, colour,
              inset=(0.03, 0.03, 0.12, 0.35 if kind != "sport" else 0.1))
    b.decal(f["b"], 0.25, 0.55, 0.75, 0.85, TAILLAMP, TAIL)
    if rng.random() < 0.5:
        for face in ("l", "r"):
            b.decal(f[face], 0.1, 0.35, 0.8, 0.5, hue(rng))
    seat = b.part(0, -0.2, r + 0.55, bias=0.02)
    b.fine = True
    b.box(seat, -0.15, 0.15, -hl + 0.15, 0.15, r + 0.49, r + 0.58, DARK, faces="tlrb")
    b.fine = False
    front = b.part(0, wb - 0.1, 0.75)
    shield = colour if kind != "underbone" else scale(colour, 0.8)
    fr = b.box(front, -0.19, 0.19, wb - 0.25, wb - 0.02, r + 0.05, 1.05, shield,
               inset=(0.05, 0.05, 0.08, 0.05))
    b.decal(fr["f"], 0.3, 0.72, 0.7, 0.9, HEADLAMP, HEAD)
    bar_y = wb - 0.12
    b.fine = True
    b.rod(front, (-0.34, bar_y, 1.08), (0.34, bar_y, 1.08), 0.025, DARK)
    b.rod(front, (0, wb - 0.05, 1.0), (0, wb, r), 0.03, (90, 90, 95))
    b.fine = False
    height = 1.1
    if not parked:
        seat_z = r + 0.62
        poncho = hue(rng, s=(0.3, 0.9), v=(0.5, 0.95)) if rain and rng.random() < 0.6 else None
        headgear = "helmet" if rng.random() < 0.93 else rng.choice(("cap", "none", "hat"))
        if rng.random() < 0.35:  # a passenger behind: two on a bike is the norm
            _rider(b, rng, -0.5, seat_z + 0.03, (-0.05, seat_z + 0.25),
                   rng.choice(("helmet", "helmet", "helmet", "none", "hat")), poncho,
                   scale_m=rng.uniform(0.8, 1.0), legs_to=r + 0.1)
        elif rng.random() < 0.2:  # a load on the rack: crates, a gas bottle, a basket of goods
            load = b.part(0, -hl + 0.1, seat_z + 0.15, bias=-0.05)
            lw = rng.uniform(0.2, 0.45)
            b.box(load, -lw, lw, -hl - 0.15, -hl + 0.4, seat_z - 0.1,
                  seat_z + rng.uniform(0.25, 0.7), hue(rng, v=(0.3, 0.9)))
        _rider(b, rng, -0.12, seat_z, (bar_y, 1.08), headgear, poncho, legs_to=r + 0.08)
        height = seat_z + 0.85
    return b.build(length, 0.7, height)


def bicycle(rng: random.Random, rain: bool = False) -> Body:
    b = _Builder("bicycle")
    r = rng.uniform(0.3, 0.35)
    length = 1.7
    wb = 0.52
    frame = hue(rng) if rng.random() < 0.5 else jitter(rng, rng.choice(CLOTHES))
    b.unit(0, 0, 0.8)
    for y in (-wb, wb):
        wheel = b.part(0, y, r)
        b.wheel(wheel, 0.0, y, r, 0.02, hub=None, tread=True)
    frame_part = b.part(0, 0, 0.55)
    crank = (0, 0.02, r + 0.02)
    saddle = (0, -0.2, r + 0.55)
    bars = (0, wb - 0.1, r + 0.62)
    for k, (a, c) in enumerate((((0, -wb, r), saddle), ((0, wb, r), bars), (crank, saddle),
                                (saddle, bars), (crank, bars), ((0, -wb, r), crank))):
        b.fine = k >= 2
        b.rod(frame_part, a, c, 0.022, frame)
    b.rod(frame_part, (-0.26, bars[1], bars[2]), (0.26, bars[1], bars[2]), 0.02, DARK)
    b.fine = False
    if rng.random() < 0.35:  # a basket in front
        basket = b.part(0, wb, r + 0.55, bias=-0.05)
        b.box(basket, -0.17, 0.17, wb - 0.05, wb + 0.22, r + 0.4, r + 0.65, (60, 120, 160))
    seat_z = saddle[2] + 0.03
    pedals = []
    rider_legs = []
    b.fine = True
    for side in (-1, 1):
        leg = b.part(side * 0.2, 0, seat_z - 0.3, bias=0.05)
        knee = (side * 0.16, 0.12, seat_z - 0.15)
        foot = (side * 0.14, crank[1], crank[2])
        b.rod(leg, (side * 0.1, -0.18, seat_z + 0.03), knee, 0.07, (60, 50, 45))
        ka, fa = b.rod(leg, knee, foot, 0.055, (60, 50, 45))
        pedals.append((fa, side))
        rider_legs.append(ka)
    b.fine = False
    for (foot, side), knee in zip(pedals, rider_legs, strict=True):
        phase = 0.0 if side > 0 else 0.5
        b.animate(foot, 0.17, 0.17, phase, mode=1)
        b.animate(knee, 0.06, 0.08, phase, mode=1)
    poncho = hue(rng, v=(0.5, 0.95)) if rain and rng.random() < 0.5 else None
    headgear = rng.choice(("none", "hat", "hat", "helmet", "cap"))
    body = b.part(0, -0.1, seat_z + 0.3, bias=0.02)
    shirt = _cloth(rng)
    top = seat_z + 0.58
    if poncho is not None:
        ring = [(0.4 * math.cos(a), -0.05 + 0.55 * math.sin(a), seat_z - 0.2)
                for a in np.linspace(0, 2 * math.pi, 9, endpoint=False)]
        b.hull(body, ring + [(sx * 0.2, sy, top) for sx in (-1, 1) for sy in (-0.25, 0.0)],
               poncho)
    else:
        b.box(body, -0.18, 0.18, -0.3, -0.06, seat_z, top, shirt, inset=(0.02, 0.02, -0.08, 0.08))
        b.fine = True
        for side in (-1, 1):
            b.rod(body, (side * 0.19, -0.1, top - 0.06), (side * 0.24, bars[1], bars[2]), 0.04,
                  shirt)
        b.fine = False
    head = b.part(0, -0.08, top + 0.15, bias=0.03)
    _head(b, head, -0.1, top + 0.13, rng, headgear, rng.choice(SKIN), hue(rng))
    return b.build(length, 0.6, top + 0.3)


def person(rng: random.Random, rain: bool = False) -> Body:
    h = rng.uniform(1.5, 1.82)
    b = _Builder("person")
    b.unit(0, 0, h / 2)
    pants = jitter(rng, rng.choice(CLOTHES[:6] + (hue(rng),)))
    shirt = _cloth(rng)
    hip = 0.52 * h
    stride = rng.uniform(0.2, 0.3)
    for side in (-1, 1):
        leg = b.part(side * 0.1, 0, hip / 2)
        _, foot = b.rod(leg, (side * 0.09, 0, hip), (side * 0.1, 0, 0.06), 0.07, pants)
        b.animate(foot, stride, 0.05, 0.0 if side > 0 else 0.5)
    body = b.part(0, 0, 0.67 * h, bias=0.02)
    dress = rng.random() < 0.15  # áo dài or a long dress
    b.box(body, -0.19, 0.19, -0.11, 0.11, hip - (0.25 * h if dress else 0.02), 0.82 * h,
          shirt, inset=(0.02, 0.02, 0.0, 0.0) if not dress else (-0.02, -0.02, -0.02, -0.02))
    if rng.random() < 0.25:  # a bag on the shoulder
        b.box(body, 0.18, 0.28, -0.12, 0.12, 0.5 * h, 0.65 * h, hue(rng, v=(0.2, 0.7)))
    b.fine = True
    for side in (-1, 1):
        arm = b.part(side * 0.24, 0, 0.65 * h, bias=0.03)
        _, hand = b.rod(arm, (side * 0.22, 0, 0.8 * h), (side * 0.25, 0, 0.5 * h), 0.045, shirt)
        b.animate(hand, 0.15, 0.0, 0.5 if side > 0 else 0.0)
    b.fine = False
    head = b.part(0, 0, 0.92 * h, bias=0.04)
    headgear = rng.choice(("none", "none", "hat", "cap", "helmet"))
    _head(b, head, 0.0, 0.9 * h, rng, headgear, rng.choice(SKIN), _cloth(rng))
    if rain and rng.random() < 0.5:  # an umbrella: drawn, but not part of the person's box
        brolly = b.part(0, 0.05, h + 0.3, bias=0.1)
        ring = [(0.5 * math.cos(a), 0.05 + 0.5 * math.sin(a), h + 0.2)
                for a in np.linspace(0, 2 * math.pi, 10, endpoint=False)]
        b.hull(brolly, ring + [(0, 0.05, h + 0.45)], hue(rng), label=False)
    return b.build(0.45, 0.5, h)


VARIANTS = 512  # looks per class and weather: variety enough, and all of them fit the cache


@lru_cache(maxsize=8192)  # ≈10 KB a body
def body_for(cls: str, seed: int, rain: bool = False, parked: bool = False) -> Body:
    """The road user `seed` stands for (one of VARIANTS per class), built once and shared."""
    rng = random.Random(seed)
    if cls == "car":
        return car(rng)
    if cls == "bus":
        return bus(rng)
    if cls == "truck":
        return truck(rng)
    if cls == "motorcycle":
        return motorcycle(rng, rain=rain, parked=parked)
    if cls == "bicycle":
        return bicycle(rng, rain=rain)
    return person(rng, rain=rain)


def footprint(cls: str, seed: int) -> tuple[float, float]:
    """Length and width of what `body_for(cls, seed)` builds, without building it."""
    rng = random.Random(seed)
    if cls == "car":
        return _car_size(rng)[1:3]
    if cls == "bus":
        return _bus_size(rng)[1:3]
    if cls == "truck":
        return _truck_size(rng)[1:3]
    if cls == "motorcycle":
        return _motorcycle_size(rng)[1], 0.7
    return (1.7, 0.6) if cls == "bicycle" else (0.45, 0.5)
