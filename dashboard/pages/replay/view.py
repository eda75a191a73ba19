"""What /replay shows, as pure functions of the API's answers: the replay's clock and state,
its progress, its open reports with their SLA countdowns, its alarms, a few KPIs and the
scenario's expectations."""

from __future__ import annotations

from datetime import datetime

from dash import html

from dashboard.components import kpi_tile, notice
from dashboard.display import decimal, local_time
from dashboard.i18n import t
from dashboard.pages.control.alarms_panel import message_for, type_label
from dashboard.queue import queue_row
from ioc.api.models import AlarmOut, KpiReport, Queue, ReplaySources, ReplayStatus

SPEEDS = ("1", "10", "60", "300", "1800", "max")
KPIS = ("open_urgent", "response_minutes_median", "breaches_today",
        "urgent_responded_in_2h_pct", "alarms_standing", "water_level_max_m")
SEEK_STEPS = 1000  # the seek slider runs 0..1000 over the stream


def source_options(sources: ReplaySources, lang: str) -> list[dict]:
    scenarios = [{"label": f"{s.title_en if lang == 'en' else s.title_vi} ({s.name})",
                  "value": s.name} for s in sources.scenarios]
    recordings = [{"label": f"{t('replay.recording', lang)}: {r.name}", "value": r.name}
                  for r in sources.recordings]
    return scenarios + recordings


def speed_options(lang: str) -> list[dict]:
    return [{"label": t("replay.speed.max", lang) if s == "max" else f"{s}×", "value": s}
            for s in SPEEDS]


def speed_text(speed: float | None, lang: str) -> str:
    if speed is None:
        return t("replay.speed.max", lang)
    return f"{decimal(speed, 0 if speed == int(speed) else 1, lang)}×"


def share_done(status: ReplayStatus) -> float:
    """How far through the stream the replay's clock is, 0..1."""
    if not (status.start and status.end and status.now) or status.end <= status.start:
        return 0.0
    done = (status.now - status.start) / (status.end - status.start)
    return max(0.0, min(1.0, done))


def seek_instant(status: ReplayStatus, step: float) -> datetime | None:
    if not (status.start and status.end):
        return None
    return status.start + (status.end - status.start) * (max(0, min(SEEK_STEPS, step))
                                                          / SEEK_STEPS)


def state_line(status: ReplayStatus, lang: str, tz: str) -> list:
    words = [html.Span(t(f"replay.state.{status.state}", lang),
                       className=f"replay-state-chip replay-{status.state}",
                       **{"data-state": status.state})]
    if status.source:
        words.append(html.Span(status.source, className="replay-source-name"))
    if status.state in ("running", "paused", "starting"):
        words.append(html.Span(f"{t('replay.speed', lang)} {speed_text(status.speed, lang)}",
                               id="replay-speed-now"))
    if status.events is not None:
        words.append(html.Span(t("replay.sent", lang, sent=decimal(status.sent or 0, 0, lang),
                                 events=decimal(status.events, 0, lang))))
    if status.start and status.end:
        words.append(html.Span(f"{local_time(status.start, tz, fmt='short')} → "
                               f"{local_time(status.end, tz, fmt='short')}", className="muted"))
    return words


def outcome(status: ReplayStatus, lang: str) -> list:
    """The end: the digest, the expectations met and missed with their evidence, or why it
    failed."""
    if status.state == "failed":
        return [html.Div(f"{t('replay.failed', lang)}: {status.error or ''}",
                         className="form-error", role="alert")]
    parts = []
    if status.digest:
        parts.append(html.Div([t("replay.digest", lang), " ",
                               html.Code(status.digest, id="replay-digest")]))
    for e in status.expectations:
        parts.append(html.Div([
            html.Span("✔ " + t("replay.met", lang) if e.met else "✖ " + t("replay.missed", lang),
                      className="pill status-ok" if e.met else "pill status-alarm"),
            html.B(f" {e.description}"), html.Span(f" — {e.evidence}", className="muted"),
        ], className="replay-expectation", **{"data-met": "1" if e.met else "0"}))
    return parts or [notice(t("replay.outcome.pending", lang))]


def reports(queue: Queue | None, lang: str, tz: str, ward_name) -> list:
    if queue is None or not queue.reports:
        return [notice(t("replay.reports.none", lang))]
    return [queue_row(r, lang, tz, ward_name) for r in queue.reports]


def alarm_rows(alarms: list[AlarmOut], lang: str, tz: str) -> list:
    if not alarms:
        return [notice(t("replay.alarms.none", lang))]
    rows = []
    for a in sorted(alarms, key=lambda a: a.raised_at, reverse=True):
        state = a.state.value
        rows.append(html.Div([
            html.Div([html.Span(t(f"alarm.state.{state}", lang),
                                className=f"alarm-state alarm-{state}"),
                      html.Span(t(f"alarm.severity.{a.severity.value}", lang),
                                className=f"sev-chip sev-{a.severity.value}"),
                      html.B(type_label(a.alarm_type, lang))], className="alarm-title"),
            html.Div(message_for(a, lang, tz), className="alarm-message"),
            html.Div([a.source_id, " · ", t("alarms.since", lang,
                                            time=local_time(a.raised_at, tz, with_date=True))],
                     className="alarm-meta muted"),
        ], className=f"alarm-row alarm-{state}", role="listitem",
            **{"data-raised": a.raised_at.isoformat(), "data-type": a.alarm_type}))
    return rows


def kpi_tiles(report: KpiReport | None, lang: str) -> list:
    if report is None:
        return [notice(t("data.waiting", lang))]
    by_key = {k.key: k for k in report.kpis}
    return [kpi_tile(by_key[key], lang) for key in KPIS if key in by_key]
