"""One camera in detail (a tile clicked, or /cameras?camera=cam-01): its newest annotated frame
large, its newest traffic window in figures, the last hour's road users per window and
congestion index as time series, and its incidents, each with the snapshot its alarm names as
evidence.

The charts are redrawn only when a new traffic window arrived (or the language changed); the
frame and the incidents follow every refresh. Alarm messages are the detector's text, shown as
text; evidence images load through the dashboard's proxy (frames.py) from a validated id only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from dashboard.api import ApiUnavailable
from dashboard.components import graph, notice
from dashboard.context import Context
from dashboard.display import decimal, local_time
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.outputs import answer
from dashboard.pages.cameras import frames, tiles
from dashboard.pages.control.alarms_panel import STATE_ICON
from ioc import kpis
from ioc.api.models import AlarmOut, CameraIncidents, CameraStatus, CameraTrafficSeries

SERIES_WINDOW = "PT1H"
INCIDENTS_SHOWN = 12
CHART_BG = "#0f1822"
GRID = "#243447"
STATIC = {"displayModeBar": False}
LEVEL_BANDS = ((0.0, kpis.BUSY, "rgba(53, 194, 138, 0.10)"),
               (kpis.BUSY, kpis.CONGESTED, "rgba(245, 180, 0, 0.12)"),
               (kpis.CONGESTED, 1.0, "rgba(255, 77, 94, 0.14)"))


def panel(lang: str, camera: str | None, back_href: str) -> html.Section:
    """The detail's frame; hidden with no camera chosen (the callbacks fill it)."""
    return html.Section([
        html.Div([
            html.Div([html.H2(camera or "", id="cam-detail-title", className="panel-title"),
                      html.Span(id="cam-detail-pill")], className="cam-detail-heading"),
            html.Span(id="cam-detail-where", className="panel-extra cam-detail-where"),
            dcc.Link(t("cameras.detail.back", lang), href=back_href, id="cam-detail-back",
                     className="btn btn-small btn-ghost"),
        ], className="panel-head"),
        html.Div([
            html.Div([
                html.Div([
                    html.Div(html.Img(id="cam-detail-img", className="cam-detail-img",
                                      alt=camera or ""), className="cam-detail-frame"),
                    html.Div(id="cam-detail-frame-meta", className="cam-detail-meta muted"),
                ], className="cam-detail-left"),
                html.Div([
                    html.Div(notice(t("data.waiting", lang)), id="cam-detail-stats",
                             className="cam-detail-stats"),
                    html.Div(t("cameras.detail.counts", lang), className="cam-chart-title"),
                    graph("cam-detail-counts", className="cam-chart", config=STATIC,
                          figure=empty_chart(t("data.waiting", lang))),
                    html.Div(t("cameras.detail.congestion", lang), className="cam-chart-title"),
                    graph("cam-detail-congestion", className="cam-chart", config=STATIC,
                          figure=empty_chart(t("data.waiting", lang))),
                ], className="cam-detail-side"),
            ], className="cam-detail-top"),
            html.Div([html.H3(t("cameras.detail.incidents", lang), className="cam-h3"),
                      html.Div(id="cam-detail-incidents", className="cam-incidents")],
                     className="cam-detail-bottom"),
        ], className="panel-body cam-detail-body"),
        dcc.Store(id="cam-detail-key"),
    ], id="camera-detail", className="panel cam-detail-panel", hidden=camera is None)


# ------------------------------------------------------------------ pure parts

def _local(ts: datetime, tz: str) -> datetime:
    """Wall-clock time in the display zone, without its offset: plotly draws dates as given."""
    return ts.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _chart_layout(fig: go.Figure, *, y_title: str = "", y_range=None) -> go.Figure:
    fig.update_layout(
        paper_bgcolor=CHART_BG, plot_bgcolor=CHART_BG, margin={"l": 40, "r": 10, "t": 6, "b": 26},
        font={"color": "#d6e2f0", "size": 12,
              "family": "Liberation Sans, Arial, DejaVu Sans, sans-serif"},
        xaxis={"gridcolor": GRID, "tickformat": "%H:%M", "showline": False},
        yaxis={"gridcolor": GRID, "zeroline": False, "title": {"text": y_title},
               **({"range": y_range} if y_range else {"rangemode": "tozero"})},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 12},
                "bgcolor": "rgba(0,0,0,0)", "traceorder": "normal"},
        hovermode="x unified", uirevision="camera-detail")
    return fig


