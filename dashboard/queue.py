"""The operator's queue on screen: rows with a live SLA countdown, state chips, the new-report
alert, and the cheap signature that spares a re-render when nothing changed.

Rows are built here as Dash components, then sent to the browser as plain element specs
(`spec`) that `assets/queue.js` turns into DOM nodes keyed by report id: a row that did not
change keeps its node (and the operator's click and focus), and React never re-renders a list
of hundreds of nodes every second. Citizen text is untrusted: it is only ever a text node or an
attribute value, never HTML. Countdowns are filled in by `assets/queue.js` from `data-due` and
the stream's clock, so they tick every second without a server round trip.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from dash import html

from dashboard.display import local_time, parse_ts, sla_look
from dashboard.i18n import category_label, t

PAGE_SIZE = 100
EXCERPT_CHARS = 240
SLA_FILTERS = ("breached", "warning", "ok")  # the API's sla_state filter values
# Fields that, when they change, change what a row shows (sla_left_s ticks in the browser).
ROW_FIELDS = ("report_id", "status", "sla_state", "urgency", "category", "department",
              "assignee", "needs_review", "overridden", "ward", "due_at", "respond_again_by")


def urgency_level(urgency: str | None) -> str:
    return urgency if urgency in ("urgent", "normal") else "untriaged"


def urgency_badge(urgency: str | None, lang: str) -> html.Span:
    level = urgency_level(urgency)
    icon = {"urgent": "⚠", "normal": "•", "untriaged": "?"}[level]
    return html.Span([html.Span(icon, className="pill-icon", **{"aria-hidden": "true"}),
                      t(f"report.{level}", lang)], className=f"badge badge-{level}")


def sla_pill(state: str | None, lang: str) -> html.Span:
    look = sla_look(state)
    word = t(f"sla.{state}", lang) if state in ("ok", "warning", "breached", "met", "missed",
                                                "reopened") else t("status.unknown", lang)
    return html.Span([html.Span(look.icon, className="pill-icon", **{"aria-hidden": "true"}),
                      html.Span(word)], className=f"pill sla-pill status-{look.css}",
                     **{"data-sla": str(state)})


def shown_clock(r: dict) -> tuple[str | None, object]:
    """The SLA state and due time a report's row and detail show: its first response's, or,
    once reopened, the clock of the response it needs again (sla.respond_again_by)."""
    if r.get("respond_again_by"):
        return "reopened", r["respond_again_by"]
    return r.get("sla_state"), r.get("due_at")


def _iso(value: str | datetime | None) -> str:
    ts = parse_ts(value)
    return ts.isoformat() if ts else ""


def countdown(state: str | None, due_at: str | datetime | None, left_s: float | None, lang: str,
              *, element_id: str | None = None, className: str = "") -> html.Span:
    """An empty span that assets/queue.js fills with h:mm:ss left (or 'quá hạn 0:12:34'),
    recomputed every second from the due time and the stream's clock. Once the citizen has a
    response the clock is frozen at `left_s`: how early (met) or late (missed) it was."""
    frozen = state in ("met", "missed")
    props = {
        "data-due": _iso(due_at), "data-state": str(state or "ok"),
        # Only a stopped clock's figure: a running one's changes every poll, and would make every
        # row's digest change, so every row would be redrawn (assets/queue.js draws it live).
        "data-left": "" if left_s is None or not frozen else str(round(float(left_s))),
        "data-frozen": "1" if frozen else "0",
        "data-pos": t("sla.early_by", lang) if frozen else "{t}",
        "data-neg": t("sla.late_by", lang) if frozen else t("sla.overdue_by", lang),
    }
    if element_id:
        props["id"] = element_id
    look = sla_look(state)
    return html.Span(className=f"countdown status-{look.css} {className}".strip(), **props)


def excerpt(text: object, limit: int = EXCERPT_CHARS) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _category(r: dict, lang: str) -> str:
    if r.get("category"):
        return category_label(r["category"], lang)
    if r.get("category_hint"):
        return f"{category_label(r['category_hint'], lang)} (?)"
    return "—"  # the badge beside it already says "not triaged"


def queue_row(r: dict, lang: str, tz: str, ward_name, selected: bool = False) -> html.Div:
    level = urgency_level(r.get("urgency"))
    status = str(r.get("status") or "received")
    report_id = str(r.get("report_id"))
    state, due = shown_clock(r)
    flags = []
    if r.get("needs_review"):
        flags.append(html.Span(["⚑ ", t("review.flag", lang)], className="flag flag-review"))
    if r.get("overridden"):
        flags.append(html.Span(["✎ ", t("overridden.flag", lang)], className="flag"))
    if r.get("assignee"):
        flags.append(html.Span(["→ ", str(r["assignee"])], className="flag"))
    ward = ward_name(r.get("ward"), lang) or t("report.ward.unknown", lang)
    return html.Div([
        html.Div([sla_pill(state, lang),
                  countdown(state, due, r.get("sla_left_s"), lang)],
                 className="q-sla"),
        html.Div([urgency_badge(r.get("urgency"), lang),
                  html.Span(_category(r, lang), className="q-cat")], className="q-kind"),
        html.Div([html.Span(ward, className="q-ward"),
                  html.Span(local_time(r.get("received_at"), tz, with_date=True),
                            className="q-time")], className="q-where"),
        html.Div([html.Div(excerpt(r.get("text")), className="q-text", lang=r.get("lang")),
                  html.Div(flags, className="q-flags") if flags else None],
                 className="q-body"),
        html.Div(t(f"lc.{status}", lang) if f"lc.{status}" in _LC else status,
                 className=f"q-status lc-{status}"),
    ], className=f"q-row sla-{state} urgency-{level}" + (" selected" if selected else ""),
        role="button", tabIndex="0", key=report_id,  # React keeps the row's node on a redraw
        **{"data-open-report": report_id, "data-report-id": report_id,
           "aria-pressed": "true" if selected else "false"})


_LC = {f"lc.{s}" for s in ("received", "triaged", "acknowledged", "responded", "resolved",
                           "closed", "reopened", "rejected")}


def queue_header(lang: str) -> html.Div:
    return html.Div([html.Div(t(key, lang)) for key in (
        "queue.col.sla", "queue.col.kind", "queue.col.where", "queue.col.text",
        "queue.col.status")], className="q-row q-head", role="presentation")


def signature(*parts: object) -> str:
    """A short digest of what is on screen: equal digests mean there is nothing to redraw."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def rows_signature(reports: list[dict]) -> list:
    return [[r.get(f) for f in ROW_FIELDS] for r in reports]


