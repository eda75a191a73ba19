"""The report_state table: each report's current state, folded from its events by
`ioc.lifecycle`, written by persistence in the same transaction as the events themselves.

Only events that were *newly* stored are folded, so a batch replayed after a crash (its rows
already there) changes nothing: the projection is as idempotent as the event tables.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, date

import psycopg
from psycopg.rows import dict_row

from ioc import events as ev
from ioc import lifecycle as lc
from ioc import sla
from ioc.policy import load_policy

logger = logging.getLogger(__name__)

STATE_COLUMNS = (
    "report_id", "received_at", "status", "is_open", "urgency", "category", "department",
    "confidence", "cues", "needs_review", "overridden", "assignee", "acknowledged_at",
    "first_response_at", "last_response", "resolved_at", "closed_at", "rejected_reason",
    "rating", "updated_at", "reopened_at",
    # the SLA's instants (sla.Instants), in its field order
    "due_at", "warn_at", "resolve_due_at", "awaiting", "respond_kind", "respond_warn_at",
    "respond_by")
_REPORT_FIELDS = {f.name for f in fields(lc.Report)} - {"history"}


def _from_row(row: dict) -> lc.Report:
    values = {k: row[k] for k in _REPORT_FIELDS if k in row}
    values["status"] = lc.Status(values["status"])
    values["urgency"] = ev.Urgency(values["urgency"]) if values.get("urgency") else None
    values["cues"] = tuple(values.get("cues") or ())
    return lc.Report(**values)


def _to_row(r: lc.Report) -> tuple:
    i = sla.instants(r.received_at, r.urgency, r.first_response_at,
                            r.reopened_at if lc.awaits_response_again(r.status, r.reopened_at)
                            else None, load_policy().sla)
    return (r.report_id, r.received_at, r.status.value, r.is_open,
            r.urgency.value if r.urgency else None, r.category, r.department, r.confidence,
            json.dumps(list(r.cues), ensure_ascii=False), r.needs_review, r.overridden,
            r.assignee, r.acknowledged_at, r.first_response_at, r.last_response, r.resolved_at,
            r.closed_at, r.rejected_reason, r.rating, r.updated_at or r.received_at,
            r.reopened_at, i.due_at, i.warn_at, i.resolve_due_at, i.awaiting,
            i.respond_kind.value, i.respond_warn_at, i.respond_by)


def fold(conn: psycopg.Connection, new_reports: Iterable[ev.CitizenReport],
         new_events: Iterable[ev.ReportTriaged | ev.ReportEvent]) -> set[date]:
    """Fold newly stored reports and events into report_state. Caller holds the transaction.
    Returns the UTC days the changed reports were received on (for the daily rollup)."""
    reports = {r.report_id: lc.Report(r.report_id, r.ts, updated_at=r.ts) for r in new_reports}
    new_events = list(new_events)
    # Topics are not ordered with each other: a report's triage or actions may have been stored
    # before the report itself arrived. Fold those now, with the report.
    events = sorted([*new_events, *_stored_events(conn, list(reports), new_events)],
                    key=lambda e: e.ts)
    wanted = {e.report_id for e in events} - set(reports)
    if wanted:
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM report_state WHERE report_id = ANY(%s) FOR UPDATE",
                        (list(wanted),))
            for row in cur:
                reports[row["report_id"]] = _from_row(row)
    verdicts: list[tuple[str, str | None, object]] = []  # (outcome, refusal, event_id)
    for event in events:
        report = reports.get(event.report_id)
        if report is None:  # folded when the report arrives (see above)
            logger.warning("event for a report not stored yet; folded when it arrives",
                           extra={"report_id": event.report_id, "event_id": str(event.event_id)})
            continue
        try:
            if isinstance(event, ev.ReportTriaged):
                reports[event.report_id] = lc.apply_triage(report, event)
            else:
                reports[event.report_id] = lc.apply(report, event)
                verdicts.append(("applied", None, event.event_id))
        except lc.InvalidTransition as refused:
            # The one place an action is judged: here, in the report's own order. The API
            # waits for this verdict and tells the operator.
            verdicts.append(("refused", str(refused), event.event_id))
            logger.info("lifecycle event refused", extra={
                "report_id": event.report_id, "event_id": str(event.event_id),
                "reason": str(refused)})
    if verdicts:
        with conn.cursor() as cur:
            cur.executemany("UPDATE report_events SET outcome = %s, refusal = %s "
                            "WHERE event_id = %s", verdicts)
    if not reports:
        return set()
    cols = ", ".join(STATE_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in STATE_COLUMNS if c != "report_id")
    placeholders = ", ".join(["%s"] * len(STATE_COLUMNS))
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO report_state ({cols}) VALUES ({placeholders}) "
            f"ON CONFLICT (report_id) DO UPDATE SET {updates}",
            [_to_row(r) for r in reports.values()])
    return {r.received_at.astimezone(UTC).date() for r in reports.values()}


def _stored_events(conn: psycopg.Connection, report_ids: list[str],
                   exclude: list) -> list[ev.ReportTriaged | ev.ReportEvent]:
    if not report_ids:
        return []
    skip = {e.event_id for e in exclude}
    found: list[ev.ReportTriaged | ev.ReportEvent] = []
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM report_triage WHERE report_id = ANY(%s)", (report_ids,))
        found += [ev.ReportTriaged(**row) for row in cur]
        cur.execute("SELECT * FROM report_events WHERE report_id = ANY(%s)", (report_ids,))
        found += [ev.ReportEvent(event_id=row["event_id"], ts=row["ts"],
                                 report_id=row["report_id"], action=row["action"],
                                 actor=row["actor"], note=row["note"], **row["details"])
                  for row in cur]
    return [e for e in found if e.event_id not in skip]


def load(conn: psycopg.Connection, report_id: str) -> lc.Report | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM report_state WHERE report_id = %s", (report_id,))
        row = cur.fetchone()
    return _from_row(row) if row else None
