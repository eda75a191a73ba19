"""The open report: its head (urgency, status, SLA clock), the citizen's text with the triage
cues, the response the citizen sees, what the system knows, where it is, its photo and its
audit trail (with a CSV export), refreshed every second while it is open."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update
from flask import Response, abort

from dashboard import citymap
from dashboard import queue as qv
from dashboard import report_view as rv
from dashboard.api import ApiUnavailable
from dashboard.auth import signed_in
from dashboard.components import graph, notice
from dashboard.context import Context
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.outputs import answer
from dashboard.pages.control import actions

FILES = ("history.csv", "photo")  # what /report-files/<id>/<name> serves from the API


def panel(lang: str) -> html.Section:
    content = html.Div([
        html.Div(id="detail-head", className="detail-head"),
        actions.quick_buttons(lang),
        html.Div(t("auth.read_only", lang), id="detail-readonly", className="readonly-note",
                 hidden=True),
        html.Div(id="action-feedback", className="feedback", role="status",
                 **{"aria-live": "polite"}),
        html.Div(id="detail-text-block", className="detail-section"),
        html.Div(id="detail-response-block", className="detail-section"),
        html.Div(t("detail.actions", lang), className="section-title"),
        actions.forms(lang),
        html.Div(id="detail-meta-block", className="detail-section"),
        html.Div([
            html.Div([html.Div(t("detail.location", lang), className="section-title"),
                      graph("detail-map", className="detail-map", style={"height": "210px"},
                            figure=citymap.empty_figure(""),
                            config={"staticPlot": True, "displayModeBar": False})],
                     className="detail-mapbox"),
            html.Div(id="detail-photo", className="detail-photo"),
        ], className="detail-media"),
        html.Div([html.Div(t("detail.history", lang), className="section-title"),
                  html.A(["↓ ", t("detail.export", lang)], id="detail-export", href="",
                         className="btn btn-small export-link", download="")],
                 className="section-head"),
        html.Div(id="detail-history", className="detail-history"),
    ], id="detail-content", className="detail-content", hidden=True)
    return html.Section([
        html.Div([html.H2(t("detail.title", lang), className="panel-title"),
                  html.Button("✕", id="detail-close", n_clicks=0, type="button",
                              className="btn btn-ghost btn-small", title=t("detail.close", lang),
                              **{"aria-label": t("detail.close", lang)})],
                 className="panel-head"),
        html.Div([
            html.Div(t("detail.pick", lang), id="detail-empty", className="detail-empty"),
            content,
        ], className="panel-body detail-scroll"),
        dcc.Store(id="detail-sig"),
        dcc.Store(id="detail-loc"),
        dcc.Store(id="action-done"),
    ], className="panel detail-panel", id="detail-panel")


OUT = {"no_pick": Output("detail-empty", "hidden"), "no_report": Output("detail-content", "hidden"),
       "head": Output("detail-head", "children"), "text": Output("detail-text-block", "children"),
       "response": Output("detail-response-block", "children"),
       "meta": Output("detail-meta-block", "children"),
       "photo": Output("detail-photo", "children"),
       "history": Output("detail-history", "children"),
       "export": Output("detail-export", "href"), "writable": Output("detail-readonly", "hidden"),
       "disabled": {a: Output(f"act-{a}", "disabled") for a in actions.ACTIONS},
       "sig": Output("detail-sig", "data"), "loc": Output("detail-loc", "data"),
       "more_open": Output("more-actions", "open")}
NOTHING = dict(head=[], text=[], response=[], meta=[], photo=[], history=[], export="",
               writable=True, disabled=dict.fromkeys(actions.ACTIONS, True))


def register(app: Dash, ctx: Context) -> None:
    # History and photos are proxied, so the browser needs to reach only the dashboard.
    @app.server.route("/report-files/<report_id>/<name>")
    def report_file(report_id: str, name: str):
        if name not in FILES:
            abort(404)
        try:
            upstream = ctx.api.report_file(report_id, name)
        except ApiUnavailable:
            abort(502)
        if upstream.status_code != 200:
            abort(404 if upstream.status_code == 404 else 502)
        headers = {"Cache-Control": "no-store"}
        if "content-disposition" in upstream.headers:
            headers["Content-Disposition"] = upstream.headers["content-disposition"]
        return Response(upstream.content, headers=headers,
                        mimetype=upstream.headers.get("content-type", "application/octet-stream"))

    @app.callback(output=Output("queue-selected", "data", allow_duplicate=True),
                  inputs={"_n": Input("detail-close", "n_clicks")}, prevent_initial_call=True)
    def close_detail(_n):
        return None

    @app.callback(output=OUT,
                  inputs={"_n": Input("queue-tick", "n_intervals"),
                          "selected": Input("queue-selected", "data"),
                          "_done": Input("action-done", "data"), "auth": Input("auth", "data")},
                  state={"lang": State("lang", "data"), "old": State("detail-sig", "data")})
    def show_detail(_n, selected, _done, auth, lang, old):
        lang = lang if lang in LANGS else DEFAULT_LANG
        old = old if isinstance(old, dict) else {}
        if not selected:
            if old.get("sig") == "none":
                return no_update
            return answer(OUT, no_pick=False, no_report=True, **NOTHING, sig={"sig": "none"},
                          loc=None, more_open=False)
        try:
            r = ctx.api.report(selected)
        except ApiUnavailable:
            return no_update
        if r is None:
            sig = f"gone:{selected}:{lang}"
            if old.get("sig") == sig:
                return no_update
            return answer(OUT, no_pick=True, no_report=False,
                          **{**NOTHING, "head": [notice(t("detail.gone", lang, id=selected),
                                                        "notice error")]},
                          sig={"sig": sig, "id": None}, loc=None)
        allowed = set(r.allowed_actions)
        sig = qv.signature(selected, lang, signed_in(auth), sorted(allowed), qv.shown(r),
                           r.last_response, r.cues, r.confidence, r.photo_url, len(r.history))
        if old.get("sig") == sig:
            return no_update
        opened = (old.get("id"), old.get("lang")) != (selected, lang)
        quoted = selected.replace("/", "")
        photo = []
        if r.photo_url:
            src = app.get_relative_path(f"/report-files/{quoted}/photo")
            photo = [html.Div(t("detail.photo", lang), className="section-title"),
                     html.A(html.Img(src=src, alt=t("detail.photo", lang),
                                     className="detail-img"), href=src, target="_blank")]
        return answer(
            OUT, no_pick=True, no_report=False, head=rv.head(r, lang, ctx.tz),
            text=rv.text_block(r, lang), response=rv.last_response(r, lang),
            meta=rv.meta(r, lang, ctx.tz, ctx.ward_namer()), photo=photo,
            history=rv.history_table(r.history, lang, ctx.tz),
            export=app.get_relative_path(f"/report-files/{quoted}/history.csv"),
            writable=signed_in(auth), disabled={a: a not in allowed for a in actions.ACTIONS},
            sig={"sig": sig, "id": selected, "lang": lang},
            loc={"id": selected, "lat": r.lat, "lon": r.lon, "lang": lang} if opened
            else no_update,
            # the less frequent actions open by themselves when the triage needs a check
            more_open=r.needs_review if opened else no_update)

    app.clientside_callback(ClientsideFunction("ioc", "detailOpened"), Input("detail-sig", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "feedbackShown"),
                            Input("action-feedback", "children"))

    @app.callback(output=Output("detail-map", "figure"),
                  inputs={"loc": Input("detail-loc", "data")}, prevent_initial_call=True)
    def show_location(loc):
        if not loc:
            return no_update
        try:
            city = ctx.api.city()
        except ApiUnavailable:
            city = None
        return location_figure(city, float(loc["lat"]), float(loc["lon"]), loc["lang"])


def location_figure(city: citymap.CityModel | None, lat: float, lon: float,
                    lang: str) -> go.Figure:
    """The city around the report, the report marked."""
    fig = (citymap.base_figure(city, lang=lang, label_size=11) if city
           else citymap.empty_figure(""))
    fig.add_trace(go.Scatter(x=[lon], y=[lat], mode="markers", hoverinfo="skip",
                             showlegend=False,
                             marker={"symbol": "circle-open", "size": 34, "color": "#ff5cae",
                                     "line": {"width": 3}}))
    fig.add_trace(go.Scatter(x=[lon], y=[lat], mode="markers", hoverinfo="skip",
                             showlegend=False,
                             marker={"symbol": "star", "size": 18, "color": "#ff5cae",
                                     "line": {"color": "#ffffff", "width": 1.2}}))
    span = 0.02  # about 4 km across: the ward and its neighbours
    fig.update_layout(xaxis={"range": [lon - span, lon + span], "visible": False},
                      yaxis={"range": [lat - span * 0.6, lat + span * 0.6], "visible": False},
                      margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False)
    return fig
