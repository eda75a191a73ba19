"""One report in the detail panel: its head (urgency, status, SLA clock), the citizen's text with
the triage cues highlighted, what the system knows about it, and its audit trail.

The text is untrusted: highlighting splits it into plain strings and `html.Mark` children
(React escapes every one); no HTML string is ever built from it.
"""

from __future__ import annotations

import re
import unicodedata

from dash import html

from dashboard.display import local_time
from dashboard.i18n import category_label, department_label, t
from dashboard.queue import countdown, shown_clock, sla_pill, urgency_badge
from ioc.lifecycle import TRANSITIONS

LIFECYCLE = ("received", "triaged", "acknowledged", "responded", "resolved", "closed",
             "reopened", "rejected")
ACTIONS = ("receive", "triage", "acknowledge", "respond", "assign", "resolve", "close", "reopen",
           "reject", "override", "rate")


def _fold_char(c: str) -> str:
    """One character without its diacritics, lower case: 'Ế' -> 'e', 'đ' -> 'd'. Always one
    character, so positions in the folded text are positions in the original."""
    if c in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", c)[:1] or c
    low = base.lower()
    return low if len(low) == 1 else base


def fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def cue_ranges(text: str, cues: list[str]) -> list[tuple[int, int]]:
    """Where the cues (whole words or phrases) occur in `text`, matched without regard to case
    or diacritics (a cue 'chay' marks 'Cháy'); overlapping matches are merged."""
    folded = fold(text)
    found: list[tuple[int, int]] = []
    for cue in cues:
        needle = fold(" ".join(str(cue).split()))
        if not needle.strip():
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in needle.split()) + r"(?!\w)"
        found += [(m.start(), m.end()) for m in re.finditer(pattern, folded)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted(text: str, cues: list[str]) -> list:
    """The text as children: plain strings, with each cue in an html.Mark."""
    out: list = []
    at = 0
    for start, end in cue_ranges(text, cues):
        if start > at:
            out.append(text[at:start])
        out.append(html.Mark(text[start:end], className="cue"))
        at = end
    if at < len(text):
        out.append(text[at:])
    return out


def lifecycle_word(status: str | None, lang: str) -> str:
    return t(f"lc.{status}", lang) if status in LIFECYCLE else str(status or "")


def action_word(action: str | None, lang: str) -> str:
    return t(f"act.{action}", lang) if action in ACTIONS else str(action or "")


def head(r: dict, lang: str, tz: str) -> list:
    status = str(r.get("status") or "")
    state, due = shown_clock(r)
    flags = []
    if r.get("needs_review"):
        flags.append(html.Span(["⚑ ", t("review.flag", lang)], className="flag flag-review"))
    if r.get("overridden"):
        flags.append(html.Span(["✎ ", t("overridden.flag", lang)], className="flag"))
    return [
        html.Div([urgency_badge(r.get("urgency"), lang),
                  html.Span(str(r.get("report_id")), className="detail-id"),
                  html.Span(lifecycle_word(status, lang),
                            className=f"lc-pill lc-{status}", id="detail-status"),
                  *flags], className="detail-line"),
        html.Div([
            sla_pill(state, lang),
            countdown(state, due, r.get("sla_left_s"), lang,
                      element_id="detail-countdown", className="countdown-big"),
            html.Span([t("sla.due", lang), ": ",
                       html.B(local_time(due, tz, with_date=True))],
                      className="detail-due"),
        ], className="detail-line detail-clock", id="detail-sla",
            **{"data-sla": str(state)}),
    ]


def text_block(r: dict, lang: str) -> list:
    cues = [str(c) for c in r.get("cues") or []]
    text = str(r.get("text") or "")
    confidence = r.get("confidence")
    conf = (f"{100 * float(confidence):.0f}%" if isinstance(confidence, int | float) else "—")
    return [
        html.Div(highlighted(text, cues), className="detail-text", id="detail-text",
                 lang=r.get("lang")),
        html.Div([
            html.Span(t("detail.cues", lang) + ":", className="muted"),
            *([html.Span(c, className="cue-chip") for c in cues]
              or [html.Span(t("detail.no_cues", lang), className="muted")]),
            html.Span([t("detail.confidence", lang), ": ", html.B(conf)],
                      className="detail-conf" + (" low" if r.get("needs_review") else "")),
        ], className="detail-cues"),
    ]


def meta(r: dict, lang: str, tz: str, ward_name) -> html.Dl:
    category = r.get("category") or r.get("category_hint")
    rows = [
        ("detail.received", local_time(r.get("received_at"), tz, fmt="full")),
        ("detail.ward", ward_name(r.get("ward"), lang) or t("report.ward.unknown", lang)),
        ("detail.address", r.get("address") or "—"),
        ("detail.category", category_label(category, lang)
         + ("" if r.get("category") or not category else " (?)")),
        ("detail.department", department_label(r.get("department"), lang) or "—"),
        ("detail.assignee", r.get("assignee") or "—"),
        ("detail.source", r.get("source") or "—"),
    ]
    children = []
    for key, value in rows:
        children += [html.Dt(t(key, lang)), html.Dd(str(value))]
    return html.Dl(children, className="detail-meta")


def last_response(r: dict, lang: str) -> list:
    if not r.get("last_response"):
        return []
    return [html.Div(t("detail.last_response", lang), className="section-title"),
            html.Blockquote(str(r["last_response"]), className="detail-response",
                            id="detail-last-response")]


_FIELD_WORDS = {"urgency": "filter.urgency", "category": "detail.category",
                "department": "detail.department", "assignee": "detail.assignee"}
_CLASSIFICATION = ("urgency", "category", "department", "assignee")


def _value_word(key: str, value: object, lang: str) -> str:
    if value in (None, "", []):
        return "—"
    if key == "urgency":
        return t(f"report.{value}", lang) if value in ("urgent", "normal") else str(value)
    if key == "category":
        return category_label(str(value), lang)
    if key == "department":
        return department_label(str(value), lang) or str(value)
    if key == "reason" and value in ("duplicate", "spam", "out_of_scope"):
        return t(f"reason.{value}", lang)
    if key == "confidence" and isinstance(value, int | float):
        return f"{100 * float(value):.0f}%"
    if key == "cues" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _details_text(action: str, details: object, was: dict, lang: str) -> str:
    """What an event set, in words; a change of classification or assignment as
    'Mức độ: Thường → Khẩn', from `was`, the classification before it."""
    if not isinstance(details, dict) or not details:
        return ""
    parts = []
    for key in (*_CLASSIFICATION, "reason", "rating", "confidence", "cues"):
        value = details.get(key)
        if value in (None, "", []):
            continue
        word = _value_word(key, value, lang)
        if key in _CLASSIFICATION and action in ("override", "assign"):
            before = was.get(key)
            change = word if before in (None, "") or before == value else (
                f"{_value_word(key, before, lang)} → {word}")
            word = f"{t(_FIELD_WORDS[key], lang)}: {change}"
        parts.append(word)
    return " · ".join(parts)


# what an applied action leaves the report in (assign, override, rate: as it was)
_STATUS_AFTER = {a.value: to.value for a, (_, to) in TRANSITIONS.items() if to is not None}


def history_table(history: list[dict], lang: str, tz: str) -> html.Table:
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "detail.when", "detail.action", "detail.actor", "detail.note")]))
    rows, was, status = [], {}, "received"
    for h in history:  # oldest first, to know what each change changed from
        action = str(h.get("action") or "")
        details = h.get("details") if isinstance(h.get("details"), dict) else {}
        note = " — ".join(x for x in (str(h.get("note") or ""),
                                      _details_text(action, details, was, lang)) if x)
        outcome = h.get("outcome") or "pending"
        why = None  # the API's own (English) reason, kept on hover
        if outcome == "refused":  # said in the operator's words: the state that refused it
            note = t("history.refused_in", lang, status=lifecycle_word(status, lang))
            why = str(h.get("refusal") or "") or None
        elif outcome != "applied":
            note = t(f"history.{outcome}", lang)
        else:
            if action in ("triage", "override", "assign"):
                was.update({k: details[k] for k in _CLASSIFICATION if details.get(k)})
            status = _STATUS_AFTER.get(action, status) if action != "triage" else (
                "triaged" if status == "received" else status)
        rows.insert(0, html.Tr([  # newest first: what just happened is on top
            html.Td(local_time(h.get("ts"), tz, fmt="full"), className="h-time"),
            html.Td(action_word(action, lang), className=f"h-action h-{action}"),
            html.Td(str(h.get("actor") or ""), className="h-actor"),
            html.Td(note, className="h-note", title=why),
        ], className=f"h-{outcome}"))
    return html.Table([head, html.Tbody(rows)], className="history")
