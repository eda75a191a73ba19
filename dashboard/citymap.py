"""The city map, drawn from the API's city model with no tile server and no web font.

Why plain (SVG) scatter traces on longitude/latitude axes rather than plotly's MapLibre maps
(`Scattermap`, style "white-bg"): MapLibre fetches glyphs for every text label from the internet
(fonts.openmaptiles.org), so ward names would not render offline, and it needs WebGL, which
headless or GPU-less control-room browsers may lack. Wards, roads and markers drawn as traces
render anywhere; `scaleanchor` keeps the map's proportions true (1° of longitude is
cos(latitude) × 1° of latitude on the ground), and pan/zoom work as on any plotly chart.

`GET /api/city` is `ioc.city.City` dumped to JSON: the API client (dashboard/api.py) validates
the document back into `CityModel`, that model plus what the map derives from it, and the map
draws from it; a document that does not validate is no city at all.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from functools import cached_property

import plotly.graph_objects as go

from dashboard.display import status_look
from dashboard.i18n import t
from ioc.api.models import LatestReading, RecentReport
from ioc.city import CameraSite, City, LatLon, SensorSite, Ward
from ioc.events import SensorKind

MAP_BG = "#0e1620"
WARD_FILLS = ("#1f3a4d", "#24413a", "#3a3350", "#45392a", "#1e3f47", "#3b2f3d", "#2c3d2a",
              "#2a3550", "#403a2a", "#203b3f", "#39304a", "#2f4030")
WARD_EDGE = "#5a7089"
ROAD_STYLES = {  # style -> (casing width, fill width, fill colour)
    "highway": (7.0, 4.0, "#e0a83e"),
    "major": (5.0, 2.8, "#9aa9bb"),
    "minor": (3.4, 1.8, "#7f91a6"),
}
ROAD_STYLE_OF = {"national": "highway", "provincial": "major", "urban": "minor"}  # Road.kind
SENSOR_KINDS = tuple(kind.value for kind in SensorKind)  # the order of the sensor traces
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

Site = SensorSite | CameraSite  # a marker on the map


class CityModel(City):
    """The city model, plus the ward names and marker positions the map derives from it."""

    @cached_property
    def wards_by_slug(self) -> dict[str, Ward]:
        return {ward.slug: ward for ward in self.wards}

    @cached_property
    def sensor_at(self) -> dict[str, LatLon]:
        """Where each sensor's marker is drawn (see `spread`)."""
        return spread(self.sensors)

    def ward_name(self, slug: str | None, lang: str = "vi") -> str | None:
        """'Phường Xuân An' / 'Xuân An Ward' from a ward's slug; other text is shown as is."""
        if not slug:
            return None
        ward = self.wards_by_slug.get(slug)
        return full_name(ward, lang) if ward else slug


def full_name(ward: Ward, lang: str) -> str:
    """'Phường Xuân An' / 'Xuân An Ward': the model's names carry no prefix."""
    return t(f"ward.kind.{ward.kind}", lang, name=ward.name)


def spread(sites: Sequence[SensorSite], radius_deg: float = 0.0016) -> dict[str, LatLon]:
    """Marker positions: sensors of one station share a site, so they are drawn on a small
    circle (≈ 170 m) around it instead of hiding each other; the hover gives the true site."""
    groups: dict[str, list[SensorSite]] = {}
    for site in sites:
        groups.setdefault(site.station, []).append(site)
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


def _lines_xy(lines: Iterable[Sequence[LatLon]]) -> tuple[list, list]:
    """Several lines as one trace: a None after each breaks the line."""
    xs, ys = [], []
    for line in lines:
        rx, ry = _line_xy(line)
        xs += rx + [None]
        ys += ry + [None]
    return xs, ys


