"""/control: the operator's queue of open citizen reports, the most pressing first, with a live
SLA countdown on every row, the selected report's detail and actions, an alert (flash and beep)
for every new possibly urgent report, and the city's KPIs and map beside them.

Everything refreshes without a reload: the queue and the alert poll every second, but a view is
redrawn only when its signature (what it shows) changed, so 10,000 open reports cost one page
of 100 rows and a few counts per second.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go
from dash import ClientsideFunction, Dash, Input, Output, Patch, State, dcc, html, no_update
from dash import ctx as dash_ctx
from flask import Response, abort

from dashboard import citymap
from dashboard import queue as qv
from dashboard import report_view as rv
from dashboard.api import ApiUnavailable, Refusal
from dashboard.auth import signed_in
from dashboard.components import graph, kpi_tile, notice, scalar_kpis
from dashboard.context import REFRESH_MS, Context
from dashboard.display import (
    decimal,
    local_time,
    number,
    parse_ts,
    sensor_status,
    status_look,
    status_word,
)
from dashboard.i18n import DEFAULT_LANG, LANGS, category_label, department_label, t
from ioc.city import load_city
from ioc.events import Urgency
from ioc.lifecycle import REJECT_REASONS
from ioc.taxonomy import load_taxonomy

QUEUE_MS = 1000  # the queue and the open report are polled every second
ALERT_MS = 1000  # and so is the arrival watch, on its own clock: never behind the queue
REPORTS_ON_MAP = 60
ALERTS_KEPT = 200  # unacknowledged arrivals read per poll, the newest first
ALERTS_SHOWN = 8  # unfolded; folded, the banner shows the most pressing one
ARRIVAL_SLACK = timedelta(seconds=10)
# New and not yet acknowledged by anyone (a reopened report is not new: an operator reopened it)
ALERT_STATUSES = ("received", "triaged")
CHIPS = ("all", "breached", "warning", "ok", "responded")
CHIP_ICONS = {"all": "≡", "breached": "✖", "warning": "▲", "ok": "◷", "responded": "✔"}
CHIP_CSS = {"all": "all", "breached": "alarm", "warning": "warning", "ok": "ok",
            "responded": "met"}
QUICK_ACTIONS = ("acknowledge", "resolve", "close", "reopen")
FORM_ACTIONS = ("respond", "assign", "override", "reject")
ACTIONS = QUICK_ACTIONS + FORM_ACTIONS


def _chip_word(key: str, lang: str) -> str:
    return {"all": t("queue.all", lang), "responded": t("queue.responded", lang)}.get(
        key) or t(f"sla.{key}", lang)


def _dd_labels(lang: str) -> dict:
    """The dropdown's own words (its search box, "nothing found"…), which Dash says in English."""
    return {key: t(f"dd.{key}", lang) for key in ("search", "clear_search", "clear_selection",
                                                  "no_options_found")}


def _dropdown(dd_id: str, placeholder: str, options: list, lang: str, value=None,
              **props) -> dcc.Dropdown:
    props = {"clearable": True, "searchable": True, **props}
    return dcc.Dropdown(id=dd_id, options=options, value=value, placeholder=placeholder,
                        className="dd", labels=_dd_labels(lang), **props)


def _taxonomy_options(lang: str) -> tuple[list, list]:
    tax = load_taxonomy()
    cats = sorted(({"label": category_label(c.code, lang), "value": c.code}
                   for c in tax.categories), key=lambda o: o["label"])
    deps = sorted(({"label": department_label(d.code, lang), "value": d.code}
                   for d in tax.departments), key=lambda o: o["label"])
    return cats, deps


def _ward_options(lang: str) -> list:
    """The city's wards and communes (reference data shipped with the core, the same file the
    API serves): known when the page is built, so a ward chosen in the URL is never dropped."""
    wards = load_city().wards
    return sorted(({"label": t(f"ward.kind.{w.kind}", lang, name=w.name), "value": w.slug}
                   for w in wards), key=lambda o: o["label"])


def _urgency_options(lang: str) -> list:
    return [{"label": t("report.urgent", lang), "value": "urgent"},
            {"label": t("report.normal", lang), "value": "normal"}]


