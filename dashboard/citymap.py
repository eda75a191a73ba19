"""The city map, drawn from the API's city model with no tile server and no web font.

Why plain (SVG) scatter traces on longitude/latitude axes rather than plotly's MapLibre maps
(`Scattermap`, style "white-bg"): MapLibre fetches glyphs for every text label from the internet
(fonts.openmaptiles.org), so ward names would not render offline, and it needs WebGL, which
headless or GPU-less control-room browsers may lack. Wards, roads and markers drawn as traces
render anywhere; `scaleanchor` keeps the map's proportions true (1° of longitude is
cos(latitude) × 1° of latitude on the ground), and pan/zoom work as on any plotly chart.

The city model's exact shape is read defensively: points may be [lat, lon], [lon, lat]
(told apart by range: |lon| > 90 here), {"lat", "lon"} objects or GeoJSON geometries.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go

from dashboard.display import status_look
from dashboard.i18n import t

LatLon = tuple[float, float]

MAP_BG = "#0e1620"
WARD_FILLS = ("#1f3a4d", "#24413a", "#3a3350", "#45392a", "#1e3f47", "#3b2f3d", "#2c3d2a",
              "#2a3550", "#403a2a", "#203b3f", "#39304a", "#2f4030")
WARD_EDGE = "#5a7089"
ROAD_STYLES = {  # class -> (casing width, fill width, fill colour)
    "highway": (7.0, 4.0, "#e0a83e"),
    "major": (5.0, 2.8, "#9aa9bb"),
    "minor": (3.4, 1.8, "#7f91a6"),
}
SENSOR_KINDS = ("pm25", "pm10", "water_level", "rainfall", "temperature", "humidity", "noise")
SENSOR_SYMBOLS = {"pm25": "circle", "pm10": "hexagon", "water_level": "triangle-up",
                  "rainfall": "triangle-down", "temperature": "square", "humidity": "pentagon",
                  "noise": "diamond"}
REPORT_LOOK = {  # urgency -> (colour, symbol, size)
    "urgent": ("#ff5cae", "star", 15),
    "normal": ("#c4a7ff", "diamond-wide", 10),
    "untriaged": ("#c4a7ff", "diamond-wide-open", 10),
}
CAMERA_COLOR = "#4cc3ff"
STREAM_COLOR = "#3b82c4"
BOUNDARY_COLOR = "#8fb0d3"
LEGEND_COLOR = "#cfd8e3"


@dataclass(frozen=True)
class Ward:
    name: str
    slug: str
    rings: list[list[LatLon]]
    kind: str = ""  # ward (phường) | commune (xã)
    centroid: LatLon | None = None

    def label_point(self) -> LatLon | None:
        return self.centroid or centroid(max(self.rings, key=len, default=[]))

    def full_name(self, lang: str) -> str:
        """'Phường Xuân An' / 'Xuân An Ward' (the model's names carry no prefix)."""
        prefixed = self.name.lower().startswith(("phường", "xã", "thị trấn"))
        if self.kind in ("ward", "commune") and not prefixed:
            return t(f"ward.kind.{self.kind}", lang, name=self.name)
        return self.name


@dataclass(frozen=True)
class Road:
    name: str
    kind: str
    points: list[LatLon]


@dataclass(frozen=True)
class Site:
    """A sensor or camera on the map."""

    id: str
    lat: float
    lon: float
    kind: str = ""
    name: str = ""
    ward: str = ""


@dataclass(frozen=True)
class CityModel:
    name: str
    wards: list[Ward]
    roads: list[Road]
    sensors: list[Site]
    cameras: list[Site]
    center: LatLon | None = None
    streams: list[Road] = field(default_factory=list)
    boundary: list[LatLon] = field(default_factory=list)
    ward_index: dict[str, Ward] = field(default_factory=dict)  # slug or name -> ward
    sensor_at: dict[str, LatLon] = field(default_factory=dict)  # where each marker is drawn

    def ward_name(self, ward: str | None, lang: str = "vi") -> str | None:
        """A ward's full display name from its slug or name; unknown text is shown as given."""
        if not ward:
            return None
        found = self.ward_index.get(ward) or self.ward_index.get(ward.lower())
        return found.full_name(lang) if found else ward

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(lat_min, lat_max, lon_min, lon_max) of everything drawn."""
        pts = [p for w in self.wards for r in w.rings for p in r] + list(self.boundary)
        pts += [p for r in self.roads for p in r.points]
        pts += [(s.lat, s.lon) for s in self.sensors + self.cameras]
        if not pts:
            return None
        lats, lons = [p[0] for p in pts], [p[1] for p in pts]
        return min(lats), max(lats), min(lons), max(lons)


# ---------------------------------------------------------------------------- reading the model

def _pair(a: float, b: float, lon_first: bool) -> LatLon:
    return (b, a) if lon_first else (a, b)


def _is_pair(p: object) -> bool:
    return (isinstance(p, Sequence) and not isinstance(p, str) and len(p) >= 2
            and all(isinstance(v, int | float) for v in p[:2]))


def points_of(raw: object, lon_first: bool | None = None) -> list[LatLon]:
    """One ring/line of points, whatever its notation, as (lat, lon)."""
    if isinstance(raw, dict):
        for key in ("coordinates", "points", "polygon", "polyline", "path", "line"):
            if key in raw:
                return points_of(raw[key], True if key == "coordinates" else lon_first)
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return []
    if raw and isinstance(raw[0], dict):
        out = [_latlon_of(p) for p in raw]
        return [p for p in out if p is not None]
    pairs = [p for p in raw if _is_pair(p)]
    if not pairs:
        return []
    if any(abs(p[0]) > 90 for p in pairs):
        lon_first = True
    elif any(abs(p[1]) > 90 for p in pairs):
        lon_first = False
    return [_pair(float(p[0]), float(p[1]), bool(lon_first)) for p in pairs]


def rings_of(raw: object) -> list[list[LatLon]]:
    """The rings of a polygon: a plain ring, a list of rings, or a GeoJSON (Multi)Polygon."""
    if isinstance(raw, dict):
        if raw.get("type") == "Feature":
            return rings_of(raw.get("geometry"))
        kind, coords = raw.get("type"), raw.get("coordinates")
        if kind == "Polygon":
            return [r for r in (points_of(ring, True) for ring in coords or []) if r]
        if kind == "MultiPolygon":
            return [r for poly in coords or [] for r in (points_of(ring, True) for ring in poly)
                    if r]
        return [r for r in [points_of(raw)] if r]
    if isinstance(raw, Sequence) and raw and not _is_pair(raw[0]) and not isinstance(raw[0], dict):
        nested = [rings_of(part) for part in raw]  # a list of rings (or of polygons)
        return [r for rings in nested for r in rings]
    ring = points_of(raw)
    return [ring] if ring else []


def _latlon_of(obj: object) -> LatLon | None:
    if not isinstance(obj, dict):
        return None
    lat = obj.get("lat", obj.get("latitude"))
    lon = obj.get("lon", obj.get("lng", obj.get("longitude")))
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lat), float(lon)
    for key in ("location", "position", "point", "coords", "geometry"):
        if key in obj:
            inner = obj[key]
            if isinstance(inner, dict) and "coordinates" in inner:
                pts = points_of([inner["coordinates"]], True)
            elif isinstance(inner, dict):
                return _latlon_of(inner)
            else:
                pts = points_of([inner])
            return pts[0] if pts else None
    return None


def _first(obj: dict, *keys: str, default: object = None) -> object:
    for key in keys:
        if obj.get(key) not in (None, ""):
            return obj[key]
    return default


def _site(obj: dict, id_keys: tuple[str, ...]) -> Site | None:
    where = _latlon_of(obj)
    ident = _first(obj, *id_keys)
    if where is None or ident is None:
        return None
    return Site(id=str(ident), lat=where[0], lon=where[1],
                kind=str(_first(obj, "kind", default="")),
                name=str(_first(obj, "name", "label", default=ident)),
                ward=str(_first(obj, "ward", "ward_slug", default="")))


def _road_kind(obj: dict) -> str:
    kind = str(_first(obj, "kind", "class", "type", "highway", "category", "level",
                      default="minor")).lower()
    if kind in ROAD_STYLES:
        return kind
    if any(w in kind for w in ("highway", "trunk", "national", "motorway", "ql", "quoc")):
        return "highway"
    if any(w in kind for w in ("major", "primary", "secondary", "arterial", "main", "provincial")):
        return "major"
    return "minor"


def city_model(raw: dict) -> CityModel:
    """The API's /api/city JSON, read into what the map draws."""
    wards = []
    for i, w in enumerate(raw.get("wards") or []):
        if not isinstance(w, dict):
            continue
        geometry = _first(w, "polygon", "boundary", "geometry", "outline", "points",
                          "coordinates", "polygons", default=[])
        name = str(_first(w, "name", "name_vi", "slug", default=f"#{i + 1}"))
        label_at = points_of([w["centroid"]]) if _is_pair(w.get("centroid")) else []
        wards.append(Ward(name=name, slug=str(_first(w, "slug", "id", default=name)),
                          rings=rings_of(geometry), kind=str(w.get("kind") or ""),
                          centroid=label_at[0] if label_at else None))
    roads = []
    for r in raw.get("roads") or []:
        if isinstance(r, dict):
            geometry = _first(r, "points", "polyline", "path", "line", "coordinates", "geometry",
                              default=[])
            pts = points_of(geometry, True if isinstance(geometry, dict) else None)
            roads.append(Road(str(_first(r, "name", "id", default="")), _road_kind(r), pts))
        else:
            roads.append(Road("", "minor", points_of(r)))
    streams = [Road(str(_first(r, "name", "slug", default="")), "stream",
                    points_of(_first(r, "points", "polyline", "path", "coordinates",
                                     default=[])))
               for r in raw.get("streams") or [] if isinstance(r, dict)]
    index: dict[str, Ward] = {}
    for w in wards:
        for key in (w.slug, w.name, w.full_name("vi"), w.full_name("en")):
            index[key] = index[key.lower()] = w
    raw_center = _first(raw, "centre", "center")
    center = _latlon_of(raw_center) if isinstance(raw_center, dict) else None
    if center is None and _is_pair(raw_center):
        center = points_of([raw_center])[0]
    sensors = [s for s in (_site(x, ("id", "sensor_id")) for x in raw.get("sensors") or []
                           if isinstance(x, dict)) if s]
    return CityModel(
        name=str(raw.get("name") or ""),
        wards=wards, roads=[r for r in roads if len(r.points) >= 2],
        sensors=sensors, sensor_at=spread(sensors),
        cameras=[c for c in (_site(x, ("id", "camera_id")) for x in raw.get("cameras") or []
                             if isinstance(x, dict)) if c],
        center=center, streams=[r for r in streams if len(r.points) >= 2],
        boundary=rings_of(raw.get("boundary") or [])[0] if raw.get("boundary") else [],
        ward_index=index)


def spread(sites: list[Site], radius_deg: float = 0.0016) -> dict[str, LatLon]:
    """Marker positions: sensors of one station share a site, so they are drawn on a small
    circle (≈ 170 m) around it instead of hiding each other; the hover gives the true site."""
    groups: dict[tuple[float, float], list[Site]] = {}
    for site in sites:
        groups.setdefault((round(site.lat, 5), round(site.lon, 5)), []).append(site)
    at: dict[str, LatLon] = {}
    for group in groups.values():
        for i, site in enumerate(group):
            if len(group) == 1:
                at[site.id] = (site.lat, site.lon)
                continue
            angle = math.pi / 2 + 2 * math.pi * i / len(group)
            at[site.id] = (site.lat + radius_deg * math.sin(angle),
                           site.lon + radius_deg * math.cos(angle)
                           / max(0.05, math.cos(math.radians(site.lat))))
    return at


def centroid(ring: list[LatLon]) -> LatLon | None:
    """Area-weighted centroid of a ring (the mean of its points if it has no area)."""
    if not ring:
        return None
    area = cx = cy = 0.0
    n = len(ring)
    for i in range(n):
        (y0, x0), (y1, x1) = ring[i], ring[(i + 1) % n]
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        return sum(p[0] for p in ring) / n, sum(p[1] for p in ring) / n
    return cy / (3 * area), cx / (3 * area)


# ---------------------------------------------------------------------------- drawing

def hover_safe(text: object, limit: int = 160) -> str:
    """Untrusted text for a plotly hover label: plotly reads <b>, <a href> … in labels, so
    every tag character is escaped (plotly shows the entities as plain characters)."""
    s = str(text if text is not None else "")
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return html.escape(s, quote=False)  # plotly decodes &lt; &gt; &amp;, not &quot;


def _line_xy(points: Iterable[LatLon]) -> tuple[list, list]:
    xs, ys = [], []
    for lat, lon in points:
        xs.append(lon)
        ys.append(lat)
    return xs, ys


def base_figure(city: CityModel, *, lang: str = "vi", kind_label=None, label_size: int = 12,
                show_labels: bool = True, show_roads: bool = True) -> go.Figure:
    """Wards, roads, ward names and the sensor legend: the part of the map that does not
    change. Without `kind_label` there is no sensor legend (maps that show no sensors)."""
    fig = go.Figure()
    for i, ward in enumerate(city.wards):  # hover names the ward in full
        xs: list = []
        ys: list = []
        for ring in ward.rings:
            rx, ry = _line_xy(ring + ring[:1])
            xs += rx + [None]
            ys += ry + [None]
        fig.add_trace(go.Scatter(
            x=xs[:-1], y=ys[:-1], mode="lines", fill="toself",
            fillcolor=WARD_FILLS[i % len(WARD_FILLS)], line={"color": WARD_EDGE, "width": 1.2},
            hoveron="fills", hoverinfo="name", name=hover_safe(ward.full_name(lang)),
            showlegend=False))
    if city.streams:
        xs, ys = [], []
        for stream in city.streams:
            rx, ry = _line_xy(stream.points)
            xs += rx + [None]
            ys += ry + [None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 line={"color": STREAM_COLOR, "width": 2.2}))
    if city.boundary:
        bx, by = _line_xy(city.boundary + city.boundary[:1])
        fig.add_trace(go.Scatter(x=bx, y=by, mode="lines", hoverinfo="skip", showlegend=False,
                                 line={"color": BOUNDARY_COLOR, "width": 2.5}))
    if show_roads:
        for kind in ("minor", "major", "highway"):  # draw big roads on top
            roads = [r for r in city.roads if r.kind == kind]
            if not roads:
                continue
            casing, width, colour = ROAD_STYLES[kind]
            xs, ys = [], []
            for road in roads:
                rx, ry = _line_xy(road.points)
                xs += rx + [None]
                ys += ry + [None]
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                     line={"color": MAP_BG, "width": casing}))
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                     line={"color": colour, "width": width}))
    for kind in SENSOR_KINDS if kind_label else ():  # neutral legend; markers carry status
        if any(site.kind == kind for site in city.sensors):
            fig.add_trace(go.Scatter(
                x=[None], y=[None], mode="markers", name=kind_label(kind), legendgroup=kind,
                hoverinfo="skip", marker={"symbol": SENSOR_SYMBOLS[kind], "size": 12,
                                          "color": LEGEND_COLOR}))
    if show_labels:
        labels = [(w.name, w.label_point()) for w in city.wards]
        labels = [(n, p) for n, p in labels if p]
        fig.add_trace(go.Scatter(
            x=[p[1] for _, p in labels], y=[p[0] for _, p in labels], mode="text",
            text=[hover_safe(n) for n, _ in labels], hoverinfo="skip", showlegend=False,
            textfont={"color": "rgba(222,232,244,0.9)", "size": label_size,
                      "shadow": f"0px 0px 3px {MAP_BG}"}))
    _map_layout(fig, city)
    return fig