def empty_chart(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"color": "#9fb0c3", "size": 14})
    fig.update_layout(paper_bgcolor=CHART_BG, plot_bgcolor=CHART_BG,
                      xaxis={"visible": False}, yaxis={"visible": False},
                      margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return fig


def counts_figure(series: CameraTrafficSeries | None, lang: str, tz: str) -> go.Figure:
    """Road users per window, stacked by group, in the colours the frames draw them in."""
    if series is None or not series.windows:
        return empty_chart(t("cameras.no_traffic", lang))
    x = [_local(w.ts, tz) for w in series.windows]
    fig = go.Figure()
    for group in tiles.GROUPS:
        label = t(f"cameras.group.{group}", lang)
        fig.add_trace(go.Bar(x=x, y=[tiles.group_counts(w.counts)[group] for w in series.windows],
                             name=label, marker={"color": tiles.GROUP_COLORS[group]},
                             hovertemplate=f"%{{y}} {label}<extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.15)
    return _chart_layout(fig)


def congestion_figure(series: CameraTrafficSeries | None, lang: str, tz: str) -> go.Figure:
    """The index per window on bands for free flow, busy (from 0.4) and congested (from 0.7)."""
    if series is None or not series.windows:
        return empty_chart(t("cameras.no_traffic", lang))
    fig = go.Figure()
    for low, high, colour in LEVEL_BANDS:
        fig.add_hrect(y0=low, y1=high, fillcolor=colour, line_width=0, layer="below")
    for at, level in ((kpis.BUSY, "busy"), (kpis.CONGESTED, "congested")):
        fig.add_hline(y=at, line={"color": "#6c7f95", "width": 1, "dash": "dot"},
                      annotation_text=t(f"cameras.level.{level}", lang),
                      annotation_position="top left",
                      annotation_font={"size": 11, "color": "#9fb0c3"})
    fig.add_trace(go.Scatter(
        x=[_local(w.ts, tz) for w in series.windows],
        y=[w.congestion_index for w in series.windows], mode="lines+markers",
        name=t("cameras.congestion", lang), line={"color": "#e8eef5", "width": 2},
        marker={"size": 5, "color": [("#35c28a", "#f5b400", "#ff4d5e")[
            ("free", "busy", "congested").index(w.congestion_level)] for w in series.windows]},
        hovertemplate="%{y:.2f}<extra></extra>", showlegend=False))
    return _chart_layout(fig, y_range=[0, 1])


def stats(camera: CameraStatus, lang: str, tz: str) -> list:
    """The newest window in figures: road users by group, line crossings, occupancy, speed,
    congestion."""
    w = camera.traffic
    if w is None:
        return [notice(t("cameras.no_traffic", lang))]
    crossed_in, crossed_out = tiles.crossings_total(w.crossings)
    speed = (f"{decimal(w.average_speed_kmh, 0, lang)} km/h"
             if w.average_speed_kmh is not None else "—")
    return [
        html.Div(tiles.window_words(w, tz, lang), className="cam-stats-when muted"),
        tiles.counts_row(w, lang),
        html.Div([
            html.Div([html.Span(t("cameras.detail.crossed", lang), className="muted"),
                      html.B(t("cameras.detail.in_out", lang, n_in=crossed_in,
                               n_out=crossed_out))], className="cam-stat"),
            html.Div([html.Span(t("cameras.detail.occupancy", lang), className="muted"),
                      html.B(f"{decimal(100 * w.occupancy, 0, lang)} %")], className="cam-stat"),
            html.Div([html.Span(t("cameras.detail.speed", lang), className="muted"),
                      html.B(speed)], className="cam-stat"),
        ], className="cam-stats-row"),
        tiles.congestion_bar(w, lang),
    ]


def incident_card(a: AlarmOut, lang: str, tz: str,
                  evidence_src: Callable[[str | None], str | None]) -> html.Div:
    src = evidence_src(a.evidence_ref)
    label = tiles.type_label(a.alarm_type, lang)
    image = (html.A(html.Img(src=src, alt=label, className="cam-incident-img"),
                    href=src, target="_blank", rel="noopener",
                    title=t("cameras.detail.open_full", lang))
             if src else html.Div(t("cameras.detail.no_evidence", lang),
                                  className="cam-incident-noimg"))
    state = a.state.value
    times = [t("cameras.detail.raised", lang, time=local_time(a.raised_at, tz, with_date=True))]
    if a.cleared_at is not None:
        times.append(t("cameras.detail.cleared", lang,
                       time=local_time(a.cleared_at, tz, with_date=True)))
    return html.Div([
        image,
        html.Div([
            html.Div([html.B(label)], className="cam-incident-title"),
            html.Div([html.Span([html.Span(STATE_ICON[a.state], className="pill-icon"),
                                 t(f"alarm.state.{state}", lang)],
                                className=f"alarm-state alarm-{state}"),
                      html.Span(t(f"alarm.severity.{a.severity.value}", lang),
                                className=f"sev-chip sev-{a.severity.value}")],
                     className="cam-incident-chips"),
            html.Div(" · ".join(times), className="cam-incident-times muted"),
            html.Div(a.message, className="cam-incident-msg"),
        ], className="cam-incident-body"),
    ], className=f"cam-incident alarm-{state}",
        **{"data-alarm": str(a.alarm_id), "data-type": a.alarm_type, "data-state": state})


def incidents_list(body: CameraIncidents | None, lang: str, tz: str,
                   evidence_src: Callable[[str | None], str | None]) -> list:
    if body is None or not body.incidents:
        return [notice(t("cameras.detail.no_incidents", lang))]
    return [incident_card(a, lang, tz, evidence_src) for a in body.incidents[:INCIDENTS_SHOWN]]


def frame_meta(camera: CameraStatus, lang: str, tz: str) -> str:
    if camera.ts is None:
        return t("cameras.no_frame", lang)
    return (f"{t('cameras.frame', lang)} #{camera.seq} · {camera.width}×{camera.height} · "
            f"{local_time(camera.ts, tz, fmt='full')}")


# ------------------------------------------------------------------ callback

OUT = {"title": Output("cam-detail-title", "children"),
       "pill": Output("cam-detail-pill", "children"),
       "where": Output("cam-detail-where", "children"),
       "src": Output("cam-detail-img", "src"),
       "img_hidden": Output("cam-detail-img", "hidden"),
       "frame_meta": Output("cam-detail-frame-meta", "children"),
       "stats": Output("cam-detail-stats", "children"),
       "counts": Output("cam-detail-counts", "figure"),
       "congestion": Output("cam-detail-congestion", "figure"),
       "incidents": Output("cam-detail-incidents", "children"),
       "key": Output("cam-detail-key", "data")}


def register(app: Dash, ctx: Context) -> None:
    evidence_src = frames.evidence_paths(app)

    @app.callback(output=OUT, inputs={"_n": Input("cameras-tick", "n_intervals")},
                  state={"lang": State("lang", "data"), "camera_id": State("camera-selected",
                                                                            "data"),
                         "key": State("cam-detail-key", "data")})
    def show(_n, lang, camera_id, key):
        lang = lang if lang in LANGS else DEFAULT_LANG
        if not camera_id:
            return answer(OUT)
        got = ctx.fetch(cameras=lambda a: a.camera_statuses(),
                        series=lambda a: a.camera_traffic(camera_id, SERIES_WINDOW),
                        incidents=lambda a: a.camera_incidents(camera_id, INCIDENTS_SHOWN))
        cameras, series, incidents = got["cameras"], got["series"], got["incidents"]
        if isinstance(cameras, ApiUnavailable):
            return answer(OUT, stats=[notice(t("data.unavailable", lang), "notice error")])
        camera = next((c for c in cameras if c.camera_id == camera_id), None)
        if camera is None:
            return answer(OUT, title=camera_id, pill=[], where="", src=None, img_hidden=True,
                          frame_meta=t("cameras.detail.unknown", lang, camera=camera_id),
                          stats=[notice(t("cameras.detail.unknown", lang, camera=camera_id))],
                          incidents=[])
        status = tiles.status_of(camera, None, ctx.camera_stale)
        ward_name = ctx.ward_namer()
        values = dict(
            title=camera.name or camera.camera_id, pill=tiles.camera_pill(status, lang),
            where=" · ".join(x for x in (camera.camera_id, ward_name(camera.ward, lang)) if x),
            src=frames.frame_path(app, camera.camera_id, camera.seq) if camera.ts else None,
            img_hidden=camera.ts is None, frame_meta=frame_meta(camera, lang, ctx.tz),
            stats=stats(camera, lang, ctx.tz))
        if not isinstance(incidents, ApiUnavailable):
            values["incidents"] = incidents_list(incidents, lang, ctx.tz, evidence_src)
        if not isinstance(series, ApiUnavailable):
            newest = series.windows[-1].ts.isoformat() if series and series.windows else None
            shown = {"lang": lang, "camera": camera_id, "newest": newest}
            if shown != key:
                values.update(key=shown, counts=counts_figure(series, lang, ctx.tz),
                              congestion=congestion_figure(series, lang, ctx.tz))
        return answer(OUT, **values)
