"""Text normalisation shared by the simulators and triage (Vietnamese with or without diacritics),
and the one rule for text written to CSV."""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    """NFC, so 'ệ' typed as e + two combining marks equals the precomposed letter."""
    return unicodedata.normalize("NFC", text)


def strip_diacritics(text: str) -> str:
    """'Cây đổ chắn đường' -> 'Cay do chan duong' (NFD, drop combining marks, đ -> d)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# A spreadsheet runs a cell starting with one of these as a formula (OWASP: CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """`value` safe to open in a spreadsheet: a leading formula character is quoted with '."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _latin_marked() -> tuple[str, str]:
    marked = [ch for ch in map(chr, range(0xC0, 0x1F00))
              if len(plain := strip_diacritics(ch)) == 1 and plain.isascii() and plain != ch]
    return "".join(marked), "".join(strip_diacritics(ch) for ch in marked)


# Every precomposed Latin letter with a mark, and the same letters without: what SQL's
# translate() needs to compare text without diacritics, the way `strip_diacritics` does.
VI_MARKED, VI_PLAIN = _latin_marked()