def _map_layout(fig: go.Figure, city: CityModel) -> None:
    bounds = city.bounds()
    lat0 = (bounds[0] + bounds[1]) / 2 if bounds else (city.center or (0.0, 0.0))[0]
    axis = {"visible": False, "showgrid": False, "zeroline": False, "fixedrange": False}
    yaxis = dict(axis, scaleanchor="x", scaleratio=1 / max(0.05, math.cos(math.radians(lat0))))
    if bounds:
        pad_lat = (bounds[1] - bounds[0]) * 0.03 or 0.01
        pad_lon = (bounds[3] - bounds[2]) * 0.03 or 0.01
        axis = dict(axis, range=[bounds[2] - pad_lon, bounds[3] + pad_lon])
        yaxis["range"] = [bounds[0] - pad_lat, bounds[1] + pad_lat]
    fig.update_layout(
        xaxis=axis, yaxis=yaxis, margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=MAP_BG, plot_bgcolor=MAP_BG, dragmode="pan", hovermode="closest",
        uirevision="city-map", font={"color": "#d6e2f0", "family": "Liberation Sans, Arial, "
                                     "DejaVu Sans, sans-serif"},
        hoverlabel={"bgcolor": "#101923", "bordercolor": "#3b5068",
                    "font": {"color": "#f2f6fa", "size": 13}},
        legend={"orientation": "h", "x": 0.01, "y": 0.01, "xanchor": "left", "yanchor": "bottom",
                "bgcolor": "rgba(14,22,32,0.82)", "bordercolor": "#2c3c50", "borderwidth": 1,
                "font": {"size": 12}, "itemclick": "toggle"})


