"""One typed model per event, shared by every producer and consumer.

Each event carries a unique `event_id`, its event time `ts` (aware, normalised to UTC) and a
`schema_version`. A consumer that meets a version it does not know dead-letters the message
rather than guess at its meaning.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
MAX_MESSAGE_BYTES = 1_000_000  # a message stays under 1 MB (DESIGN: Flow)


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


def new_event_id() -> uuid.UUID:
    return uuid.uuid4()


class Event(BaseModel):
    """Envelope fields every event has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(default_factory=new_event_id)
    ts: UtcDatetime
    schema_version: Literal[1] = SCHEMA_VERSION


class CameraFrame(Event):
    """Frame metadata. The JPEG bytes travel as the Kafka value, these fields as headers."""

    camera_id: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=0)
    width: int = Field(gt=0, le=8192)
    height: int = Field(gt=0, le=8192)


class SensorKind(StrEnum):
    PM25 = "pm25"
    PM10 = "pm10"
    WATER_LEVEL = "water_level"
    RAINFALL = "rainfall"
    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    NOISE = "noise"


SENSOR_UNITS: dict[SensorKind, str] = {
    SensorKind.PM25: "µg/m³",
    SensorKind.PM10: "µg/m³",
    SensorKind.WATER_LEVEL: "m",
    SensorKind.RAINFALL: "mm/h",
    SensorKind.TEMPERATURE: "°C",
    SensorKind.HUMIDITY: "%",
    SensorKind.NOISE: "dBA",
}


class SensorReading(Event):
    sensor_id: str = Field(min_length=1, max_length=64)
    kind: SensorKind
    value: float = Field(allow_inf_nan=False)
    unit: str = Field(max_length=16)


class ReportSource(StrEnum):
    SIMULATOR = "simulator"
    APP = "app"
    OPEN311 = "open311"


class CitizenReport(Event):
    """A report as received. `ts` is the time of receipt: the SLA clock starts here."""

    report_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=4000)
    lang: Literal["vi", "en"] | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    ward: str | None = Field(None, max_length=64)
    address: str | None = Field(None, max_length=300)
    category_hint: str | None = Field(None, max_length=64)
    source: ReportSource = ReportSource.SIMULATOR
    contact: str | None = Field(None, max_length=200)
    photo_url: str | None = Field(None, max_length=500)
    client_key: str | None = Field(None, max_length=128, description="Idempotency key")


class Urgency(StrEnum):
    URGENT = "urgent"
    NORMAL = "normal"


class ReportTriaged(Event):
    report_id: str = Field(min_length=1, max_length=64)
    urgency: Urgency
    category: str
    department: str
    confidence: float = Field(ge=0, le=1)
    cues: list[str] = Field(default_factory=list)
    needs_review: bool = False
    model_version: str = ""


class ReportAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESPOND = "respond"
    ASSIGN = "assign"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    REJECT = "reject"
    OVERRIDE = "override"
    RATE = "rate"


class ReportEvent(Event):
    """A lifecycle step on a report, with its actor: the audit trail."""

    report_id: str = Field(min_length=1, max_length=64)
    action: ReportAction
    actor: str = Field(min_length=1, max_length=64)
    note: str | None = Field(None, max_length=4000)
    urgency: Urgency | None = None
    category: str | None = None
    department: str | None = None
    assignee: str | None = None
    reason: str | None = None
    rating: int | None = Field(None, ge=1, le=5)


class Box(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cls: str
    conf: float = Field(ge=0, le=1)
    xyxy: tuple[float, float, float, float]
    track_id: int | None = None


class Detections(Event):
    camera_id: str
    frame_seq: int = Field(ge=0)
    model: str = ""
    boxes: list[Box] = Field(default_factory=list)


class TrafficMetric(Event):
    """One camera over one window; `ts` is the window end. Close to FIWARE TrafficFlowObserved."""

    camera_id: str
    window_start: UtcDatetime
    counts: dict[str, int] = Field(default_factory=dict)
    crossings: dict[str, int] = Field(default_factory=dict)
    occupancy: float = Field(0.0, ge=0, le=1)
    congestion_index: float = Field(0.0, ge=0, le=1)
    average_speed_kmh: float | None = None


class AlarmState(StrEnum):
    UNACK = "unacknowledged"
    ACKED = "acknowledged"
    RTN_UNACK = "returned_to_normal_unacknowledged"
    NORMAL = "normal"
    SHELVED = "shelved"
    SUPPRESSED = "suppressed"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Alarm(Event):
    source_id: str
    source_kind: Literal["sensor", "camera", "system"]
    alarm_type: str
    state: AlarmState
    severity: Severity = Severity.MEDIUM
    value: float | None = None
    threshold: float | None = None
    message: str = ""
    evidence_ref: str | None = None


class DeadLetter(Event):
    reason: str
    source_topic: str
    source_partition: int
    source_offset: int
    key: str | None = None
    raw_b64: str = Field(description="The original value, base64 (the first 512 KB)")
    raw_bytes: int = Field(ge=0, description="Length of the original value")
    worker: str


class Heartbeat(Event):
    """A worker's liveness and how far behind it is, for /health."""

    worker: str
    instance: str
    started_at: UtcDatetime
    processed: int = 0
    dead_lettered: int = 0
    lag_s: float = 0.0
    caught_up: bool = True


def utcnow() -> datetime:
    """Wall-clock UTC. Domain code takes `now` from a Clock instead."""
    return datetime.now(UTC)
