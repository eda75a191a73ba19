"""Read queries for citizen reports: the operator queue, one report, its audit trail, and the
operators' overrides as labelled data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from ioc.text import VI_MARKED, VI_PLAIN, normalize, strip_diacritics

_REPORT_COLUMNS = """
    s.report_id, s.received_at, s.status, s.is_open, s.urgency, s.category, s.department,
    s.confidence, s.cues, s.needs_review, s.overridden, s.assignee, s.acknowledged_at,
    s.first_response_at, s.last_response, s.resolved_at, s.closed_at, s.rejected_reason,
    s.rating, s.updated_at, s.reopened_at, s.due_at, s.warn_at, s.resolve_due_at, s.awaiting,
    s.respond_kind, s.respond_warn_at, s.respond_by,
    r.text, r.lang, r.lat, r.lon, r.ward, r.address, r.category_hint, r.source, r.photo_url,
    r.contact, r.client_key
"""


@dataclass(frozen=True)
class QueueFilter:
    ward: str | None = None
    category: str | None = None
    urgency: str | None = None
    department: str | None = None
    sla_state: str | None = None  # ok | warning | breached
    statuses: tuple[str, ...] = ()  # any of these
    search: str | None = None  # a report id, or words in the text
    received_after: datetime | None = None


ORDERS = {  # the queue's orders: the most pressing first, or the newest arrivals first
    "sla": "(NOT s.awaiting), s.respond_by, s.report_id",  # awaiting a response, by its due time
    "newest": "s.received_at DESC, s.report_id",
}


def _search(flt: QueueFilter, params: dict) -> list[str]:
    """A caller quotes the start of a report id, or words of what they wrote, each found
    anywhere in the text. A word typed without diacritics matches with or without them
    ("ngap nuoc" finds "ngập nước"); one typed with them matches just those ("dương" is not
    "đường")."""
    words = normalize(flt.search or "").split()  # stored text is NFC: so is what we look for
    if not words:
        return []

    def like(text: str) -> str:
        return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    found = []
    for i, word in enumerate(words[:8]):
        plain = strip_diacritics(word) == word
        params[f"search_{i}"] = like(word)
        found.append(f"translate(r.text, :vi_marked, :vi_plain) ILIKE :search_{i}" if plain
                     else f"r.text ILIKE :search_{i}")
    params["vi_marked"], params["vi_plain"] = VI_MARKED, VI_PLAIN
    params["search_id"] = like(words[0])[1:]  # the start of an id
    by_id = "s.report_id ILIKE :search_id" if len(words) == 1 else "false"
    return [f"({by_id} OR ({' AND '.join(found)}))"]


# The instants persistence stored from ioc/sla.py (sla.instants) for the response awaited now:
# the same comparisons as sla.clock, so the chips and the rows' states agree.
SLA_CONDITIONS = {
    "breached": "s.awaiting AND :now > s.respond_by",
    "warning": "s.awaiting AND :now >= s.respond_warn_at AND :now <= s.respond_by",
    "ok": "s.awaiting AND :now < s.respond_warn_at",
}  # an answered report is in none of these: the chips count it as responded, so they add up


def _filters(flt: QueueFilter, params: dict) -> list[str]:
    """The open reports the filters choose, but for the SLA state and status (the chips')."""
    where = ["s.is_open"]
    for column in ("ward", "category", "urgency", "department"):
        value = getattr(flt, column)
        if value:
            where.append(f"{'r' if column == 'ward' else 's'}.{column} = :{column}")
            params[column] = value
    if flt.received_after:
        where.append("s.received_at > :received_after")
        params["received_after"] = flt.received_after
    return where + _search(flt, params)


def queue(conn: sa.Connection, now: datetime, flt: QueueFilter, limit: int, offset: int = 0,
          order: str = "sla") -> tuple[list[dict], int]:
    """Open reports; by default unanswered first, then by due time (the breached are due
    earliest)."""
    params: dict = {"now": now, "limit": limit, "offset": offset}
    where = _filters(flt, params)
    if flt.statuses:
        where.append("s.status = ANY(:statuses)")
        params["statuses"] = list(flt.statuses)
    if flt.sla_state:
        where.append(SLA_CONDITIONS[flt.sla_state])
    clause = " AND ".join(where)
    rows = conn.execute(sa.text(
        f"SELECT {_REPORT_COLUMNS} FROM report_state s JOIN citizen_reports r USING (report_id) "
        f"WHERE {clause} ORDER BY {ORDERS[order]} "
        f"LIMIT :limit OFFSET :offset"), params).mappings().all()
    total = conn.execute(sa.text(
        f"SELECT count(*) FROM report_state s JOIN citizen_reports r USING (report_id) "
        f"WHERE {clause}"), params).scalar_one()
    return [dict(r) for r in rows], total


def queue_counts(conn: sa.Connection, now: datetime, flt: QueueFilter) -> dict[str, int]:
    """Open reports per SLA state (and responded) under the same filters, but for the state and
    status filters themselves: what the queue's chips show."""
    params: dict = {"now": now}
    where = _filters(flt, params)
    row = conn.execute(sa.text(
        "SELECT count(*) AS all, "
        + "".join(f"count(*) FILTER (WHERE {SLA_CONDITIONS[state]}) AS {state}, "
                  for state in ("breached", "warning", "ok")) +
        "count(*) FILTER (WHERE s.status = 'responded') AS responded "
        "FROM report_state s JOIN citizen_reports r USING (report_id) "
        f"WHERE {' AND '.join(where)}"), params).mappings().one()
    return dict(row)


def one(conn: sa.Connection, report_id: str) -> dict | None:
    row = conn.execute(sa.text(
        f"SELECT {_REPORT_COLUMNS} FROM report_state s JOIN citizen_reports r USING (report_id) "
        f"WHERE s.report_id = :id"), {"id": report_id}).mappings().first()
    return dict(row) if row else None


def received(conn: sa.Connection, report_id: str) -> dict | None:
    """A report as received, even before persistence has folded it into report_state."""
    row = conn.execute(sa.text("SELECT report_id, ts, client_key FROM citizen_reports "
                               "WHERE report_id = :id"), {"id": report_id}).mappings().first()
    return dict(row) if row else None


def history(conn: sa.Connection, report_id: str) -> list[dict]:
    """The audit trail: receipt, each triage and each lifecycle event, oldest first. An
    event's `outcome` is "applied", "refused" (with the `refusal`) or None (not judged yet)."""
    rows = conn.execute(sa.text("""
        SELECT ts, 'receive' AS action, source AS actor, NULL AS note, '{}'::jsonb AS details,
               'applied' AS outcome, NULL AS refusal
          FROM citizen_reports WHERE report_id = :id
        UNION ALL
        SELECT ts, 'triage', 'triage:' || model_version, NULL,
               jsonb_build_object('urgency', urgency, 'category', category,
                                  'department', department, 'confidence', confidence,
                                  'cues', cues, 'needs_review', needs_review),
               'applied', NULL
          FROM report_triage WHERE report_id = :id
        UNION ALL
        SELECT ts, action, actor, note, details, outcome, refusal
          FROM report_events WHERE report_id = :id
        ORDER BY ts"""), {"id": report_id}).mappings().all()
    return [dict(r) for r in rows]


def event_outcome(conn: sa.Connection, event_id) -> tuple[str | None, str | None] | None:
    """(outcome, refusal) of a stored lifecycle event; None while it is not stored."""
    row = conn.execute(sa.text("SELECT outcome, refusal FROM report_events "
                               "WHERE event_id = :id"), {"id": event_id}).first()
    return (row.outcome, row.refusal) if row else None


def overrides(conn: sa.Connection) -> list[dict]:
    """Operator overrides as labelled data: the report's text and the label the operator gave."""
    rows = conn.execute(sa.text("""
        SELECT e.report_id AS id, r.text, r.lang,
               coalesce(e.details->>'category', s.category) AS category,
               coalesce(e.details->>'urgency', s.urgency) AS urgency,
               e.actor, e.ts
          FROM report_events e JOIN citizen_reports r USING (report_id)
          JOIN report_state s USING (report_id)
         WHERE e.action = 'override' AND e.outcome = 'applied'
         ORDER BY e.ts""")).mappings().all()
    return [dict(r) for r in rows]


def export_overrides(conn: sa.Connection, path: Path) -> int:
    """Write the overrides that carry a whole label (category and urgency) to `path` as JSON
    lines, the labelled format triage retrains on; return how many."""
    rows = [r for r in overrides(conn) if r["category"] and r["urgency"]]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({**r, "ts": r["ts"].isoformat()}, ensure_ascii=False) + "\n")
    return len(rows)