def _queue_panel(lang: str, query: dict) -> html.Section:
    cats, deps = _taxonomy_options(lang)
    chips = [html.Button([
        html.Span(CHIP_ICONS[key], className="pill-icon", **{"aria-hidden": "true"}),
        html.Span(_chip_word(key, lang), className="chip-word"),
        html.Span("–", id=f"sla-count-{key}", className="chip-count"),
    ], id=f"sla-chip-{key}", n_clicks=0, type="button", className=f"chip chip-{CHIP_CSS[key]}",
        title=t("filter.sla", lang)) for key in CHIPS]
    sound = html.Button([html.Span("♪", className="sound-icon", **{"aria-hidden": "true"}),
                         html.Span(t("sound.on", lang), className="sound-label")],
                        id="sound-toggle", n_clicks=0, type="button", className="btn sound-btn",
                        **{"data-label-on": t("sound.on", lang),
                           "data-label-off": t("sound.off", lang),
                           "data-label-blocked": t("sound.blocked", lang)})
    filters = html.Div([
        dcc.Input(id="f-search", type="search", debounce=True, maxLength=200,
                  persistence=True, persistence_type="session",
                  placeholder=t("filter.search", lang), value=query.get("q") or "",
                  className="search-input"),
        _dropdown("f-ward", t("filter.ward", lang), _ward_options(lang), lang, query.get("ward"),
                  persistence=True, persistence_type="session"),
        _dropdown("f-category", t("filter.category", lang), cats, lang, query.get("category"),
                  persistence=True, persistence_type="session"),
        _dropdown("f-department", t("filter.department", lang), deps, lang, query.get("department"),
                  persistence=True, persistence_type="session"),
        _dropdown("f-urgency", t("filter.urgency", lang), _urgency_options(lang), lang,
                  query.get("urgency"), searchable=False, persistence=True,
                  persistence_type="session"),
    ], className="queue-filters")
    return html.Section([
        html.Div([html.H2(t("queue.title", lang), className="panel-title"),
                  html.Div(chips, className="chips", role="group")],
                 className="panel-head queue-head"),
        html.Div([filters, sound], className="queue-tools"),
        # The rows are drawn by assets/queue.js from the queue-view store (no React children).
        html.Div([qv.queue_header(lang),
                  html.Div(id="queue-list", className="queue-list", role="list"),
                  html.Div(notice(t("data.waiting", lang)), className="queue-waiting")],
                 className="queue-scroll", id="queue-scroll"),
        html.Div([
            html.Button(t("queue.prev", lang), id="queue-prev", n_clicks=0, type="button",
                      className="btn btn-small", disabled=True),
            html.Span("", id="queue-range", className="queue-range"),
            html.Button(t("queue.next", lang), id="queue-next", n_clicks=0, type="button",
                      className="btn btn-small", disabled=True),
        ], className="queue-pager"),
    ], className="panel queue-panel", id="queue-panel")


def _select(dd_id: str, placeholder: str, options: list, lang: str) -> dcc.Dropdown:
    return dcc.Dropdown(id=dd_id, options=options, placeholder=placeholder, clearable=True,
                        className="dd dd-small", labels=_dd_labels(lang))


