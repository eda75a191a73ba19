"""Open311 GeoReport v2 endpoints under /open311/v2/: discovery, services, service definitions,
requests (POST, GET list, GET one) and tokens; each in `.xml` or `.json`.

Intake goes through `ioc.intake.accept` like the citizen app's, with source `open311`. Services
are `realtime`: the POST answers with the service_request_id at once. It also returns a token,
which is the same string: GET tokens/{token} answers once persistence has the request on record
(404 before, usually for well under a second), so clients written for `batch` servers work too.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from ioc import events as ev
from ioc import topics as tp
from ioc.accounts import api_key_name
from ioc.api.deps import ClockDep, DbDep, PublisherDep, SettingsDep
from ioc.api.open311 import documents as doc
from ioc.api.open311.errors import Open311Route
from ioc.api.open311.formats import FormatDep, errors, format_of, render
from ioc.api.routes.reports import report_or_404
from ioc.city import load_city
from ioc.db import open311 as q311
from ioc.db import reports as q
from ioc.intake import MAX_PHOTO_BYTES, IntakeRefused, ReportIn, accept, store_photo
from ioc.policy import load_policy
from ioc.sla import due_at
from ioc.taxonomy import load_taxonomy

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=90)  # the spec's default and widest GET requests window
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
MAX_PAGE = 1_000_000  # keeps the row offset well inside PostgreSQL's bigint
# ReportIn/intake field -> the Open311 field the client sent it as.
_OPEN311_FIELD = {"text": "description", "photo": "media", "lon": "long", "lat/lon": "lat/long",
                  "address": "address_string", "category_hint": "service_code",
                  "contact": "email/phone/first_name/last_name"}


def _check_jurisdiction(jurisdiction_id: str | None) -> None:
    if jurisdiction_id and jurisdiction_id != doc.JURISDICTION_ID:
        raise HTTPException(400, f"jurisdiction_id {jurisdiction_id!r} is not served here; "
                                 f"use {doc.JURISDICTION_ID!r} or leave it out")


def jurisdiction(jurisdiction_id: Annotated[str | None, Query(
        description=f"Optional; if given, {doc.JURISDICTION_ID}")] = None) -> None:
    _check_jurisdiction(jurisdiction_id)


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route,
                   dependencies=[Depends(jurisdiction)])


def api_key_owner(db: DbDep, request: Request,
                  api_key: Annotated[str | None, Form(description="Required to POST")] = None
                  ) -> str:
    """The name the key was issued to; 403 without a valid key (checked before anything else).

    Only the form field counts: a key in the URL ends up in proxy and server logs."""
    key = (api_key or "").strip()
    if not key:
        where = (" in the form body, not in the URL" if "api_key" in request.query_params
                 else " (ask the city for a key)")
        raise HTTPException(403, f"api_key is required to submit a request; send it as a form "
                                 f"field{where}")
    owner = api_key_name(db.connection.driver_connection, key)  # ioc.accounts speaks psycopg
    if owner is None:
        raise HTTPException(403, "api_key is not valid or has been revoked; ask the city for a "
                                 "new one")
    return owner


def _tz(settings) -> ZoneInfo:
    return ZoneInfo(settings.display_tz)


def _api_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _taxonomy_changed_at() -> datetime:
    """When the service list last changed: the packaged taxonomy's modification time."""
    path = Path(str(files("ioc").joinpath("data/taxonomy.json")))
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


@router.get("/discovery.{fmt}", summary="Open311 service discovery")
def discovery(fmt: FormatDep, request: Request, settings: SettingsDep) -> Response:
    return render(fmt, doc.discovery(_api_url(request), _taxonomy_changed_at(), _tz(settings)),
                  "discovery")


@router.get("/services.{fmt}", summary="Service types: the report categories")
def services(fmt: FormatDep) -> Response:
    return render(fmt, doc.services(load_taxonomy()), "services", "service")


@router.get("/services/{service_code}.{fmt}", summary="One service's definition")
def service_definition(service_code: str, fmt: FormatDep) -> Response:
    try:
        definition = doc.service_definition(load_taxonomy(), service_code)
    except KeyError:
        raise HTTPException(404, f"no service {service_code!r}; services.{fmt} lists "
                                 "them") from None
    return render(fmt, definition, "service_definition")


