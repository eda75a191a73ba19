"""The queue of open reports: the SLA chips (with their counts), the filters, a page of rows
with live countdowns, and the pager. Polled every QUEUE_MS; rows are drawn in the browser
(assets/queue.js) from keyed specs, and only when what they show changed."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from dashboard import queue as qv
from dashboard.api import ApiUnavailable
from dashboard.components import notice
from dashboard.context import Context
from dashboard.display import decimal
from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.outputs import answer
from dashboard.pages.control import fields
from dashboard.pages.control.alerts import sound_button
from ioc.lifecycle import Status
from ioc.sla import SlaState

QUEUE_MS = 1000  # the queue and the open report are polled every second
# The chips filter by SLA state or show the responded; each counts its reports (QueueCounts).
CHIPS = ("all", SlaState.BREACHED, SlaState.WARNING, SlaState.OK, Status.RESPONDED)
CHIP_ICONS = {"all": "≡", SlaState.BREACHED: "✖", SlaState.WARNING: "▲", SlaState.OK: "◷",
              Status.RESPONDED: "✔"}
CHIP_CSS = {"all": "all", SlaState.BREACHED: "alarm", SlaState.WARNING: "warning",
            SlaState.OK: "ok", Status.RESPONDED: "met"}
FILTERS = {"ward": Input("f-ward", "value"), "category": Input("f-category", "value"),
           "department": Input("f-department", "value"),
           "urgency": Input("f-urgency", "value"), "chip": Input("queue-sla", "data"),
           "search": Input("f-search", "value")}


def _chip_word(key: str, lang: str) -> str:
    return {"all": t("queue.all", lang), "responded": t("queue.responded", lang)}.get(
        key) or t(f"sla.{key}", lang)


def panel(lang: str, query: dict) -> html.Section:
    cats, deps = fields.taxonomy_options(lang)
    chips = [html.Button([
        html.Span(CHIP_ICONS[key], className="pill-icon", **{"aria-hidden": "true"}),
        html.Span(_chip_word(key, lang), className="chip-word"),
        html.Span("–", id=f"sla-count-{key}", className="chip-count"),
    ], id=f"sla-chip-{key}", n_clicks=0, type="button", className=f"chip chip-{CHIP_CSS[key]}",
        title=t("filter.sla", lang)) for key in CHIPS]
    kept = {"persistence": True, "persistence_type": "session"}
    filters = html.Div([
        dcc.Input(id="f-search", type="search", debounce=True, maxLength=200,
                  placeholder=t("filter.search", lang), value=query.get("q") or "",
                  className="search-input", **kept),
        fields.dropdown("f-ward", t("filter.ward", lang), fields.ward_options(lang), lang,
                        query.get("ward"), **kept),
        fields.dropdown("f-category", t("filter.category", lang), cats, lang,
                        query.get("category"), **kept),
        fields.dropdown("f-department", t("filter.department", lang), deps, lang,
                        query.get("department"), **kept),
        fields.dropdown("f-urgency", t("filter.urgency", lang), fields.urgency_options(lang),
                        lang, query.get("urgency"), searchable=False, **kept),
    ], className="queue-filters")
    return html.Section([
        html.Div([html.H2(t("queue.title", lang), className="panel-title"),
                  html.Div(chips, className="chips", role="group")],
                 className="panel-head queue-head"),
        html.Div([filters, sound_button(lang)], className="queue-tools"),
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
        dcc.Interval(id="queue-tick", interval=QUEUE_MS),
        dcc.Store(id="queue-sla", storage_type="session",
                  data=query.get("sla") if query.get("sla") in CHIPS else "all"),
        dcc.Store(id="queue-offset", data=0),
        dcc.Store(id="queue-sig"),
        dcc.Store(id="queue-view"),
        dcc.Store(id="queue-clock"),
    ], className="panel queue-panel", id="queue-panel")


CHIP_OUT = {"css": {k: Output(f"sla-chip-{k}", "className") for k in CHIPS},
            "pressed": {k: Output(f"sla-chip-{k}", "aria-pressed") for k in CHIPS}}
QUEUE_OUT = {"view": Output("queue-view", "data"), "range": Output("queue-range", "children"),
             "no_prev": Output("queue-prev", "disabled"),
             "no_next": Output("queue-next", "disabled"),
             "counts": {k: Output(f"sla-count-{k}", "children") for k in CHIPS},
             "sig": Output("queue-sig", "data"), "clock": Output("queue-clock", "data")}


def register(app: Dash, ctx: Context) -> None:
    @app.callback(output=Output("queue-sla", "data"),
                  inputs={"_clicks": {k: Input(f"sla-chip-{k}", "n_clicks") for k in CHIPS}},
                  state={"current": State("queue-sla", "data")}, prevent_initial_call=True)
    def choose_chip(_clicks, current):
        picked = str(dash_ctx.triggered_id or "").removeprefix("sla-chip-")
        if picked not in CHIPS:
            return no_update
        return "all" if picked == current else picked  # a second click clears the filter

    @app.callback(output=CHIP_OUT, inputs={"current": Input("queue-sla", "data")})
    def show_chip(current):
        current = current if current in CHIPS else "all"
        return answer(CHIP_OUT,
                      css={k: f"chip chip-{CHIP_CSS[k]}" + (" active" if k == current else "")
                           for k in CHIPS},
                      pressed={k: "true" if k == current else "false" for k in CHIPS})

    @app.callback(output=Output("queue-offset", "data"),
                  inputs={"_prev": Input("queue-prev", "n_clicks"),
                          "_next": Input("queue-next", "n_clicks"), "_filters": FILTERS},
                  state={"offset": State("queue-offset", "data"),
                         "sig": State("queue-sig", "data")},
                  prevent_initial_call=True)
    def turn_page(_prev, _next, _filters, offset, sig):
        offset, sig = offset or 0, sig or {}
        if dash_ctx.triggered_id == "queue-prev":
            return max(0, offset - qv.PAGE_SIZE)
        if dash_ctx.triggered_id == "queue-next":
            total = int(sig.get("total") or 0)
            return offset + qv.PAGE_SIZE if offset + qv.PAGE_SIZE < total else offset
        return 0  # a new filter starts at the top

    @app.callback(output=QUEUE_OUT,
                  inputs={"_n": Input("queue-tick", "n_intervals"), "chosen": FILTERS,
                          "offset": Input("queue-offset", "data")},
                  state={"lang": State("lang", "data"), "old": State("queue-sig", "data")})
    def refresh_queue(_n, chosen, offset, lang, old):
        lang = lang if lang in LANGS else DEFAULT_LANG
        offset = int(offset or 0)
        filters = {"ward": chosen["ward"], "category": chosen["category"],
                   "department": chosen["department"], "urgency": chosen["urgency"],
                   "q": (chosen["search"] or "").strip() or None}
        chip = chosen["chip"]
        by_chip = ({"sla_state": chip} if chip in qv.SLA_FILTERS
                   else {"status": Status.RESPONDED} if chip == Status.RESPONDED else {})
        # One call: the page, with the per-state counts the chips show.
        got = ctx.fetch(page=lambda a: a.queue(qv.PAGE_SIZE, offset, **filters, **by_chip))
        body = got["page"]
        old = old if isinstance(old, dict) else {}
        view = qv.signature(filters, by_chip, offset)  # a new view scrolls back to the top
        if isinstance(body, ApiUnavailable):
            if old.get("rows") == "unavailable":
                return answer(QUEUE_OUT)
            return answer(
                QUEUE_OUT, range="", no_prev=True, no_next=True,
                view={"notice": qv.spec(notice(t("data.unavailable", lang), "notice error")),
                      "view": view},
                counts=dict.fromkeys(CHIPS, "–"), sig={"rows": "unavailable", "total": 0})
        reports, total = body.reports, body.total
        counts = {k: getattr(body.counts, k) for k in CHIPS}
        # Rows and counts are compared apart: a count that moves (a new report somewhere far
        # down the queue) must not redraw a hundred rows that did not change.
        rows_sig = qv.signature(lang, view, qv.rows_signature(reports))
        counts_sig = qv.signature(lang, offset, total, counts)
        clock = {"now": body.now.isoformat()}
        sig = {"rows": rows_sig, "counts": counts_sig, "total": total}
        if old.get("rows") == rows_sig:
            rows = no_update
        elif reports:
            names = ctx.ward_namer()
            rows = {"items": [qv.item(r.report_id, qv.queue_row(r, lang, ctx.tz, names))
                              for r in reports], "view": view}
        else:
            rows = {"notice": qv.spec(notice(t("queue.none", lang))), "view": view}
        if old.get("counts") == counts_sig:
            return answer(QUEUE_OUT, view=rows, clock=clock,
                          sig=no_update if rows is no_update else sig)
        first, last = (offset + 1, offset + len(reports)) if reports else (0, 0)
        return answer(
            QUEUE_OUT, view=rows, sig=sig, clock=clock,
            range=t("queue.total", lang, first=decimal(first, 0, lang),
                    last=decimal(last, 0, lang), total=decimal(total, 0, lang)),
            no_prev=offset <= 0, no_next=offset + qv.PAGE_SIZE >= total,
            counts={k: decimal(n, 0, lang) for k, n in counts.items()})

    # The countdowns' clock (assets/clock.js) follows the queue's "now" too.
    app.clientside_callback(ClientsideFunction("ioc", "queueClock"), Input("queue-clock", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "renderQueue"), Input("queue-view", "data"))
    app.clientside_callback(ClientsideFunction("ioc", "selectReport"),
                            Input("queue-selected", "data"))