def _detail_panel(lang: str) -> html.Section:
    cats, deps = _taxonomy_options(lang)
    reasons = [{"label": t(f"reason.{r}", lang), "value": r} for r in REJECT_REASONS]

    def button(action: str, kind: str = "") -> html.Button:
        return html.Button(t(f"act.{action}", lang), id=f"act-{action}", n_clicks=0,
                           type="button", className=f"btn act-btn {kind}".strip(),
                           disabled=True)

    forms = html.Div([
        html.Div([
            html.Label(t("form.response", lang), htmlFor="form-response", className="form-label"),
            dcc.Textarea(id="form-response", className="textarea", value="",
                         placeholder=t("form.response.placeholder", lang), maxLength=4000),
            html.Div(button("respond", "btn-primary"), className="form-row end"),
        ], className="form-block"),
        # Less frequent actions fold away; they open by themselves when triage needs a check.
        html.Details([
            html.Summary(t("detail.more", lang), className="form-summary"),
            html.Div([
                html.Div(t("act.assign", lang), className="form-label"),
                html.Div([_select("form-department", t("filter.department", lang), deps, lang),
                          dcc.Input(id="form-assignee", type="text", maxLength=64,
                                    placeholder=t("form.assignee", lang),
                                    className="text-input"),
                          button("assign")], className="form-row"),
            ], className="form-block"),
            html.Div([
                html.Div(t("act.override", lang), className="form-label"),
                html.Div([_select("form-urgency", t("filter.urgency", lang),
                                  _urgency_options(lang), lang),
                          _select("form-category", t("filter.category", lang), cats, lang),
                          _select("form-odepartment", t("filter.department", lang), deps, lang),
                          button("override")], className="form-row"),
            ], className="form-block"),
            html.Div([
                html.Div(t("act.reject", lang), className="form-label"),
                html.Div([_select("form-reason", t("form.reason", lang), reasons, lang),
                          button("reject", "btn-danger")], className="form-row"),
            ], className="form-block"),
        ], id="more-actions", className="more-actions"),
    ], className="detail-forms")

    content = html.Div([
        html.Div(id="detail-head", className="detail-head"),
        html.Div([button(a, "btn-primary" if a == "acknowledge" else "")
                  for a in QUICK_ACTIONS], className="quick-actions"),
        html.Div(t("auth.read_only", lang), id="detail-readonly", className="readonly-note",
                 hidden=True),
        html.Div(id="action-feedback", className="feedback", role="status",
                 **{"aria-live": "polite"}),
        html.Div(id="detail-text-block", className="detail-section"),
        html.Div(id="detail-response-block", className="detail-section"),
        html.Div(t("detail.actions", lang), className="section-title"),
        forms,
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
    ], className="panel detail-panel", id="detail-panel")


def _side(lang: str) -> html.Div:
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
    ], className="control-side")


def layout(lang: str | None = None, **query) -> html.Div:
    lang = lang if lang in LANGS else DEFAULT_LANG
    return html.Div([
        # Drawn and dismissed by assets/queue.js from the alert-store; it floats over the header,
        # so an arrival never pushes the queue out from under the operator's pointer.
        html.Div([
            html.Div([html.Span("⚠", className="alert-icon", **{"aria-hidden": "true"}),
                      html.Span(id="alert-title", className="alert-title"),
                      html.Button(id="alert-more", type="button", className="alert-more",
                                  **{"aria-expanded": "false"}),
                      html.Button(t("alert.dismiss", lang), id="alert-dismiss", type="button",
                                  className="btn btn-small btn-ghost")],
                     className="alert-head"),
            html.Div(id="alert-list", className="alert-list"),
        ], id="alert-banner", className="alert-banner", hidden=True, role="alert"),
        html.Div([_queue_panel(lang, query), _detail_panel(lang), _side(lang)],
                 className="control-grid"),
        dcc.Interval(id="control-tick", interval=REFRESH_MS),
        dcc.Interval(id="queue-tick", interval=QUEUE_MS),
        dcc.Interval(id="alert-tick", interval=ALERT_MS),
        dcc.Store(id="control-map-key"),
        dcc.Store(id="queue-sla", storage_type="session",
                  data=query.get("sla") if query.get("sla") in CHIPS else "all"),
        dcc.Store(id="queue-offset", data=0),
        dcc.Store(id="queue-sig"),
        dcc.Store(id="queue-view"),
        dcc.Store(id="queue-clock"),
        dcc.Store(id="queue-selected", storage_type="session"),
        dcc.Store(id="detail-sig"),
        dcc.Store(id="detail-loc"),
        dcc.Store(id="action-done"),
        dcc.Store(id="alert-store", storage_type="session"),
        dcc.Store(id="sound-on", storage_type="local", data=True),
    ], className="page page-control")


