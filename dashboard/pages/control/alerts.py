"""The new-report alert: a banner over the header for every new, possibly urgent report that
no one has acknowledged yet (urgent, untriaged, or "normal" with the triage unsure), with a
flash and a beep for each new one.

An arrival is a report received after the page opened and after the city started: what was
open before is the queue's business, not news. The server sends every arrival still waiting,
the least time left first; the browser (assets/alerts.js) orders and folds the banner so that
the newest arrival the operator has not seen is always on screen, beside the most pressing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update

from dashboard import queue as qv
from dashboard.api import ApiUnavailable
from dashboard.context import Context
from dashboard.display import parse_ts
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from ioc.api.models import ReportRow
from ioc.events import Urgency
from ioc.lifecycle import Status

ALERT_MS = 1000  # polled on its own clock, never behind the queue
ALERTS_KEPT = 200  # unacknowledged arrivals read per poll, the newest first
# A report received just before the page opened but stored just after is still news: this much
# wall time, so it is as many seconds of the stream's clock as the scenario's speed makes it.
ARRIVAL_SLACK = timedelta(seconds=10)
# New and not yet acknowledged by anyone (a reopened report is not new: an operator reopened it)
ALERT_STATUSES = (Status.RECEIVED, Status.TRIAGED)


def banner(lang: str) -> list:
    """The banner and its timer and stores. It is drawn and dismissed by assets/alerts.js from
    the alert-store, and floats over the header, so an arrival never pushes the queue out from
    under the operator's pointer."""
    return [
        html.Div([
            html.Div([html.Span("⚠", className="alert-icon", **{"aria-hidden": "true"}),
                      html.Span(id="alert-title", className="alert-title"),
                      html.Button(id="alert-more", type="button", className="alert-more",
                                  **{"aria-expanded": "false"}),
                      html.Button([html.Span(t("alert.dismiss", lang), className="wide"),
                                   html.Span(t("alert.dismiss_short", lang),
                                             className="narrow")],
                                  id="alert-dismiss", type="button",
                                  className="btn btn-small btn-ghost")],
                     className="alert-head"),
            html.Div(id="alert-list", className="alert-list"),
        ], id="alert-banner", className="alert-banner", hidden=True, role="alert"),
        dcc.Interval(id="alert-tick", interval=ALERT_MS),
        dcc.Store(id="alert-store", storage_type="session"),
        dcc.Store(id="sound-on", storage_type="local", data=True),
    ]


def sound_button(lang: str) -> html.Button:
    """The alert's sound on or off (browsers allow it only after a click on the page)."""
    return html.Button([html.Span("♪", className="sound-icon", **{"aria-hidden": "true"}),
                        html.Span(t("sound.on", lang), className="sound-label")],
                       id="sound-toggle", n_clicks=0, type="button", className="btn sound-btn",
                       **{"data-label-on": t("sound.on", lang),
                          "data-label-off": t("sound.off", lang),
                          "data-label-blocked": t("sound.blocked", lang)})


def watch_from(now: datetime | None, city_start: datetime | None, speed: float = 1.0) -> datetime:
    """Where the arrival watch starts: ARRIVAL_SLACK (wall time; `speed` scenario seconds per
    wall second) before the stream's "now" when the page opened, so a report received just
    before but stored just after is not missed; never before the city started (what was there
    then, a simulated backlog included, is not news)."""
    start = (now or datetime.now(UTC)) - ARRIVAL_SLACK * speed
    return max(start, city_start) if city_start else start


def possibly_urgent(r: ReportRow) -> bool:
    """Untriaged ones may be urgent, and so may a "normal" the model was unsure of."""
    return r.urgency != Urgency.NORMAL or r.needs_review


def alert_items(reports: list[ReportRow], lang: str, tz: str, ward_name) -> list[dict]:
    """The banner's rows, the least time left first (the most pressing is the first), each
    with its receipt time `at`, from which the browser finds the newest."""
    arrivals = sorted(reports, key=lambda r: (r.clock.due_at, r.received_at))
    return [{**qv.item(r.report_id, qv.alert_row(r, lang, tz, ward_name)),
             "at": r.received_at.isoformat()} for r in arrivals]


def words(lang: str) -> dict:
    """The banner's words in `lang`, each as [wide, narrow] where a narrow banner (a laptop's
    header) needs fewer; assets/alerts.js fills in {n}."""
    return {"one": [t("alert.one", lang), t("alert.one_short", lang)],
            "many": [t("alert.new", lang, n="{n}"), t("alert.new_short", lang, n="{n}")],
            "more": [t("alert.more", lang, n="{n}"), t("alert.more_short", lang, n="{n}")],
            "fold": t("alert.fold", lang),
            "newest": [t("alert.role.newest", lang)] * 2,
            "pressing": [t("alert.role.pressing", lang), t("alert.role.pressing_short", lang)]}


def register(app: Dash, ctx: Context) -> None:
    city_start = ctx.scenario_start  # what was open before the city started is never news

    @app.callback(output=Output("alert-store", "data"),
                  inputs={"_n": Input("alert-tick", "n_intervals")},
                  state={"store": State("alert-store", "data"), "lang": State("lang", "data")})
    def watch_arrivals(_n, store, lang):
        """The unacknowledged, possibly urgent reports that arrived since the page opened, as
        alert rows; assets/alerts.js draws them, flashes and beeps for new ones, and keeps the
        operator's dismissals (so a slow poll can never undo one)."""
        lang = lang if lang in LANGS else DEFAULT_LANG
        store = store if isinstance(store, dict) and store.get("since") else None
        since = parse_ts(store["since"]) if store else None
        after = max((x for x in (since, city_start) if x), default=None)
        try:  # one read: the unacknowledged open reports received since then, the newest first
            got = ctx.api.queue(ALERTS_KEPT, order="newest", status=list(ALERT_STATUSES),
                                received_after=after.isoformat() if after else None)
        except ApiUnavailable:
            return no_update
        waiting = [r for r in got.reports if possibly_urgent(r)]
        if store is None:  # what is there on opening is not new, and not an alert
            since = watch_from(got.now, city_start, ctx.scenario_speed)
            return {"since": since.isoformat(), "baseline": [r.report_id for r in waiting],
                    "alerts": [], "words": {}}
        baseline = set(store.get("baseline") or [])
        alerts = alert_items([r for r in waiting if r.report_id not in baseline],
                             lang, ctx.tz, ctx.ward_namer())
        new_store = {**store, "alerts": alerts, "words": words(lang)}
        return no_update if new_store == store else new_store

    app.clientside_callback(ClientsideFunction("ioc", "renderAlerts"),
                            Input("alert-store", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "soundToggle"),
                            Output("sound-on", "data"), Input("sound-toggle", "n_clicks"),
                            State("sound-on", "data"))
