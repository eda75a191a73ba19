"""The alarms beside the reports on /control: standing sensor, camera and system alarms, the most
pressing first, each with its ISA-18.2 state in words, its severity (escalated when nobody
acknowledges it), where it is and since when, and the operator's actions on it (acknowledge,
shelve for 30 minutes, unshelve). An alarm flood is said above them.

The alarm's message is the detector's text about a device: shown as text, never markup.
"""

from __future__ import annotations

from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from dashboard.api import ApiUnavailable, Refusal
from dashboard.auth import session
from dashboard.context import REFRESH_MS, Context
from dashboard.display import local_time
from dashboard.i18n import DEFAULT_LANG, LANGS, STRINGS, t
from dashboard.outputs import answer
from dashboard.report_view import actor_label
from ioc.api.models import AlarmDetail, AlarmList, AlarmOut
from ioc.events import AlarmState

SHOWN = 8  # rows on screen; the counts say how many more
SHELVE_MINUTES = 30
STATE_ICON = {AlarmState.UNACK: "✖", AlarmState.RTN_UNACK: "◔", AlarmState.ACKED: "✔",
              AlarmState.SHELVED: "‖", AlarmState.SUPPRESSED: "⊘",
              AlarmState.OUT_OF_SERVICE: "⊗", AlarmState.NORMAL: "✔"}


def panel(lang: str) -> html.Section:
    return html.Section([
        html.Div([html.H2(t("alarms.title", lang), className="panel-title"),
                  html.Span(id="alarms-counts", className="alarm-counts")],
                 className="panel-head"),
        html.Div(id="alarms-flood", className="alarm-flood-line"),
        html.Div(id="alarms-list", className="alarm-list", role="list"),
        html.Div(id="alarms-feedback", className="alarm-feedback", role="status"),
        html.Div(id="alarm-history", className="alarm-history"),
        dcc.Store(id="alarm-selected"),
        dcc.Interval(id="alarms-tick", interval=REFRESH_MS),
    ], className="panel alarms-panel", id="alarms-panel")


def type_label(alarm_type: str, lang: str) -> str:
    key = f"alarm.type.{alarm_type}"
    return t(key, lang) if key in STRINGS else alarm_type.replace("_", " ").capitalize()


def message_for(a: AlarmOut, lang: str, tz: str) -> str:
    """The detector's words, in the operator's language where the type has its own."""
    if a.alarm_type == "offline":
        return t("alarms.msg.offline", lang, since=local_time(a.raised_at, tz, with_date=True))
    if a.alarm_type == "stuck" and a.value is not None:
        return t("alarms.msg.stuck", lang, value=f"{a.value:g}")
    if a.alarm_type == "rising_fast" and a.value is not None and a.threshold is not None:
        return t("alarms.msg.rising", lang, rate=f"{a.value:.2f}", limit=f"{a.threshold:g}")
    return a.message


def actions_for(a: AlarmOut) -> list[str]:
    if a.state is AlarmState.SHELVED:
        return ["unshelve"]
    if a.state in (AlarmState.SUPPRESSED, AlarmState.OUT_OF_SERVICE):
        return []
    acts = ["acknowledge"] if a.state in (AlarmState.UNACK, AlarmState.RTN_UNACK) else []
    return acts + ["shelve"]


def evidence_thumb(a: AlarmOut, lang: str, evidence_src) -> html.A | None:
    """A camera alarm's evidence snapshot, small, opening full size; None without one."""
    src = evidence_src(a.evidence_ref) if evidence_src and a.source_kind == "camera" else None
    if src is None:
        return None
    return html.A(html.Img(src=src, alt=t("alarms.evidence", lang), className="alarm-evidence"),
                  href=src, target="_blank", rel="noopener", title=t("alarms.evidence", lang),
                  className="alarm-evidence-link")