class _Cities:
    """The city model, rebuilt only when the API client fetched a new city document."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._raw: object = None
        self._model: citymap.CityModel | None = None

    def get(self, raw: object) -> citymap.CityModel | None:
        if not isinstance(raw, dict):
            return None
        with self._lock:
            if raw is not self._raw:
                self._raw, self._model = raw, citymap.city_model(raw)
            return self._model


def register_callbacks(app: Dash, ctx: Context) -> None:
    cities = _Cities()

    def city_model() -> citymap.CityModel | None:
        try:
            return cities.get(ctx.api.city())
        except ApiUnavailable:
            return None

    def ward_namer():
        city = city_model()
        return city.ward_name if city else (lambda w, _lang="vi": w)

    # History and photos are proxied, so the browser needs to reach only the dashboard.
    @app.server.route("/report-files/<report_id>/<name>")
    def report_file(report_id: str, name: str):
        if name not in ("history.csv", "photo"):
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

    # ------------------------------------------------------------------ KPI tiles and map
    @app.callback(
        Output("kpi-tiles", "children"), Output("city-map", "figure"),
        Output("control-map-key", "data"), Output("last-update", "children"),
        Input("control-tick", "n_intervals"), State("lang", "data"),
        State("control-map-key", "data"))
    def refresh(_n, lang, map_key):
        lang = lang if lang in LANGS else DEFAULT_LANG
        got = ctx.fetch(kpis=lambda a: a.kpis(), sensors=lambda a: a.sensors_latest(),
                        reports=lambda a: a.recent_reports(REPORTS_ON_MAP),
                        city=lambda a: a.city())
        kpis, sensors, reports, city_raw = (got["kpis"], got["sensors"], got["reports"],
                                            got["city"])
        city = None if isinstance(city_raw, ApiUnavailable) else cities.get(city_raw)
        readings = [] if isinstance(sensors, ApiUnavailable) else sensors
        report_points = [] if isinstance(reports, ApiUnavailable) else reports
        stamps = [ts for ts in (parse_ts(x.get("ts")) for x in readings + report_points) if ts]
        newest = max(stamps, default=None)
        # "now" is the API's clock (the stream's, DESIGN: Time); without it, the newest data.
        now = (parse_ts(kpis.get("now")) if isinstance(kpis, dict) else None) or newest
        if isinstance(kpis, ApiUnavailable):
            tiles = [notice(t("data.unavailable", lang), "notice error")]
        else:
            tiles = [kpi_tile(k, lang) for k in scalar_kpis(kpis.get("kpis") or [])] or \
                [notice(t("data.none", lang))]
        figure, new_key = _map(ctx, city, readings, report_points, lang, now, map_key)
        last = local_time(newest, ctx.tz) if newest else "—"
        return tiles, figure, new_key, last

    # ------------------------------------------------------------------ the queue
    @app.callback(Output("queue-sla", "data"),
                  [Input(f"sla-chip-{key}", "n_clicks") for key in CHIPS],
                  State("queue-sla", "data"), prevent_initial_call=True)
    def choose_chip(*args):
        current = args[-1]
        picked = str(dash_ctx.triggered_id or "").removeprefix("sla-chip-")
        if picked not in CHIPS:
            return no_update
        return "all" if picked == current else picked  # a second click clears the filter

    @app.callback([Output(f"sla-chip-{key}", "className") for key in CHIPS]
                  + [Output(f"sla-chip-{key}", "aria-pressed") for key in CHIPS],
                  Input("queue-sla", "data"))
    def show_chip(current):
        current = current if current in CHIPS else "all"
        classes = [f"chip chip-{CHIP_CSS[k]}" + (" active" if k == current else "")
                   for k in CHIPS]
        return classes + ["true" if k == current else "false" for k in CHIPS]

    @app.callback(Output("queue-offset", "data"),
                  Input("queue-prev", "n_clicks"), Input("queue-next", "n_clicks"),
                  Input("f-ward", "value"), Input("f-category", "value"),
                  Input("f-department", "value"), Input("f-urgency", "value"),
                  Input("queue-sla", "data"), Input("f-search", "value"),
                  State("queue-offset", "data"), State("queue-sig", "data"),
                  prevent_initial_call=True)
    def page(_prev, _next, *args):
        offset, sig = args[-2] or 0, args[-1] or {}
        if dash_ctx.triggered_id == "queue-prev":
            return max(0, offset - qv.PAGE_SIZE)
        if dash_ctx.triggered_id == "queue-next":
            total = int(sig.get("total") or 0)
            return offset + qv.PAGE_SIZE if offset + qv.PAGE_SIZE < total else offset
        return 0  # a new filter starts at the top

    @app.callback(
        Output("queue-view", "data"), Output("queue-range", "children"),
        Output("queue-prev", "disabled"), Output("queue-next", "disabled"),
        [Output(f"sla-count-{key}", "children") for key in CHIPS],
        Output("queue-sig", "data"), Output("queue-clock", "data"),
        Input("queue-tick", "n_intervals"), Input("f-ward", "value"),
        Input("f-category", "value"), Input("f-department", "value"),
        Input("f-urgency", "value"), Input("queue-sla", "data"), Input("queue-offset", "data"),
        Input("f-search", "value"), State("lang", "data"), State("queue-sig", "data"))
    def refresh_queue(_n, ward, category, department, urgency, chip, offset, search, lang, old):
        lang = lang if lang in LANGS else DEFAULT_LANG
        offset = int(offset or 0)
        filters = {"ward": ward, "category": category, "department": department,
                   "urgency": urgency, "q": (search or "").strip() or None}
        chosen = ({"sla_state": chip} if chip in qv.SLA_FILTERS
                  else {"status": "responded"} if chip == "responded" else {})
        # One call: the page, with the per-state counts the chips show.
        got = ctx.fetch(page=lambda a: a.queue(qv.PAGE_SIZE, offset, **filters, **chosen))
        body = got["page"]
        old = old if isinstance(old, dict) else {}
        view = qv.signature(filters, chosen, offset)  # a new view scrolls back to the top
        if isinstance(body, ApiUnavailable):
            if old.get("rows") == "unavailable":
                return *([no_update] * (4 + len(CHIPS))), no_update, no_update
            return ({"notice": qv.spec(notice(t("data.unavailable", lang), "notice error")),
                     "view": view}, "", True, True,
                    *(["–"] * len(CHIPS)), {"rows": "unavailable", "total": 0}, no_update)
        counts = [(body.get("counts") or {}).get(k) for k in CHIPS]
        reports = body.get("reports") or []
        total = int(body.get("total") or 0)
        # Rows and counts are compared apart: a count that moves (a new report somewhere far
        # down the queue) must not redraw a hundred rows that did not change.
        rows_sig = qv.signature(lang, view, qv.rows_signature(reports))
        counts_sig = qv.signature(lang, offset, total, counts)
        clock = {"now": body.get("now")}
        new = {"rows": rows_sig, "counts": counts_sig, "total": total}
        if old.get("rows") == rows_sig:
            rows = no_update
        elif reports:
            names = ward_namer()
            rows = {"items": [qv.item(str(r["report_id"]), qv.queue_row(r, lang, ctx.tz, names))
                              for r in reports], "view": view}
        else:
            rows = {"notice": qv.spec(notice(t("queue.none", lang))), "view": view}
        if old.get("counts") == counts_sig:
            if rows is no_update:
                return *([no_update] * (4 + len(CHIPS))), no_update, clock
            return rows, *([no_update] * (3 + len(CHIPS))), new, clock
        first, last = (offset + 1, offset + len(reports)) if reports else (0, 0)
        shown = t("queue.total", lang, first=decimal(first, 0, lang),
                  last=decimal(last, 0, lang), total=decimal(total, 0, lang))
        return (rows, shown, offset <= 0, offset + qv.PAGE_SIZE >= total,
                *["–" if c is None else decimal(c, 0, lang) for c in counts], new, clock)

    # The countdowns' clock (assets/queue.js): the queue's "now" and the header's speed.
    app.clientside_callback(ClientsideFunction("ioc", "queueClock"), Input("queue-clock", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "renderQueue"), Input("queue-view", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "selectReport"),
                            Input("queue-selected", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "headerClock"),
                            Input("clock-offset", "data"))

    # ------------------------------------------------------------------ new-report alert
    @app.callback(Output("alert-store", "data"), Input("alert-tick", "n_intervals"),
                  State("alert-store", "data"), State("f-ward", "value"), State("lang", "data"))
    def watch_arrivals(_n, store, ward, lang):
        """The unacknowledged, possibly urgent reports that arrived since the page opened, as
        alert rows; assets/queue.js draws them, flashes and beeps for new ones, and keeps the
        operator's dismissals (so a slow poll can never undo one)."""
        lang = lang if lang in LANGS else DEFAULT_LANG
        store = store if isinstance(store, dict) and store.get("since") else None
        try:  # one read: the unacknowledged open reports that arrived since the page opened
            got = ctx.api.queue(ALERTS_KEPT, order="newest", status=list(ALERT_STATUSES),
                                received_after=store["since"] if store else None)
        except ApiUnavailable:
            return no_update
        # Untriaged ones may be urgent, and so may a "normal" the model was unsure of.
        waiting = [r for r in got["reports"]
                   if r.get("urgency") != Urgency.NORMAL.value or r.get("needs_review")]
        if store is None:  # what is there on opening is not new, and not an alert
            return {"since": _baseline(got), "baseline": [str(r["report_id"]) for r in waiting],
                    "alerts": [], "words": {}}
        baseline = set(store.get("baseline") or [])
        names = ward_namer()
        alerts = [qv.item(a["report_id"], qv.alert_row(a, lang, ctx.tz, names))
                  for a in _alert_order([_alert(r) for r in waiting
                                         if str(r["report_id"]) not in baseline], ward)]
        words = {"one": t("alert.one", lang), "many": t("alert.new", lang, n="{n}"),
                 "more": t("alert.more", lang, n="{n}"), "shown": ALERTS_SHOWN}
        new_store = {**store, "alerts": alerts, "words": words}
        return no_update if new_store == store else new_store

    app.clientside_callback(ClientsideFunction("ioc", "renderAlerts"),
                            Input("alert-store", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "soundToggle"),
                            Output("sound-on", "data"), Input("sound-toggle", "n_clicks"),
                            State("sound-on", "data"))

    # ------------------------------------------------------------------ the open report
    @app.callback(Output("queue-selected", "data", allow_duplicate=True),
                  Input("detail-close", "n_clicks"), prevent_initial_call=True)
    def close_detail(_n):
        return None

    @app.callback(
        Output("detail-empty", "hidden"), Output("detail-content", "hidden"),
        Output("detail-head", "children"), Output("detail-text-block", "children"),
        Output("detail-response-block", "children"), Output("detail-meta-block", "children"),
        Output("detail-photo", "children"), Output("detail-history", "children"),
        Output("detail-export", "href"), Output("detail-readonly", "hidden"),
        [Output(f"act-{a}", "disabled") for a in ACTIONS],
        Output("detail-sig", "data"), Output("detail-loc", "data"),
        Output("more-actions", "open"),
        Input("queue-tick", "n_intervals"), Input("queue-selected", "data"),
        Input("action-done", "data"), Input("auth", "data"),
        State("lang", "data"), State("detail-sig", "data"))
    def show_detail(_n, selected, _done, auth, lang, old):
        lang = lang if lang in LANGS else DEFAULT_LANG
        keep = [no_update] * (13 + len(ACTIONS))
        old = old if isinstance(old, dict) else {}
        if not selected:
            if old.get("sig") == "none":
                return keep
            return (False, True, [], [], [], [], [], [], "", True,
                    *([True] * len(ACTIONS)), {"sig": "none"}, None, False)
        try:
            r = ctx.api.report(selected)
        except ApiUnavailable:
            return keep
        if r is None:
            sig = f"gone:{selected}:{lang}"
            if old.get("sig") == sig:
                return keep
            return (True, False, [notice(t("detail.gone", lang, id=selected), "notice error")],
                    [], [], [], [], [], "", True, *([True] * len(ACTIONS)),
                    {"sig": sig, "id": None}, None, no_update)
        allowed = set(r.get("allowed_actions") or [])
        sig = qv.signature(selected, lang, signed_in(auth), sorted(allowed),
                           [r.get(f) for f in qv.ROW_FIELDS], r.get("last_response"),
                           r.get("cues"), r.get("confidence"), r.get("photo_url"),
                           len(r.get("history") or []), r.get("sla_left_s") if r.get(
                               "sla_state") in ("met", "missed") else None)
        if old.get("sig") == sig:
            return keep
        opened = (old.get("id"), old.get("lang")) != (selected, lang)
        names = ward_namer()
        quoted = selected.replace("/", "")
        photo = []
        if r.get("photo_url"):
            src = app.get_relative_path(f"/report-files/{quoted}/photo")
            photo = [html.Div(t("detail.photo", lang), className="section-title"),
                     html.A(html.Img(src=src, alt=t("detail.photo", lang),
                                     className="detail-img"), href=src, target="_blank")]
        loc = ({"id": selected, "lat": r.get("lat"), "lon": r.get("lon"), "lang": lang}
               if opened and isinstance(r.get("lat"), int | float) else no_update)
        return (True, False, rv.head(r, lang, ctx.tz), rv.text_block(r, lang),
                rv.last_response(r, lang), rv.meta(r, lang, ctx.tz, names), photo,
                rv.history_table(r.get("history") or [], lang, ctx.tz),
                app.get_relative_path(f"/report-files/{quoted}/history.csv"),
                signed_in(auth), *[a not in allowed for a in ACTIONS],
                {"sig": sig, "id": selected, "lang": lang}, loc,
                bool(r.get("needs_review")) if opened else no_update)

    app.clientside_callback(ClientsideFunction("ioc", "detailOpened"), Input("detail-sig", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "feedbackShown"),
                            Input("action-feedback", "children"))

    @app.callback(Output("detail-map", "figure"), Input("detail-loc", "data"),
                  prevent_initial_call=True)
    def show_location(loc):
        if not loc:
            return no_update
        city = city_model()
        return _location_figure(city, float(loc["lat"]), float(loc["lon"]), loc["lang"])

    @app.callback(
        Output("action-feedback", "children", allow_duplicate=True),
        Output("action-feedback", "className", allow_duplicate=True),
        Output("form-response", "value", allow_duplicate=True),
        Output("form-department", "value"), Output("form-assignee", "value"),
        Output("form-urgency", "value"), Output("form-category", "value"),
        Output("form-odepartment", "value"), Output("form-reason", "value"),
        Input("queue-selected", "data"), prevent_initial_call=True)
    def reset_forms(_selected):
        return "", "feedback", "", None, "", None, None, None, None

    @app.callback(
        Output("action-feedback", "children"), Output("action-feedback", "className"),
        Output("action-done", "data"), Output("form-response", "value"),
        Output("auth", "data", allow_duplicate=True),
        [Input(f"act-{a}", "n_clicks") for a in ACTIONS],
        State("queue-selected", "data"), State("auth", "data"),
        State("form-response", "value"), State("form-department", "value"),
        State("form-assignee", "value"), State("form-urgency", "value"),
        State("form-category", "value"), State("form-odepartment", "value"),
        State("form-reason", "value"), State("lang", "data"), prevent_initial_call=True)
    def act(*args):
        (selected, auth, response, department, assignee, urgency, category, odepartment,
         reason, lang) = args[len(ACTIONS):]
        lang = lang if lang in LANGS else DEFAULT_LANG
        action = str(dash_ctx.triggered_id or "").removeprefix("act-")
        if action not in ACTIONS or not selected or not any(args[:len(ACTIONS)]):
            return no_update, no_update, no_update, no_update, no_update
        word = t(f"act.{action}", lang)

        def stamped(message: str) -> str:  # so an old message is not read as news
            return f"{message} · {local_time(datetime.now(UTC), ctx.tz)}"

        def refuse(message: str):
            return stamped(message), "feedback error", no_update, no_update, no_update

        if not signed_in(auth):
            return refuse(t("form.need_signin", lang, action=word.lower()))
        body: dict = {"action": action}
        if action == "respond":
            if not (response or "").strip():
                return refuse(t("form.need_response", lang))
            body["note"] = response.strip()
        elif action == "assign":
            if not (department or (assignee or "").strip()):
                return refuse(t("form.need_assign", lang))
            body.update(department=department, assignee=(assignee or "").strip() or None)
        elif action == "override":
            if not (urgency or category or odepartment):
                return refuse(t("form.need_override", lang))
            body.update(urgency=urgency, category=category, department=odepartment)
        elif action == "reject":
            if not reason:
                return refuse(t("form.need_reason", lang))
            body["reason"] = reason
        try:
            got = ctx.api.act(selected, auth["token"], **body)
        except ApiUnavailable:
            return refuse(t("data.unavailable", lang))
        if isinstance(got, Refusal):
            if got.status_code == 401:  # the token has expired: sign in again
                return (stamped(t("auth.expired", lang)), "feedback error", no_update, no_update,
                        None)
            return refuse(_refusal_words(got, word, lang))
        status = rv.lifecycle_word(got.get("status"), lang)
        done = (t("form.pending", lang, action=word) if got.get("outcome") == "pending"
                else t("form.done", lang, action=word, status=status))
        return (stamped(done), "feedback ok",
                {"event": got.get("event_id"), "at": time.time()},
                "" if action == "respond" else no_update, no_update)


