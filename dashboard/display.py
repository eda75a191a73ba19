"""How values look on screen: Vietnam time, status colour + icon + word, numbers.

Status is never shown by colour alone (colour-blind operators): every status has an icon and a
word too. What a status is comes from the core (`ioc.status`); this module only says how it
looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dashboard.i18n import t
from ioc.sla import SlaState


@dataclass(frozen=True)
class StatusLook:
    color: str
    icon: str
    css: str  # class suffix: status-ok, status-warning, …


STATUS = {
    "ok": StatusLook("#35c28a", "✔", "ok"),
    "warning": StatusLook("#f5b400", "▲", "warning"),
    "alarm": StatusLook("#ff4d5e", "✖", "alarm"),
    "unknown": StatusLook("#8a99ab", "?", "unknown"),
    "offline": StatusLook("#8a99ab", "⊘", "offline"),
}

# A report's SLA clock (ioc.sla.SlaState). "ok" is a running clock, not a tick: a tick means
# "answered in time" (met), so the two never look alike without colour either.
SLA = {
    SlaState.OK: StatusLook("#35c28a", "◷", "ok"),
    SlaState.WARNING: StatusLook("#f5b400", "▲", "warning"),
    SlaState.BREACHED: StatusLook("#ff4d5e", "✖", "alarm"),
    SlaState.MET: StatusLook("#4cc3ff", "✔", "met"),
    SlaState.MISSED: StatusLook("#ff9f5a", "◔", "missed"),
    # the clock of another response (ClockKind.RESPONSE_AGAIN): answered once, reopened since
    "reopened": StatusLook("#f5b400", "⟲", "warning"),
}

# Vietnam AQI band colours (Decision 1459/QĐ-TCMT) with text on them that stays readable.
AQI_BAND_COLORS = {
    "good": ("#00e400", "#0b1a10"),
    "moderate": ("#ffff00", "#1a1a00"),
    "poor": ("#ff7e00", "#1a0d00"),
    "bad": ("#ff0000", "#ffffff"),
    "very_bad": ("#8f3f97", "#ffffff"),
    "hazardous": ("#7e0023", "#ffffff"),
    "unknown": ("#3a4656", "#e6edf5"),
}


def status_look(status: str | None) -> StatusLook:
    return STATUS.get(status or "unknown", STATUS["unknown"])


def sla_look(state: str | None) -> StatusLook:
    return SLA.get(state or "", STATUS["unknown"])


def status_word(status: str | None, lang: str) -> str:
    key = f"status.{status}" if status in STATUS else "status.unknown"
    return t(key, lang)


def parse_ts(value: str | datetime | None) -> datetime | None:
    """An aware UTC datetime from the API's ISO 8601 text (naive text is taken as UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        ts = value
    else:
        try:
            ts = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


TIME_FORMATS = {"time": "%H:%M:%S", "short": "%H:%M %d/%m", "full": "%H:%M:%S %d/%m/%Y"}


def local_time(value: str | datetime | None, tz: str, with_date: bool = False,
               fmt: str | None = None) -> str:
    """Wall-clock text in the display zone (Asia/Ho_Chi_Minh): 14:05:09, 14:05 24/11 (with
    the date) or 14:05:09 24/11/2025 (fmt="full")."""
    ts = parse_ts(value)
    if ts is None:
        return "—"
    pattern = TIME_FORMATS[fmt or ("short" if with_date else "time")]
    return ts.astimezone(ZoneInfo(tz)).strftime(pattern)


_VI_SEPARATORS = str.maketrans(",.", ".,")


def decimal(value: float | int, digits: int, lang: str) -> str:
    """12,345.6 in English, 12.345,6 in Vietnamese (which groups with dots, decimals a comma)."""
    text = f"{float(value):,.{digits}f}"
    return text.translate(_VI_SEPARATORS) if lang == "vi" else text


def number(value: float | int | None, unit: str, lang: str) -> str:
    """A reading for display: at most one decimal for big values, two for small ones."""
    if value is None:
        return "—"
    v = float(value)
    digits = (0 if v == int(v) else 1) if abs(v) >= 10 else 2
    return f"{decimal(v, digits, lang)} {unit}".strip()

