"""Text normalisation shared by the simulators and triage (Vietnamese with or without diacritics)."""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    """NFC, so 'ệ' typed as e + two combining marks equals the precomposed letter."""
    return unicodedata.normalize("NFC", text)


def strip_diacritics(text: str) -> str:
    """'Cây đổ chắn đường' -> 'Cay do chan duong' (NFD, drop combining marks, đ -> d)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