def _refusal_words(got: Refusal, action: str, lang: str) -> str:
    """The API's refusal in the operator's language where it is one we can word (the API's own
    English sentence otherwise: a validation message names the field to fix)."""
    if got.status_code == 403:
        return t("form.forbidden", lang, action=action.lower())
    if got.status_code == 409 and got.status:
        return t("form.refused_state", lang, action=action.lower(),
                 status=rv.lifecycle_word(got.status, lang))
    return t("form.refused", lang, code=got.status_code, detail=got.detail)


def _alert_order(alerts: list[dict], ward: str | None) -> list[dict]:
    """The least time left first (the oldest: they all run on the 2-hour clock), so a row stays
    where it is while others arrive and the operator can click it; with a ward chosen in the
    filters, that ward's arrivals come first. The flash and beep say that more have come."""
    return sorted(alerts, key=lambda a: (bool(ward) and a.get("ward") != ward,
                                         a.get("due_at") or "", a["received_at"]))


def _baseline(got: dict) -> str:
    """Where the arrival watch starts: a little before the stream's "now" when the page opened,
    so a report received just before but stored just after is not missed."""
    now = parse_ts(got.get("now")) or datetime.now(UTC)
    return (now - ARRIVAL_SLACK).isoformat()


def _alert(r: dict) -> dict:
    """What the alert banner keeps of a new report (a row of the queue)."""
    return {"report_id": str(r["report_id"]), "received_at": r.get("received_at"),
            "text": str(r.get("text") or "")[:300], "ward": r.get("ward"),
            "urgency": r.get("urgency"), "category": r.get("category"),
            "due_at": r.get("due_at"), "sla_state": r.get("sla_state") or "ok"}


