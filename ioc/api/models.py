"""What the API answers, one model per resource: FastAPI serves them as `response_model`s (so
`/openapi.json` documents them) and the dashboard parses the answers with the same models, so a
renamed field fails a test instead of blanking a panel.

A model is also the allow-list of what leaves the API: fields it does not name (the citizen's
contact, the client key) are never sent. Pydantic only: the dashboard imports this without
FastAPI or a database.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ioc import lifecycle as lc
from ioc import sla
from ioc.events import (
    AlarmAction,
    AlarmState,
    ReportAction,
    ReportSource,
    SensorKind,
    Severity,
    Urgency,
)
from ioc.kpis import Kpi


class _Out(BaseModel):
    # Unknown fields are dropped, not refused: a dashboard keeps working against a newer API.
    model_config = ConfigDict(extra="ignore", frozen=True)


class SlaClock(_Out):
    """The clock a report's row shows: the response awaited now (the first, or another after a
    reopening), or the first response's, stopped, once answered."""

    kind: sla.ClockKind
    state: sla.SlaState
    due_at: AwareDatetime
    warn_at: AwareDatetime
    left_s: int = Field(description="Seconds to the due time, negative when late; frozen once "
                                    "responded (how early or late the response was)")

    @property
    def running(self) -> bool:
        return self.state not in (sla.SlaState.MET, sla.SlaState.MISSED)


class QueueCounts(_Out):
    """Open reports per SLA state under the queue's filters: what its chips show."""

    all: int
    breached: int
    warning: int
    ok: int
    responded: int


class ReportRow(_Out):
    """One open report in the operator's queue."""

    report_id: str
    received_at: AwareDatetime
    status: lc.Status
    is_open: bool
    urgency: Urgency | None = None
    category: str | None = None
    department: str | None = None
    confidence: float | None = None
    cues: list[str] = []
    needs_review: bool = False
    overridden: bool = False
    assignee: str | None = None
    acknowledged_at: AwareDatetime | None = None
    first_response_at: AwareDatetime | None = None
    last_response: str | None = Field(None, description="What the citizen sees")
    resolved_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    rejected_reason: str | None = None
    rating: int | None = None
    updated_at: AwareDatetime
    reopened_at: AwareDatetime | None = None
    text: str
    lang: str | None = None
    lat: float
    lon: float
    ward: str | None = None
    address: str | None = None
    category_hint: str | None = None
    source: ReportSource
    photo_url: str | None = None
    # The first response's clock (its KPI: answered within 2 h) ...
    due_at: AwareDatetime
    warn_at: AwareDatetime
    sla_state: sla.SlaState
    sla_left_s: int
    resolve_due_at: AwareDatetime
    # ... and the one the queue runs on
    respond_again_by: AwareDatetime | None = Field(
        None, description="Reopened and not answered since: another response is due then")
    clock: SlaClock


class Queue(_Out):
    now: AwareDatetime = Field(description="The stream's clock the SLA states were judged at")
    total: int
    counts: QueueCounts
    reports: list[ReportRow]


class HistoryEntry(_Out):
    ts: AwareDatetime
    action: str  # receive, triage, or a lifecycle action
    actor: str | None = None
    note: str | None = None
    details: dict[str, Any] = {}
    outcome: Literal["applied", "refused"] | None = Field(
        None, description="None while the action waits to be judged")
    refusal: str | None = None


class ReportDetail(ReportRow):
    allowed_actions: list[ReportAction]
    history: list[HistoryEntry]


class SignedIn(_Out):
    """A sign-in: the bearer token for one shift, and who it is for."""

    token: str
    username: str
    role: str


class ActionAnswer(_Out):
    """An operator's action once judged where it is applied (200), or still pending (202)."""

    event_id: uuid.UUID
    action: ReportAction
    outcome: Literal["applied", "pending"]
    status: lc.Status | None = Field(None, description="The report's state after it")


