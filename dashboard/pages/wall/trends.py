"""Page 3 of the wall, the last 7 local days (`trend_7d`): urgent reports answered within 2 h,
reports received and citizens satisfied, one bar per day with its figure written on it, the
targets drawn as lines; and the 7-day totals."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.display import status_look
from dashboard.i18n import t
from dashboard.pages.wall.text import day_label, figure
from dashboard.pages.wall.tiles import chart_layout, empty_chart, target_line, tile, vs_target
from ioc.kpis import SATISFACTION_TARGET, Kpi, sla_status

RECEIVED_COLOR = "#4cc3ff"


def _days(kpi: Kpi | None) -> list[dict]:
    return (kpi.detail.get("days") if kpi else None) or []


def _pct_chart(days: list[dict], key: str, status_of, target: float | None, target_text: str,
               lang: str, scale: float) -> go.Figure:
    values = [d.get(key) for d in days]
    fig = go.Figure(go.Bar(
        x=[day_label(d["date"], lang) for d in days], y=[v or 0 for v in values],
        marker={"color": [status_look(status_of(v)).color if v is not None else "#3a4656"
                          for v in values]},
        text=[figure(v, lang) + ("%" if v is not None else "") for v in values],
        textposition=["inside" if v and v > 20 else "outside" for v in values],
        insidetextanchor="end", textfont={"size": 22 * scale, "color": "#0b1118"},
        outsidetextfont={"size": 22 * scale, "color": "#e8eef5"}, cliponaxis=False,
        hoverinfo="skip"))
    _axes(fig, lang, scale, [0, 112])
    if target is not None:
        fig.add_hline(y=target, line={"color": "#e8eef5", "width": 2.5 * scale, "dash": "dash"},
                      annotation={"text": target_text, "font": {"size": 20 * scale,
                                                                "color": "#e8eef5"},
                                  "xanchor": "left", "x": 0, "yanchor": "bottom"})
    return fig


def _axes(fig: go.Figure, lang: str, scale: float, y_range: list[float]) -> None:
    chart_layout(fig, scale)
    fig.update_layout(margin={"l": 10 * scale, "r": 10 * scale, "t": 10 * scale,
                              "b": 10 * scale}, bargap=0.22)
    fig.update_xaxes(visible=True, tickfont={"size": 19 * scale}, showgrid=False,
                     automargin=True, fixedrange=True)
    fig.update_yaxes(visible=False, autorange=False, range=y_range)


def charts(kpi: Kpi | None, lang: str, scale: float) -> tuple[go.Figure, go.Figure, go.Figure]:
    days = _days(kpi)
    if not days:
        none = t("data.none", lang)
        return empty_chart(none, scale), empty_chart(none, scale), empty_chart(none, scale)
    sla = _pct_chart(days, "urgent_responded_in_2h_pct", sla_status, None, "", lang, scale)
    satisfied = _pct_chart(
        days, "satisfied_pct",
        lambda v: "ok" if v is not None and SATISFACTION_TARGET.met(v) else "warning",
        SATISFACTION_TARGET.value, t("wall.target.satisfaction", lang,
                                     value=figure(SATISFACTION_TARGET.value, lang)),
        lang, scale)
    counts = [d["received"] for d in days]
    received = go.Figure(go.Bar(
        x=[day_label(d["date"], lang) for d in days], y=counts,
        marker={"color": RECEIVED_COLOR}, text=[figure(c, lang) for c in counts],
        textposition="outside", textfont={"size": 22 * scale, "color": "#e8eef5"},
        cliponaxis=False, hoverinfo="skip"))
    _axes(received, lang, scale, [0, max(max(counts) * 1.2, 1)])
    return sla, received, satisfied


def summary(by_key: dict[str, Kpi], lang: str) -> list:
    """The 7-day figures over the charts: the same KPIs as the headline and the tiles."""
    week, trend = by_key.get("urgent_responded_in_2h_pct_7d"), by_key.get("trend_7d")
    satisfied = by_key.get("satisfied_pct")

    def pct(kpi: Kpi | None) -> tuple[str, str]:
        has = kpi is not None and kpi.value is not None
        return figure(kpi.value if kpi else None, lang), "%" if has else ""

    return [
        tile(week, "urgent_responded_in_2h_pct_7d", lang, label=t("wall.trend.sla_7d", lang),
             value=pct(week)[0], unit=pct(week)[1]),
        tile(trend, "trend_7d", lang, label=t("wall.trend.received_7d", lang),
             value=figure(trend.value if trend else None, lang),
             unit=t("kpi.unit.reports", lang) if trend else ""),
        tile(satisfied, "satisfied_pct", lang, label=t("wall.trend.satisfied_7d", lang),
             value=pct(satisfied)[0], unit=pct(satisfied)[1], pill=vs_target(satisfied, lang),
             sub=[target_line(satisfied, lang),
                  t("wall.sla.ratings", lang, n=satisfied.detail.get("ratings", 0))
                  if satisfied and satisfied.value is not None else None]),
    ]
