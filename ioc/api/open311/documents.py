"""Open311 GeoReport v2 documents built from the taxonomy, the lifecycle and the SLA. Pure.

Services are the taxonomy's categories (service_code = category code, group = department).
A request's `status` is `open` or `closed` as `ioc.lifecycle` says; `status_notes` is the last
response the citizen can see, or why the report was rejected; `expected_datetime` is the SLA's
due time for what comes next, as persistence stored it from ioc/sla.py: the response awaited
(the first one, or another after a reopening), else the resolution.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ioc import lifecycle as lc
from ioc.taxonomy import Taxonomy

JURISDICTION_ID = "longkhanh.dongnai.gov.vn"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CONTACT = ("Trung tâm Giám sát, điều hành đô thị thông minh (IOC) Long Khánh, Đồng Nai / "
           "Long Khánh city operations centre")
KEY_SERVICE = ("Ask the IOC administrator for an API key (`ioc apikey create NAME` prints one); "
               "send it as the api_key form field when you POST a request")
REJECTED_NOTES = {
    "duplicate": "Trùng với một phản ánh khác / duplicate of another report",
    "spam": "Không phải phản ánh hợp lệ / not a valid report",
    "out_of_scope": "Ngoài phạm vi xử lý của thành phố / outside the city's remit",
}


def w3(at: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 as the W3C note has it, in the city's time with its offset."""
    return at.astimezone(tz).isoformat(timespec="seconds") if at else None


def discovery(api_url: str, changeset: datetime, tz: ZoneInfo) -> dict:
    return {"changeset": w3(changeset, tz), "contact": CONTACT, "key_service": KEY_SERVICE,
            "endpoints": [{"specification": SPECIFICATION, "url": api_url,
                           "changeset": w3(changeset, tz), "type": "production",
                           "formats": ["text/xml", "application/json"]}]}


def services(taxonomy: Taxonomy) -> list[dict]:
    out = []
    for c in taxonomy.categories:
        department = taxonomy.department(c.department)
        out.append({"service_code": c.code, "service_name": c.vi,
                    "description": f"{c.en} ({department.en})", "metadata": False,
                    "type": "realtime", "keywords": f"{c.vi}, {c.en}", "group": department.vi})
    return out


def service_definition(taxonomy: Taxonomy, service_code: str) -> dict:
    """Raises KeyError for an unknown code. No extra attributes: the description says it all."""
    taxonomy.category(service_code)
    return {"service_code": service_code, "attributes": []}


def first_response_notice(due: datetime, tz: ZoneInfo) -> str:
    local = due.astimezone(tz)
    return (f"Đã tiếp nhận; phản hồi đầu tiên trước {local:%H:%M %d/%m/%Y}. / "
            f"Received; first response due by {w3(due, tz)}.")


def status_notes(row: dict) -> str | None:
    if row["status"] == lc.Status.REJECTED:
        reason = row["rejected_reason"]
        return REJECTED_NOTES.get(reason, f"Từ chối / rejected: {reason}")
    return row["last_response"]


def expected_at(row: dict) -> datetime | None:
    if lc.Status(row["status"]) not in lc.OPEN:
        return None
    return row["respond_by"] if row["awaiting"] else row["resolve_due_at"]


def service_request(row: dict, taxonomy: Taxonomy, tz: ZoneInfo, base_url: str) -> dict:
    """One report (a row of report_state joined with citizen_reports) as an Open311 request."""
    code = row["category"] or row["category_hint"]
    category = taxonomy.category(code) if code in taxonomy.codes else None
    department_code = row["department"] or (category.department if category else None)
    known = {d.code for d in taxonomy.departments}
    # A department the taxonomy no longer has (renamed since) is shown by its code.
    department = (taxonomy.department(department_code) if department_code in known else None)
    open_ = lc.Status(row["status"]) in lc.OPEN
    expected = expected_at(row)
    media = row["photo_url"]
    if media and media.startswith("/"):
        media = base_url.rstrip("/") + media
    return {
        "service_request_id": row["report_id"],
        "status": "open" if open_ else "closed",
        "status_notes": status_notes(row),
        "service_name": category.vi if category else None,
        "service_code": code,
        "description": row["text"],
        "agency_responsible": department.vi if department else department_code,
        "service_notice": (first_response_notice(expected, tz)
                           if open_ and row["first_response_at"] is None else None),
        "requested_datetime": w3(row["received_at"], tz),
        "updated_datetime": w3(row["updated_at"], tz),
        "expected_datetime": w3(expected, tz),
        "address": row["address"],
        "address_id": None,
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": media,
    }