def sensor_traces(readings: list[dict], city: CityModel, kind_label, status_of, hover_of
                  ) -> list[go.Scatter]:
    """One trace per sensor kind (always all kinds, so trace positions never move), plus a halo
    trace circling sensors in alarm. `status_of(reading)` -> ok|warning|alarm|offline; colour
    and an open symbol for offline carry the status, the hover says it in words."""
    sites = {s.id: s for s in city.sensors}
    traces = []
    halo_x, halo_y = [], []
    for kind in SENSOR_KINDS:
        xs, ys, colours, symbols, texts = [], [], [], [], []
        for r in readings:
            site = sites.get(str(r.get("sensor_id")))
            if r.get("kind") != kind or site is None:
                continue
            status = status_of(r)
            lat, lon = city.sensor_at.get(site.id, (site.lat, site.lon))
            xs.append(lon)
            ys.append(lat)
            colours.append(status_look(status).color)
            symbols.append(SENSOR_SYMBOLS[kind] + ("-open" if status == "offline" else ""))
            texts.append(hover_of(r, site, status))
            if status == "alarm":
                halo_x.append(lon)
                halo_y.append(lat)
        traces.append(go.Scatter(
            x=xs, y=ys, mode="markers", name=kind_label(kind), showlegend=False,
            legendgroup=kind, hoverinfo="text", hovertext=texts,
            marker={"color": colours, "symbol": symbols, "size": 14,
                    "line": {"color": "#0b1118", "width": 1.2}}))
    traces.append(go.Scatter(
        x=halo_x, y=halo_y, mode="markers", hoverinfo="skip", showlegend=False,
        marker={"symbol": "circle-open", "size": 28, "color": "#ff4d5e", "line": {"width": 2.5}}))
    return traces


