"""/cameras: every camera's newest frame (refreshed every 2 s) and a map of where they are."""

from __future__ import annotations

from urllib.parse import quote

from dash import Dash, Input, Output, State, dcc, html, no_update
from flask import Response, abort

from dashboard import citymap
from dashboard.api import ApiUnavailable
from dashboard.components import graph, notice, panel, status_pill
from dashboard.context import REFRESH_MS, Context
from dashboard.display import local_time
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from ioc.api.models import CameraFeed


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang if lang in LANGS else DEFAULT_LANG
    return html.Div([
        panel(t("cameras.title", lang),
              html.Div(notice(t("data.waiting", lang)), id="camera-grid", className="camera-grid"),
              extra=html.Span(id="camera-count", className="count"), className="cameras-panel"),
        panel(t("cameras.map", lang),
              graph("camera-map", className="camera-map",
                    figure=citymap.empty_figure(t("data.waiting", lang)),
                    config={"scrollZoom": True}),
              className="camera-map-panel"),
        dcc.Interval(id="cameras-tick", interval=REFRESH_MS),
        dcc.Store(id="camera-map-key"),
    ], className="page page-cameras")


def snapshot_path(app: Dash, camera_id: str, seq: object) -> str:
    """The dashboard's own URL for a camera's newest frame; `seq` busts the browser cache."""
    return app.get_relative_path(f"/camera-snapshot/{quote(camera_id, safe='')}.jpg?seq={seq}")


def register_callbacks(app: Dash, ctx: Context) -> None:
    # Frames are proxied, so the browser needs to reach only the dashboard: in a deployment
    # the API may sit on an internal network (e.g. http://api:8000).
    @app.server.route("/camera-snapshot/<camera_id>.jpg")
    def camera_snapshot(camera_id: str):
        try:
            upstream = ctx.api.snapshot(camera_id)
        except ApiUnavailable:
            abort(502)
        if upstream.status_code != 200:
            abort(404 if upstream.status_code == 404 else 502)
        return Response(upstream.content, mimetype="image/jpeg",
                        headers={"Cache-Control": "no-store"})

    @app.callback(Output("camera-grid", "children"), Output("camera-count", "children"),
                  Output("camera-map", "figure"), Output("camera-map-key", "data"),
                  Input("cameras-tick", "n_intervals"), State("lang", "data"),
                  State("camera-map-key", "data"))
    def refresh(_n, lang, map_key):
        lang = lang if lang in LANGS else DEFAULT_LANG
        got = ctx.fetch(cameras=lambda a: a.cameras(), city=lambda a: a.city(),
                        kpis=lambda a: a.kpis())
        frames, city, kpis = got["cameras"], got["city"], got["kpis"]
        city = None if isinstance(city, ApiUnavailable) else city
        now = None if isinstance(kpis, ApiUnavailable) else kpis.now  # the stream's clock

        if isinstance(frames, ApiUnavailable):
            return ([notice(t("data.unavailable", lang), "notice error")], "", no_update,
                    map_key)
        latest = {f.camera_id: f for f in frames}
        known = city.cameras if city else []
        ids = [c.id for c in known] + sorted(set(latest) - {c.id for c in known})
        names = {c.id: c.name for c in known}

        def online(cam_id: str) -> bool:
            frame = latest.get(cam_id)
            return frame is not None and now is not None and now - frame.ts <= ctx.camera_stale

        # Cameras with a frame get a card; camera sites that never sent one are listed in one
        # line below (a city may have more sites than cameras running), not as black boxes.
        live = [i for i in ids if i in latest]
        silent = [i for i in ids if i not in latest]
        cards = [_card(app, cam_id, names.get(cam_id, cam_id), latest[cam_id], online(cam_id),
                       lang, ctx.tz) for cam_id in live]
        if not cards:
            cards = [notice(t("cameras.none", lang))]
        if silent:
            cards.append(html.Div([
                html.Span(t("cameras.no_frame", lang) + ": ", className="muted"),
                html.Span(", ".join(f"{i} ({names[i]})" if i in names else i for i in silent)),
            ], className="camera-silent", id="camera-silent"))
        count = f"{sum(online(i) for i in live)} / {len(live)} {t('cameras.online', lang).lower()}"

        if city is None:
            figure, key = (no_update, map_key) if map_key else (
                citymap.empty_figure(t("data.unavailable", lang)), None)
        else:
            status = {i: online(i) for i in ids}
            key = {"lang": lang, "online": status, "cameras": [c.id for c in known]}
            if map_key == key:
                figure = no_update
            else:
                figure = citymap.base_figure(city, lang=lang, show_labels=False)
                figure.add_trace(citymap.camera_trace(city, status, t("map.cameras", lang)))
                citymap.frame_sites(figure, known)
        return cards, count, figure, key


def _card(app: Dash, cam_id: str, name: str, frame: CameraFeed, online: bool, lang: str,
          tz: str) -> html.Div:
    return html.Div([
        html.Div(html.Img(src=snapshot_path(app, cam_id, frame.seq), alt=name,
                          className="camera-img"), className="camera-frame"),
        html.Div([
            html.Div([html.Span(name, className="camera-name"),
                      status_pill("ok" if online else "offline", lang,
                                  t("cameras.online", lang) if online else None)],
                     className="camera-title"),
            html.Div([
                html.Span(local_time(frame.ts, tz, fmt="full"), className="camera-time"),
                html.Span(f"{cam_id} · {t('cameras.frame', lang)} #{frame.seq} · "
                          f"{frame.width}×{frame.height}", className="muted"),
            ], className="camera-meta"),
        ], className="camera-caption"),
    ], className="camera-card", **{"data-camera-id": cam_id})
