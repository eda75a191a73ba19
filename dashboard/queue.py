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

from dash import html

from dashboard.display import local_time, sla_look
from dashboard.i18n import category_label, t
from ioc.api.models import ReportRow, SlaClock
from ioc.events import Urgency
from ioc.sla import ClockKind, SlaState

PAGE_SIZE = 100
EXCERPT_CHARS = 240
SLA_FILTERS = (SlaState.BREACHED, SlaState.WARNING, SlaState.OK)  # the queue's sla_state filter
REOPENED = "reopened"  # how the clock of another response (ClockKind.RESPONSE_AGAIN) is shown


def urgency_level(urgency: Urgency | None) -> str:
    return urgency.value if urgency else "untriaged"


def urgency_badge(urgency: Urgency | None, lang: str) -> html.Span:
    level = urgency_level(urgency)
    icon = {"urgent": "⚠", "normal": "•", "untriaged": "?"}[level]
    return html.Span([html.Span(icon, className="pill-icon", **{"aria-hidden": "true"}),
                      t(f"report.{level}", lang)], className=f"badge badge-{level}")


def clock_face(clock: SlaClock) -> str:
    """What a report's clock says on screen: its state, or "reopened" (Phản hồi lại) while
    another response is awaited."""
    return REOPENED if clock.kind == ClockKind.RESPONSE_AGAIN else clock.state.value


def sla_pill(clock: SlaClock, lang: str) -> html.Span:
    face = clock_face(clock)
    look = sla_look(face)
    return html.Span([html.Span(look.icon, className="pill-icon", **{"aria-hidden": "true"}),
                      html.Span(t(f"sla.{face}", lang))],
                     className=f"pill sla-pill status-{look.css}", **{"data-sla": face})


def countdown(clock: SlaClock, lang: str, *, element_id: str | None = None,
              className: str = "") -> html.Span:
    """An empty span that assets/queue.js fills with h:mm:ss left (or 'quá hạn 0:12:34'),
    recomputed every second from the due time and the stream's clock. Once the citizen has a
    response the clock is frozen at `left_s`: how early (met) or late (missed) it was."""
    frozen, face = not clock.running, clock_face(clock)
    props = {
        "data-due": clock.due_at.isoformat(), "data-state": face,
        # Only a stopped clock's figure: a running one's changes every poll, and would make every
        # row's digest change, so every row would be redrawn (assets/queue.js draws it live).
        "data-left": str(clock.left_s) if frozen else "",
        "data-frozen": "1" if frozen else "0",
        "data-pos": t("sla.early_by", lang) if frozen else "{t}",
        "data-neg": t("sla.late_by", lang) if frozen else t("sla.overdue_by", lang),
    }
    if element_id:
        props["id"] = element_id
    look = sla_look(face)
    return html.Span(className=f"countdown status-{look.css} {className}".strip(), **props)


def excerpt(text: object, limit: int = EXCERPT_CHARS) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _category(r: ReportRow, lang: str) -> str:
    if r.category:
        return category_label(r.category, lang)
    if r.category_hint:
        return f"{category_label(r.category_hint, lang)} (?)"
    return "—"  # the badge beside it already says "not triaged"


def queue_row(r: ReportRow, lang: str, tz: str, ward_name, selected: bool = False) -> html.Div:
    level = urgency_level(r.urgency)
    face = clock_face(r.clock)
    flags = []
    if r.needs_review:
        flags.append(html.Span(["⚑ ", t("review.flag", lang)], className="flag flag-review"))
    if r.overridden:
        flags.append(html.Span(["✎ ", t("overridden.flag", lang)], className="flag"))
    if r.assignee:
        flags.append(html.Span(["→ ", r.assignee], className="flag"))
    ward = ward_name(r.ward, lang) or t("report.ward.unknown", lang)
    return html.Div([
        html.Div([sla_pill(r.clock, lang), countdown(r.clock, lang)], className="q-sla"),
        html.Div([urgency_badge(r.urgency, lang),
                  html.Span(_category(r, lang), className="q-cat")], className="q-kind"),
        html.Div([html.Span(ward, className="q-ward"),
                  html.Span(local_time(r.received_at, tz, with_date=True),
                            className="q-time")], className="q-where"),
        html.Div([html.Div(excerpt(r.text), className="q-text", lang=r.lang),
                  html.Div(flags, className="q-flags") if flags else None],
                 className="q-body"),
        html.Div(t(f"lc.{r.status.value}", lang), className=f"q-status lc-{r.status.value}"),
    ], className=f"q-row sla-{face} urgency-{level}" + (" selected" if selected else ""),
        role="button", tabIndex="0", key=r.report_id,  # React keeps the row's node on a redraw
        **{"data-open-report": r.report_id, "data-report-id": r.report_id,
           "aria-pressed": "true" if selected else "false"})


def queue_header(lang: str) -> html.Div:
    return html.Div([html.Div(t(key, lang)) for key in (
        "queue.col.sla", "queue.col.kind", "queue.col.where", "queue.col.text",
        "queue.col.status")], className="q-row q-head", role="presentation")


def signature(*parts: object) -> str:
    """A short digest of what is on screen: equal digests mean there is nothing to redraw."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def shown(r: ReportRow) -> list:
    """What a row shows that can change (a running clock's seconds tick in the browser)."""
    c = r.clock
    return [r.report_id, r.status, r.urgency, r.category, r.department, r.assignee,
            r.needs_review, r.overridden, r.ward, c.kind, c.state, c.due_at,
            None if c.running else c.left_s]


def rows_signature(reports: list[ReportRow]) -> list:
    return [shown(r) for r in reports]


def alert_row(r: ReportRow, lang: str, tz: str, ward_name) -> html.Div:
    """One new, possibly urgent report in the alert banner; a click opens it. Its role in the
    banner ("newest", "most pressing") is written into `.alert-role` by assets/alerts.js."""
    ward = ward_name(r.ward, lang) or t("report.ward.unknown", lang)
    return html.Div([
        html.Span(className="alert-role"),
        urgency_badge(r.urgency, lang),
        countdown(r.clock, lang, className="alert-countdown"),
        html.Span(local_time(r.received_at, tz), className="alert-time"),
        html.Span(ward, className="alert-ward"),
        html.Span(excerpt(r.text, 160), className="alert-text"),
        html.Span(t("alert.open", lang) + " ›", className="alert-open"),
    ], className=f"alert-row urgency-{urgency_level(r.urgency)}", role="button",
        tabIndex="0", key=r.report_id,
        **{"data-open-report": r.report_id, "data-report-id": r.report_id})


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
