"""/wall: the KPI wall for leaders 5 m away, at 1920×1080 and at 4K, Vietnamese by default.

Three pages, one screen each (no scrolling; type scales with the viewport):
1. citizen reports: the headline (urgent reports answered within 2 h, today and over 7 days),
   breaches today, the most pressing urgent report, response times, resolved on time and
   satisfaction beside their targets, the city's own figures, reports by ward and category;
2. the city now: AQI by ward on the map in its bands, congestion by ward, water levels against
   alert levels I/II/III, sensors and cameras online;
3. the last 7 days: the headline, reports received and satisfaction by day.

`/wall?kiosk=1` hides the navigation and rotates the pages every 20 s (`&rotate=N` seconds);
`?page=2` (or `city`) opens a page. One poll of `GET /api/kpis` feeds every page, so all show
the same moment; "updated N s ago" ticks in the browser and the wall turns visibly stale when
data stops or the API is unreachable, then recovers by itself (clientside.py).

Status is colour plus icon plus word; a KPI without data shows "—" and says so, never a
made-up number. Citizen text is never rendered as markup (Dash escapes it; plotly labels go
through `citymap.hover_safe`)."""

from __future__ import annotations

import json

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard.api import ApiUnavailable
from dashboard.components import graph, notice, panel
from dashboard.context import REFRESH_MS, Context
from dashboard.display import local_time
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.pages.wall import cityview, clientside, tiles, trends
from dashboard.pages.wall.text import window_words

WINDOW_H = 168  # the "window" KPIs over the last 7 days (window=7d)
STATIC = {"displayModeBar": False, "staticPlot": True}

# The refresh callback's outputs, by name; Dash takes them in this order (tiles first, the
# "as of" time last).
OUT = {
    "tiles": Output("wall-tiles", "children"),
    "by_ward": Output("wall-by-ward", "figure"),
    "by_category": Output("wall-by-category", "figure"),
    "reports_title": Output("wall-by-ward-title", "children"),
    "categories_title": Output("wall-by-category-title", "children"),
    "aqi_map": Output("wall-aqi-map", "figure"),
    "aqi_list": Output("wall-aqi-list", "children"),
    "traffic_map": Output("wall-traffic-map", "figure"),
    "traffic_list": Output("wall-traffic-list", "children"),
    "water": Output("wall-water", "children"),
    "online": Output("wall-online", "children"),
    "trend_sla": Output("wall-trend-sla", "figure"),
    "trend_received": Output("wall-trend-received", "figure"),
    "trend_satisfied": Output("wall-trend-satisfied", "figure"),
    "trend_summary": Output("wall-trend-summary", "children"),
    "fresh": Output("wall-fresh", "data"),
    "maps_key": Output("wall-maps-key", "data"),
    "asof": Output("wall-asof", "children"),
}


def _chart(graph_id: str, title: str, title_id: str | None = None,
           className: str = "") -> html.Section:
    head = html.Span(title, id=title_id) if title_id else title
    return panel(head, graph(graph_id, className="wall-chart", config=STATIC,
                             figure=tiles.empty_chart()), className=f"wall-panel {className}")


def layout(lang: str | None = None, kiosk: str | None = None, page: str | None = None,
           rotate: str | None = None, **_query) -> html.Div:
    lang = lang if lang in LANGS else DEFAULT_LANG
    in_kiosk = kiosk not in (None, "", "0", "false", "no")
    first = clientside.page_index(page)
    waiting = t("data.waiting", lang)

    def page_class(i: int) -> str:
        return "wall-page" + (" active" if i == first else "")

    tabs = [html.Button([html.Span(str(i + 1), className="wall-tab-n"),
                         html.Span(t(f"wall.page.{name}", lang))], id=f"wall-tab-{i}",
                        n_clicks=0, className="wall-tab" + (" active" if i == first else ""))
            for i, name in enumerate(clientside.PAGES)]
    reports = html.Div([
        html.Div(notice(waiting), id="wall-tiles", className="wall-tiles"),
        html.Div([_chart("wall-by-ward", t("wall.by_ward", lang), "wall-by-ward-title"),
                  _chart("wall-by-category", t("wall.by_category", lang),
                         "wall-by-category-title")], className="wall-charts"),
    ], id="wall-page-reports", className=page_class(0))
    city = html.Div([
        panel(t("wall.aqi.title", lang), html.Div([
            html.Div(graph("wall-aqi-map", className="wall-chart", config=STATIC,
                           figure=tiles.empty_chart(waiting)), className="wall-map"),
            html.Div(notice(waiting), id="wall-aqi-list", className="wall-side-list"),
        ], className="wall-map-body"), className="wall-panel wall-aqi"),
        panel(t("wall.traffic.title", lang), html.Div([
            html.Div(graph("wall-traffic-map", className="wall-chart", config=STATIC,
                           figure=tiles.empty_chart(waiting)), className="wall-map"),
            html.Div(notice(waiting), id="wall-traffic-list", className="wall-side-list"),
        ], className="wall-map-body"), className="wall-panel wall-traffic"),
        html.Div([
            panel(t("wall.water.title", lang), html.Div(notice(waiting), id="wall-water",
                                                        className="wall-water"),
                  className="wall-panel wall-water-panel"),
            html.Div(notice(waiting), id="wall-online", className="wall-online"),
        ], className="wall-city-side"),
    ], id="wall-page-city", className=page_class(1))
    trend = html.Div([
        html.Div(notice(waiting), id="wall-trend-summary", className="wall-row wall-summary"),
        html.Div([_chart("wall-trend-sla", t("wall.trend.sla", lang)),
                  _chart("wall-trend-received", t("wall.trend.received", lang)),
                  _chart("wall-trend-satisfied", t("wall.trend.satisfied", lang))],
                 className="wall-trends"),
    ], id="wall-page-trends", className=page_class(2))

    return html.Div([
        dcc.Store(id="wall-fresh"), dcc.Store(id="wall-scale"), dcc.Store(id="wall-maps-key"),
        dcc.Store(id="wall-words", data=clientside.words(lang)),
        dcc.Store(id="wall-page", data={"index": first}),
        dcc.Interval(id="wall-tick", interval=REFRESH_MS),
        dcc.Interval(id="wall-second", interval=1000),
        dcc.Interval(id="wall-rotate", interval=clientside.rotate_ms(rotate),
                     disabled=not in_kiosk),
        html.Div([
            html.Div(tabs, className="wall-tabs", role="tablist"),
            html.Div([
                html.Span(waiting, id="wall-updated", className="wall-updated is-fresh",
                          role="status"),
                html.Span([html.Span(t("wall.as_of", lang) + " ", className="muted"),
                           html.Span("—", id="wall-asof", className="last-update")],
                          className="wall-asof-line"),
                html.Span("", id="wall-clock", className="wall-clock"),
            ], className="wall-top-right"),
        ], className="wall-top"),
        html.Div("", id="wall-banner", className="wall-banner", hidden=True, role="alert"),
        html.Div([reports, city, trend], id="wall-body", className="wall-body"),
    ], id="wall-root", className="page page-wall wall-v2" + (" kiosk" if in_kiosk else ""),
        **{"data-kiosk": "1" if in_kiosk else "0"})


