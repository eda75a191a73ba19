"""The static street a camera sees: road, markings, kerbs, sidewalks, shophouses, trees, poles.

`plan_street` turns a `Street` into things with places and colours (pure, seeded by the street's
own seed), and `draw_backdrop` paints a plan through a camera under one `Light`: the same street
by day, at dusk, at night, in rain or fog. Painter's order: sky, ground, then upright things
far to near, then the wires. A depth buffer filled on the way gives each pixel its distance,
so fog thickens with distance on walls and road alike.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import cv2
import numpy as np

from simulators.camera_bodies import hue, jitter, scale
from simulators.camera_light import Light
from simulators.camera_scene import PALETTES, Pinhole, Street

BGR = tuple[int, int, int]
FAR_M = 420.0  # buildings, trees and poles stop here; the road runs on to the horizon
NEAR_Y_M = -30.0


@dataclass
class Decal:
    """A rectangle on a facade, in metres: u along the street from the building's start."""

    u0: float
    v0: float
    u1: float
    v1: float
    colour: BGR
    lit: BGR | None = None  # its colour at night, when lit
    out_m: float = 0.0  # how far it stands out from the wall (balconies, boards)


@dataclass
class Building:
    side: int  # -1 left, +1 right of the road
    y0: float
    y1: float
    face_x: float
    depth_m: float
    height_m: float
    colour: BGR
    wall: BGR  # the bare side walls
    decals: list[Decal] = field(default_factory=list)
    tank: bool = False
    awning: tuple[float, BGR] | None = None  # height, colour


@dataclass
class Tree:
    x: float
    y: float
    trunk_m: float
    crowns: list[tuple[float, float, float, float, BGR]]  # dx, dy, z, r, colour


@dataclass
class Pole:
    x: float
    y: float
    height_m: float
    lamp_arm_m: float  # 0: an electricity pole; else a street lamp reaching over the road
    side: int


@dataclass
class Plan:
    street: Street
    asphalt: BGR
    walk: tuple[BGR, BGR]
    tile_m: float
    kerb_paint: tuple[BGR, BGR] | None
    line_fade: float
    patches: list[tuple[float, float, float, float, float]]  # x0, x1, y0, y1, brightness
    cracks: list[list[tuple[float, float]]]
    manholes: list[tuple[float, float]]
    buildings: list[Building]
    trees: list[Tree]
    poles: list[Pole]
    wires: list[tuple[tuple[float, float, float], tuple[float, float, float], float, int]]
    lamp_colour: BGR
    median_green: bool
    skyline: list[tuple[float, float]]  # x, height of the far tree line


def _facade(rng: random.Random, width: float, height: float, ground: float, storey: float,
            colour: BGR) -> tuple[list[Decal], tuple[float, BGR] | None]:
    d: list[Decal] = []
    shop = rng.random()
    top = ground - 0.9
    if shop < 0.45:  # open shop front: dark inside, goods stacked
        d.append(Decal(0.3, 0, width - 0.3, top, (45, 45, 50), (110, 170, 215)))
        for _ in range(rng.randint(2, 6)):
            u = rng.uniform(0.4, width - 1.0)
            v = rng.uniform(0.0, top - 0.8)
            d.append(Decal(u, v, u + rng.uniform(0.3, 0.9), v + rng.uniform(0.3, 0.8),
                           hue(rng, v=(0.4, 0.9))))
    elif shop < 0.8:  # roller shutter, pulled down
        grey = jitter(rng, (150, 150, 155), 0.15)
        d.append(Decal(0.3, 0, width - 0.3, top, grey))
        for k in range(int(top / 0.3)):
            d.append(Decal(0.3, k * 0.3, width - 0.3, k * 0.3 + 0.05, scale(grey, 0.75)))
    else:  # glass shop front
        d.append(Decal(0.3, 0, width - 0.3, top, (150, 140, 120), (180, 230, 245)))
        d.append(Decal(width / 2 - 0.04, 0, width / 2 + 0.04, top, (80, 80, 80)))
    board = hue(rng, s=(0.6, 1.0), v=(0.6, 1.0)) if rng.random() < 0.8 else (235, 235, 235)
    d.append(Decal(0.1, top + 0.05, width - 0.1, ground - 0.1, board,
                   tuple(min(255, round(c * 1.2 + 30)) for c in board), out_m=0.12))
    ink = hue(rng, v=(0.1, 0.9))
    u = 0.4
    while u < width - 0.6:
        w = rng.uniform(0.2, 0.6)
        d.append(Decal(u, top + 0.25, min(width - 0.4, u + w), ground - 0.3, ink, out_m=0.13))
        u += w + rng.uniform(0.08, 0.25)
    v = ground
    while v + storey <= height - 0.4:
        n = rng.choice((1, 2, 2, 3))
        gap = width / n
        lit = rng.choice(((120, 200, 250), (230, 235, 240), (90, 160, 230)))
        glass = rng.choice(((70, 60, 55), (120, 110, 100), (60, 80, 90)))
        for k in range(n):
            u0, u1 = k * gap + 0.25 * gap, (k + 1) * gap - 0.25 * gap
            d.append(Decal(u0, v + 0.9, u1, v + storey - 0.5, glass,
                           lit if rng.random() < 0.55 else None))
        if rng.random() < 0.5:  # a balcony with its railing
            d.append(Decal(0.05, v, width - 0.05, v + 0.15, scale(colour, 0.8), out_m=0.7))
            d.append(Decal(0.05, v + 0.95, width - 0.05, v + 1.05, (60, 60, 60), out_m=0.7))
            for k in range(int(width / 0.6)):
                d.append(Decal(0.1 + k * 0.6, v + 0.15, 0.14 + k * 0.6, v + 1.0, (60, 60, 60),
                               out_m=0.7))
        v += storey
    d.append(Decal(0, height - 0.5, width, height, scale(colour, 0.85)))  # parapet
    awning = ((top - 0.1), hue(rng, v=(0.4, 0.9))) if rng.random() < 0.4 else None
    return d, awning


