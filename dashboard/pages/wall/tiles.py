"""Page 1 of the wall, the citizen reports: the headline (urgent reports answered within 2 h,
today and over 7 days), then breaches, the most pressing urgent report, response times,
resolved on time and satisfaction beside their targets; a strip of the city's own figures; and
reports by ward and by category.

Every figure comes from a KPI the API sent (`ioc/kpis.py` defines each once); a KPI without a
value shows "—" and says so. Status is an icon and a word beside the colour."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
from dash import html

from dashboard import citymap
from dashboard.components import TILE_ORDER, kpi_tile, status_pill
from dashboard.display import decimal, status_look, status_word
from dashboard.i18n import category_label, t
from dashboard.pages.wall.text import DASH, duration, figure, window_words
from ioc.api.models import KpiReport
from ioc.kpis import Kpi

BARS_SHOWN = 8  # fits the chart's height at 1920×1080 with every label drawn
BAR_COLOR = "#4cc3ff"


def tile(kpi: Kpi | None, key: str, lang: str, *, label: str, value: str, unit: str = "",
         sub: list | None = None, window: str | None = None, pill: str | None = None,
         className: str = "") -> html.Div:
    """A wall tile: label (with its window), figure, status pill and lines under it. `data-kpi`
    names the KPI; `data-value` is the API's value, as sent."""
    status = "unknown" if kpi is None or kpi.value is None else kpi.status
    head = [html.Span(label)] + ([html.Span(window, className="wall-window")] if window else [])
    return html.Div([
        html.Div(head, className="kpi-label"),
        html.Div([html.Span(value, className="kpi-value"),
                  html.Span(unit, className="kpi-unit")], className="kpi-figure"),
        html.Div([status_pill(status, lang, pill if status != "unknown" else None),
                  *[html.Div(line, className="kpi-sub") for line in sub or [] if line]],
                 className="kpi-foot"),
    ], className=f"kpi-tile wall wall-tile status-border-{status_look(status).css} "
                 f"{className}".strip(),
        **{"data-kpi": key, "data-key": kpi.key if kpi else key, "data-status": status,
           "data-value": "" if kpi is None or kpi.value is None else str(kpi.value)})


def _figure_block(kpi: Kpi | None, lang: str, when: str, *, primary: bool) -> html.Div:
    """One of the headline's two figures: today (primary) or the last 7 days."""
    status = "unknown" if kpi is None or kpi.value is None else kpi.status
    look = status_look(status)
    d = kpi.detail if kpi else {}
    value_class = "kpi-value wall-big" if primary else "wall-second-value wall-big"
    pill_class = "pill wall-pill" if primary else "wall-pill"
    counts = (t("wall.sla.on_time", lang, on_time=d.get("on_time", 0),
                decided=d.get("decided", 0)) if kpi and kpi.value is not None
              else t("wall.sla.none_decided", lang))
    return html.Div([
        html.Div(when, className="wall-when"),
        html.Div([html.Span(figure(kpi.value if kpi else None, lang), className=value_class),
                  html.Span("%" if kpi and kpi.value is not None else "", className="kpi-unit")],
                 className="kpi-figure"),
        html.Div(counts, className="wall-counts"),
        html.Span([html.Span(look.icon, className="pill-icon", **{"aria-hidden": "true"}),
                   html.Span(status_word(status, lang))],
                  className=f"{pill_class} status-{look.css}"),
    ], className=f"wall-hero-figure status-border-{look.css}",
        **{"data-key": kpi.key if kpi else "", "data-state": status,
           "data-value": "" if kpi is None or kpi.value is None else str(kpi.value)})


def headline(by_key: dict[str, Kpi], lang: str) -> html.Div:
    today = by_key.get("urgent_responded_in_2h_pct_today")
    week = by_key.get("urgent_responded_in_2h_pct_7d")
    status = "unknown" if today is None or today.value is None else today.status
    target = (today or week).target if (today or week) else None
    return html.Div([
        html.Div(t("wall.sla.answered_2h", lang), className="kpi-label wall-hero-label"),
        html.Div([_figure_block(today, lang, t("wall.window.today", lang), primary=True),
                  _figure_block(week, lang, t("wall.window.days", lang, n=7), primary=False)],
                 className="wall-hero-figures"),
        html.Div(t("wall.sla.rule", lang) if target else "", className="wall-target"),
    ], className=f"kpi-tile wall wall-hero status-border-{status_look(status).css}",
        **{"data-kpi": "urgent_responded_in_2h_pct", "data-status": status})


