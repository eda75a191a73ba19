"""/wall: the KPI wall for a leader 5 m away — big tiles and two bar charts, kiosk-sized for
1920×1080 without scrolling. Status is colour plus icon plus word."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from dashboard import citymap
from dashboard.api import ApiUnavailable
from dashboard.components import graph, kpi_tile, notice, panel, scalar_kpis
from dashboard.context import REFRESH_MS, Context
from dashboard.display import local_time
from dashboard.i18n import DEFAULT_LANG, LANGS, category_label, t

BARS_SHOWN = 15
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
        kpis, city_raw = got["kpis"], got["city"]
        if isinstance(kpis, ApiUnavailable):
            message = t("data.unavailable", lang)
            return ([notice(message, "notice error wall-notice")], _empty_chart(message),
                    _empty_chart(message), "—")
        by_key = {k.get("key"): k for k in kpis.get("kpis") or []}
        tiles = [kpi_tile(k, lang, wall=True) for k in scalar_kpis(list(by_key.values()))]
        city = None if isinstance(city_raw, ApiUnavailable) else citymap.city_model(city_raw)
        wards = _counts(by_key.get("reports_by_ward"),
                        lambda w: (city.ward_name(w, lang) if city and w != "?" else None)
                        or (t("report.ward.unknown", lang) if w == "?" else w))
        categories = _counts(by_key.get("reports_by_category"),
                             lambda c: category_label(None if c == "?" else c, lang))
        none = t("data.none", lang)
        return (tiles or [notice(none, "notice wall-notice")],
                _bar_chart(wards, none, t("wall.others", lang)),
                _bar_chart(categories, none, t("wall.others", lang)),
                local_time(kpis.get("now"), ctx.tz, fmt="full"))


def _counts(kpi: dict | None, label) -> list[tuple[str, int]]:
    detail = (kpi or {}).get("detail") or {}
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
                                         "ticksuffix": "  ", "tickfont": {"size": 21}},
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
    return fig
