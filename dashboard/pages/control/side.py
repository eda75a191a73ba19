"""The side of /control: the city map (sensors by status, the newest reports) and today's KPI
tiles, refreshed every REFRESH_MS."""

from __future__ import annotations

from dash import Dash, Input, Output, Patch, State, dcc, html, no_update

from dashboard import citymap
from dashboard.api import ApiUnavailable
from dashboard.components import graph, kpi_tile, notice, scalar_kpis
from dashboard.context import REFRESH_MS, Context
from dashboard.display import local_time, number, status_look, status_word
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.outputs import answer
from dashboard.pages.control import alarms_panel
from dashboard.queue import urgency_level
from ioc.api.models import AlarmOut, LatestReading, RecentReport
from ioc.status import reading_status

REPORTS_ON_MAP = 60


def panel(lang: str) -> html.Div:
    sensors = [html.Span([html.Span(status_look(s).icon, className="pill-icon"),
                          status_word(s, lang)], className=f"legend-key status-{s}")
               for s in ("ok", "warning", "alarm", "offline")]
    reports = [html.Span([html.Span(glyph, className=f"key-glyph key-{level}"),
                          t(f"report.{level}", lang)], className="legend-key",
                         title=t(f"map.reports.{level}", lang))
               for level, glyph in (("urgent", "★"), ("normal", "◆"), ("untriaged", "◇"))]
    key = html.Div(sensors + reports, className="map-key")
    # The map has a fixed height above the tiles: the number of KPIs may change, and a plotly
    # map does not follow its box when that box resizes after it was drawn.
    return html.Div([
        alarms_panel.panel(lang),
        html.Section([
            html.Div([html.H2(t("control.map", lang), className="panel-title"), key],
                     className="panel-head map-head"),
            html.Div(graph("city-map", className="city-map",
                           figure=citymap.empty_figure(t("data.waiting", lang)),
                           config={"scrollZoom": True}), className="panel-body"),
        ], className="panel map-panel"),
        html.Div(id="kpi-tiles", className="kpi-row kpi-side",
                 children=[notice(t("data.waiting", lang))]),
        html.Div([html.Span(t("data.updated", lang) + ": ", className="muted"),
                  html.Span("—", id="last-update", className="last-update")],
                 className="status-bar"),
        dcc.Interval(id="control-tick", interval=REFRESH_MS),
        dcc.Store(id="control-map-key"),
    ], className="control-side")


OUT = {"tiles": Output("kpi-tiles", "children"), "map": Output("city-map", "figure"),
       "map_key": Output("control-map-key", "data"), "updated": Output("last-update", "children")}


def register(app: Dash, ctx: Context) -> None:
    @app.callback(output=OUT,
                  inputs={"_n": Input("control-tick", "n_intervals")},
                  state={"lang": State("lang", "data"),
                         "map_key": State("control-map-key", "data")})
    def refresh(_n, lang, map_key):
        lang = lang if lang in LANGS else DEFAULT_LANG
        got = ctx.fetch(kpis=lambda a: a.kpis(), sensors=lambda a: a.sensors_latest(),
                        reports=lambda a: a.recent_reports(REPORTS_ON_MAP),
                        city=lambda a: a.city(), alarms=lambda a: a.alarms())
        kpis = got["kpis"]
        city = None if isinstance(got["city"], ApiUnavailable) else got["city"]
        readings = [] if isinstance(got["sensors"], ApiUnavailable) else got["sensors"]
        report_points = [] if isinstance(got["reports"], ApiUnavailable) else got["reports"]
        alarms = [] if isinstance(got["alarms"], ApiUnavailable) else got["alarms"].alarms
        newest = max((x.ts for x in [*readings, *report_points]), default=None)
        if isinstance(kpis, ApiUnavailable):
            # "now" is the API's clock (the stream's, DESIGN: Time); without it, the newest data
            now, tiles = newest, [notice(t("data.unavailable", lang), "notice error")]
        else:
            now = kpis.now
            tiles = [kpi_tile(k, lang) for k in scalar_kpis(kpis.kpis)] or \
                [notice(t("data.none", lang))]
        figure, new_key = _map(ctx, city, readings, report_points, alarms, lang, now, map_key)
        return answer(OUT, tiles=tiles, map=figure, map_key=new_key,
                      updated=local_time(newest, ctx.tz) if newest else "—")


def _map(ctx: Context, city: citymap.CityModel | None, readings: list[LatestReading],
         reports: list[RecentReport], alarms: list[AlarmOut], lang: str, now,
         map_key: dict | None):
    """The full figure when the city or language changed, else a Patch of the live traces only
    (wards and roads are not re-sent every 2 s; zoom and pan stay, via uirevision)."""
    if city is None:
        if map_key:  # keep the last map on screen through a short API outage
            return no_update, map_key
        return citymap.empty_figure(t("data.unavailable", lang)), None

    def status_of(r: LatestReading) -> str:
        return ("offline" if now is None else
                reading_status(r.kind, r.value, r.ts, now, ctx.sensor_stale, ctx.policy))

    def sensor_hover(r: LatestReading, site: citymap.Site, status: str) -> str:
        ward = city.ward_name(site.ward, lang) or ""
        return "<br>".join(citymap.hover_safe(x) for x in (
            f"{t('kind.' + r.kind.value, lang)} · {site.id}",
            f"{number(r.value, r.unit, lang)}   "
            f"{status_look(status).icon} {status_word(status, lang)}",
            f"{local_time(r.ts, ctx.tz, fmt='full')} ({t('clock.zone', lang)})",
            ward))

    def report_hover(r: RecentReport) -> str:
        ward = city.ward_name(r.ward, lang) or ""
        return "<br>".join([
            citymap.hover_safe(f"{t('report.' + urgency_level(r.urgency), lang)} · "
                               f"{local_time(r.ts, ctx.tz, with_date=True)} · {ward}"),
            citymap.hover_safe(r.text, 140)])

    def alarm_hover(a: AlarmOut) -> str:
        return "<br>".join(citymap.hover_safe(x) for x in (
            f"{alarms_panel.type_label(a.alarm_type, lang)} · {a.source_id}",
            f"{t('alarm.state.' + a.state.value, lang)} · "
            f"{t('alarm.severity.' + a.severity.value, lang)}",
            a.message, local_time(a.raised_at, ctx.tz, with_date=True)))

    labels = {level: t(f"map.reports.{level}", lang) for level in ("urgent", "normal",
                                                                   "untriaged")}
    live = (citymap.sensor_traces(readings, city, lambda k: t(f"kind.{k}", lang), status_of,
                                  sensor_hover)
            + citymap.report_traces(reports, labels, report_hover)
            + [citymap.alarm_trace(alarms, t("map.alarms", lang), alarm_hover)])
    identity = {"lang": lang, "wards": len(city.wards), "roads": len(city.roads),
                "sensors": len(city.sensors), "name": city.name}
    if map_key and map_key.get("identity") == identity:
        patch = Patch()
        for i, trace in enumerate(live):
            patch["data"][map_key["base"] + i] = trace.to_plotly_json()
        return patch, map_key
    fig = citymap.base_figure(city, lang=lang, kind_label=lambda k: t(f"kind.{k}", lang))
    fig.update_layout(showlegend=False)  # a side panel: the key above and the hovers explain
    base = len(fig.data)
    fig.add_traces(live)
    return fig, {"identity": identity, "base": base}