def sla_tiles(by_key: dict[str, Kpi], lang: str, window: str) -> list[html.Div]:
    """The tiles after the headline, in the order the issue lists them."""
    get = by_key.get
    tiles = []
    kpi = get("breaches_today")
    tiles.append(tile(kpi, "breaches_today", lang, label=t("wall.sla.breaches_today", lang),
                      value=figure(kpi.value if kpi else None, lang),
                      unit=t("kpi.unit.reports", lang) if kpi else ""))
    kpi, waiting = get("urgent_least_time_left"), get("open_urgent")
    left = kpi.value if kpi else None
    sub = [t("wall.sla.none_waiting", lang)] if left is None else [
        t("wall.sla.report", lang, id=kpi.detail.get("report_id") or "?")]
    tiles.append(tile(kpi, "urgent_least_time_left", lang, label=t("wall.sla.most_pressing", lang),
                      value=DASH if left is None else duration(left, lang),
                      unit="" if left is None else t(
                          "wall.sla.overdue_unit" if left < 0 else "wall.sla.left_unit", lang),
                      sub=sub, className="wall-tile-duration"))
    tiles.append(tile(waiting, "open_urgent", lang, label=t("wall.sla.open_urgent", lang),
                      value=figure(waiting.value if waiting else None, lang),
                      unit=t("kpi.unit.reports", lang) if waiting else "",
                      sub=[t("wall.sla.unanswered", lang)]))
    median, p90 = get("response_minutes_median"), get("response_minutes_p90")
    both = [k.value if k else None for k in (median, p90)]
    responded = median.detail.get("responded") if median else None
    tiles.append(tile(median if median and median.value is not None else p90,
                      "response_minutes_median", lang, label=t("wall.sla.response_time", lang),
                      value=DASH if all(m is None for m in both) else " / ".join(
                          DASH if m is None else decimal(m, 0, lang) for m in both),
                      unit=t("wall.unit.min", lang) if any(m is not None for m in both) else "",
                      window=window, className="wall-tile-pair",
                      sub=[t("wall.sla.responded", lang, n=responded)] if responded else None))
    kpi = get("resolved_on_time_pct")
    tiles.append(tile(kpi, "resolved_on_time_pct", lang, label=t("wall.sla.resolved", lang),
                      value=figure(kpi.value if kpi else None, lang),
                      unit="%" if kpi and kpi.value is not None else "", window=window,
                      pill=vs_target(kpi, lang),
                      sub=[target_line(kpi, lang), t("wall.sla.resolved_n", lang,
                           n=kpi.detail.get("resolved", 0)) if kpi else None]))
    kpi, mean = get("satisfied_pct"), get("satisfaction")
    tiles.append(tile(kpi, "satisfaction", lang, label=t("wall.sla.satisfied_label", lang),
                      value=figure(kpi.value if kpi else None, lang),
                      unit="%" if kpi and kpi.value is not None else "", window=window,
                      pill=vs_target(kpi, lang),
                      sub=[target_line(kpi, lang),
                           t("wall.sla.mean", lang, mean=decimal(mean.value, 1, lang),
                             n=mean.detail.get("ratings", 0))
                           if mean and mean.value is not None else None]))
    return tiles


def target_line(kpi: Kpi | None, lang: str) -> str | None:
    if kpi is None or kpi.target is None:
        return None
    value = figure(kpi.target.value, lang, digits=2)
    return t(f"wall.{kpi.target.kind}.{kpi.key}", lang, value=value)


def vs_target(kpi: Kpi | None, lang: str) -> str | None:
    """The pill's word when the status is the comparison with a target."""
    if kpi is None or kpi.target is None or kpi.value is None:
        return None
    met = kpi.target.met(kpi.value)
    return t(f"wall.{kpi.target.kind}.{'met' if met else 'missed'}", lang)


def city_strip(by_key: dict[str, Kpi], lang: str) -> list[html.Div]:
    return [kpi_tile(by_key[k], lang, wall=True) for k in TILE_ORDER if k in by_key]