def alarm_row(a: AlarmOut, lang: str, tz: str, ward_name, can_act: bool,
              evidence_src=None) -> html.Div:
    """One alarm; `evidence_src(evidence_ref)` is the dashboard's URL of a camera alarm's
    snapshot (dashboard/pages/cameras/frames.py), shown as a thumbnail."""
    state = a.state.value
    where = " · ".join(x for x in (a.source_id, ward_name(a.ward, lang) if a.ward else None)
                       if x)
    when = t("alarms.since", lang, time=local_time(a.raised_at, tz, with_date=True))
    if a.acknowledged_by and a.state is AlarmState.ACKED:
        when += " · " + t("alarm.state.acknowledged", lang) + ": " + actor_label(
            a.acknowledged_by, lang)
    if a.state is AlarmState.SHELVED and a.shelved_until:
        when += " · " + t("alarms.until", lang, time=local_time(a.shelved_until, tz))
    buttons = [html.Button(t(f"alarm.act.{action}", lang), n_clicks=0, type="button",
                           id={"type": "alarm-act", "alarm": str(a.alarm_id), "action": action},
                           className="btn btn-small" + (" btn-primary"
                                                        if action == "acknowledge" else ""))
               for action in actions_for(a)] if can_act else []
    buttons.append(html.Button(t("alarms.history", lang), n_clicks=0, type="button",
                               id={"type": "alarm-open", "alarm": str(a.alarm_id)},
                               className="btn btn-small btn-ghost"))
    severity = html.Span(t(f"alarm.severity.{a.severity.value}", lang),
                         className=f"sev-chip sev-{a.severity.value}",
                         title=t("alarms.escalated", lang) if a.escalated else None)
    state_chip = html.Span([html.Span(STATE_ICON[a.state], className="pill-icon"),
                            t(f"alarm.state.{state}", lang)],
                           className=f"alarm-state alarm-{state}")
    thumb = evidence_thumb(a, lang, evidence_src)
    return html.Div([
        html.Div([html.Div([state_chip, severity, html.B(type_label(a.alarm_type, lang)),
                            html.Span("▲" if a.escalated else "", className="escalated")],
                           className="alarm-title"),
                  html.Div(message_for(a, lang, tz), className="alarm-message"),
                  html.Div([where, " · ", when], className="alarm-meta muted"),
                  *([thumb] if thumb is not None else [])],
                 className="alarm-body"),
        html.Div(buttons, className="alarm-actions"),
    ], className=f"alarm-row alarm-{state}", role="listitem",
        **{"data-alarm": str(a.alarm_id), "data-state": state})


def history_view(alarm: AlarmDetail | None, lang: str, tz: str) -> list:
    """The selected alarm's audit trail, newest first: every step, who and when, the state it
    left, and a refusal's reason."""
    if alarm is None:
        return []
    rows = []
    for h in reversed(alarm.history):
        what = t(f"alarm.step.{h.action.value}", lang)
        if h.outcome == "refused":
            what += f" ({t('alarm.step.refused', lang)}: {h.refusal or ''})"
        state = t(f"alarm.state.{h.state.value}", lang) if h.state else ""
        rows.append(html.Tr([html.Td(local_time(h.ts, tz, fmt="full")), html.Td(what),
                             html.Td(actor_label(h.actor, lang)), html.Td(state),
                             html.Td(h.note or h.message or "")]))
    title = t("alarms.history.title", lang, source=f"{type_label(alarm.alarm_type, lang)} · "
              f"{alarm.source_id}")
    return [html.Div(title, className="alarm-history-title"),
            html.Table(html.Tbody(rows), className="alarm-history-table")]


def counts_line(body: AlarmList, lang: str) -> str:
    parts = [f"{t('alarm.state.' + state, lang)}: {n}" for state, n in body.counts.items() if n]
    return " · ".join(parts)