def _contact(first_name: str | None, last_name: str | None, email: str | None,
             phone: str | None) -> str | None:
    """The report's one contact line, e.g. 'Lan Nguyễn, lan@example.vn, 0901234567'."""
    name = " ".join(p.strip() for p in (first_name, last_name) if p and p.strip())
    return ", ".join(p.strip() for p in (name, email, phone) if p and p.strip()) or None


def _check_location(lat: float | None, long: float | None, address_string: str | None,
                    address_id: str | None) -> None:
    if lat is not None and long is not None:
        return
    if lat is not None or long is not None:
        raise HTTPException(400, "lat/long: send both lat and long (WGS84), not only one")
    if address_string or address_id:
        raise HTTPException(400, "lat/long: are required in this jurisdiction; addresses are not "
                                 "geocoded here. Send lat and long (WGS84), with address_string "
                                 "as a description of the place if you like")
    raise HTTPException(400, "lat/long: the location is missing; send lat and long (WGS84)")


def _check_media_url(media_url: str | None) -> None:
    if not media_url:
        return
    parts = urlsplit(media_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(media_url) > 500:
        raise HTTPException(400, "media_url: must be an http(s) URL of at most 500 characters")


@router.post("/requests.{fmt}", summary="Submit a service request (form-encoded, api_key)")
def create_request(
    fmt: FormatDep, owner: Annotated[str, Depends(api_key_owner)],
    publisher: PublisherDep, clock: ClockDep, settings: SettingsDep,
    service_code: Annotated[str | None, Form(description="From services.xml")] = None,
    lat: Annotated[float | None, Form(description="Latitude (WGS84)")] = None,
    long: Annotated[float | None, Form(description="Longitude (WGS84)")] = None,
    address_string: Annotated[str | None, Form(max_length=300)] = None,
    address_id: Annotated[str | None, Form()] = None,
    description: Annotated[str | None, Form(description="What happened (1-4,000 characters)")
                           ] = None,
    email: Annotated[str | None, Form()] = None,
    phone: Annotated[str | None, Form()] = None,
    first_name: Annotated[str | None, Form()] = None,
    last_name: Annotated[str | None, Form()] = None,
    media_url: Annotated[str | None, Form(description="http(s) URL of a photo")] = None,
    media: Annotated[UploadFile | None, File(
        description="A JPEG or PNG photo (multipart/form-data), at most 5 MB")] = None,
    account_id: Annotated[str | None, Form(description="Echoed back")] = None,
    jurisdiction_id: Annotated[str | None, Form()] = None,
) -> Response:
    _check_jurisdiction(jurisdiction_id)
    taxonomy = load_taxonomy()
    if not service_code:
        raise HTTPException(400, f"service_code is required; services.{fmt} lists them")
    if service_code not in taxonomy.codes:
        raise HTTPException(400, f"service_code {service_code!r} is not a service; use one of "
                                 f"{', '.join(taxonomy.codes)}")
    _check_location(lat, long, address_string, address_id)
    _check_media_url(media_url)
    if media_url and media is not None and media.filename:
        raise HTTPException(400, "media: send the photo either as a media file or as media_url, "
                                 "not both")
    photo = media.file.read(MAX_PHOTO_BYTES + 1) if media is not None and media.filename else None
    try:
        data = ReportIn(text=description or "", lat=lat, lon=long, address=address_string,
                        category_hint=service_code,
                        contact=_contact(first_name, last_name, email, phone))
        report = accept(data, source=ev.ReportSource.OPEN311, received_at=clock.now(),
                        city=load_city(), taxonomy=taxonomy, photo_url=media_url)
        if photo is not None:
            report = store_photo(settings.data_dir, report, photo, media.content_type)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise HTTPException(400, f"{_OPEN311_FIELD.get(field, field)}: {first['msg']}") from None
    except IntakeRefused as refused:
        raise HTTPException(400, f"{_OPEN311_FIELD.get(refused.field, refused.field)}: "
                                 f"{refused.message}") from None
    publisher.publish_durably(tp.CITIZEN_REPORTS, report)  # on the broker before we answer
    logger.info("open311 request accepted",
                extra={"report_id": report.report_id, "api_key_name": owner})
    due = due_at(report.ts, None, load_policy().sla)
    return render(fmt, [{"service_request_id": report.report_id, "token": report.report_id,
                         "service_notice": doc.first_response_notice(due, _tz(settings)),
                         "account_id": account_id}], "service_requests", "request")


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def _instant(name: str, value: str | None, tz: ZoneInfo) -> datetime | None:
    if not value:
        return None
    # An unencoded '+' in a query string arrives as a space: "…T08:00:00 07:00".
    text = re.sub(r"(T[\d:.]+) (\d{2}:?\d{2})$", r"\1+\2", value.strip())
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name} {value!r} is not a W3C date-time; use e.g. "
                                 "2025-05-01T00:00:00+07:00 or 2025-05-01T00:00:00Z") from None
    return at if at.tzinfo else at.replace(tzinfo=tz)  # no offset: the city's local time


