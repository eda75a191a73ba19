"""/replay: an engineer replays a scripted scenario or a recording through the pipeline and
watches what it made of it, on the replay's own clock.

- Choose a scenario or recording and a speed; start, pause, resume, stop; change the speed
  while it runs; seek with the slider (forward publishes what lies between at once; back
  replays afresh up to there, which gives the same outputs: a replay is deterministic).
- The replay's clock (the header's too, and every SLA countdown on the page) runs at its speed
  and stands still while it is paused (assets/clock.js follows `replay-status`).
- Its open reports with their 2-h countdowns, its alarms as they are raised at their event
  time, a few of its KPIs, and at the end the digest and the scenario's expectations met or
  missed. Everything is read from the replay's own namespace (`?replay=<tag>`), never the live
  city's.

Starting and steering need an engineer or an admin signed in; watching needs no one.
"""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html

from dashboard.api import ApiUnavailable, Refusal
from dashboard.auth import session
from dashboard.components import notice, panel
from dashboard.context import Context
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.outputs import answer
from dashboard.pages.replay import view
from ioc.events import AlarmState

__all__ = ["layout", "register_callbacks"]

TICK_MS = 1000
ALL_STATES = [s.value for s in AlarmState]


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = lang if lang in LANGS else DEFAULT_LANG
    controls = html.Div([
        html.Label([html.Span(t("replay.source", lang)),
                    dcc.Dropdown(id="replay-source", clearable=False, searchable=False,
                                 placeholder=t("replay.source.pick", lang))],
                   className="field replay-source-field"),
        html.Label([html.Span(t("replay.speed", lang)),
                    dcc.Dropdown(id="replay-speed", options=view.speed_options(lang),
                                 value="60", clearable=False, searchable=False)],
                   className="field replay-speed-field"),
        html.Div([
            html.Button(t("replay.start", lang), id="replay-start", n_clicks=0,
                        className="btn btn-primary", type="button"),
            html.Button(t("replay.pause", lang), id="replay-pause", n_clicks=0,
                        className="btn", type="button", disabled=True),
            html.Button(t("replay.stop", lang), id="replay-stop", n_clicks=0,
                        className="btn btn-ghost", type="button", disabled=True),
        ], className="replay-buttons"),
    ], className="replay-controls")
    clock = html.Div([
        html.Div([html.Div("--:--:--", id="replay-clock", className="replay-clock"),
                  html.Div("", id="replay-date", className="replay-date muted")],
                 className="replay-clock-box"),
        html.Div(id="replay-state", className="replay-state", role="status"),
        html.Div(html.Div(id="replay-progress-bar", className="replay-progress-bar"),
                 className="replay-progress", role="progressbar"),
        html.Label([html.Span(t("replay.seek", lang), className="muted"),
                    dcc.Slider(id="replay-seek", min=0, max=view.SEEK_STEPS, step=1, value=0,
                               marks=None, updatemode="mouseup",
                               tooltip={"always_visible": False})],
                   className="replay-seek"),
    ], className="replay-clock-panel")
    return html.Div([
        html.Div([
            panel(t("replay.title", lang), [controls,
                                            html.Div(id="replay-message", role="alert",
                                                     className="replay-message")],
                  className="replay-panel-controls"),
            panel(t("replay.clock", lang), clock, className="replay-panel-clock"),
        ], className="replay-top"),
        html.Div([
            panel(t("replay.reports", lang),
                  html.Div(notice(t("replay.idle", lang)), id="replay-reports",
                           className="q-list", role="list"),
                  extra=html.Span(id="replay-reports-count", className="count"),
                  className="replay-panel-reports"),
            html.Div([
                panel(t("replay.kpis", lang), html.Div(id="replay-kpis",
                                                       className="kpi-tiles replay-kpis")),
                panel(t("replay.alarms", lang), html.Div(id="replay-alarms",
                                                         className="alarm-list", role="list"),
                      extra=html.Span(id="replay-alarms-count", className="count")),
                panel(t("replay.outcome", lang), html.Div(id="replay-outcome")),
            ], className="replay-side"),
        ], className="replay-grid"),
        dcc.Interval(id="replay-tick", interval=TICK_MS),
        dcc.Store(id="replay-status"),
    ], id="replay-page", className="page page-replay")


REFRESH = {
    "status": Output("replay-status", "data"), "state": Output("replay-state", "children"),
    "progress": Output("replay-progress-bar", "style"),
    "reports": Output("replay-reports", "children"),
    "reports_count": Output("replay-reports-count", "children"),
    "alarms": Output("replay-alarms", "children"),
    "alarms_count": Output("replay-alarms-count", "children"),
    "kpis": Output("replay-kpis", "children"), "outcome": Output("replay-outcome", "children"),
    "pause": Output("replay-pause", "children"),
    "pause_disabled": Output("replay-pause", "disabled"),
    "stop_disabled": Output("replay-stop", "disabled"),
    "start_disabled": Output("replay-start", "disabled"),
}