def _location_figure(city: citymap.CityModel | None, lat: float, lon: float,
                     lang: str) -> go.Figure:
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


def _map(ctx: Context, city: citymap.CityModel | None, readings: list[dict],
         reports: list[dict], lang: str, now, map_key: dict | None):
    """The full figure when the city or language changed, else a Patch of the live traces only
    (wards and roads are not re-sent every 2 s; zoom and pan stay, via uirevision)."""
    if city is None:
        if map_key:  # keep the last map on screen through a short API outage
            return no_update, map_key
        return citymap.empty_figure(t("data.unavailable", lang)), None

    def status_of(r: dict) -> str:
        ts = parse_ts(r.get("ts"))
        value = r.get("value")
        return ("offline" if now is None or not isinstance(value, int | float) else
                sensor_status(str(r.get("kind")), float(value), ts, now, ctx.sensor_stale,
                              ctx.water_warn_m, ctx.water_alarm_m))

    def sensor_hover(r: dict, site: citymap.Site, status: str) -> str:
        ward = city.ward_name(site.ward, lang) or ""
        return "<br>".join(citymap.hover_safe(x) for x in (
            f"{t('kind.' + str(r.get('kind')), lang)} · {site.id}",
            f"{number(r.get('value'), str(r.get('unit') or ''), lang)}   "
            f"{status_look(status).icon} {status_word(status, lang)}",
            f"{local_time(r.get('ts'), ctx.tz, fmt='full')} ({t('clock.zone', lang)})",
            ward))

    def report_hover(r: dict) -> str:
        ward = city.ward_name(r.get("ward"), lang) or ""
        level = r.get("urgency") if r.get("urgency") in ("urgent", "normal") else "untriaged"
        return "<br>".join([
            citymap.hover_safe(f"{t('report.' + level, lang)} · "
                               f"{local_time(r.get('ts'), ctx.tz, with_date=True)} · {ward}"),
            citymap.hover_safe(r.get("text"), 140)])

    labels = {level: t(f"map.reports.{level}", lang) for level in ("urgent", "normal",
                                                                   "untriaged")}
    live = (citymap.sensor_traces(readings, city, lambda k: t(f"kind.{k}", lang), status_of,
                                  sensor_hover)
            + citymap.report_traces(reports, labels, report_hover))
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
