"""The dashboard shell: header (navigation, health, Vietnam time, VI/EN switch) and the pages.

`create_app(settings)` is the composition root: it builds the API client and the page callbacks
around it, so nothing lives in module globals. All live data comes from the IOC HTTP API.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dash
import flask
from dash import ClientsideFunction, Dash, Input, Output, dcc, html

from dashboard import auth
from dashboard.api import ApiUnavailable
from dashboard.context import Context
from dashboard.display import local_time
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.outputs import answer
from dashboard.pages import cameras, control, replay, wall
from ioc.config import Settings

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
PAGES = (  # module, path, i18n key of its name
    (control, "/control", "nav.control"),
    (cameras, "/cameras", "nav.cameras"),
    (wall, "/wall", "nav.wall"),
    (replay, "/replay", "nav.replay"),
)
HEALTH_MS = 5000


def _header() -> html.Header:
    nav = [dcc.Link(t(key, DEFAULT_LANG), href=path, id=f"nav-{path.strip('/')}",
                    className="nav-link") for _, path, key in PAGES]
    return html.Header([
        html.Div([
            html.Div("IOC", className="brand-mark"),
            html.Div([html.Div(t("app.title", DEFAULT_LANG), id="brand-title",
                               className="brand-title"),
                      html.Div(t("app.city", DEFAULT_LANG), className="brand-city")],
                     className="brand-text"),
        ], className="brand"),
        html.Nav(nav, className="nav"),
        html.Div([
            html.Div(t("health.checking", DEFAULT_LANG), id="health-badge",
                     className="health status-unknown", role="status"),
            html.Div([html.Div("--:--:--", id="clock-time", className="clock-time"),
                      html.Div("", id="clock-date", className="clock-date")],
                     id="clock", className="clock"),
            html.Div([html.Button(code.upper(), id=f"lang-{code}", n_clicks=0,
                                  className="lang-btn", title=code.upper())
                      for code in LANGS], id="lang-switch", className="lang-switch",
                     role="group", title=t("lang.label", DEFAULT_LANG)),
            auth.header_widget(),
        ], className="header-right"),
    ], className="app-header")


def create_app(settings: Settings) -> Dash:
    ctx = Context.from_settings(settings)
    app = Dash(
        __name__, use_pages=True, pages_folder="", assets_folder=str(ASSETS),
        title="IOC Long Khánh", update_title=None, serve_locally=True,
        # Pages re-render when the language changes: their layouts take `lang`.
        routing_callback_inputs={"lang": Input("lang", "data")},
    )
    for order, (module, path, key) in enumerate(PAGES):
        dash.register_page(module.__name__, path=path, name=t(key, "en"), order=order,
                           title=f"{t(key, DEFAULT_LANG)} · IOC Long Khánh",
                           layout=module.layout)
    for module in (control, cameras, wall, replay):
        module.register_callbacks(app, ctx)

    app.layout = html.Div([
        dcc.Store(id="lang", storage_type="local"),
        auth.store(),
        dcc.Store(id="clock-config", data={
            "tz": settings.display_tz,
            "zone": {code: t("clock.zone", code) for code in LANGS}}),
        dcc.Store(id="health-store"),
        dcc.Location(id="url"),
        dcc.Interval(id="health-tick", interval=HEALTH_MS),
        _header(),
        html.Main(dash.page_container, className="app-main"),
    ], className="app")

    _register_shell_callbacks(app, ctx)
    auth.register_callbacks(app, ctx)

    @app.server.before_request
    def home_is_control():  # "/" shows the control room
        if flask.request.path == app.get_relative_path("/"):
            return flask.redirect(app.get_relative_path("/control"), code=302)
        return None

    return app


def _register_shell_callbacks(app: Dash, ctx: Context) -> None:
    @app.callback(Output("lang", "data"),
                  Input("lang-vi", "n_clicks"), Input("lang-en", "n_clicks"),
                  prevent_initial_call=True)
    def choose_language(_vi, _en):
        return "en" if dash.ctx.triggered_id == "lang-en" else "vi"

    words = {"buttons": {code: Output(f"lang-{code}", "className") for code in LANGS},
             "nav": {path: Output(f"nav-{path.strip('/')}", "children") for _, path, _ in PAGES},
             "brand": Output("brand-title", "children"),
             "switch": Output("lang-switch", "title")}

    @app.callback(output=words, inputs={"lang": Input("lang", "data")})
    def translate_header(lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        return answer(words,
                      buttons={code: f"lang-btn{' active' if code == lang else ''}"
                               for code in LANGS},
                      nav={path: t(key, lang) for _, path, key in PAGES},
                      brand=t("app.title", lang), switch=t("lang.label", lang))

    # Dash titles a page in the language it was registered in; this says it in the chosen one.
    app.clientside_callback(ClientsideFunction("ioc", "pageTitle"),
                            Input("_pages_store", "data"), Input("brand-title", "children"),
                            [Input(f"nav-{path.strip('/')}", "className") for _, path, _ in PAGES])

    @app.callback(output={path: Output(f"nav-{path.strip('/')}", "className")
                          for _, path, _ in PAGES},
                  inputs={"pathname": Input("url", "pathname")})
    def highlight_nav(pathname):
        current = app.strip_relative_path(pathname or "/") or "control"
        return {path: f"nav-link{' active' if current == path.strip('/') else ''}"
                for _, path, _ in PAGES}

    health = {"badge": Output("health-badge", "children"),
              "look": Output("health-badge", "className"),
              "why": Output("health-badge", "title"), "clock": Output("health-store", "data")}

    @app.callback(output=health, inputs={"_n": Input("health-tick", "n_intervals"),
                                         "lang": Input("lang", "data")})
    def show_health(_n, lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        try:
            body = ctx.api.health()
        except ApiUnavailable as exc:
            return answer(health, badge=_badge("✖", t("health.unreachable", lang)),
                          look="health status-alarm", why=f"{ctx.api.base_url}: {exc}",
                          clock=None)
        if body.status != "ok":
            state, icon, key = "alarm", "✖", "health.down"
        elif any(w.status == "lagging" for w in body.workers.values()):
            state, icon, key = "warning", "▲", "health.lagging"
        else:
            state, icon, key = "ok", "✔", "health.ok"
        why = "\n".join(body.problems) or t("health.ok", lang)
        why += f"\n{local_time(body.checked_at, ctx.tz)}"
        return answer(health, badge=_badge(icon, t(key, lang)), look=f"health status-{state}",
                      why=why, clock=body.clock.model_dump(mode="json"))

    # The clock ticks in the browser (assets/clock.js, which the countdowns use too) but follows
    # the API's clock: the stream's "now" and speed (DESIGN: Time), so it is right in a replay
    # and when the operator's PC clock is not.
    app.clientside_callback(ClientsideFunction("ioc", "streamClock"),
                            Input("health-store", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "clockWords"),
                            Input("lang", "data"), Input("clock-config", "data"))


def _badge(icon: str, text: str) -> list:
    return [html.Span(icon, className="pill-icon", **{"aria-hidden": "true"}), html.Span(text)]


def serve(settings: Settings) -> None:
    import gc

    from waitress import serve as waitress_serve

    app = create_app(settings)
    gc.collect()
    gc.freeze()  # what was built at start is never collected: see ioc.cli.freeze_startup_objects
    logger.info("dashboard listening", extra={"host": settings.host,
                                                "port": settings.dashboard_port,
                                                "api": settings.api_base_url})
    waitress_serve(app.server, host=settings.host, port=settings.dashboard_port, threads=8)