def flood_line(body: AlarmList, lang: str) -> html.Div:
    f = body.flood
    rate = f"{f.per_10min_per_operator:g}"
    if f.flooding:
        return html.Div(t("alarms.flood", lang, rate=rate, limit=f"{f.limit:g}"),
                        className="alarm-flood flooding", role="alert")
    return html.Div(t("alarms.rate", lang, rate=rate), className="alarm-flood muted")


OUT = {"list": Output("alarms-list", "children"), "counts": Output("alarms-counts", "children"),
       "flood": Output("alarms-flood", "children"),
       "history": Output("alarm-history", "children")}


def register(app: Dash, ctx: Context) -> None:
    # Imported here: the cameras page imports this module's alarm words at its top.
    from dashboard.pages.cameras.frames import evidence_paths

    evidence_src = evidence_paths(app)

    @app.callback(output=OUT, inputs={"_n": Input("alarms-tick", "n_intervals"),
                                      "_done": Input("alarms-feedback", "children"),
                                      "selected": Input("alarm-selected", "data")},
                  state={"lang": State("lang", "data"), "auth": State("auth", "data")})
    def refresh(_n, _done, selected, lang, auth):
        lang = lang if lang in LANGS else DEFAULT_LANG
        try:
            body = ctx.api.alarms()
        except ApiUnavailable:
            return answer(OUT, list=html.Div(t("data.unavailable", lang), className="notice error"))
        ward_name = ctx.ward_namer()
        can_act = session(auth) is not None
        rows = [alarm_row(a, lang, ctx.tz, ward_name, can_act, evidence_src)
                for a in body.alarms[:SHOWN]]
        if len(body.alarms) > SHOWN:
            rows.append(html.Div(t("alarms.more", lang, n=len(body.alarms) - SHOWN),
                                 className="muted alarm-more"))
        if not rows:
            rows = [html.Div(t("alarms.none", lang), className="notice")]
        elif not can_act:
            rows.append(html.Div(t("alarms.signin", lang), className="muted alarm-more"))
        try:
            history = history_view(ctx.api.alarm(selected), lang, ctx.tz) if selected else []
        except ApiUnavailable:
            history = []
        return answer(OUT, list=rows, counts=counts_line(body, lang),
                      flood=flood_line(body, lang), history=history)

    @app.callback(output=Output("alarm-selected", "data"),
                  inputs={"_clicks": Input({"type": "alarm-open", "alarm": ALL}, "n_clicks")},
                  state={"selected": State("alarm-selected", "data")},
                  prevent_initial_call=True)
    def select(_clicks, selected):
        trigger = dash_ctx.triggered_id
        if not trigger or not dash_ctx.triggered[0]["value"]:
            return no_update
        return None if trigger["alarm"] == selected else trigger["alarm"]

    @app.callback(output=Output("alarms-feedback", "children"),
                  inputs={"_clicks": Input({"type": "alarm-act", "alarm": ALL, "action": ALL},
                                           "n_clicks")},
                  state={"lang": State("lang", "data"), "auth": State("auth", "data")},
                  prevent_initial_call=True)
    def act(_clicks, lang, auth):
        lang = lang if lang in LANGS else DEFAULT_LANG
        trigger = dash_ctx.triggered_id
        # A row redrawn by the refresh comes with n_clicks 0: that is no click.
        if not trigger or not dash_ctx.triggered[0]["value"]:
            return no_update
        who = session(auth)
        if who is None:
            return t("alarms.signin", lang)
        action = trigger["action"]
        body = {"action": action}
        if action == "shelve":
            body["shelve_minutes"] = SHELVE_MINUTES
        try:
            got = ctx.api.act_on_alarm(trigger["alarm"], who.token, **body)
        except ApiUnavailable:
            return t("data.unavailable", lang)
        if isinstance(got, Refusal):
            return t("alarms.refused", lang, detail=got.detail)
        if got.outcome == "pending":
            return t("alarms.pending", lang)
        return t("alarms.done", lang, action=t(f"alarm.act.{action}", lang))
