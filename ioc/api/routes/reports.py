"""Citizen reports: intake for the citizen app, the operator queue, one report with its audit
trail, lifecycle actions, and the citizen's follow-up (status, rating)."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from ioc import events as ev
from ioc import lifecycle as lc
from ioc import sla
from ioc import topics as tp
from ioc.api import models
from ioc.api.deps import (
    ClockDep,
    DbDep,
    OperatorDep,
    PublisherDep,
    SettingsDep,
    ViewClockDep,
    ViewDbDep,
)
from ioc.city import load_city
from ioc.db import reports as reports_db
from ioc.intake import ReportIn, accept, decode_photo_base64, report_id_for, store_photo
from ioc.policy import load_policy
from ioc.taxonomy import load_taxonomy
from ioc.text import csv_cell

router = APIRouter(prefix="/api/reports", tags=["reports"])
ACTION_VERDICT_WAIT_S = 10.0


class AppReportIn(ReportIn):
    photo_base64: str | None = Field(None, description="JPEG or PNG, base64 (standard or "
                                     "URL-safe, line breaks and a data: prefix allowed), at "
                                     "most 5 MB")


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ev.ReportAction
    note: str | None = Field(None, max_length=4000,
                             description="For respond: what the citizen sees")
    urgency: ev.Urgency | None = None
    category: str | None = None
    department: str | None = None
    assignee: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, description="For reject: duplicate, spam or out_of_scope")

    @field_validator("note", "assignee")
    @classmethod
    def _plain_text(cls, v: str | None) -> str | None:
        if v and any(ord(ch) < 32 and ch not in "\n\r\t" for ch in v):
            raise ValueError("contains control characters; send plain text")
        return v


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    client_key: str = Field(description="The key the report was submitted with")
    comment: str | None = Field(None, max_length=1000)


def with_clock(row: dict, now: datetime) -> dict:
    """A stored report plus its SLA clocks at the stream's `now`, judged from the instants
    persistence stored (ioc/sla.py): nothing here works a due time out again."""
    first = sla.clock(now, warn_at=row["warn_at"], due_at=row["due_at"],
                      responded_at=row["first_response_at"])
    again = row["respond_kind"] == sla.ClockKind.RESPONSE_AGAIN
    shown = (sla.clock(now, warn_at=row["respond_warn_at"], due_at=row["respond_by"])
             if again else first)
    return {**row, "sla_state": first.state, "sla_left_s": round(first.left_s),
            "respond_again_by": row["respond_by"] if again else None,
            "clock": {"kind": row["respond_kind"], "state": shown.state, "due_at": shown.due_at,
                      "warn_at": shown.warn_at, "left_s": round(shown.left_s)}}


def report_or_404(db, report_id: str, noun: str = "report") -> dict:
    """The stored report, or a 404 that says whether it is still on its way."""
    row = reports_db.one(db, report_id)
    if row is None:
        if reports_db.received(db, report_id):
            raise HTTPException(404, f"{noun} {report_id} was received and is being processed; "
                                     "try again in a moment")
        raise HTTPException(404, f"no {noun} {report_id!r}; check the id")
    return row


@router.post("", status_code=201, summary="Submit a citizen report (citizen app)")
def submit(body: AppReportIn, publisher: PublisherDep, clock: ClockDep, settings: SettingsDep,
           db: DbDep):
    data = ReportIn.model_validate(body.model_dump(exclude={"photo_base64"}))
    if data.client_key:  # a resubmission: answer with the report already received
        known = reports_db.received(db, report_id_for(data.client_key))
        if known is not None and known["client_key"] == data.client_key:
            return JSONResponse(jsonable_encoder(_receipt(db, known["report_id"], known["ts"])))
    city, taxonomy = load_city(), load_taxonomy()
    photo = None if body.photo_base64 is None else decode_photo_base64(body.photo_base64)
    report = accept(data, source=ev.ReportSource.APP, received_at=clock.now(), city=city,
                    taxonomy=taxonomy)
    if photo is not None:
        report = store_photo(settings.data_dir, report, photo)
    publisher.publish_durably(tp.CITIZEN_REPORTS, report)  # on the broker before we answer
    return {**_receipt(db, report.report_id, report.ts), "ward": report.ward}


def _receipt(db, report_id: str, received_at: datetime) -> dict:
    row = reports_db.one(db, report_id)
    if row is not None:
        return {"report_id": report_id, "status": row["status"], "received_at": received_at,
                "expected_response_by": row["respond_by"]}
    # Not stored yet: untriaged, so held to the urgent clock (ioc/sla.py says why).
    return {"report_id": report_id, "status": lc.Status.RECEIVED, "received_at": received_at,
            "expected_response_by": sla.due_at(received_at, None, load_policy().sla)}


@router.get("/queue", summary="Open reports, the most pressing first",
            response_model=models.Queue)
def queue(db: ViewDbDep, clock: ViewClockDep,
          ward: str | None = None, category: str | None = None,
          urgency: ev.Urgency | None = None, department: str | None = None,
          sla_state: Literal["ok", "warning", "breached"] | None = None,
          status: Annotated[list[lc.Status] | None, Query(
              description="Any of these statuses (repeat the parameter for more than one)")
          ] = None,
          q: Annotated[str | None, Query(max_length=200,
                                         description="A report id, or words in the text")] = None,
          received_after: Annotated[AwareDatetime | None, Query(
              description="Only reports received after this instant (ISO 8601 with a zone)")
          ] = None,
          order: Annotated[Literal["sla", "newest"], Query(
              description="sla: the least time left first; newest: the latest arrivals first")
          ] = "sla",
          limit: Annotated[int, Query(ge=1, le=1000)] = 200,
          offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    taxonomy = load_taxonomy()
    valid = {"ward": [w.slug for w in load_city().wards], "category": list(taxonomy.codes),
             "department": [d.code for d in taxonomy.departments],
             "status": [s.value for s in lc.Status if s in lc.OPEN]}  # the queue holds no other
    chosen = {"ward": [ward], "category": [category], "department": [department],
              "status": status or []}
    for name, values in chosen.items():
        for value in values:
            if value and value not in valid[name]:  # else it silently matches nothing
                raise HTTPException(422, f"{name} {str(value)!r} never matches an open report; "
                                         f"use one of {', '.join(valid[name])}")
    now = clock.now()
    flt = reports_db.QueueFilter(ward, category, urgency.value if urgency else None,
                                 department, sla_state, tuple(s.value for s in status or ()), q,
                                 received_after)
    rows, total = reports_db.queue(db, now, flt, limit, offset, order)
    return {"now": now, "total": total, "counts": reports_db.queue_counts(db, now, flt),
            "reports": [with_clock(r, now) for r in rows]}


@router.get("/{report_id}", summary="One report with its SLA clock and audit trail",
            response_model=models.ReportDetail)
def detail(report_id: str, db: DbDep, clock: ClockDep):
    row = with_clock(report_or_404(db, report_id), clock.now())
    state = lc.Report(report_id, row["received_at"], status=lc.Status(row["status"]))
    row["allowed_actions"] = [a.value for a in lc.allowed_actions(state)]
    row["history"] = reports_db.history(db, report_id)
    return row


@router.get("/{report_id}/history.csv", summary="The audit trail as CSV", response_class=Response)
def history_csv(report_id: str, db: DbDep):
    report_or_404(db, report_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ts", "action", "actor", "note", "details", "outcome", "refusal"])
    for h in reports_db.history(db, report_id):
        writer.writerow([csv_cell(c) for c in (h["ts"].isoformat(), h["action"], h["actor"],
                                               h["note"] or "",
                                               json.dumps(h["details"], ensure_ascii=False),
                                               h["outcome"] or "pending", h["refusal"] or "")])
    return Response(out.getvalue(), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{report_id}-history.csv"'})


@router.get("/{report_id}/photo", summary="The photo sent with a report")
def photo(report_id: str, settings: SettingsDep):
    for kind, media in (("jpg", "image/jpeg"), ("png", "image/png")):
        path = settings.data_dir / "photos" / f"{report_id}.{kind}"
        if path.is_file() and path.parent.name == "photos":
            return FileResponse(path, media_type=media)
    raise HTTPException(404, f"report {report_id!r} has no photo")


@router.post("/{report_id}/actions", status_code=200, response_model=models.ActionAnswer,
             responses={202: {"model": models.ActionAnswer,
                              "description": "Not judged yet; it is pending"}},
             summary="Acknowledge, respond, assign, resolve, close, reopen, reject or override")
def act(report_id: str, body: ActionIn, db: DbDep, clock: ClockDep, user: OperatorDep,
        publisher: PublisherDep, response: Response):
    """Judged where it is applied: persistence folds a report's events in their order, so two
    operators acting at once both get the truth. The answer waits for that verdict (usually
    well under a second); 202 if it has not come within ACTION_VERDICT_WAIT_S."""
    if body.action == ev.ReportAction.RATE:
        raise HTTPException(403, "only the citizen rates a response: POST .../rating")
    report_or_404(db, report_id)
    taxonomy = load_taxonomy()
    if body.category and body.category not in taxonomy.codes:
        raise HTTPException(422, f"category {body.category!r} is not in the taxonomy; use one "
                                 f"of {', '.join(taxonomy.codes)}")
    departments = {d.code for d in taxonomy.departments}
    if body.department and body.department not in departments:
        raise HTTPException(422, f"department {body.department!r} is not in the taxonomy; use "
                                 f"one of {', '.join(sorted(departments))}")
    event = ev.ReportEvent(ts=clock.now(), report_id=report_id, actor=user.username,
                           **body.model_dump(exclude_none=True))
    lc.check_event(event)  # what needs no state (a respond without words…): 409 at once
    publisher.publish_durably(tp.REPORT_EVENTS, event)  # on the broker before we wait
    verdict = _verdict(db, event.event_id)
    row = reports_db.one(db, report_id)
    if verdict is not None and verdict[0] == "refused":
        raise lc.InvalidTransition(verdict[1], lc.Status(row["status"]) if row else None)
    if verdict is None:
        response.status_code = 202
        return {"event_id": event.event_id, "action": body.action, "outcome": "pending",
                "status": row["status"] if row else None}
    return {"event_id": event.event_id, "action": body.action, "outcome": "applied",
            "status": row["status"] if row else None}


def _verdict(db, event_id) -> tuple[str, str | None] | None:
    deadline = time.monotonic() + ACTION_VERDICT_WAIT_S
    while True:
        db.rollback()  # a fresh snapshot each time, and no transaction held while waiting
        found = reports_db.event_outcome(db, event_id)
        if found is not None and found[0] is not None:
            return found
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


@router.get("/{report_id}/status", summary="The citizen's view: status and response")
def citizen_status(report_id: str, db: DbDep):
    row = report_or_404(db, report_id)
    return {"report_id": report_id, "status": row["status"],
            "response": row["last_response"], "received_at": row["received_at"],
            "expected_response_by": row["respond_by"], "updated_at": row["updated_at"],
            "rating": row["rating"]}


@router.post("/{report_id}/rating", status_code=202, summary="The citizen rates the response")
def rate(report_id: str, body: RatingIn, db: DbDep, clock: ClockDep, publisher: PublisherDep):
    row = report_or_404(db, report_id)
    if not row.get("client_key"):  # Open311 and other keyless reports have no sender to check
        raise HTTPException(403, "this report was sent without a client_key, so it cannot be "
                                 "rated here")
    if row.get("client_key") != body.client_key:
        raise HTTPException(403, "the client_key does not match the one this report was sent "
                                 "with; only its sender can rate it")
    event = ev.ReportEvent(ts=clock.now(), report_id=report_id, actor="citizen",
                           action=ev.ReportAction.RATE, rating=body.rating, note=body.comment)
    lc.apply(_state(row), event)
    publisher.publish_durably(tp.REPORT_EVENTS, event)  # on the broker before we answer
    return {"event_id": event.event_id, "rating": body.rating}


def _state(row: dict) -> lc.Report:
    return lc.Report(
        row["report_id"], row["received_at"], status=lc.Status(row["status"]),
        urgency=ev.Urgency(row["urgency"]) if row["urgency"] else None,
        category=row["category"], department=row["department"], overridden=row["overridden"],
        first_response_at=row["first_response_at"], acknowledged_at=row["acknowledged_at"])
