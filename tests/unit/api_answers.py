"""What the API answers, for the dashboard's tests: built as the JSON the API sends and parsed
with the model the dashboard parses it with (ioc.api.models), so a test cannot pass on a row
the API could never send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ioc.api.models import ReportRow

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def report_json(n: int = 1, *, received_at: datetime = T0, due_h: float = 2,
                clock: dict | None = None, **fields) -> dict:
    """One queue row as `GET /api/reports/queue` sends it: an urgent, triaged report whose
    first response is due `due_h` after receipt, its clock running (`clock` overrides it)."""
    due = received_at + timedelta(hours=due_h)
    warn = due - timedelta(minutes=30)
    return {
        "report_id": f"R-{n}", "received_at": received_at.isoformat(), "status": "triaged",
        "is_open": True, "urgency": "urgent", "category": "fire", "updated_at":
        received_at.isoformat(), "text": f"report {n}", "lat": 10.9375, "lon": 107.242,
        "source": "app", "due_at": due.isoformat(), "warn_at": warn.isoformat(),
        "sla_state": "ok", "sla_left_s": 3600, "resolve_due_at": (due + timedelta(hours=22))
        .isoformat(),
        "clock": {"kind": "first_response", "state": "ok", "due_at": due.isoformat(),
                  "warn_at": warn.isoformat(), "left_s": 3600, **(clock or {})},
        **fields}


def report_row(n: int = 1, **kw) -> ReportRow:
    return ReportRow.model_validate(report_json(n, **kw))