def page(report: KpiReport, lang: str) -> list[html.Div]:
    """#wall-tiles: the headline row and the city strip."""
    by_key = {k.key: k for k in report.kpis}
    window = window_words(report.window, report.window_h, lang)
    rows = [html.Div([headline(by_key, lang), *sla_tiles(by_key, lang, window)],
                     className="wall-row wall-sla", **{"data-now": report.now.isoformat()}),
            html.Div(city_strip(by_key, lang), className="wall-row wall-city")]
    return rows


# ------------------------------------------------------------------ reports by ward / category

def bars(report: KpiReport, city: citymap.CityModel | None, lang: str,
         scale: float) -> tuple[go.Figure, go.Figure]:
    by_key = {k.key: k for k in report.kpis}
    wards = _counts(by_key.get("reports_by_ward"),
                    lambda w: (city.ward_name(w, lang) if city and w != "?" else None)
                    or (t("report.ward.unknown", lang) if w == "?" else w))
    categories = _counts(by_key.get("reports_by_category"),
                         lambda c: category_label(None if c == "?" else c, lang))
    none = t("data.none", lang)

    def others(n: int) -> str:
        return t("wall.others", lang, n=n)

    return (bar_chart(wards, none, others, scale), bar_chart(categories, none, others, scale))


def _counts(kpi: Kpi | None, label) -> list[tuple[str, int]]:
    detail = kpi.detail if kpi else {}  # a breakdown: {key: count}
    merged: dict[str, int] = {}
    for key, count in detail.items():
        if isinstance(count, int | float):
            name = str(label(str(key)))
            merged[name] = merged.get(name, 0) + int(count)
    return sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))


def chart_layout(fig: go.Figure, scale: float = 1.0) -> go.Figure:
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 8 * scale, "r": 24 * scale, "t": 6 * scale, "b": 6 * scale},
        font={"color": "#e8eef5", "size": 20 * scale,
              "family": "Liberation Sans, Arial, DejaVu Sans, sans-serif"},
        xaxis={"visible": False}, yaxis={"autorange": "reversed", "automargin": True,
                                         "ticklabelstandoff": round(10 * scale),
                                         "tickfont": {"size": 21 * scale}},
        bargap=0.28, showlegend=False)
    return fig


def empty_chart(message: str = "", scale: float = 1.0) -> go.Figure:
    fig = go.Figure()
    if message:
        fig.add_annotation(text=citymap.hover_safe(message), showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper",
                           font={"size": 26 * scale, "color": "#9fb0c3"})
    chart_layout(fig, scale)
    fig.update_layout(yaxis={"visible": False})
    return fig


def bar_chart(counts: list[tuple[str, int]], empty_message: str,
              other_label: Callable[[int], str], scale: float = 1.0) -> go.Figure:
    """The largest counts as bars, each labelled; the rest summed on a last line without a bar,
    so one long "others" bar does not shrink the rest out of sight."""
    if not counts:
        return empty_chart(empty_message, scale)
    shown = counts[:BARS_SHOWN]
    rest = None
    if len(counts) > BARS_SHOWN:
        shown = counts[:BARS_SHOWN - 1]
        rest = (other_label(len(counts) - len(shown)),
                sum(c for _, c in counts[BARS_SHOWN - 1:]))
    names = [citymap.hover_safe(n) for n, _ in shown] + ([citymap.hover_safe(rest[0])]
                                                          if rest else [])
    values = [c for _, c in shown] + ([0] if rest else [])
    texts = [str(c) for _, c in shown] + ([f"Σ {rest[1]}"] if rest else [])
    fig = go.Figure(go.Bar(
        x=values, y=names, orientation="h", marker={"color": BAR_COLOR},
        text=texts, textposition="outside",
        textfont={"size": 22 * scale, "color": "#ffffff"}, cliponaxis=False, hoverinfo="skip"))
    chart_layout(fig, scale)
    fig.update_xaxes(range=[0, max(c for _, c in shown) * 1.18])
    # Every label drawn (Plotly would drop every other one when they crowd).
    fig.update_yaxes(tickmode="array", tickvals=names, ticktext=names)
    return fig