class KpiReport(_Out):
    """Every KPI at `now` (the stream's clock), each with its definition, window and target
    (`ioc.kpis.Kpi`, defined once in `ioc.kpis.DEFINITIONS`; docs/kpis.md)."""

    now: AwareDatetime
    window_h: float = Field(description="Length of the window the \"window\" KPIs cover")
    window: str = Field("24h", description="That window as asked: today, 24h, 7d, 30d, an "
                        "ISO-8601 duration, or window_h's hours (\"168h\")")
    window_start: AwareDatetime | None = None
    day_start: AwareDatetime | None = Field(
        None, description="Local midnight (display time zone): the start of \"today\"")
    data_as_of: AwareDatetime | None = Field(
        None, description="The newest timestamp in the data behind the KPIs (last reading, "
        "frame, traffic window or report event): how fresh they are")
    ward: str | None = None
    category: str | None = None
    kpis: list[Kpi]


class PartHealth(_Out):
    status: Literal["ok", "down"]
    detail: str | None = None


class WorkerHealth(_Out):
    status: Literal["ok", "lagging", "down"]
    instances: int
    lag_s: float | None = None
    processed: int
    dead_lettered: int
    last_seen: datetime | None = None


class StreamClock(_Out):
    now: AwareDatetime = Field(description="The stream's 'now' (scenario or replay time)")
    speed: float


class Health(_Out):
    status: Literal["ok", "down"]
    checked_at: AwareDatetime
    problems: list[str]
    broker: PartHealth
    database: PartHealth
    workers: dict[str, WorkerHealth]
    clock: StreamClock


class LatestReading(_Out):
    """The newest reading of one sensor."""

    sensor_id: str
    kind: SensorKind
    value: float
    unit: str
    ts: AwareDatetime


class RecentReport(_Out):
    """A report as received, with its latest triage (none yet: untriaged)."""

    report_id: str
    ts: AwareDatetime = Field(description="Received at")
    text: str
    lang: str | None = None
    lat: float
    lon: float
    ward: str | None = None
    category_hint: str | None = None
    source: ReportSource
    urgency: Urgency | None = None
    category: str | None = None
    department: str | None = None
    confidence: float | None = None


class CameraFeed(_Out):
    """A camera that has sent a frame, and its newest one's metadata."""

    camera_id: str
    ts: AwareDatetime
    seq: int
    width: int
    height: int


class AlarmOut(_Out):
    """An alarm as the operator sees it at `now`: its ISA-18.2 state and its severity after
    escalation (`base_severity` is what it was raised with)."""

    alarm_id: uuid.UUID
    source_id: str
    source_kind: str
    alarm_type: str
    state: AlarmState
    severity: Severity
    base_severity: Severity
    escalated: bool
    raised_at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    acknowledged_by: str | None = None
    cleared_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    shelved_until: AwareDatetime | None = None
    shelved_by: str | None = None
    active: bool
    value: float | None = None
    threshold: float | None = None
    message: str = ""
    evidence_ref: str | None = None
    ward: str | None = None
    lat: float | None = None
    lon: float | None = None


class AlarmFlood(_Out):
    """New alarms per 10 minutes per operator against the limit (DESIGN: > 10 is a flood)."""

    per_10min_per_operator: float
    limit: float
    flooding: bool
    operators: int


class AlarmList(_Out):
    now: AwareDatetime
    alarms: list[AlarmOut]
    counts: dict[str, int] = Field(description="Standing alarms per state")
    flood: AlarmFlood


class AlarmHistoryEntry(_Out):
    event_id: uuid.UUID
    ts: AwareDatetime
    action: AlarmAction
    actor: str
    severity: Severity | None = None
    value: float | None = None
    message: str = ""
    shelved_until: AwareDatetime | None = None
    note: str | None = None
    state: AlarmState | None = Field(None, description="The state it left the alarm in")
    outcome: str | None = None
    refusal: str | None = None


class AlarmDetail(AlarmOut):
    history: list[AlarmHistoryEntry]


class AlarmActionAnswer(_Out):
    event_id: uuid.UUID
    action: AlarmAction
    outcome: Literal["applied", "pending"]
    state: AlarmState | None = None


