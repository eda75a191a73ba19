"""Building blocks shared by the pages: KPI tiles, status pills, panels."""

from __future__ import annotations

from dash import dcc, html

from dashboard.display import AQI_BAND_COLORS, decimal, number, status_look, status_word
from dashboard.i18n import t
from ioc.kpis import Kpi

# The scalar KPIs, in the order a control room reads them; any other scalar KPI the API adds
# is shown after these (breakdowns such as reports_by_ward are charts, not tiles).
TILE_ORDER = ("aqi_max", "water_level_max_m", "sensors_online_pct", "cameras_online_pct",
              "reports_24h")
BREAKDOWNS = ("reports_by_ward", "reports_by_category")
# KPIs only the wall shows: per-ward maps, per-gauge panels, trends and the wall's own windows
# of the 2-hour figure (the control room keeps its one tile per figure).
WALL_ONLY = ("aqi_by_ward", "water_levels", "congestion_by_ward", "trend_7d",
             "urgent_responded_in_2h_pct_today", "urgent_responded_in_2h_pct_7d",
             "urgent_least_time_left", "satisfied_pct")

GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d",
                                           "toImage"]}


def status_pill(status: str | None, lang: str, text: str | None = None) -> html.Span:
    look = status_look(status)
    return html.Span([html.Span(look.icon, className="pill-icon", **{"aria-hidden": "true"}),
                      html.Span(text or status_word(status, lang))],
                     className=f"pill status-{look.css}")


def panel(title: str, children, *, extra=None, className: str = "", body_id: str | None = None):
    head = [html.H2(title, className="panel-title")]
    if extra is not None:
        head.append(html.Div(extra, className="panel-extra"))
    body_props = {"id": body_id} if body_id else {}
    return html.Section([html.Div(head, className="panel-head"),
                         html.Div(children, className="panel-body", **body_props)],
                        className=f"panel {className}".strip())


def kpi_label(kpi: Kpi, lang: str) -> str:
    return (kpi.label_en if lang == "en" else "") or kpi.label_vi or kpi.key


def kpi_value(kpi: Kpi, lang: str) -> tuple[str, str]:
    """(value text, unit text) as shown on a tile."""
    unit, value = kpi.unit, kpi.value
    if value is None:
        return "—", ""
    if unit == "reports":
        return decimal(int(value), 0, lang), t("kpi.unit.reports", lang)
    if unit == "VN_AQI":
        return f"{int(round(value))}", "VN_AQI"
    if unit == "%":
        return decimal(value, 0, lang), "%"
    if unit == "m":
        return decimal(value, 2, lang), "m"
    if unit == "alarms":
        return decimal(int(value), 0, lang), t("kpi.unit.alarms", lang)
    if unit == "min":
        return number(value, "", lang), t("wall.unit.min", lang)
    return number(value, "", lang), unit


def _kpi_detail(kpi: Kpi, lang: str):
    detail = kpi.detail  # its shape is the KPI's own (ioc/kpis.py)
    if kpi.key == "aqi_max":
        band = detail.get("band") or "unknown"
        bg, fg = AQI_BAND_COLORS.get(band, AQI_BAND_COLORS["unknown"])
        name = detail.get(f"band_{lang}") or detail.get("band_vi") or t("status.unknown", lang)
        return html.Span(t("kpi.aqi.band", lang, band=name), className="aqi-band",
                         style={"backgroundColor": bg, "color": fg})
    if kpi.key == "water_level_max_m" and "warn_m" in detail and "alarm_m" in detail:
        warn, alarm = float(detail["warn_m"]), float(detail["alarm_m"])
        value = float(kpi.value or 0)
        top = max(alarm * 1.3, value * 1.05)
        gauge = html.Div([
            html.Div(className="gauge-fill", style={
                "width": f"{min(100.0, 100 * value / top):.1f}%",
                "backgroundColor": status_look(kpi.status).color}),
            html.Div(className="gauge-mark warn", style={"left": f"{100 * warn / top:.1f}%"}),
            html.Div(className="gauge-mark alarm", style={"left": f"{100 * alarm / top:.1f}%"}),
        ], className="gauge")
        return html.Div([gauge, html.Div(t("kpi.water.thresholds", lang, warn=f"{warn:g}",
                                           alarm=f"{alarm:g}"), className="kpi-sub")])
    return None


def kpi_tile(kpi: Kpi, lang: str, wall: bool = False, *, label: str | None = None,
             figure: tuple[str, str] | None = None, sub: str | None = None) -> html.Div:
    """A KPI tile; `label`, `figure` (value text, unit text) and `sub` (a line under the status)
    override or add to what the KPI itself says."""
    value, unit = figure or kpi_value(kpi, lang)
    look = status_look(kpi.status)
    detail = html.Div(sub, className="kpi-sub") if sub else _kpi_detail(kpi, lang)
    return html.Div([
        html.Div(label or kpi_label(kpi, lang), className="kpi-label"),
        html.Div([html.Span(value, className="kpi-value"), html.Span(unit, className="kpi-unit")],
                 className="kpi-figure"),
        html.Div([status_pill(kpi.status, lang)] + ([detail] if detail is not None else []),
                 className="kpi-foot"),
    ], className=f"kpi-tile status-border-{look.css}" + (" wall" if wall else ""),
        **{"data-kpi": kpi.key, "data-status": kpi.status})


def scalar_kpis(kpis: list[Kpi]) -> list[Kpi]:
    scalar = [k for k in kpis if k.key not in BREAKDOWNS and k.key not in WALL_ONLY]
    order = {key: i for i, key in enumerate(TILE_ORDER)}
    return sorted(scalar, key=lambda k: order.get(k.key, len(order)))


def graph(graph_id: str, className: str = "", **props) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config={**GRAPH_CONFIG, **props.pop("config", {})},
                     className=className, **props)


def notice(text: str, className: str = "notice") -> html.Div:
    return html.Div(text, className=className)
