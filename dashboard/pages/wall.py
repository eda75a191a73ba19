"""/wall: the KPI wall for a leader 5 m away — the citizen-report SLA as a first row of big
tiles, the city's own figures in a smaller second row, then two bar charts; kiosk-sized for
1920×1080 without scrolling. Status is colour plus icon plus word; a KPI without data shows "—"
and says so, never a made-up number."""

from __future__ import annotations

from dataclasses import replace

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from dashboard import citymap
from dashboard.api import ApiUnavailable
from dashboard.components import TILE_ORDER, graph, kpi_tile, notice, panel
from dashboard.context import REFRESH_MS, Context
from dashboard.display import decimal, local_time
from dashboard.i18n import DEFAULT_LANG, LANGS, category_label, t
from ioc.kpis import Kpi

BARS_SHOWN = 10  # fits the chart height left under two rows of tiles, labels unskipped
BAR_COLOR = "#4cc3ff"
OTHERS_COLOR = "#6b7d91"


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang if lang in LANGS else DEFAULT_LANG
    chart_config = {"displayModeBar": False, "staticPlot": True}
    return html.Div([
        html.Div(notice(t("data.waiting", lang)), id="wall-tiles", className="wall-tiles"),
        html.Div([
            panel(t("wall.by_ward", lang),
                  graph("wall-by-ward", className="wall-chart", config=chart_config,
                        figure=_empty_chart()), className="wall-panel"),
            panel(t("wall.by_category", lang),
                  graph("wall-by-category", className="wall-chart", config=chart_config,
                        figure=_empty_chart()), className="wall-panel"),
        ], className="wall-charts"),
        html.Div([html.Span(t("wall.as_of", lang) + ": ", className="muted"),
                  html.Span("—", id="wall-asof", className="last-update")],
                 className="status-bar wall-status"),
        dcc.Interval(id="wall-tick", interval=REFRESH_MS),
    ], className="page page-wall")


def register_callbacks(app: Dash, ctx: Context) -> None:
    @app.callback(Output("wall-tiles", "children"), Output("wall-by-ward", "figure"),
                  Output("wall-by-category", "figure"), Output("wall-asof", "children"),
                  Input("wall-tick", "n_intervals"), State("lang", "data"))
    def refresh(_n, lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        got = ctx.fetch(kpis=lambda a: a.kpis(), city=lambda a: a.city())
        kpis, city = got["kpis"], got["city"]
        if isinstance(kpis, ApiUnavailable):
            message = t("data.unavailable", lang)
            return ([notice(message, "notice error wall-notice")], _empty_chart(message),
                    _empty_chart(message), "—")
        by_key = {k.key: k for k in kpis.kpis}
        sla, town = _sla_tiles(by_key, lang), [kpi_tile(by_key[k], lang, wall=True)
                                               for k in TILE_ORDER if k in by_key]
        tiles = [html.Div(row, className=f"wall-row {name}")
                 for name, row in (("wall-sla", sla), ("wall-city", town)) if row]
        city = None if isinstance(city, ApiUnavailable) else city
        wards = _counts(by_key.get("reports_by_ward"),
                        lambda w: (city.ward_name(w, lang) if city and w != "?" else None)
                        or (t("report.ward.unknown", lang) if w == "?" else w))
        categories = _counts(by_key.get("reports_by_category"),
                             lambda c: category_label(None if c == "?" else c, lang))
        none = t("data.none", lang)
        return (tiles or [notice(none, "notice wall-notice")],
                _bar_chart(wards, none, t("wall.others", lang)),
                _bar_chart(categories, none, t("wall.others", lang)),
                local_time(kpis.now, ctx.tz, fmt="full"))


def _sla_tiles(by_key: dict[str, Kpi], lang: str) -> list[html.Div]:
    """The headline row: urgent answered in 2 h, urgent waiting, breaches today, response time,
    satisfaction — each only if the API sent it. A KPI's `detail` is its own (ioc/kpis.py)."""
    tiles = []
    if kpi := by_key.get("urgent_responded_in_2h_pct"):
        d = kpi.detail
        tiles.append(_sla_tile(kpi, lang, "wall.sla.answered_2h", sub=t(
            "wall.sla.on_time", lang, on_time=d.get("on_time", 0), decided=d.get("decided", 0))))
    if kpi := by_key.get("open_urgent"):
        left = kpi.detail.get("least_left_s")
        sub = None if left is None else t(
            "wall.sla.overdue" if left < 0 else "wall.sla.left", lang, time=_duration(left, lang))
        tiles.append(_sla_tile(kpi, lang, "wall.sla.open_urgent", sub=sub))
    if kpi := by_key.get("breaches_today"):
        tiles.append(_sla_tile(kpi, lang, "wall.sla.breaches_today"))
    median, p90 = by_key.get("response_minutes_median"), by_key.get("response_minutes_p90")
    if median or p90:
        kpi = median or p90
        mins = [k.value if k else None for k in (median, p90)]
        responded = median.detail.get("responded") if median else None
        tiles.append(_sla_tile(
            replace(kpi, value=next((m for m in mins if m is not None), None)), lang,
            "wall.sla.response_time",
            figure=(" / ".join("—" if m is None else decimal(m, 0, lang) for m in mins),
                    t("wall.unit.min", lang)),
            sub=None if responded is None else t("wall.sla.responded", lang, n=responded)))
    if kpi := by_key.get("satisfaction"):
        d = kpi.detail
        sub = None if d.get("satisfied_pct") is None else t(
            "wall.sla.satisfied", lang, pct=decimal(d["satisfied_pct"], 0, lang),
            n=d.get("ratings", 0))
        tiles.append(_sla_tile(kpi, lang, "wall.sla.satisfaction", sub=sub,
                               figure=(decimal(kpi.value, 1, lang), "/5")
                               if kpi.value is not None else None))
    return tiles


def _sla_tile(kpi: Kpi, lang: str, label_key: str, *, sub: str | None = None,
              figure: tuple[str, str] | None = None) -> html.Div:
    if kpi.value is None:  # no data yet: "—", said in words, and no "Normal" pill
        kpi, figure, sub = replace(kpi, status="unknown"), ("—", ""), t("data.none", lang)
    return kpi_tile(kpi, lang, wall=True, label=t(label_key, lang), figure=figure, sub=sub)


def _duration(seconds: float, lang: str) -> str:
    """'1 giờ 05 phút' / '1 h 05 min': read across a room, where '1:05' could be either unit."""
    minutes = int(abs(seconds)) // 60
    if minutes < 60:
        return t("wall.minutes", lang, m=minutes or "< 1")
    return t("wall.hours_minutes", lang, h=minutes // 60, m=f"{minutes % 60:02d}")


def _counts(kpi: Kpi | None, label) -> list[tuple[str, int]]:
    detail = kpi.detail if kpi else {}  # a breakdown: {key: count}
    merged: dict[str, int] = {}
    for key, count in detail.items():
        if isinstance(count, int | float):
            name = str(label(str(key)))
            merged[name] = merged.get(name, 0) + int(count)
    return sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))