def base_figure(city: CityModel, *, lang: str = "vi", kind_label=None, label_size: int = 12,
                show_labels: bool = True, show_roads: bool = True) -> go.Figure:
    """Wards, roads, ward names and the sensor legend: the part of the map that does not
    change. Without `kind_label` there is no sensor legend (maps that show no sensors)."""
    fig = go.Figure()
    for i, ward in enumerate(city.wards):  # hover names the ward in full
        xs, ys = _line_xy(ward.polygon + ward.polygon[:1])
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", fill="toself",
            fillcolor=WARD_FILLS[i % len(WARD_FILLS)], line={"color": WARD_EDGE, "width": 1.2},
            hoveron="fills", hoverinfo="name", name=hover_safe(full_name(ward, lang)),
            showlegend=False))
    if city.streams:
        xs, ys = _lines_xy(stream.points for stream in city.streams)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 line={"color": STREAM_COLOR, "width": 2.2}))
    bx, by = _line_xy(city.boundary + city.boundary[:1])
    fig.add_trace(go.Scatter(x=bx, y=by, mode="lines", hoverinfo="skip", showlegend=False,
                             line={"color": BOUNDARY_COLOR, "width": 2.5}))
    if show_roads:
        for style in ("minor", "major", "highway"):  # draw big roads on top
            roads = [r for r in city.roads if ROAD_STYLE_OF[r.kind] == style]
            if not roads:
                continue
            casing, width, colour = ROAD_STYLES[style]
            xs, ys = _lines_xy(road.points for road in roads)
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
        fig.add_trace(go.Scatter(
            x=[w.centroid[1] for w in city.wards], y=[w.centroid[0] for w in city.wards],
            mode="text", text=[hover_safe(w.name) for w in city.wards], hoverinfo="skip",
            showlegend=False, textfont={"color": "rgba(222,232,244,0.9)", "size": label_size,
                                        "shadow": f"0px 0px 3px {MAP_BG}"}))
    _map_layout(fig, city)
    return fig


def _map_layout(fig: go.Figure, city: CityModel) -> None:
    """The view starts on the city's outline, with true proportions at its latitude."""
    south, west, north, east = city.bbox
    pad_lat, pad_lon = (north - south) * 0.03 or 0.01, (east - west) * 0.03 or 0.01
    axis = {"visible": False, "showgrid": False, "zeroline": False, "fixedrange": False}
    scale = 1 / max(0.05, math.cos(math.radians((south + north) / 2)))
    fig.update_layout(
        xaxis=dict(axis, range=[west - pad_lon, east + pad_lon]),
        yaxis=dict(axis, scaleanchor="x", scaleratio=scale,
                   range=[south - pad_lat, north + pad_lat]),
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=MAP_BG, plot_bgcolor=MAP_BG, dragmode="pan", hovermode="closest",
        uirevision="city-map", font={"color": "#d6e2f0", "family": "Liberation Sans, Arial, "
                                     "DejaVu Sans, sans-serif"},
        hoverlabel={"bgcolor": "#101923", "bordercolor": "#3b5068",
                    "font": {"color": "#f2f6fa", "size": 13}},
        legend={"orientation": "h", "x": 0.01, "y": 0.01, "xanchor": "left", "yanchor": "bottom",
                "bgcolor": "rgba(14,22,32,0.82)", "bordercolor": "#2c3c50", "borderwidth": 1,
                "font": {"size": 12}, "itemclick": "toggle"})


def sensor_traces(readings: list[LatestReading], city: CityModel, kind_label, status_of,
                  hover_of) -> list[go.Scatter]:
    """One trace per sensor kind (always all kinds, so trace positions never move), plus a halo
    trace circling sensors in alarm. `status_of(reading)` -> ok|warning|alarm|offline; colour
    and an open symbol for offline carry the status, the hover says it in words."""
    sites = {s.id: s for s in city.sensors}
    traces = []
    halo_x, halo_y = [], []
    for kind in SENSOR_KINDS:
        xs, ys, colours, symbols, texts = [], [], [], [], []
        for r in readings:
            site = sites.get(r.sensor_id)
            if r.kind != kind or site is None:
                continue
            status = status_of(r)
            lat, lon = city.sensor_at[site.id]
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