def register_callbacks(app: Dash, ctx: Context) -> None:
    @app.callback(Output("replay-source", "options"), Output("replay-source", "value"),
                  Input("replay-tick", "n_intervals"), State("lang", "data"),
                  State("replay-source", "options"), State("replay-source", "value"))
    def sources(n, lang, options, chosen):
        if options and n and n % 10:  # recordings may appear: look again every 10 s
            raise dash.exceptions.PreventUpdate
        lang = lang if lang in LANGS else DEFAULT_LANG
        try:
            found = view.source_options(ctx.api.replay_sources(), lang)
        except ApiUnavailable:
            raise dash.exceptions.PreventUpdate from None
        values = [o["value"] for o in found]
        return found, chosen if chosen in values else (values[0] if values else None)

    @app.callback(output=REFRESH, inputs={"_n": Input("replay-tick", "n_intervals"),
                                          "lang": Input("lang", "data")})
    def refresh(_n, lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        try:
            status = ctx.api.replay()
        except ApiUnavailable:
            return answer(REFRESH, state=notice(t("data.unavailable", lang)))
        running = status.state in ("running", "paused", "starting")
        common = {
            "status": {"state": status.state, "now": status.now.isoformat() if status.now
                       else None, "speed": status.speed},
            "state": view.state_line(status, lang, ctx.tz),
            "progress": {"width": f"{100 * view.share_done(status):.1f}%"},
            "pause": t("replay.resume" if status.state == "paused" else "replay.pause", lang),
            "pause_disabled": not running, "stop_disabled": not running,
            "start_disabled": running,
            "outcome": view.outcome(status, lang) if status.state != "idle" else [],
        }
        if not status.tag:
            return answer(REFRESH, **common, reports=notice(t("replay.idle", lang)),
                          alarms=[], kpis=[], reports_count="", alarms_count="")
        got = ctx.fetch(
            queue=lambda a: a.queue(limit=50, replay=status.tag),
            alarms=lambda a: a.alarms(replay=status.tag, state=ALL_STATES),
            kpis=lambda a: a.replay_kpis(status.tag))
        queue, alarms, kpis = (None if isinstance(v, ApiUnavailable) else v
                               for v in (got["queue"], got["alarms"], got["kpis"]))
        names = ctx.ward_namer()
        return answer(
            REFRESH, **common,
            reports=view.reports(queue, lang, ctx.tz, names),
            reports_count=str(queue.total) if queue else "",
            alarms=view.alarm_rows(alarms.alarms if alarms else [], lang, ctx.tz),
            alarms_count=str(len(alarms.alarms)) if alarms else "",
            kpis=view.kpi_tiles(kpis, lang))

    app.clientside_callback(ClientsideFunction("ioc", "replayClock"),
                            Output("replay-clock", "title"), Input("replay-status", "data"))

    @app.callback(Output("replay-message", "children"),
                  Input("replay-start", "n_clicks"), Input("replay-pause", "n_clicks"),
                  Input("replay-stop", "n_clicks"), Input("replay-speed", "value"),
                  Input("replay-seek", "value"),
                  State("replay-source", "value"), State("auth", "data"), State("lang", "data"),
                  prevent_initial_call=True)
    def steer(_start, _pause, _stop, speed, seek, source, auth, lang):
        lang = lang if lang in LANGS else DEFAULT_LANG
        who = session(auth)
        token = who.token if who else None
        trigger = dash.ctx.triggered_id
        try:
            status = ctx.api.replay()
            running = status.state in ("running", "paused", "starting")
            if trigger == "replay-start":
                if who is None:
                    return t("replay.signin", lang)
                if not source:
                    return t("replay.source.pick", lang)
                got = ctx.api.start_replay(token, source, speed or "60")
            elif not running:
                return ""  # the speed chosen before a start is used by the start
            elif who is None:
                return t("replay.signin", lang)
            elif trigger == "replay-pause":
                got = ctx.api.steer_replay(token, "resume" if status.state == "paused"
                                           else "pause")
            elif trigger == "replay-stop":
                got = ctx.api.steer_replay(token, "stop")
            elif trigger == "replay-speed":
                got = ctx.api.steer_replay(token, "speed", speed=speed)
            else:
                to = view.seek_instant(status, seek or 0)
                if to is None:
                    return ""
                got = ctx.api.steer_replay(token, "seek", to=to.isoformat())
        except ApiUnavailable:
            return t("data.unavailable", lang)
        if isinstance(got, Refusal):
            return f"{t('replay.refused', lang)}: {got.detail}"
        return ""