# ------------------------------------------------------------------ cameras (/cameras page)

CameraState = Literal["live", "stale", "offline"]


class CameraTraffic(_Out):
    """One camera over one event-time window (`ioc.events.TrafficMetric`; `ts` is its end)."""

    window_start: AwareDatetime
    ts: AwareDatetime = Field(description="The window's end")
    counts: dict[str, int] = Field(description="Road users seen in the window, by class")
    crossings: dict[str, int] = Field(
        description="Count-line crossings by class and direction, e.g. {\"motorcycle_in\": 3}")
    occupancy: float = Field(description="Share of the carriageway covered by vehicles, 0..1")
    congestion_index: float = Field(description="0 free flow .. 1 jammed")
    congestion_level: Literal["free", "busy", "congested"] = Field(
        description="The index in words, with the KPIs' thresholds (busy from 0.4, congested "
        "from 0.7; ioc.kpis.congestion_level)")
    average_speed_kmh: float | None = None


class CameraStatus(_Out):
    """A camera with its status (live, stale, offline), where it is, its newest frame's
    metadata (absent for one that never sent a frame), its newest traffic window and how many
    of its alarms are open. The fields of `CameraFeed` keep their names and meaning."""

    camera_id: str
    ts: AwareDatetime | None = Field(None, description="The newest frame's time")
    seq: int | None = None
    width: int | None = None
    height: int | None = None
    status: CameraState | None = Field(
        None, description="live: the newest frame is within the stale limit (policy "
        "camera_stale_s, or 3 frame periods at the scenario's speed); stale: within 3 times "
        "that; offline: older, or no frame ever")
    age_s: float | None = Field(None, description="The newest frame's age at `now`")
    stale_after_s: float | None = Field(None, description="The stale limit used")
    name: str | None = None
    road: str | None = None
    ward: str | None = None
    lat: float | None = None
    lon: float | None = None
    heading_deg: float | None = None
    traffic: CameraTraffic | None = Field(
        None, description="The newest traffic window that ended in the last hour")
    open_alarms: int = Field(0, description="Camera alarms not back to normal (ISA-18.2)")
    open_alarm_types: list[str] = Field(default_factory=list)


class CameraTrafficSeries(_Out):
    """A camera's traffic windows that ended in (since, until], oldest first."""

    camera_id: str
    since: AwareDatetime
    until: AwareDatetime
    windows: list[CameraTraffic]
    truncated: bool = Field(False, description="More windows than the limit: the newest kept")


class CameraIncidents(_Out):
    """A camera's incident alarms (stalled vehicle, wrong way, crash, congestion …), newest
    raised first, each with its evidence snapshot (`evidence_ref`)."""

    camera_id: str
    now: AwareDatetime
    incidents: list[AlarmOut]


class ReplayExpectation(_Out):
    description: str
    met: bool
    evidence: str


class ReplayStatus(_Out):
    """The replay on show, or the last one (`state` idle when there was none): its clock is
    `now`, the stream's start + elapsed x speed, held while paused."""

    state: Literal["idle", "starting", "running", "paused", "finished", "failed", "stopped"]
    source: str | None = None
    tag: str | None = Field(None, description="Read its data with ?replay=<tag> on the queue, "
                            "the alarms and the KPIs")
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    now: AwareDatetime | None = None
    speed: float | None = Field(None, description="Stream seconds per wall second; null: max")
    events: int | None = None
    sent: int | None = None
    digest: str | None = None
    error: str | None = None
    expectations: list[ReplayExpectation] = []


class ReplayScenario(_Out):
    name: str
    title_en: str
    title_vi: str
    duration_s: float
    events: int
    expectations: int


class ReplayRecording(_Out):
    name: str
    bytes: int
    modified: float


class ReplaySources(_Out):
    scenarios: list[ReplayScenario]
    recordings: list[ReplayRecording]


class ReplayCommandAnswer(_Out):
    command: dict[str, Any]
    replay: ReplayStatus