def register_callbacks(app: Dash, ctx: Context) -> None:
    clientside.register(app)

    @app.callback(list(OUT.values()), Input("wall-tick", "n_intervals"),
                  State("lang", "data"), State("wall-tiles", "children"),
                  State("wall-scale", "data"), State("wall-maps-key", "data"))
    def refresh(n, lang, shown=None, scale=None, maps_key=None):
        lang = lang if lang in LANGS else DEFAULT_LANG
        values = _refresh(ctx, n or 0, lang, shown, float(scale or 1), maps_key)
        return [values.get(name, no_update) for name in OUT]


def _kept(shown) -> list:
    """What #wall-tiles showed, without its notices: kept, dimmed, while the API is away."""
    def is_notice(child) -> bool:
        props = child.get("props", {}) if isinstance(child, dict) else {}
        return "notice" in str(props.get("className", ""))
    return [c for c in shown or [] if not is_notice(c)] if isinstance(shown, list) else []


def _refresh(ctx: Context, n: int, lang: str, shown, scale: float, maps_key) -> dict:
    got = ctx.fetch(kpis=lambda a: a.kpis(window_h=WINDOW_H), city=lambda a: a.city())
    report, city = got["kpis"], got["city"]
    if isinstance(report, ApiUnavailable):
        # The last figures stay on screen, dimmed under the stale banner (clientside.py).
        return {"tiles": [notice(t("data.unavailable", lang), "notice error wall-notice"),
                          *_kept(shown)],
                "fresh": {"ok": False, "polled": n}, "asof": "—"}
    city = None if isinstance(city, ApiUnavailable) else city
    by_key = {k.key: k for k in report.kpis}
    window = window_words(report.window, report.window_h, lang)
    by_ward, by_category = tiles.bars(report, city, lang, scale)
    sla, received, satisfied = trends.charts(by_key.get("trend_7d"), lang, scale)
    values = {
        "tiles": tiles.page(report, lang), "by_ward": by_ward, "by_category": by_category,
        "reports_title": t("wall.by_ward_in", lang, window=window),
        "categories_title": t("wall.by_category_in", lang, window=window),
        "aqi_list": cityview.aqi_list(by_key.get("aqi_by_ward"), city, lang),
        "traffic_list": cityview.congestion_list(by_key.get("congestion_by_ward"), city, lang),
        "water": cityview.water_panel(by_key.get("water_levels"), city, lang),
        "online": cityview.online_tiles(by_key, lang),
        "trend_sla": sla, "trend_received": received, "trend_satisfied": satisfied,
        "trend_summary": trends.summary(by_key, lang),
        "fresh": {"ok": True, "polled": n, "now": report.now.isoformat(),
                  "data_at": report.data_as_of.isoformat() if report.data_as_of else None,
                  "speed": ctx.scenario_speed},
        "asof": local_time(report.now, ctx.tz, fmt="full"),
    }
    # The maps are re-sent only when what they show changed (wards are many points).
    aqi, traffic = by_key.get("aqi_by_ward"), by_key.get("congestion_by_ward")
    key = json.dumps([lang, scale, city is not None, aqi.detail if aqi else None,
                      traffic.detail if traffic else None], sort_keys=True, default=str)
    if key != maps_key:
        values["maps_key"] = key
        if city is None:
            message = t("data.unavailable", lang)
            values["aqi_map"] = values["traffic_map"] = tiles.empty_chart(message, scale)
        else:
            values["aqi_map"] = cityview.ward_map(city, cityview.aqi_looks(aqi), lang, scale,
                                                  name_all=False)
            values["traffic_map"] = cityview.ward_map(
                city, cityview.congestion_looks(traffic, lang), lang, scale)
    return values