def alert_row(a: dict, lang: str, tz: str, ward_name) -> html.Div:
    """One new, possibly urgent report in the alert banner; a click opens it. Its role in the
    banner ("newest", "most pressing") is written into `.alert-role` by assets/alerts.js."""
    report_id = str(a.get("report_id"))
    ward = ward_name(a.get("ward"), lang) or t("report.ward.unknown", lang)
    return html.Div([
        html.Span(className="alert-role"),
        urgency_badge(a.get("urgency"), lang),
        countdown(a.get("sla_state"), a.get("due_at"), None, lang, className="alert-countdown"),
        html.Span(local_time(a.get("received_at"), tz), className="alert-time"),
        html.Span(ward, className="alert-ward"),
        html.Span(excerpt(a.get("text"), 160), className="alert-text"),
        html.Span(t("alert.open", lang) + " ›", className="alert-open"),
    ], className=f"alert-row urgency-{urgency_level(a.get('urgency'))}", role="button",
        tabIndex="0", key=report_id,
        **{"data-open-report": report_id, "data-report-id": report_id})


# Dash props that become a DOM attribute of another name. Only plain attributes pass (data-*,
# aria-*, and those below): never an event handler, a style or a link. queue.js checks again.
_ATTRS = {"className": "class", "tabIndex": "tabindex", "htmlFor": "for"}
_PLAIN = {"class", "tabindex", "for", "id", "role", "title", "lang", "dir"}


def _plain(name: str) -> bool:
    return name in _PLAIN or name.startswith(("data-", "aria-"))


def spec(node: object) -> object:
    """A Dash html component as `[tag, {attribute: value}, *children]`, text as str: what
    `build` in assets/queue.js turns into DOM (text only ever as text nodes)."""
    if node is None or isinstance(node, bool):
        return None
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        raise TypeError("a list is children, not a node")
    attrs = {}
    for name, value in node.to_plotly_json()["props"].items():
        name = _ATTRS.get(name, name)
        if _plain(name) and value is not None:
            attrs[name] = "" if value is True else str(value)
    children = node.children if isinstance(node.children, list | tuple) else [node.children]
    return [type(node).__name__.lower(), attrs,
            *(c for c in (spec(child) for child in children) if c is not None)]


def item(key: str, node: object) -> dict:
    """One keyed entry of a list the browser renders: its spec and a digest of it, so an
    unchanged entry is neither rebuilt nor touched."""
    built = spec(node)
    return {"key": key, "sig": signature(built), "spec": built}