def _window(start_date: str | None, end_date: str | None, now: datetime,
            tz: ZoneInfo) -> tuple[datetime, datetime]:
    start, end = _instant("start_date", start_date, tz), _instant("end_date", end_date, tz)
    if start is None and end is None:
        end = now
    try:
        if start is None:
            start = end - WINDOW
        if end is None:
            end = start + WINDOW
    except OverflowError:  # the window would run off the calendar (before year 1, after 9999)
        name, value = ("end_date", end_date) if start is None else ("start_date", start_date)
        raise HTTPException(400, f"{name} {value!r} leaves no room for the {WINDOW.days}-day "
                                 "window; send both start_date and end_date") from None
    if start > end:
        raise HTTPException(400, f"start_date ({start_date}) is after end_date ({end_date})")
    if end - start > WINDOW:
        raise HTTPException(400, f"start_date to end_date spans {(end - start).days} days; ask "
                                 f"for at most {WINDOW.days} days at a time")
    return start, end


def _is_open(status: str | None) -> bool | None:
    wanted = set(_listed(status))
    if wanted - {"open", "closed"}:
        raise HTTPException(400, f"status {status!r}: use open, closed or open,closed")
    return None if len(wanted) != 1 else "open" in wanted


@router.get("/requests.{fmt}", summary="Service requests, newest first, one page at a time")
def list_requests(
    fmt: FormatDep, request: Request, db: DbDep, clock: ClockDep, settings: SettingsDep,
    service_request_id: Annotated[str | None, Query(
        description="Comma-separated ids; overrides every other filter")] = None,
    service_code: Annotated[str | None, Query(description="Comma-separated codes")] = None,
    start_date: Annotated[str | None, Query(description="W3C date-time, e.g. "
                                                        "2025-05-01T00:00:00+07:00")] = None,
    end_date: Annotated[str | None, Query(description="W3C date-time; at most 90 days after "
                                                      "start_date")] = None,
    status: Annotated[str | None, Query(description="open, closed or open,closed")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1 is the newest page")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
) -> Response:
    tz, taxonomy = _tz(settings), load_taxonomy()
    ids = _listed(service_request_id)
    if ids:
        flt = q311.RequestFilter(ids=ids)
    else:
        codes = _listed(service_code)
        unknown = [c for c in codes if c not in taxonomy.codes]
        if unknown:
            raise HTTPException(400, f"service_code {', '.join(unknown)} is not a service; "
                                     f"services.{fmt} lists them")
        start, end = _window(start_date, end_date, clock.now(), tz)
        flt = q311.RequestFilter(service_codes=codes, start_at=start, end_at=end,
                                 is_open=_is_open(status))
    rows = q311.requests(db, flt, page_size, (page - 1) * page_size)
    base = str(request.base_url)
    return render(fmt, [doc.service_request(r, taxonomy, tz, base) for r in rows],
                  "service_requests", "request")


@router.get("/requests/{service_request_id}.{fmt}", summary="One service request")
def get_request(service_request_id: str, fmt: FormatDep, request: Request, db: DbDep,
                settings: SettingsDep) -> Response:
    row = report_or_404(db, service_request_id, noun="service request")
    document = doc.service_request(row, load_taxonomy(), _tz(settings), str(request.base_url))
    return render(fmt, [document], "service_requests", "request")


@router.get("/tokens/{token}.{fmt}", summary="The service_request_id for a token")
def token(token: str, fmt: FormatDep, db: DbDep) -> Response:
    if not q.received(db, token):
        raise HTTPException(404, f"no request on record for token {token!r} (yet); a token "
                                 "resolves once the request is stored, seconds after the POST")
    return render(fmt, [{"service_request_id": token, "token": token}],
                  "service_requests", "request")


@router.api_route("/{path:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown(request: Request) -> Response:
    return errors(format_of(request), 404, f"no Open311 resource at {request.url.path}; "
                                           f"see {router.prefix}/discovery.xml")
