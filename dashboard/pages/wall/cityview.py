"""Page 2 of the wall, the city now: air quality (VN_AQI) by ward on the map in its bands,
congestion by ward on the map, water levels against alert levels I/II/III, and sensors and
cameras online. Ward polygons come from `GET /api/city`; every value from `GET /api/kpis`.

Status is never colour alone: each ward's label carries its figure, the lists beside the maps
say the band in words, and every gauge has an icon and a word."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import html

from dashboard import citymap
from dashboard.components import status_pill
from dashboard.display import AQI_BAND_COLORS, decimal, status_look
from dashboard.i18n import t
from dashboard.pages.wall.text import DASH, figure
from dashboard.pages.wall.tiles import tile
from ioc.aqi import BANDS
from ioc.kpis import BUSY, CONGESTED, Kpi

NO_DATA_FILL = AQI_BAND_COLORS["unknown"]
CONGESTION_LOOK = {  # level -> (fill, text on it)
    "free": ("#2f9e6b", "#ffffff"), "busy": ("#f5b400", "#1a1a00"),
    "congested": ("#ff4d5e", "#ffffff"),
}
GAUGE_WORDS = {0: "wall.water.normal", 1: "wall.water.level1", 2: "wall.water.level2",
               3: "wall.water.level3"}


def ward_map(city: citymap.CityModel, looks: dict[str, tuple[str, str, str]], lang: str,
             scale: float, *, name_all: bool = True) -> go.Figure:
    """The wards filled by `looks` (slug -> (fill, text colour, figure)); wards without one are
    grey, named only if `name_all` (the small central wards' names would cover the figures)."""
    fig = citymap.base_figure(city, lang=lang, show_labels=False, show_roads=False)
    names, xs, ys, colours = [], [], [], []
    big = round(26 * scale)
    for i, ward in enumerate(city.wards):
        fill, ink, line = looks.get(ward.slug, (NO_DATA_FILL[0], "#aebccc", ""))
        fig.data[i].fillcolor = fill
        fig.data[i].line = {"color": "#0b1118", "width": 1.5 * scale}
        name = citymap.hover_safe(ward.name)
        # The figure big and bold under the ward's name; a ward without one: its name only.
        names.append(f"{name}<br><span style='font-size:{big}px'><b>"
                     f"{citymap.hover_safe(line)}</b></span>" if line
                     else name if name_all else "")
        xs.append(ward.centroid[1])
        ys.append(ward.centroid[0])
        colours.append(ink)
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="text", text=names, hoverinfo="skip",
                             showlegend=False,
                             textfont={"size": 16 * scale, "color": colours}))
    fig.update_layout(paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      dragmode=False, font_size=20 * scale)
    return fig


def aqi_looks(kpi: Kpi | None) -> dict[str, tuple[str, str, str]]:
    wards = (kpi.detail.get("wards") if kpi else None) or {}
    looks = {}
    for slug, w in wards.items():
        bg, fg = AQI_BAND_COLORS.get(w.get("band"), NO_DATA_FILL)
        looks[slug] = (bg, fg, f"{w['aqi']}{'*' if w.get('basis') == 'latest' else ''}")
    return looks


def aqi_list(kpi: Kpi | None, city: citymap.CityModel | None, lang: str) -> list:
    """The wards with a value, worst first, each with its band in words; then the bands."""
    wards = (kpi.detail.get("wards") if kpi else None) or {}
    rows = []
    for slug, w in sorted(wards.items(), key=lambda kv: (-kv[1]["aqi"], kv[0])):
        bg, fg = AQI_BAND_COLORS.get(w.get("band"), NO_DATA_FILL)
        ward = city.wards_by_slug.get(slug) if city else None
        name = ward.name if ward else slug
        provisional = w.get("basis") == "latest"
        rows.append(html.Div([
            html.Span(name, className="wall-list-name"),
            html.Span(f"{w['aqi']}{'*' if provisional else ''}", className="wall-list-value"),
            html.Span(w.get(f"band_{lang}") or w.get("band_vi") or "", className="wall-band",
                      style={"backgroundColor": bg, "color": fg}),
        ], className="wall-list-row", **{"data-ward": slug, "data-aqi": str(w["aqi"]),
                                         "data-basis": w.get("basis") or ""}))
    if not rows:
        rows = [html.Div(t("wall.aqi.none", lang), className="wall-list-none")]
    legend = [html.Span([html.Span(className="wall-chip", style={"backgroundColor": b.hex}),
                         f"{b.low}–{b.high} {b.en if lang == 'en' else b.vi}"],
                        className="wall-legend-item") for b in BANDS]
    legend.append(html.Span([html.Span(className="wall-chip",
                                       style={"backgroundColor": NO_DATA_FILL[0]}),
                             t("wall.aqi.no_station", lang)], className="wall-legend-item"))
    notes = [html.Div(t("wall.aqi.basis", lang), className="wall-note")]
    if any(w.get("basis") == "latest" for w in wards.values()):
        notes.append(html.Div(t("wall.aqi.provisional", lang), className="wall-note"))
    return [html.Div(rows, className="wall-list"), html.Div(legend, className="wall-legend"),
            *notes]


