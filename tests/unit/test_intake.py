"""Report intake: what a citizen may send, and refusals that say what to fix."""

from __future__ import annotations

import base64
import unicodedata
from datetime import UTC, datetime

import pytest

from ioc import events as ev
from ioc import intake
from ioc.city import load_city
from ioc.intake import IntakeRefused, ReportIn, accept, check_photo, decode_photo_base64
from ioc.taxonomy import load_taxonomy
from ioc.text import csv_cell

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
CENTRE = {"lat": 10.9375, "lon": 107.2420}


def take(text: str, **kw) -> ev.CitizenReport:
    return accept(ReportIn(text=text, **CENTRE, **kw), source=ev.ReportSource.APP,
                  received_at=T0, city=load_city(), taxonomy=load_taxonomy())


def refusal(text: str, **kw) -> IntakeRefused:
    with pytest.raises(IntakeRefused) as refused:
        take(text, **kw)
    return refused.value


@pytest.mark.parametrize("text", [
    "Cây đổ chắn đường Hùng Vương",
    unicodedata.normalize("NFD", "Cây đổ chắn đường Hùng Vương"),
    "Ngập nặng 🌧️ 👨‍👩‍👧 mắc kẹt",
    "Dòng một\nDòng hai\tcột",
    "Cây\u200bđổ",  # a stray zero-width space inside real text is harmless
])
def test_real_text_is_accepted_and_kept_as_nfc(text):
    assert take(text).text == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("text", ["\u200b\ufeff", "\u0301\u0323", "\u200d \u200c", "\u00a0"])
def test_text_with_nothing_to_read_is_empty(text):
    r = refusal(text)
    assert (r.field, r.message) == ("text", "is empty; describe what happened and where")


@pytest.mark.parametrize("bad", ["\x00", "\x1b", "\x7f", "\x85", "\x9b", "\u202a", "\u202e",
                                 "\u2066", "\u2069"])
@pytest.mark.parametrize("field", ["text", "address", "contact", "client_key"])
def test_control_characters_are_refused_in_every_field(bad, field):
    kw = {"text": "ngập"} | {field: f"a{bad}b"}
    r = refusal(**kw)
    assert (r.field, r.message) == (field, "contains control characters; send plain text")


@pytest.mark.parametrize(("size", "says"), [
    (intake.MAX_PHOTO_BYTES + 1, "is larger than 5 MB; send"),  # Open311's read: real size unknown
    (intake.MAX_PHOTO_BYTES + 10, "is larger than 5 MB (it is 5.1 MB)"),
    (6 * 2**20, "is larger than 5 MB (it is 6.0 MB)"),
])
def test_an_oversized_photo_is_said_to_be_over_the_limit(size, says):
    with pytest.raises(IntakeRefused) as refused:
        check_photo(b"\xff\xd8\xff" + bytes(size - 3), "image/jpeg")
    assert refused.value.message.startswith(says) and "5.0" not in refused.value.message


PHOTO = bytes(range(256)) * 3  # stands for a photo's bytes: every value, both + and / in base64


@pytest.mark.parametrize("sent", [
    base64.b64encode(PHOTO).decode(),
    base64.encodebytes(PHOTO).decode(),  # wrapped at 76 like Android's Base64.DEFAULT
    base64.encodebytes(PHOTO).decode().replace("\n", "\r\n"),
    "data:image/jpeg;base64," + base64.b64encode(PHOTO).decode(),
    base64.urlsafe_b64encode(PHOTO).decode(),
    base64.urlsafe_b64encode(PHOTO[:-1]).decode().rstrip("="),  # Base64.NO_PADDING
])
def test_base64_photos_are_decoded_however_the_app_wrapped_them(sent):
    assert PHOTO.startswith(decode_photo_base64(sent))


@pytest.mark.parametrize(("sent", "says"), [
    ("", "is empty; leave the field out if there is no photo"),
    ("data:image/jpeg;base64,", "is empty; leave the field out if there is no photo"),
    ("%%%", "is not base64: it contains '%'"),
    ("data:image/jpeg,abcd", "is a data URL without ';base64'"),
    ("abcde", "is not base64: it looks cut short"),
])
def test_a_bad_base64_photo_is_refused_with_what_is_wrong(sent, says):
    with pytest.raises(IntakeRefused) as refused:
        decode_photo_base64(sent)
    assert refused.value.field == "photo_base64" and refused.value.message.startswith(says)


@pytest.mark.parametrize("cell", ["=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(cell):
    assert csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "respond", "Đã xử lý = xong", "2026-07-01T08:00:00+00:00"])
def test_other_csv_cells_are_left_alone(cell):
    assert csv_cell(cell) == cell