def report_traces(reports: list[dict], labels: dict[str, str], hover_of) -> list[go.Scatter]:
    """Urgent, normal and not-yet-triaged reports: always three traces, in that order."""
    traces = []
    for level in ("urgent", "normal", "untriaged"):
        mine = [r for r in reports
                if isinstance(r.get("lat"), int | float) and isinstance(r.get("lon"), int | float)
                and (r.get("urgency") or "untriaged") == level]
        colour, symbol, size = REPORT_LOOK[level]
        traces.append(go.Scatter(
            x=[r["lon"] for r in mine], y=[r["lat"] for r in mine], mode="markers",
            name=labels[level], showlegend=bool(mine), legendgroup=f"reports-{level}",
            hoverinfo="text",
            hovertext=[hover_of(r) for r in mine],
            marker={"color": colour, "symbol": symbol, "size": size,
                    "line": {"color": "#0b1118" if "open" not in symbol else colour,
                             "width": 1 if "open" not in symbol else 2}}))
    return traces


def camera_trace(city: CityModel, online: dict[str, bool], name: str) -> go.Scatter:
    """Cameras labelled by number (names are long; the hover and the camera cards give them);
    an open square is a camera with no fresh frame."""
    cams = city.cameras
    return go.Scatter(
        x=[c.lon for c in cams], y=[c.lat for c in cams], mode="markers+text", name=name,
        showlegend=False, text=[hover_safe(c.id.removeprefix("cam-")) for c in cams],
        textposition="top center",
        textfont={"color": "#cfe9ff", "size": 12, "shadow": f"0px 0px 3px {MAP_BG}"},
        hoverinfo="text", hovertext=[hover_safe(f"{c.name} ({c.id})") for c in cams],
        marker={"symbol": ["square" if online.get(c.id) else "square-open" for c in cams],
                "size": 15, "color": CAMERA_COLOR, "line": {"color": "#0b1118", "width": 1}})


def frame_sites(fig: go.Figure, sites: list[Site], margin: float = 0.35,
                min_span_deg: float = 0.02) -> None:
    """Start the view on these sites (e.g. the cameras) rather than on the whole city."""
    if not sites:
        return
    lats, lons = [s.lat for s in sites], [s.lon for s in sites]
    span_lat = max(max(lats) - min(lats), min_span_deg) * (1 + 2 * margin)
    span_lon = max(max(lons) - min(lons), min_span_deg) * (1 + 2 * margin)
    mid_lat, mid_lon = (max(lats) + min(lats)) / 2, (max(lons) + min(lons)) / 2
    fig.update_layout(xaxis_range=[mid_lon - span_lon / 2, mid_lon + span_lon / 2],
                      yaxis_range=[mid_lat - span_lat / 2, mid_lat + span_lat / 2])


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=hover_safe(message), showarrow=False,
                       font={"color": "#9fb0c3", "size": 16}, x=0.5, y=0.5, xref="paper",
                       yref="paper")
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, paper_bgcolor=MAP_BG,
                      plot_bgcolor=MAP_BG, margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return fig