def congestion_looks(kpi: Kpi | None, lang: str) -> dict[str, tuple[str, str, str]]:
    wards = (kpi.detail.get("wards") if kpi else None) or {}
    return {slug: (*CONGESTION_LOOK.get(w.get("level"), NO_DATA_FILL),
                   decimal(w["index"], 2, lang)) for slug, w in wards.items()}


def congestion_list(kpi: Kpi | None, city: citymap.CityModel | None, lang: str) -> list:
    wards = (kpi.detail.get("wards") if kpi else None) or {}
    if not wards:  # cameras make no traffic metrics yet: say so, show no number
        return [html.Div([html.Span(DASH, className="wall-list-value"),
                          html.Span(t("wall.traffic.none", lang))],
                         className="wall-list-none", **{"data-kpi": "congestion_by_ward",
                                                        "data-status": "unknown"}),
                html.Div(t("wall.traffic.cameras", lang,
                           n=(kpi.detail.get("cameras_reporting", 0) if kpi else 0)),
                         className="wall-note")]
    rows = []
    for slug, w in sorted(wards.items(), key=lambda kv: (-kv[1]["index"], kv[0])):
        fill, ink = CONGESTION_LOOK.get(w["level"], NO_DATA_FILL)
        rows.append(html.Div([
            html.Span(city.wards_by_slug[slug].name if city and slug in city.wards_by_slug
                      else slug, className="wall-list-name"),
            html.Span(decimal(w["index"], 2, lang), className="wall-list-value"),
            html.Span(t(f"wall.traffic.{w['level']}", lang), className="wall-band",
                      style={"backgroundColor": fill, "color": ink}),
        ], className="wall-list-row", **{"data-ward": slug, "data-index": str(w["index"])}))
    legend = t("wall.traffic.legend", lang, busy=decimal(BUSY, 1, lang),
               congested=decimal(CONGESTED, 1, lang))
    return [html.Div(rows[:6], className="wall-list", **{"data-kpi": "congestion_by_ward"}),
            html.Div(legend, className="wall-note")]


GAUGES_SHOWN = 6  # what the panel holds at any screen size
_GAUGE_ORDER = {"alarm": 0, "warning": 1, "offline": 2, "ok": 3}


def _most_pressing(g: dict) -> tuple:
    return (_GAUGE_ORDER.get(g["status"], 4), -(g.get("level_m") or 0) / g["warn_m"],
            g["sensor_id"])


def water_panel(kpi: Kpi | None, city: citymap.CityModel | None, lang: str) -> list:
    """The gauges, the most pressing first (alarm, warning, offline, normal), each against its
    alert levels I, II and III."""
    gauges = sorted((kpi.detail.get("gauges") if kpi else None) or [], key=_most_pressing)
    if not gauges:
        return [html.Div(t("data.none", lang), className="wall-list-none")]
    streams = {s.slug: s.name for s in city.streams} if city else {}
    rows = []
    for g in gauges[:GAUGES_SHOWN]:
        levels = (g["warn_m"], g["alarm_m"], g["critical_m"])
        top = max(levels[2] * 1.2, (g.get("level_m") or 0) * 1.05)
        level = g.get("level_m") if g.get("online") else None
        look = status_look(g["status"])
        word = (t(GAUGE_WORDS[g["alert_level"]], lang) if g.get("alert_level") is not None
                else None)
        stream = streams.get(g.get("stream") or "", g.get("stream")) or g["sensor_id"]
        where = " · ".join(x for x in (stream, city.ward_name(g.get("ward"), lang)
                                       if city else g.get("ward")) if x)
        marks = [html.Div([html.Span(roman, className="wall-mark-label"),
                           html.Span(decimal(m, 1, lang), className="wall-mark-m")],
                          className=f"wall-gauge-mark mark-{i}",
                          style={"left": f"{100 * m / top:.1f}%"})
                 for i, (roman, m) in enumerate(zip(("I", "II", "III"), levels, strict=True))]
        bar = html.Div([
            html.Div(className="wall-gauge-fill", style={
                "width": f"{0 if level is None else min(100.0, 100 * level / top):.1f}%",
                "backgroundColor": look.color}),
            *marks], className="wall-gauge")
        rows.append(html.Div([
            html.Div([html.Span(where, className="wall-gauge-name"),
                      status_pill(g["status"], lang, word)], className="wall-gauge-head"),
            html.Div([html.Span(DASH if level is None else decimal(level, 2, lang),
                                className="wall-gauge-value"),
                      html.Span("m" if level is not None else "", className="kpi-unit")],
                     className="wall-gauge-figure"),
            bar,
        ], className=f"wall-gauge-row status-border-{look.css}",
            **{"data-gauge": g["sensor_id"], "data-status": g["status"],
               "data-level": "" if level is None else str(level)}))
    if len(gauges) > GAUGES_SHOWN:
        rows.append(html.Div(t("wall.water.more", lang, n=len(gauges) - GAUGES_SHOWN),
                             className="wall-note"))
    return rows


def online_tiles(by_key: dict[str, Kpi], lang: str) -> list:
    out = []
    for key, label in (("sensors_online_pct", "wall.online.sensors"),
                       ("cameras_online_pct", "wall.online.cameras")):
        kpi = by_key.get(key)
        out.append(tile(kpi, key, lang, label=t(label, lang),
                        value=figure(kpi.value if kpi else None, lang),
                        unit="%" if kpi and kpi.value is not None else ""))
    return out