def plan_street(street: Street) -> Plan:
    rng = random.Random(f"plan:{street.seed}")
    palette = PALETTES[street.palette]
    buildings: list[Building] = []
    for side in (-1, 1):
        edge = street.right_m if side > 0 else street.left_m
        face = edge + side * street.sidewalk_m[0 if side < 0 else 1]
        y = NEAR_Y_M - rng.uniform(0, 5)
        while y < FAR_M:
            width = rng.uniform(3.5, 8.0) if rng.random() < 0.85 else rng.uniform(9, 16)
            if rng.random() < 0.08:  # an alley (hẻm) between houses
                y += rng.uniform(1.8, 3.5)
            storey = rng.uniform(3.0, 3.5)
            ground = rng.uniform(3.6, 4.3)
            floors = rng.choices((1, 2, 3, 4, 5, 6), (.1, .22, .28, .22, .12, .06))[0]
            height = ground + (floors - 1) * storey + 0.5
            colour = jitter(rng, rng.choice(palette), 0.1)
            wall = jitter(rng, (150, 152, 155), 0.12) if rng.random() < 0.6 else colour
            decals, awning = _facade(rng, width, height, ground, storey, colour)
            setback = rng.uniform(0, 1.2) if rng.random() < 0.3 else 0.0
            if rng.random() < 0.15:  # an advert painted on the bare side wall
                wall = hue(rng, v=(0.5, 0.9))
            buildings.append(Building(side, y, y + width, face + side * setback,
                                      rng.uniform(8, 16), height, colour, wall, decals,
                                      tank=rng.random() < 0.4, awning=awning))
            y += width
    trees: list[Tree] = []
    for side in (-1, 1):
        if rng.random() < 0.35:
            continue
        edge = street.right_m if side > 0 else street.left_m
        y = rng.uniform(-10, 10)
        while y < FAR_M:
            top = rng.uniform(2.2, 4.0)
            greens = [jitter(rng, (60, 120, 60), 0.25), jitter(rng, (50, 100, 45), 0.25),
                      jitter(rng, (80, 150, 90), 0.25)]
            crowns = [(rng.uniform(-1.3, 1.3), rng.uniform(-1.3, 1.3), top + rng.uniform(0.6, 3),
                       rng.uniform(1.0, 2.1), rng.choice(greens)) for _ in range(rng.randint(4, 7))]
            trees.append(Tree(edge + side * rng.uniform(0.6, 1.2), y, top, crowns))
            y += rng.uniform(7, 22)
    poles: list[Pole] = []
    wires = []
    for side in (-1, 1):
        edge = street.right_m if side > 0 else street.left_m
        if rng.random() < 0.75:  # electricity poles and their tangle of wires
            y = rng.uniform(-15, 10)
            prev = None
            heights = [rng.uniform(6.0, 9.0) for _ in range(rng.randint(3, 9))]
            while y < FAR_M:
                pole = Pole(edge + side * rng.uniform(0.3, 0.6), y, rng.uniform(8.5, 10.5), 0,
                            side)
                poles.append(pole)
                if prev is not None:
                    for h in heights:
                        wires.append(((prev.x, prev.y, min(h, prev.height_m - 0.3)),
                                       (pole.x, pole.y, min(h, pole.height_m - 0.3)),
                                       rng.uniform(0.2, 1.2), 1))
                    if rng.random() < 0.5:  # a thick cable bundle
                        wires.append(((prev.x, prev.y, 6.0), (pole.x, pole.y, 6.0),
                                      rng.uniform(0.8, 1.6), 2))
                prev = pole
                y += rng.uniform(25, 40)
        if rng.random() < 0.6:  # street lamps reaching over the road
            y = rng.uniform(5, 25)
            while y < FAR_M:
                poles.append(Pole(edge + side * 0.4, y, rng.uniform(8, 10),
                                  rng.uniform(1.2, 2.8), side))
                y += rng.uniform(28, 40)
    power = [p for p in poles if not p.lamp_arm_m]
    for _ in range(rng.randint(0, 3)):  # wires across the street
        left = [p for p in power if p.side < 0]
        right = [p for p in power if p.side > 0]
        if left and right:
            a, b = rng.choice(left), rng.choice(right)
            if abs(a.y - b.y) < 60:
                wires.append(((a.x, a.y, a.height_m - 0.5), (b.x, b.y, b.height_m - 0.5),
                              rng.uniform(0.5, 1.5), 1))
    asphalt = jitter(rng, rng.choice(((95, 95, 98), (85, 88, 92), (110, 108, 105),
                                      (78, 78, 80))), 0.1)
    lanes_x = (street.left_m, street.right_m)
    patches = [(x0, x0 + rng.uniform(1, 4), y0, y0 + rng.uniform(1, 10), rng.uniform(0.8, 1.2))
               for x0, y0 in ((rng.uniform(*lanes_x), rng.uniform(0, 160))
                              for _ in range(rng.randint(3, 14)))]
    cracks = []
    for _ in range(rng.randint(3, 12)):
        x, y = rng.uniform(*lanes_x), rng.uniform(2, 80)
        line = [(x, y)]
        for _ in range(rng.randint(3, 8)):
            x, y = x + rng.uniform(-0.6, 0.6), y + rng.uniform(0.3, 1.5)
            line.append((x, y))
        cracks.append(line)
    manholes = [(rng.uniform(*lanes_x), rng.uniform(4, 90)) for _ in range(rng.randint(1, 5))]
    walk_base = rng.choice(((170, 175, 180), (90, 110, 170), (150, 170, 190), (120, 130, 130),
                            (110, 130, 150)))
    skyline = [(x, rng.uniform(8, 30)) for x in np.linspace(-400, 400, 40)]
    return Plan(
        street=street, asphalt=asphalt,
        walk=(jitter(rng, walk_base, 0.1), jitter(rng, walk_base, 0.1)),
        tile_m=rng.uniform(0.3, 0.8),
        kerb_paint=rng.choice(((None), ((40, 200, 230), (30, 30, 30)),
                               ((230, 230, 230), (40, 40, 190)))),
        line_fade=rng.uniform(0.45, 1.0), patches=patches, cracks=cracks, manholes=manholes,
        buildings=buildings, trees=trees, poles=poles, wires=wires,
        lamp_colour=rng.choice(((80, 170, 255), (230, 235, 240))),
        median_green=rng.random() < 0.6, skyline=skyline,
    )


