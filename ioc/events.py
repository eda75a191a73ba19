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

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

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


class Snapshot(Event):
    """An annotated frame kept as an alarm's evidence. Like a camera frame, the JPEG travels as
    the Kafka value and these fields as headers; `event_id` is what `Alarm.evidence_ref` names."""

    camera_id: str = Field(min_length=1, max_length=64)
    frame_seq: int = Field(ge=0)
    width: int = Field(gt=0, le=8192)
    height: int = Field(gt=0, le=8192)
    caption: str = Field("", max_length=300)


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


# What an instrument of each kind can physically report. A value outside is a broken device or
# a bad gateway, never weather: the reading is refused (dead-lettered) rather than let it into a
# KPI or an alarm.
PHYSICAL_RANGE: dict[SensorKind, tuple[float, float]] = {
    SensorKind.PM25: (0.0, 2000.0),
    SensorKind.PM10: (0.0, 3000.0),
    SensorKind.WATER_LEVEL: (0.0, 30.0),
    SensorKind.RAINFALL: (0.0, 500.0),
    SensorKind.TEMPERATURE: (-20.0, 60.0),
    SensorKind.HUMIDITY: (0.0, 100.0),
    SensorKind.NOISE: (0.0, 160.0),
}


class SensorReading(Event):
    sensor_id: str = Field(min_length=1, max_length=64)
    kind: SensorKind
    value: float = Field(allow_inf_nan=False)
    unit: str = Field(max_length=16)

    @model_validator(mode="after")
    def _physically_possible(self) -> SensorReading:
        low, high = PHYSICAL_RANGE[self.kind]
        if not low <= self.value <= high:
            raise ValueError(f"a {self.kind.value} of {self.value:g} {SENSOR_UNITS[self.kind]} "
                             f"is impossible (a {self.kind.value} sensor reads "
                             f"{low:g}-{high:g}); check the device")
        return self


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
    """ISA-18.2's alarm states (OPC UA Part 9 names them the same way)."""

    NORMAL = "normal"
    UNACK = "unacknowledged"
    ACKED = "acknowledged"
    RTN_UNACK = "returned_to_normal_unacknowledged"
    SHELVED = "shelved"
    SUPPRESSED = "suppressed"  # by design: another condition makes this one meaningless
    OUT_OF_SERVICE = "out_of_service"


class AlarmAction(StrEnum):
    """What can happen to an alarm: the detector raises and clears the condition; people (and
    the detector, for suppression by design) do the rest."""

    RAISE = "raise"
    CLEAR = "clear"
    ACKNOWLEDGE = "acknowledge"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"
    SUPPRESS = "suppress"
    UNSUPPRESS = "unsuppress"
    REMOVE_FROM_SERVICE = "remove_from_service"
    RETURN_TO_SERVICE = "return_to_service"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Alarm(Event):
    """One step in the life of the alarm of `source_id` + `alarm_type`. The alarm's state is
    folded from these steps in their order (ioc.alarms), never sent."""

    source_id: str = Field(min_length=1, max_length=64)
    source_kind: Literal["sensor", "camera", "system"]
    alarm_type: str = Field(min_length=1, max_length=64)
    action: AlarmAction
    actor: str = Field("system", min_length=1, max_length=64)
    severity: Severity | None = None
    value: float | None = Field(None, allow_inf_nan=False)
    threshold: float | None = Field(None, allow_inf_nan=False)
    message: str = Field("", max_length=500)
    evidence_ref: str | None = Field(None, max_length=300)
    shelved_until: UtcDatetime | None = None
    note: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _complete(self) -> Alarm:
        if self.action is AlarmAction.RAISE and self.severity is None:
            raise ValueError("a raised alarm needs a severity")
        if self.action is AlarmAction.SHELVE and self.shelved_until is None:
            raise ValueError("shelving needs shelved_until: when the alarm comes back")
        return self


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