def report_traces(reports: list[RecentReport], labels: dict[str, str], hover_of
                  ) -> list[go.Scatter]:
    """Urgent, normal and not-yet-triaged reports: always three traces, in that order."""
    traces = []
    for level in REPORT_LOOK:
        mine = [r for r in reports if (r.urgency or "untriaged") == level]
        colour, symbol, size = REPORT_LOOK[level]
        traces.append(go.Scatter(
            x=[r.lon for r in mine], y=[r.lat for r in mine], mode="markers",
            name=labels[level], showlegend=bool(mine), legendgroup=f"reports-{level}",
            hoverinfo="text",
            hovertext=[hover_of(r) for r in mine],
            marker={"color": colour, "symbol": symbol, "size": size,
                    "line": {"color": "#0b1118" if "open" not in symbol else colour,
                             "width": 1 if "open" not in symbol else 2}}))
    return traces


def alarm_trace(alarms: list, name: str, hover_of) -> go.Scatter:
    """Standing alarms where their source is: one trace, always (the map patches by index).
    Unacknowledged ones are filled, the rest outlined."""
    placed = [a for a in alarms if a.lat is not None and a.lon is not None]
    unacked = ("unacknowledged", "returned_to_normal_unacknowledged")
    return go.Scatter(
        x=[a.lon for a in placed], y=[a.lat for a in placed], mode="markers", name=name,
        showlegend=bool(placed), hoverinfo="text", hovertext=[hover_of(a) for a in placed],
        marker={"symbol": ["triangle-up" if a.state in unacked else "triangle-up-open"
                           for a in placed], "size": 20, "color": "#ff4d5e",
                "line": {"color": "#ffffff", "width": 1.5}})


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


CAMERA_STATES = ("live", "stale", "offline")
CAMERA_LOOK = {  # status -> (colour, symbol): the symbol says it without colour too
    "live": ("#35c28a", "square"),
    "stale": ("#f5b400", "diamond"),
    "offline": ("#8a99ab", "square-open"),
}


def camera_status_traces(cameras: Sequence, status: dict[str, str], labels: dict[str, str],
                         hover_of, selected: str | None = None) -> list[go.Scatter]:
    """Cameras (anything with camera_id, lat, lon) coloured by status: a legend entry per
    status, always all three in `CAMERA_STATES` order (plotly leaves an empty trace out of the
    legend, so the entries are traces of their own), so the legend reads the same whatever the
    cameras are doing; then one trace per status, and a ring around the `selected` camera.
    Each marker's customdata is its camera id (a click opens it)."""
    placed = [c for c in cameras if c.lat is not None and c.lon is not None]
    traces = []
    for state in CAMERA_STATES:
        colour, symbol = CAMERA_LOOK[state]
        traces.append(go.Scatter(
            x=[None], y=[None], mode="markers", name=labels[state], hoverinfo="skip",
            legendgroup=f"camera-{state}",
            marker={"symbol": symbol, "size": 14, "color": colour,
                    "line": {"color": colour if state == "offline" else "#0b1118",
                             "width": 2.5 if state == "offline" else 1}}))
    for state in CAMERA_STATES:
        mine = [c for c in placed if status.get(c.camera_id) == state]
        colour, symbol = CAMERA_LOOK[state]
        traces.append(go.Scatter(
            x=[c.lon for c in mine], y=[c.lat for c in mine], mode="markers+text",
            name=labels[state], legendgroup=f"camera-{state}", showlegend=False,
            text=[hover_safe(c.camera_id.removeprefix("cam-")) for c in mine],
            textposition="top center", customdata=[c.camera_id for c in mine],
            textfont={"color": "#e8f2fc", "size": 12, "shadow": f"0px 0px 3px {MAP_BG}"},
            hoverinfo="text", hovertext=[hover_of(c) for c in mine],
            marker={"symbol": symbol, "size": 16, "color": colour,
                    "line": {"color": "#0b1118" if state != "offline" else colour,
                             "width": 1 if state != "offline" else 2.5}}))
    ring = [c for c in placed if c.camera_id == selected]
    traces.append(go.Scatter(
        x=[c.lon for c in ring], y=[c.lat for c in ring], mode="markers", hoverinfo="skip",
        showlegend=False, marker={"symbol": "circle-open", "size": 34, "color": "#4cc3ff",
                                  "line": {"width": 3}}))
    return traces


def frame_sites(fig: go.Figure, sites: Sequence[Site], margin: float = 0.35,
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