def _clip_near(cam: np.ndarray, near: float) -> np.ndarray:
    """Sutherland-Hodgman against the plane z = near, in camera coordinates."""
    if (cam[:, 2] >= near).all():
        return cam
    out = []
    n = len(cam)
    for i in range(n):
        a, b = cam[i], cam[(i + 1) % n]
        if a[2] >= near:
            out.append(a)
        if (a[2] >= near) != (b[2] >= near):
            t = (near - a[2]) / (b[2] - a[2])
            out.append(a + t * (b - a))
    return np.array(out).reshape(-1, 3)


class _Painter:
    def __init__(self, cam: Pinhole, light: Light) -> None:
        self.cam, self.light = cam, light
        h, w = cam.height, cam.width
        self.img = np.zeros((h, w, 3), np.float32)
        self.depth = cam.ray_distance()
        self.upright = np.full((h, w), np.inf, np.float32)  # what can hide a road user
        self.glow = np.zeros((h // 2, w // 2, 3), np.float32)
        self._factor: dict[tuple[float, float, float], np.ndarray] = {}

    def lit(self, colour, normal=(0.0, 0.0, 1.0)) -> np.ndarray:
        key = tuple(normal)
        if key not in self._factor:
            self._factor[key] = self.light.shade(np.ones((1, 3)), np.array([normal], float))[0]
        return np.asarray(colour, float) * self._factor[key]

    def poly(self, points, colour, normal=(0.0, 0.0, 1.0), upright: bool = True,
             emissive: bool = False) -> bool:
        cam = _clip_near(self.cam.to_camera(np.asarray(points, float)), Pinhole.NEAR_M)
        if len(cam) < 3:
            return False
        px = self.cam.pixels(cam)
        if (px[:, 0].max() < 0 or px[:, 0].min() > self.cam.width or px[:, 1].max() < 0
                or px[:, 1].min() > self.cam.height):
            return False
        pts = np.rint(px * 4).astype(np.int32)
        col = np.asarray(colour, float) if emissive else self.lit(colour, normal)
        cv2.fillConvexPoly(self.img, pts, col.tolist(), cv2.LINE_8, 2)
        if upright:
            dist = float(np.linalg.norm(cam, axis=1).mean())
            cv2.fillConvexPoly(self.depth, pts, dist, cv2.LINE_8, 2)
            cv2.fillConvexPoly(self.upright, pts, dist, cv2.LINE_8, 2)
        return True

    def quads(self, corners: np.ndarray, colours: list) -> None:
        """Many small lit quads at once (the details on a facade); those reaching behind the
        camera are left out, the upright buffer keeps the wall's own distance."""
        if not len(corners):
            return
        cam = self.cam.to_camera(corners.reshape(-1, 3)).reshape(-1, 4, 3)
        ok = (cam[:, :, 2] > Pinhole.NEAR_M).all(axis=1)
        px = np.rint(self.cam.pixels(np.clip(cam, -1e4, 1e4)) * 4)
        px = np.clip(px, -1e6, 1e6).astype(np.int32)
        for k in np.flatnonzero(ok).tolist():
            cv2.fillConvexPoly(self.img, px[k], np.asarray(colours[k], float).tolist(),
                               cv2.LINE_8, 2)

    def ground(self, xy, colour, z: float = 0.0) -> None:
        pts = [(x, y, z) for x, y in xy]
        self.poly(pts, colour, upright=False)

    def line(self, points, colour, radius_m: float, upright: bool = True,
             min_px: int = 1) -> None:
        cam = self.cam.to_camera(np.asarray(points, float))
        keep = cam[:, 2] > Pinhole.NEAR_M
        if keep.sum() < 2:
            return
        cam = cam[keep]
        px = np.rint(self.cam.pixels(cam) * 4).astype(np.int32)
        z = float(cam[:, 2].mean())
        thick = max(min_px, round(2 * radius_m * self.cam.f / z))
        col = self.lit(colour, (0.0, 0.0, 0.0)).tolist()
        cv2.polylines(self.img, [px], False, col, thick, cv2.LINE_8, 2)
        if upright:
            cv2.polylines(self.depth, [px], False, z, thick, cv2.LINE_8, 2)
            cv2.polylines(self.upright, [px], False, z, thick, cv2.LINE_8, 2)

    def ground_lines(self, segments: list, colour) -> None:
        """Many thin lines on the ground, a pixel wide (paving joints), in one go."""
        ends = self.cam.to_camera(np.array(segments, float).reshape(-1, 3)).reshape(-1, 2, 3)
        ends = ends[(ends[:, :, 2] > Pinhole.NEAR_M).all(axis=1)]
        if len(ends):
            px = np.rint(self.cam.pixels(ends) * 4).astype(np.int32)
            cv2.polylines(self.img, list(px), False, self.lit(colour).tolist(), 1, cv2.LINE_8, 2)

    def ball(self, centre, r: float, colour) -> None:
        cam = self.cam.to_camera(np.asarray([centre], float))[0]
        if cam[2] < Pinhole.NEAR_M:
            return
        u, v = self.cam.pixels(cam)
        rad = r * self.cam.f / cam[2]
        col = self.lit(colour, (0.0, 0.0, 0.0)).tolist()
        c = (round(u * 4), round(v * 4))
        cv2.circle(self.img, c, max(1, round(rad * 4)), col, -1, cv2.LINE_8, 2)
        for buffer in (self.depth, self.upright):
            cv2.circle(buffer, c, max(1, round(rad * 4)), float(cam[2]), -1, cv2.LINE_8, 2)

    def glow_at(self, point, radius_m: float, colour, min_px: float = 1.0) -> None:
        cam = self.cam.to_camera(np.asarray([point], float))[0]
        if cam[2] < Pinhole.NEAR_M:
            return
        u, v = self.cam.pixels(cam) / 2
        rad = min(6.0, max(min_px, radius_m * self.cam.f / cam[2] / 2))
        keep = math.exp(-1.5 * cam[2] / self.light.look.visibility_m)
        cv2.circle(self.glow, (round(u), round(v)), max(1, round(rad)),
                   (np.asarray(colour, float) * keep).tolist(), -1)

    def glow_ground(self, xy: list[tuple[float, float]], colour) -> None:
        cam = _clip_near(self.cam.to_camera(np.array([(x, y, 0.0) for x, y in xy])),
                         Pinhole.NEAR_M)
        if len(cam) >= 3:
            pts = np.rint(self.cam.pixels(cam) * 2).astype(np.int32)  # half size, 4x subpixel
            cv2.fillConvexPoly(self.glow, pts, list(colour), cv2.LINE_8, 2)


def _quad_x(x: float, y0: float, y1: float, z0: float, z1: float) -> list:
    return [(x, y0, z0), (x, y1, z0), (x, y1, z1), (x, y0, z1)]


def _draw_ground(p: _Painter, plan: Plan) -> None:
    s = plan.street
    light = p.light
    wet = light.look.rain > 0
    asphalt = np.array(plan.asphalt, float) * (0.72 if wet else 1.0)
    left, right = s.left_m, s.right_m
    lot = (120, 125, 128)
    far = 3000.0
    p.ground([(-200, NEAR_Y_M), (200, NEAR_Y_M), (200, far), (-200, far)], lot)
    for side, width, walk in ((-1, s.sidewalk_m[0], plan.walk[0]),
                              (1, s.sidewalk_m[1], plan.walk[1])):
        edge = right if side > 0 else left
        outer = edge + side * (width + 1.5)
        p.ground([(edge, NEAR_Y_M), (outer, NEAR_Y_M), (outer, far), (edge, far)], walk, s.kerb_m)
        joints = [((edge, y, s.kerb_m), (edge + side * width, y, s.kerb_m))
                  for y in np.arange(0.0, 45.0, plan.tile_m)]  # paving joints near the camera
        joints += [((edge + side * k * plan.tile_m, -5, s.kerb_m),
                    (edge + side * k * plan.tile_m, 45, s.kerb_m))
                   for k in range(1, int(width / plan.tile_m))]
        p.ground_lines(joints, scale(walk, 0.8))
        p.ground([(edge, NEAR_Y_M), (edge + side * 0.25, NEAR_Y_M), (edge + side * 0.25, far),
                  (edge, far)], scale(walk, 1.12), s.kerb_m)
    p.ground([(left, NEAR_Y_M), (right, NEAR_Y_M), (right, far), (left, far)], asphalt)
    for x0, x1, y0, y1, k in plan.patches:
        x0, x1 = max(left, x0), min(right, x1)
        if x1 > x0:
            p.ground([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], asphalt * k)
    for lane in s.lanes:  # darker bands where the wheels run
        for dx in (-0.8, 0.8):
            x = lane.centre_m + dx
            p.ground([(x - 0.25, NEAR_Y_M), (x + 0.25, NEAR_Y_M), (x + 0.25, 300),
                      (x - 0.25, 300)], asphalt * 0.93)
    for line in plan.cracks:
        p.line([(x, y, 0.0) for x, y in line], asphalt * 0.6, 0.015, upright=False)
    for x, y in plan.manholes:
        ring = [(x + 0.35 * math.cos(a), y + 0.35 * math.sin(a)) for a in
                np.linspace(0, 2 * math.pi, 10, endpoint=False)]
        p.ground(ring, (70, 72, 75))
    if wet:  # puddles mirror the sky
        rng = random.Random(f"puddles:{s.seed}")
        for _ in range(8):
            x, y = rng.uniform(left, right), rng.uniform(3, 60)
            a, b = rng.uniform(0.4, 1.5), rng.uniform(0.6, 2.5)
            ring = [(x + a * math.cos(t), y + b * math.sin(t)) for t in
                    np.linspace(0, 2 * math.pi, 12, endpoint=False)]
            p.poly([(u, v, 0.0) for u, v in ring], asphalt * 0.5 + light.sky[1] * 0.3,
                   upright=False, emissive=True)
    white = asphalt + plan.line_fade * (np.array([225, 228, 228.0]) - asphalt)
    yellow = asphalt + plan.line_fade * (np.array([40, 185, 230.0]) - asphalt)

    def stripe(x: float, width: float, colour, y0: float = -10, y1: float = 400,
               dash: tuple[float, float] | None = None) -> None:
        if dash is None:
            p.ground([(x - width / 2, y0), (x + width / 2, y0), (x + width / 2, y1),
                      (x - width / 2, y1)], colour)
            return
        y = y0 + random.Random(f"dash:{s.seed}:{x:.2f}").uniform(0, sum(dash))
        while y < min(y1, 220):
            p.ground([(x - width / 2, y), (x + width / 2, y), (x + width / 2, y + dash[0]),
                      (x - width / 2, y + dash[0])], colour)
            y += sum(dash)

    stripe(left + 0.25, 0.15, white)
    stripe(right - 0.25, 0.15, white)
    lanes = s.lanes
    for a, b in zip(lanes, lanes[1:], strict=False):
        x = (a.centre_m + a.width_m / 2 + b.centre_m - b.width_m / 2) / 2
        if a.direction == b.direction:
            stripe(x, 0.13, white, dash=s.dash_m)
        elif s.median_m > 0:
            x0, x1 = a.centre_m + a.width_m / 2, b.centre_m - b.width_m / 2
            top = (70, 130, 70) if plan.median_green else (150, 155, 160)
            p.poly(_quad_x(x0, NEAR_Y_M, far, 0, s.kerb_m + 0.1), (180, 180, 180),
                   normal=(-1.0, 0.0, 0.0), upright=False)
            p.poly(_quad_x(x1, far, NEAR_Y_M, 0, s.kerb_m + 0.1), (180, 180, 180),
                   normal=(1.0, 0.0, 0.0), upright=False)
            p.ground([(x0, NEAR_Y_M), (x1, NEAR_Y_M), (x1, far), (x0, far)], top,
                     s.kerb_m + 0.1)
        elif s.centre_line == "double_yellow":
            stripe(x - 0.12, 0.12, yellow)
            stripe(x + 0.12, 0.12, yellow)
        elif s.centre_line == "yellow":
            stripe(x, 0.15, yellow, dash=(3.0, 3.0) if s.seed % 2 else None)
        elif s.centre_line == "dashed_white":
            stripe(x, 0.15, white, dash=(3.0, 5.0))
    if s.zebra_y_m is not None:
        x = left + 0.4
        while x < right - 0.4:
            p.ground([(x, s.zebra_y_m), (x + 0.5, s.zebra_y_m), (x + 0.5, s.zebra_y_m + 3.5),
                      (x, s.zebra_y_m + 3.5)], white)
            x += 1.0
    for side in (-1, 1):  # kerb faces, painted near the camera on some streets
        x = right if side > 0 else left
        normal = (-float(side), 0.0, 0.0)
        stone = (175, 178, 180)

        def face(y0: float, y1: float, colour, x=x, side=side, normal=normal) -> None:
            pts = _quad_x(x, y0, y1, 0, s.kerb_m)
            p.poly(pts if side < 0 else pts[::-1], colour, normal=normal, upright=False)

        face(60 if plan.kerb_paint else NEAR_Y_M, far, stone)
        if plan.kerb_paint:
            for k, y in enumerate(np.arange(NEAR_Y_M, 60, 1.0)):
                face(float(y), float(y) + 1.0, plan.kerb_paint[k % 2])


def _draw_building(p: _Painter, b: Building, night: float) -> None:
    s = b.side
    if s * (p.cam.C[0] - b.face_x) > -0.8 and b.y0 < 15 and b.y1 > -25:
        return  # the camera stands on this corner: here a side street opens
    x0, x1 = b.face_x, b.face_x + s * b.depth_m
    top = b.height_m
    cx = p.cam.C
    if cx[2] > top:
        p.poly([(x0, b.y0, top), (x1, b.y0, top), (x1, b.y1, top), (x0, b.y1, top)],
               scale(b.colour, 0.8), normal=(0.0, 0.0, 1.0))
    if cx[1] < b.y0:
        p.poly(_quad_y(b.y0, x0, x1, 0, top), b.wall, normal=(0.0, -1.0, 0.0))
    if cx[1] > b.y1:
        p.poly(_quad_y(b.y1, x0, x1, 0, top), b.wall, normal=(0.0, 1.0, 0.0))
    facade_n = (-float(s), 0.0, 0.0)
    if not p.poly(_quad_x(x0, b.y0, b.y1, 0, top), b.colour, normal=facade_n):
        return
    cam_z = np.linalg.norm(np.array([x0, (b.y0 + b.y1) / 2, top / 2]) - cx)
    tall_px = b.height_m * p.cam.f / max(cam_z, 1.0)
    decals = b.decals if tall_px > 14 else b.decals[:1]  # skip windows a few pixels tall
    if tall_px < 60:  # ... and shutter slats and railing bars a pixel wide
        decals = [d for d in decals if d.u1 - d.u0 > 0.3 and d.v1 - d.v0 > 0.2]
    corners, colours = [], []
    for d in decals:
        x = x0 - s * (0.02 + d.out_m)
        corners.append(_quad_x(x, b.y0 + d.u0, b.y0 + d.u1, d.v0, d.v1))
        colour = p.lit(d.colour, facade_n)
        if d.lit is not None and night > 0:
            colour = colour * (1 - night) + np.asarray(d.lit, float) * night
        colours.append(colour)
        if d.out_m > 0.3 and d.v1 - d.v0 < 0.3:  # the top of a balcony slab
            corners.append([(x0, b.y0 + d.u0, d.v1), (x, b.y0 + d.u0, d.v1),
                            (x, b.y0 + d.u1, d.v1), (x0, b.y0 + d.u1, d.v1)])
            colours.append(p.lit(scale(d.colour, 1.1)))
    p.quads(np.array(corners, float).reshape(-1, 4, 3), colours)
    if b.awning is not None:
        z, colour = b.awning
        out = x0 - s * 1.4
        p.poly([(x0, b.y0 + 0.2, z), (x0, b.y1 - 0.2, z), (out, b.y1 - 0.2, z - 0.5),
                (out, b.y0 + 0.2, z - 0.5)], colour, normal=(-0.35 * s, 0.0, 0.94))
    if b.tank:  # a stainless water tank on the roof
        tx = x0 + s * 2.0
        ty = (b.y0 + b.y1) / 2
        for pts, n in ((_quad_x(tx - s * 0.5, ty - 0.5, ty + 0.5, top, top + 1.1),
                        facade_n),
                       (_quad_y(ty - 0.5, tx - 0.5 * s, tx + 0.5 * s, top, top + 1.1),
                        (0.0, -1.0, 0.0))):
            p.poly(pts, (205, 205, 210), normal=n)


def _quad_y(y: float, x0: float, x1: float, z0: float, z1: float) -> list:
    return [(x0, y, z0), (x1, y, z0), (x1, y, z1), (x0, y, z1)]


def _blocks_view(p: _Painter, x: float, y: float, z: float, r: float) -> bool:
    """Would a thing this close hide the middle of the road? Installers avoid that."""
    if math.hypot(x - p.cam.C[0], y - p.cam.C[1]) < 12:
        return True
    cam = p.cam.to_camera(np.array([[x, y, z]]))[0]
    if cam[2] < Pinhole.NEAR_M or cam[2] > 45:
        return False
    u, v = p.cam.pixels(cam)
    rad = r * p.cam.f / cam[2]
    w, h = p.cam.width, p.cam.height
    return (u + rad > 0.3 * w and u - rad < 0.7 * w and v + rad > 0.3 * h)


def _draw_tree(p: _Painter, t: Tree, street: Street) -> None:
    if _blocks_view(p, t.x, t.y, t.trunk_m + 1.5, 2.2):
        return
    p.line([(t.x, t.y, street.kerb_m), (t.x, t.y, t.trunk_m + 1.0)], (50, 70, 90), 0.16)
    sun = p.light.sun
    for dx, dy, z, r, colour in sorted(t.crowns, key=lambda c: c[2]):
        p.ball((t.x + dx, t.y + dy, z), r, scale(colour, 0.8))
        lit = (t.x + dx + 0.3 * r * sun[0], t.y + dy + 0.3 * r * sun[1], z + 0.3 * r)
        p.ball(lit, r * 0.65, scale(colour, 1.1))


def _draw_pole(p: _Painter, pole: Pole, plan: Plan, night: float) -> None:
    if _blocks_view(p, pole.x, pole.y, 4.0, 0.3):  # the camera's own pole, or one in the way
        return
    grey = (150, 152, 150) if not pole.lamp_arm_m else (120, 125, 125)
    p.line([(pole.x, pole.y, 0), (pole.x, pole.y, pole.height_m)], grey, 0.13)
    if not pole.lamp_arm_m:
        p.line([(pole.x - 0.8, pole.y, pole.height_m - 0.6),
                (pole.x + 0.8, pole.y, pole.height_m - 0.6)], (110, 110, 110), 0.05)
        return
    head = (pole.x - pole.side * pole.lamp_arm_m, pole.y, pole.height_m + 0.3)
    p.line([(pole.x, pole.y, pole.height_m), head], grey, 0.06)
    p.ball(head, 0.25, (90, 90, 90) if night < 0.5 else plan.lamp_colour)
    if night > 0:
        lamp = np.asarray(plan.lamp_colour, float)
        p.glow_at(head, 0.8, lamp * night, min_px=1.5)
        ring = [(head[0] + 7 * math.cos(a), head[1] + 7 * math.sin(a))
                for a in np.linspace(0, 2 * math.pi, 14, endpoint=False)]
        p.glow_ground(ring, (lamp * 0.35 * night).tolist())
        if p.light.look.rain > 0:  # a long reflection on the wet road
            p.glow_ground([(head[0] - 0.3, head[1] - 12), (head[0] + 0.3, head[1] - 12),
                           (head[0] + 0.2, head[1]), (head[0] - 0.2, head[1])],
                          (lamp * 0.6 * night).tolist())


def draw_backdrop(plan: Plan, cam: Pinhole, light: Light) -> tuple[np.ndarray, np.ndarray]:
    """The graded street under this light (float32, before noise and blur), and per pixel the
    distance to the upright thing drawn there (inf on open ground and sky): trees, poles, wires
    and walls hide the road users behind them."""
    p = _Painter(cam, light)
    h, w = cam.height, cam.width
    top, horizon = light.sky
    ahead = cam.C + 1000 * np.array([cam.R[2, 0], cam.R[2, 1], 0.0])
    hv = float(np.clip(cam.project(ahead[None])[0][0, 1], 1, h))
    t = np.clip(np.arange(h, dtype=np.float32) / hv, 0, 1)[:, None]
    p.img[:] = (top + (horizon - top) * t)[:, None, :].astype(np.float32)
    _draw_ground(p, plan)
    s = plan.street
    night = light.night
    things: list[tuple[float, object]] = []
    for b in plan.buildings:
        things.append((_distance(cam, (b.face_x, (b.y0 + b.y1) / 2, b.height_m / 3)), b))
    for t_ in plan.trees:
        things.append((_distance(cam, (t_.x, t_.y, 3.0)), t_))
    for pole in plan.poles:
        things.append((_distance(cam, (pole.x, pole.y, 3.0)), pole))
    things.sort(key=lambda item: -item[0])
    green = np.array([90, 115, 95.0])
    for (xa, ha), (xb, hb) in zip(plan.skyline, plan.skyline[1:], strict=False):
        p.poly([(xa, FAR_M + 60, 0), (xb, FAR_M + 60, 0), (xb, FAR_M + 60, hb),
                (xa, FAR_M + 60, ha)], green, normal=(0.0, -1.0, 0.0))
    for _, thing in things:
        if isinstance(thing, Building):
            _draw_building(p, thing, night)
        elif isinstance(thing, Tree):
            _draw_tree(p, thing, s)
        else:
            _draw_pole(p, thing, plan, night)
    for a, b, sag, kind in plan.wires:
        pts = [(a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u,
                a[2] + (b[2] - a[2]) * u - sag * 4 * u * (1 - u)) for u in np.linspace(0, 1, 12)]
        p.line(pts, (35, 35, 38), 0.012 if kind == 1 else 0.04)
    depth = p.depth
    sky = ~np.isfinite(depth)
    keep_sky = {"clear": 0.92, "overcast": 0.75, "rain": 0.45, "fog": 0.05}[light.look.weather]
    depth[sky] = -math.log(keep_sky) * light.look.visibility_m / 3
    img = light.grade(light.fog(p.img, depth), depth).astype(np.float32)
    if night > 0:
        glow = cv2.GaussianBlur(p.glow, (0, 0), 6)
        if light.look.infrared:
            glow = np.repeat(glow.mean(axis=2, keepdims=True), 3, axis=2)
        img = img + cv2.resize(glow, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(img, 0, 255).astype(np.float32), p.upright


def _distance(cam: Pinhole, point: tuple[float, float, float]) -> float:
    return float(np.linalg.norm(np.asarray(point) - cam.C))
