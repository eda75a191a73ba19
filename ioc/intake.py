"""Citizen report intake: the one place a submitted report is checked and turned into a
`CitizenReport` event, whichever door it came through (the app's JSON API or Open311).

Pure: refusals are `IntakeRefused` with a message a person can act on; the routes map them to
their own error formats.
"""

from __future__ import annotations

import base64
import re
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ioc import events as ev
from ioc.city import City
from ioc.taxonomy import Taxonomy
from ioc.text import normalize

MAX_TEXT = 4000
MAX_PHOTO_BYTES = 5 * 1024 * 1024
_NAMESPACE = uuid.UUID("2b1c9a44-1f0e-4a59-8c43-5d7f0a9e6b21")
# Bidi embeddings, overrides and isolates can make text display other than it reads (Trojan Source)
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


class IntakeRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ReportIn(BaseModel):
    """What a citizen app sends."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(description="What happened, in Vietnamese or English (1-4,000 characters)")
    lat: float | None = Field(None, strict=True, description="Latitude (WGS84), a number")
    lon: float | None = Field(None, strict=True, description="Longitude (WGS84), a number")
    address: str | None = Field(None, max_length=300)
    category_hint: str | None = Field(None, description="A category code, if the citizen chose one")
    contact: str | None = Field(None, max_length=200, description="Phone or e-mail, optional")
    lang: str | None = Field(None, description="'vi' or 'en', if known")
    client_key: str | None = Field(
        None, max_length=128,
        description="Idempotency key: the same key always means the same report")

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str | None) -> str | None:
        if v is not None and v not in ("vi", "en"):
            raise ValueError("must be 'vi' or 'en'")
        return v


def report_id_for(client_key: str | None) -> str:
    """A resubmission with the same key gets the same id, so it is stored once."""
    if client_key:
        return "R-" + uuid.uuid5(_NAMESPACE, client_key).hex[:12]
    return "R-" + uuid.uuid4().hex[:12]


def accept(data: ReportIn, *, source: ev.ReportSource, received_at: datetime, city: City,
           taxonomy: Taxonomy, photo_url: str | None = None) -> ev.CitizenReport:
    for name in ("text", "address", "contact", "client_key"):
        value = getattr(data, name)
        if value and _has_control(value):
            raise IntakeRefused(name, "contains control characters; send plain text")
    text = normalize(data.text)
    if _is_blank(text):
        raise IntakeRefused("text", "is empty; describe what happened and where")
    if len(text) > MAX_TEXT:
        raise IntakeRefused("text", f"is {len(text)} characters; shorten it to at most "
                                    f"{MAX_TEXT}")
    if data.lat is None or data.lon is None:
        raise IntakeRefused("lat/lon", "the location is missing; send lat and lon (WGS84)")
    if not city.contains(data.lat, data.lon):
        s, w, n, e = city.bbox
        raise IntakeRefused("lat/lon", f"({data.lat}, {data.lon}) is outside {city.name}; "
                                       f"this service covers about {s:.2f}–{n:.2f} N, "
                                       f"{w:.2f}–{e:.2f} E")
    if data.category_hint and data.category_hint not in taxonomy.codes:
        raise IntakeRefused("category_hint", f"{data.category_hint!r} is not a category; use "
                                             f"one of {', '.join(sorted(taxonomy.codes))}")
    ward = city.ward_at(data.lat, data.lon)
    event_id = (uuid.uuid5(_NAMESPACE, f"event|{data.client_key}") if data.client_key
                else uuid.uuid4())
    return ev.CitizenReport(
        event_id=event_id, ts=received_at, report_id=report_id_for(data.client_key), text=text,
        lang=data.lang, lat=data.lat, lon=data.lon, ward=ward.slug if ward else None,
        address=data.address, category_hint=data.category_hint, source=source,
        contact=data.contact, photo_url=photo_url, client_key=data.client_key)


def _has_control(value: str) -> bool:
    """C0 (but newline and tab), DEL, C1 and bidi controls: never part of what a person wrote."""
    return any(ch in _BIDI_CONTROLS or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
               for ch in value)


def _is_blank(text: str) -> bool:
    """Nothing to read: only spaces, zero-width or other invisible characters and accents."""
    return not any(unicodedata.category(ch)[0] in "LNPS" for ch in text)


def decode_photo_base64(value: str) -> bytes:
    """A photo as apps send it: standard or URL-safe base64, line-wrapped (Android's
    Base64.DEFAULT) or not, padded or not, optionally as a `data:image/...;base64,` URL."""
    if value.startswith("data:"):
        header, _, value = value.partition(",")
        if not header.lower().endswith(";base64"):
            raise IntakeRefused("photo_base64", f"is a data URL without ';base64' ({header[:40]}"
                                                "); send the photo base64-encoded")
    value = "".join(value.split()).translate(str.maketrans("-_", "+/")).rstrip("=")
    if not value:
        raise IntakeRefused("photo_base64", "is empty; leave the field out if there is no photo")
    if bad := _NOT_BASE64.search(value):
        raise IntakeRefused("photo_base64", f"is not base64: it contains {bad.group()!r}; send "
                                            "the photo's bytes base64-encoded")
    if len(value) % 4 == 1:  # no whole number of bytes has this length
        raise IntakeRefused("photo_base64", "is not base64: it looks cut short; send the whole "
                                            "photo")
    return base64.b64decode(value + "=" * (-len(value) % 4))


def store_photo(data_dir: Path, report: ev.CitizenReport, content: bytes,
                content_type: str | None = None) -> ev.CitizenReport:
    """Check and keep a report's photo under data_dir/photos; the report now points at it."""
    kind = check_photo(content, content_type)
    folder = data_dir / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    if not any((folder / f"{report.report_id}.{k}").exists() for k in ("jpg", "png")):
        try:  # a resubmission (same idempotency key) never replaces the first photo
            with open(folder / f"{report.report_id}.{kind}", "xb") as f:
                f.write(content)
        except FileExistsError:
            pass
    return report.model_copy(update={"photo_url": f"/api/reports/{report.report_id}/photo"})


def check_photo(content: bytes, content_type: str | None) -> str:
    """Returns the file extension for a valid JPEG or PNG photo, or refuses it."""
    if len(content) > MAX_PHOTO_BYTES:
        # Open311 reads one byte past the limit, so at exactly that length the real size is
        # unknown; round up so a photo over 5 MB never reads as "5.0 MB"
        size = (f" (it is {-(-len(content) * 10 // 2**20) / 10:.1f} MB)"
                if len(content) > MAX_PHOTO_BYTES + 1 else "")
        raise IntakeRefused("photo", f"is larger than {MAX_PHOTO_BYTES // 2**20} MB{size}; send "
                                     "a smaller photo")
    if content.startswith(b"\xff\xd8\xff"):
        kind = "jpg"
    elif content.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    else:
        got = content_type or "an unknown type"
        raise IntakeRefused("photo", f"is not a JPEG or PNG image (got {got}); send a photo "
                                     "taken with the camera")
    import cv2
    import numpy as np

    if cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8) is None:
        raise IntakeRefused("photo", "is damaged and cannot be opened; take it again")
    return kind
