"""/cameras: what the city's traffic cameras see, for an operator who wants to look.

- A map of the cameras coloured by status (live green, stale amber, offline grey; a symbol of
  its own for each, and a legend), the chosen camera ringed; a click opens that camera.
- The camera wall: a tile per camera with its newest annotated frame (boxes, classes and the
  count line, drawn by the API), its status pill, the road users it saw in its newest traffic
  window by group, its congestion index as a bar (busy from 0.4, congested from 0.7: the KPIs'
  thresholds) and a badge for its open alarms. Cameras that never sent a frame are named in
  one line; with none at all the wall says it is waiting for data.
- The detail view of one camera (a tile clicked, or `/cameras?camera=cam-01`): detail.py.

Everything refreshes every 2 s without a reload, so a camera that goes stale or offline
changes its pill and its marker by itself. Statuses come from the API (`GET /api/cameras`),
judged on the stream's clock; images load through the dashboard's own proxy (frames.py).
Modules: `tiles` (the wall's tiles, pure), `detail`, `frames` (the image proxy).
"""

from __future__ import annotations

from urllib.parse import quote

import dash
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import citymap
from dashboard.api import ApiUnavailable
from dashboard.components import graph, notice, panel
from dashboard.context import REFRESH_MS, Context
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.pages.cameras import detail, frames, tiles

__all__ = ["layout", "register_callbacks"]


def camera_href(app: Dash, camera_id: str) -> str:
    return app.get_relative_path(f"/cameras?camera={quote(camera_id, safe='')}")


def layout(lang: str | None = None, camera: str | None = None, **_query) -> html.Div:
    lang = lang if lang in LANGS else DEFAULT_LANG
    camera = camera if isinstance(camera, str) and camera else None  # ?camera=a&camera=b: none
    waiting = t("data.waiting", lang)
    wall = panel(t("cameras.title", lang),
                 html.Div(notice(waiting), id="camera-grid", className="cam-wall"),
                 extra=html.Span(id="camera-count", className="count"),
                 className="cam-wall-panel")
    where = panel(t("cameras.map", lang),
                  graph("camera-map", className="camera-map",
                        figure=citymap.empty_figure(waiting), config={"scrollZoom": True}),
                  extra=html.Span(t("cameras.map.hint", lang), className="muted"),
                  className="camera-map-panel cam-map-panel")
    back = dash.get_relative_path("/cameras")
    return html.Div([
        html.Div([detail.panel(lang, camera, back)] + ([] if camera else [wall]),
                 className="cams-main"),
        html.Div([where] + ([wall] if camera else []), className="cams-side"),
        dcc.Interval(id="cameras-tick", interval=REFRESH_MS),
        dcc.Store(id="camera-map-key"),
        dcc.Store(id="camera-selected", data=camera),
        dcc.Location(id="cameras-nav", refresh="callback-nav"),
    ], className="page page-cams " + ("cams-detail-mode" if camera else "cams-wall-mode"),
        **{"data-camera": camera or ""})


def register_callbacks(app: Dash, ctx: Context) -> None:
    frames.register(app, ctx)
    detail.register(app, ctx)

    # Positional outputs: the wall, its count, the map and the map's key (what it shows).
    @app.callback(Output("camera-grid", "children"), Output("camera-count", "children"),
                  Output("camera-map", "figure"), Output("camera-map-key", "data"),
                  Input("cameras-tick", "n_intervals"), State("lang", "data"),
                  State("camera-map-key", "data"), State("camera-selected", "data"))
    def refresh(_n, lang, map_key, selected=None):
        lang = lang if lang in LANGS else DEFAULT_LANG
        got = ctx.fetch(cameras=lambda a: a.camera_statuses(), city=lambda a: a.city())
        cameras, city = got["cameras"], got["city"]
        city = None if isinstance(city, ApiUnavailable) else city
        if isinstance(cameras, ApiUnavailable):
            return ([notice(t("data.unavailable", lang), "notice error")], "", no_update,
                    map_key)
        now = None
        if any(c.status is None for c in cameras):  # an older API: judge by the stream's clock
            kpis = ctx.fetch(kpis=lambda a: a.kpis())["kpis"]
            now = None if isinstance(kpis, ApiUnavailable) else kpis.now
        status = {c.camera_id: tiles.status_of(c, now, ctx.camera_stale) for c in cameras}
        ward_name = city.ward_name if city else (lambda slug, _lang="vi": slug)

        seen = [c for c in cameras if c.ts is not None]
        silent = [c for c in cameras if c.ts is None]
        cards = [tiles.tile(c, status[c.camera_id], lang, ctx.tz,
                            href=camera_href(app, c.camera_id),
                            frame_src=frames.frame_path(app, c.camera_id, c.seq),
                            ward_name=ward_name, selected=c.camera_id == selected)
                 for c in seen]
        if not cards:
            cards = [html.Div([html.Div(t("data.waiting", lang), className="cam-empty-title"),
                               html.Div(t("cameras.none", lang))],
                              className="notice cam-empty", id="camera-empty")]
        if silent:
            cards.append(html.Div([
                html.Span(t("cameras.no_frame", lang) + ": ", className="muted"),
                html.Span(", ".join(f"{c.camera_id} ({c.name})" if c.name else c.camera_id
                                    for c in silent)),
            ], className="cam-silent", id="camera-silent"))
        count = tiles.online_count(status.values(), lang)

        if city is None:
            figure, key = (no_update, map_key) if map_key else (
                citymap.empty_figure(t("data.unavailable", lang)), None)
        else:
            key = {"lang": lang, "status": status, "selected": selected,
                   "cameras": [c.camera_id for c in cameras]}
            figure = no_update if map_key == key else _map(city, cameras, status, lang,
                                                             selected)
        return cards, count, figure, key

    @app.callback(Output("cameras-nav", "href"), Input("camera-map", "clickData"),
                  prevent_initial_call=True)
    def open_clicked(click):
        points = (click or {}).get("points") or []
        camera_id = points[0].get("customdata") if points else None
        if not isinstance(camera_id, str):  # a ward or a road, not a camera
            raise PreventUpdate
        return camera_href(app, camera_id)


def _map(city, cameras, status: dict[str, str], lang: str, selected: str | None):
    counts = {s: sum(v == s for v in status.values()) for s in tiles.STATES}
    labels = {s: f"{tiles.status_word(s, lang)} ({counts[s]})" for s in tiles.STATES}

    def hover(c) -> str:
        words = [f"{c.name or c.camera_id} ({c.camera_id})",
                 tiles.status_word(status[c.camera_id], lang)]
        if c.traffic is not None:
            level = t(f"cameras.level.{c.traffic.congestion_level}", lang)
            words.append(f"{t('cameras.congestion', lang)}: {level} "
                         f"{c.traffic.congestion_index:.2f}")
        if c.open_alarms:
            words.append(t("cameras.alarms.open", lang, n=c.open_alarms))
        return "<br>".join(citymap.hover_safe(w) for w in words)

    figure = citymap.base_figure(city, lang=lang, show_labels=False)
    for trace in citymap.camera_status_traces(cameras, status, labels, hover, selected):
        figure.add_trace(trace)
    placed = [c for c in cameras if c.lat is not None and c.lon is not None]
    citymap.frame_sites(figure, placed)
    return figure
