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
from dashboard.queue import clock_face, countdown, sla_pill, urgency_badge
from ioc.accounts import is_simulated
from ioc.api.models import HistoryEntry, ReportRow
from ioc.events import ReportAction, Urgency
from ioc.lifecycle import REJECT_REASONS, TRANSITIONS, Status

# What an audit trail's entries may say: receipt and triage, then the lifecycle's actions
ACTIONS = frozenset({"receive", "triage", *ReportAction})
_STATUSES = frozenset(Status)  # a StrEnum member is equal to its value: "closed" is in here


def actor_label(actor: str | None, lang: str) -> str:
    """Who acted, with the simulated crew said to be simulated."""
    if not actor:
        return ""
    return f"{actor} ({t('actor.simulated', lang)})" if is_simulated(actor) else actor


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
    return t(f"lc.{status}", lang) if status in _STATUSES else str(status or "")


def action_word(action: str | None, lang: str) -> str:
    return t(f"act.{action}", lang) if action in ACTIONS else str(action or "")


def head(r: ReportRow, lang: str, tz: str) -> list:
    flags = []
    if r.needs_review:
        flags.append(html.Span(["⚑ ", t("review.flag", lang)], className="flag flag-review"))
    if r.overridden:
        flags.append(html.Span(["✎ ", t("overridden.flag", lang)], className="flag"))
    return [
        html.Div([urgency_badge(r.urgency, lang),
                  html.Span(r.report_id, className="detail-id"),
                  html.Span(lifecycle_word(r.status, lang),
                            className=f"lc-pill lc-{r.status.value}", id="detail-status"),
                  *flags], className="detail-line"),
        html.Div([
            sla_pill(r.clock, lang),
            countdown(r.clock, lang, element_id="detail-countdown", className="countdown-big"),
            html.Span([t("sla.due", lang), ": ",
                       html.B(local_time(r.clock.due_at, tz, with_date=True))],
                      className="detail-due"),
        ], className="detail-line detail-clock", id="detail-sla",
            **{"data-sla": clock_face(r.clock)}),
    ]


def text_block(r: ReportRow, lang: str) -> list:
    conf = "—" if r.confidence is None else f"{100 * r.confidence:.0f}%"
    return [
        html.Div(highlighted(r.text, r.cues), className="detail-text", id="detail-text",
                 lang=r.lang),
        html.Div([
            html.Span(t("detail.cues", lang) + ":", className="muted"),
            *([html.Span(c, className="cue-chip") for c in r.cues]
              or [html.Span(t("detail.no_cues", lang), className="muted")]),
            html.Span([t("detail.confidence", lang), ": ", html.B(conf)],
                      className="detail-conf" + (" low" if r.needs_review else "")),
        ], className="detail-cues"),
    ]


def meta(r: ReportRow, lang: str, tz: str, ward_name) -> html.Dl:
    category = r.category or r.category_hint
    rows = [
        ("detail.received", local_time(r.received_at, tz, fmt="full")),
        ("detail.ward", ward_name(r.ward, lang) or t("report.ward.unknown", lang)),
        ("detail.address", r.address or "—"),
        ("detail.category", category_label(category, lang)
         + ("" if r.category or not category else " (?)")),
        ("detail.department", department_label(r.department, lang) or "—"),
        ("detail.assignee", r.assignee or "—"),
        ("detail.source", r.source.value),
    ]
    children = []
    for key, value in rows:
        children += [html.Dt(t(key, lang)), html.Dd(str(value))]
    return html.Dl(children, className="detail-meta")


def last_response(r: ReportRow, lang: str) -> list:
    if not r.last_response:
        return []
    return [html.Div(t("detail.last_response", lang), className="section-title"),
            html.Blockquote(r.last_response, className="detail-response",
                            id="detail-last-response")]


_FIELD_WORDS = {"urgency": "filter.urgency", "category": "detail.category",
                "department": "detail.department", "assignee": "detail.assignee"}
_CLASSIFICATION = ("urgency", "category", "department", "assignee")
_URGENCIES = tuple(Urgency)  # a tuple: a detail may hold anything, even an unhashable list


def _value_word(key: str, value: object, lang: str) -> str:
    if value in (None, "", []):
        return "—"
    if key == "urgency":
        return t(f"report.{value}", lang) if value in _URGENCIES else str(value)
    if key == "category":
        return category_label(str(value), lang)
    if key == "department":
        return department_label(str(value), lang) or str(value)
    if key == "reason" and value in REJECT_REASONS:
        return t(f"reason.{value}", lang)
    if key == "confidence" and isinstance(value, int | float):
        return f"{100 * float(value):.0f}%"
    if key == "cues" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _details_text(action: str, details: dict, was: dict, lang: str) -> str:
    """What an event set, in words; a change of classification or assignment as
    'Mức độ: Thường → Khẩn', from `was`, the classification before it. `details` is the
    event's own (per action) dict."""
    if not details:
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
_STATUS_AFTER = {a.value: to for a, (_, to) in TRANSITIONS.items() if to is not None}


def history_table(history: list[HistoryEntry], lang: str, tz: str) -> html.Table:
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "detail.when", "detail.action", "detail.actor", "detail.note")]))
    rows, was, status = [], {}, Status.RECEIVED
    for h in history:  # oldest first, to know what each change changed from
        note = " — ".join(x for x in (h.note or "",
                                      _details_text(h.action, h.details, was, lang)) if x)
        outcome = h.outcome or "pending"
        why = None  # the API's own (English) reason, kept on hover
        if outcome == "refused":  # said in the operator's words: the state that refused it
            note = t("history.refused_in", lang, status=lifecycle_word(status, lang))
            why = h.refusal or None
        elif outcome != "applied":
            note = t(f"history.{outcome}", lang)
        else:
            if h.action in ("triage", "override", "assign"):
                was.update({k: h.details[k] for k in _CLASSIFICATION if h.details.get(k)})
            status = _STATUS_AFTER.get(h.action, status) if h.action != "triage" else (
                Status.TRIAGED if status == Status.RECEIVED else status)
        rows.insert(0, html.Tr([  # newest first: what just happened is on top
            html.Td(local_time(h.ts, tz, fmt="full"), className="h-time"),
            html.Td(action_word(h.action, lang), className=f"h-action h-{h.action}"),
            html.Td(actor_label(h.actor, lang), className="h-actor"),
            html.Td(note, className="h-note", title=why),
        ], className=f"h-{outcome}"))
    return html.Table([head, html.Tbody(rows)], className="history")
