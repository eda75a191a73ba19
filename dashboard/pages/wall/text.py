"""How the wall writes its figures: percentages, durations, windows and days, in the chosen
language (Vietnamese groups thousands with dots and decimals with a comma)."""

from __future__ import annotations

from datetime import date

from dashboard.display import decimal
from dashboard.i18n import t

DASH = "—"  # no data: said in words beside it, never a made-up number
WEEKDAYS = {"vi": ("T2", "T3", "T4", "T5", "T6", "T7", "CN"),
            "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def figure(value: float | int | None, lang: str, digits: int = 1) -> str:
    """A figure as the API rounded it, without a trailing ",0": 92,5 · 100 · —."""
    if value is None:
        return DASH
    v = float(value)
    return decimal(v, 0 if v == int(v) else digits, lang)


def duration(seconds: float, lang: str) -> str:
    """'1 giờ 05 phút' / '1 h 05 min': read across a room, where '1:05' could be either unit."""
    minutes = int(abs(seconds)) // 60
    if minutes < 60:
        return t("wall.minutes", lang, m=minutes or "< 1")
    return t("wall.hours_minutes", lang, h=minutes // 60, m=f"{minutes % 60:02d}")


def window_words(label: str, hours: float, lang: str) -> str:
    """'hôm nay', '7 ngày qua', '24 giờ qua' for a KPI's window."""
    if label == "today":
        return t("wall.window.today", lang)
    if label == "now":
        return t("wall.window.now", lang)
    if hours >= 48 and hours % 24 == 0:
        return t("wall.window.days", lang, n=int(hours // 24))
    return t("wall.window.hours", lang, n=figure(hours, lang))


def day_label(iso: str, lang: str) -> str:
    """'T4 26/11' / 'Wed 26/11' for a trend's local day."""
    day = date.fromisoformat(iso)
    return f"{WEEKDAYS['en' if lang == 'en' else 'vi'][day.weekday()]} {day:%d/%m}"
