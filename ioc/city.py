"""The city model: wards, roads, streams, sensor sites and cameras of a Long Khánh-like city.

Pure data plus geometry; the only I/O is reading the packaged `data/city_longkhanh.json`.
Coordinates are (lat, lon) in WGS 84. Ward polygons are approximate (Voronoi cells of each
ward's position, clipped to the city boundary), good enough to place reports and sensors.
"""

from __future__ import annotations

import json
from functools import cached_property, lru_cache
from importlib.resources import files
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from ioc.events import SensorKind

LatLon = tuple[float, float]


class BBox(NamedTuple):
    south: float
    west: float
    north: float
    east: float


def point_in_polygon(lat: float, lon: float, polygon: tuple[LatLon, ...]) -> bool:
    """Ray casting (even-odd rule); the polygon is open (last vertex != first)."""
    inside = False
    n = len(polygon)
    for i in range(n):
        lat0, lon0 = polygon[i]
        lat1, lon1 = polygon[(i + 1) % n]
        if (lat0 > lat) != (lat1 > lat):
            crossing_lon = lon0 + (lat - lat0) * (lon1 - lon0) / (lat1 - lat0)
            if lon < crossing_lon:
                inside = not inside
    return inside


def bbox_of(points: tuple[LatLon, ...]) -> BBox:
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return BBox(min(lats), min(lons), max(lats), max(lons))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ward(_Model):
    slug: str = Field(pattern=r"^[a-z0-9-]+$", description="ASCII id, e.g. 'xuan-an'")
    name: str = Field(description="Vietnamese name with diacritics, e.g. 'Xuân An'")
    kind: Literal["ward", "commune"]  # phường / xã
    polygon: tuple[LatLon, ...] = Field(min_length=3)
    centroid: LatLon

    def contains(self, lat: float, lon: float) -> bool:
        return point_in_polygon(lat, lon, self.polygon)

    @property
    def bbox(self) -> BBox:
        return bbox_of(self.polygon)


class Road(_Model):
    slug: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    kind: Literal["national", "provincial", "urban"]
    points: tuple[LatLon, ...] = Field(min_length=2)
    wards: tuple[str, ...] = Field(description="Slugs of the wards the road crosses")


class Stream(_Model):
    slug: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    points: tuple[LatLon, ...] = Field(min_length=2)
    wards: tuple[str, ...]


class SensorSite(_Model):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: SensorKind
    station: str = Field(description="Sensors at one station share it (PM2.5 and PM10, weather)")
    ward: str
    lat: float
    lon: float
    stream: str | None = Field(None, description="The stream a water-level sensor measures")


class CameraSite(_Model):
    id: str = Field(pattern=r"^cam-\d{2}$")
    name: str
    road: str
    ward: str
    lat: float
    lon: float
    heading_deg: float = Field(ge=0, lt=360, description="Compass direction the camera looks")


class City(_Model):
    slug: str
    name: str
    province: str
    centre: LatLon
    boundary: tuple[LatLon, ...] = Field(min_length=3, description="The city's outline")
    wards: tuple[Ward, ...]
    roads: tuple[Road, ...]
    streams: tuple[Stream, ...]
    sensors: tuple[SensorSite, ...]
    cameras: tuple[CameraSite, ...] = Field(max_length=16)

    @cached_property
    def bbox(self) -> BBox:
        return bbox_of(self.boundary)

    def contains(self, lat: float, lon: float) -> bool:
        """Inside the city's outline: reports from elsewhere are rejected."""
        south, west, north, east = self.bbox
        if not (south <= lat <= north and west <= lon <= east):
            return False
        return point_in_polygon(lat, lon, self.boundary)

    def ward_at(self, lat: float, lon: float) -> Ward | None:
        """The ward containing the point, or None outside the city.

        A point exactly on a shared edge can escape every polygon under ray casting; inside the
        city it then goes to the ward with the nearest centroid rather than to none.
        """
        if not self.contains(lat, lon):
            return None
        for ward in self.wards:
            if ward.contains(lat, lon):
                return ward
        return min(self.wards,
                   key=lambda w: (w.centroid[0] - lat) ** 2 + (w.centroid[1] - lon) ** 2)

    def ward(self, slug: str) -> Ward:
        for ward in self.wards:
            if ward.slug == slug:
                return ward
        raise KeyError(f"no ward {slug!r} in {self.name}; known: {[w.slug for w in self.wards]}")

    def roads_in(self, ward_slug: str) -> tuple[Road, ...]:
        return tuple(r for r in self.roads if ward_slug in r.wards)


@lru_cache
def load_city() -> City:
    """The packaged city model, parsed once."""
    text = files("ioc").joinpath("data/city_longkhanh.json").read_text(encoding="utf-8")
    return City.model_validate(json.loads(text))
