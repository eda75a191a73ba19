"""Read queries behind Open311 GET requests: service requests by id, service code, time window
and open/closed, newest first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

_COLUMNS = """
    s.report_id, s.received_at, s.status, s.urgency, s.category, s.department,
    s.first_response_at, s.last_response, s.rejected_reason, s.updated_at, s.awaiting,
    s.respond_by, s.resolve_due_at,
    r.text, r.lat, r.lon, r.address, r.category_hint, r.photo_url
"""


@dataclass(frozen=True)
class RequestFilter:
    """`ids`, when given, overrides every other criterion (the spec says so)."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start_at: datetime | None = None  # inclusive, on the time of receipt
    end_at: datetime | None = None  # inclusive
    is_open: bool | None = None  # None: open and closed


def requests(conn: sa.Connection, flt: RequestFilter, limit: int, offset: int) -> list[dict]:
    params: dict = {"limit": limit, "offset": offset}
    if flt.ids:
        where = ["s.report_id = ANY(:ids)"]
        params["ids"] = list(flt.ids)
    else:
        where = ["true"]
        if flt.service_codes:
            # The service is the category triage or an operator settled on, else the one the
            # client chose.
            where.append("coalesce(s.category, r.category_hint) = ANY(:codes)")
            params["codes"] = list(flt.service_codes)
        if flt.start_at is not None:
            where.append("s.received_at >= :start_at")
            params["start_at"] = flt.start_at
        if flt.end_at is not None:
            where.append("s.received_at <= :end_at")
            params["end_at"] = flt.end_at
        if flt.is_open is not None:
            where.append("s.is_open = :is_open")
            params["is_open"] = flt.is_open
    rows = conn.execute(sa.text(
        f"SELECT {_COLUMNS} FROM report_state s JOIN citizen_reports r USING (report_id) "
        f"WHERE {' AND '.join(where)} ORDER BY s.received_at DESC, s.report_id "
        f"LIMIT :limit OFFSET :offset"), params).mappings().all()
    return [dict(r) for r in rows]