def _chart_layout(fig: go.Figure) -> go.Figure:
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 8, "r": 24, "t": 8, "b": 8},
        font={"color": "#e8eef5", "size": 20,
              "family": "Liberation Sans, Arial, DejaVu Sans, sans-serif"},
        xaxis={"visible": False}, yaxis={"autorange": "reversed", "automargin": True,
                                         "ticklabelstandoff": 10, "tickfont": {"size": 21}},
        bargap=0.28, showlegend=False)
    return fig


def _empty_chart(message: str = "") -> go.Figure:
    fig = go.Figure()
    if message:
        fig.add_annotation(text=citymap.hover_safe(message), showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper", font={"size": 24, "color": "#9fb0c3"})
    _chart_layout(fig)
    fig.update_layout(yaxis={"visible": False})
    return fig


def _bar_chart(counts: list[tuple[str, int]], empty_message: str, other_label: str) -> go.Figure:
    if not counts:
        return _empty_chart(empty_message)
    shown = counts[:BARS_SHOWN]
    colours = [BAR_COLOR] * len(shown)
    if len(counts) > BARS_SHOWN:
        colours = [BAR_COLOR] * (BARS_SHOWN - 1) + [OTHERS_COLOR]
        shown = counts[:BARS_SHOWN - 1]
        shown.append((other_label, sum(c for _, c in counts[BARS_SHOWN - 1:])))
    fig = go.Figure(go.Bar(
        x=[c for _, c in shown], y=[citymap.hover_safe(n) for n, _ in shown], orientation="h",
        marker={"color": colours}, text=[str(c) for _, c in shown], textposition="outside",
        textfont={"size": 22, "color": "#ffffff"}, cliponaxis=False, hoverinfo="skip"))
    _chart_layout(fig)
    fig.update_xaxes(range=[0, max(c for _, c in shown) * 1.15])
    # Every label drawn (Plotly would drop every other one when they crowd, leaving bars with
    # no name); on smaller screens style.css makes them smaller instead.
    names = [citymap.hover_safe(n) for n, _ in shown]
    fig.update_yaxes(tickmode="array", tickvals=names, ticktext=names)
    return fig
