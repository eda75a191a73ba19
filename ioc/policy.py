"""The operating policy file: thresholds used by KPIs and alarms, with documented defaults."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ioc.events import SensorKind, Severity


class WaterLevel(BaseModel):
    """A stream's alert levels (Vietnam's báo động I, II, III), the same for every gauge unless
    the gauge's registration says otherwise."""

    model_config = ConfigDict(extra="forbid")
    warn_m: float = Field(1.2, gt=0, description="Alert level I")
    alarm_m: float = Field(1.5, gt=0, description="Alert level II")
    critical_m: float = Field(1.8, gt=0, description="Alert level III")

    @model_validator(mode="after")
    def _ascending(self) -> WaterLevel:
        if not self.warn_m < self.alarm_m < self.critical_m:
            raise ValueError("alert levels must rise: warn_m < alarm_m < critical_m")
        return self


class Level(BaseModel):
    """One step of a threshold: at or beyond `at`, the alarm has this severity."""

    model_config = ConfigDict(extra="forbid")
    at: float
    severity: Severity
    label: str = Field("", description="What operators call this level, e.g. 'Báo động II'")


class ThresholdRule(BaseModel):
    """A value alarm with hysteresis: it rises at a level once the value has stayed beyond it
    for `on_delay_s`, and falls back only once the value has stayed inside the level by
    `deadband` for `off_delay_s`. Levels go the way of `direction`."""

    model_config = ConfigDict(extra="forbid")
    alarm_type: str = Field(pattern=r"^[a-z0-9_]+$")
    direction: Literal["above", "below"] = "above"
    levels: list[Level] = Field(min_length=1)
    deadband: float = Field(0.0, ge=0)
    on_delay_s: float = Field(0.0, ge=0)
    off_delay_s: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdRule:
        at = [lv.at for lv in self.levels]
        wanted = sorted(at) if self.direction == "above" else sorted(at, reverse=True)
        if at != wanted or len(set(at)) != len(at):
            raise ValueError(f"{self.alarm_type}: levels must be listed from the mildest, each "
                             f"beyond the last ({at})")
        return self


class RateRule(BaseModel):
    """The value climbs faster than `rise_per_h` over the last `window_s`."""

    model_config = ConfigDict(extra="forbid")
    alarm_type: str = "rising_fast"
    rise_per_h: float = Field(gt=0)
    window_s: float = Field(900, gt=0)
    severity: Severity = Severity.HIGH
    off_delay_s: float = Field(600, ge=0)


class KindPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: ThresholdRule | None = None
    rate: RateRule | None = None
    stuck_after_s: float | None = Field(
        None, gt=0, description="The same value this long means a stuck sensor; none for kinds "
        "whose value may legitimately stay put (rain at 0)")


class AlarmPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    escalate_after_s: float = Field(
        900, gt=0, description="An alarm unacknowledged this long rises one severity, and "
        "again after each further period")
    max_shelve_s: float = Field(8 * 3600, gt=0, description="Longest shelving: one shift")
    flood_per_10min_per_operator: float = Field(
        10, gt=0, description="More new alarms than this per 10 minutes per operator is an "
        "alarm flood (DESIGN; EEMUA 191 takes about 1 per 10 minutes as acceptable)")
    operators_on_shift: int = Field(2, ge=1, description="Operators sharing the alarm load")


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    respond_h: float = Field(gt=0, description="First response due this long after receipt")
    resolve_h: float = Field(gt=0, description="Resolution due this long after receipt")


class SlaPolicy(BaseModel):
    model_config = ConfigDict(extra="ignore")
    urgent: Target = Target(respond_h=2, resolve_h=24)
    normal: Target = Target(respond_h=24, resolve_h=168)
    warn_share_left: float = Field(0.25, gt=0, lt=1, description="Warn with this share left")

    @field_validator("urgent")
    @classmethod
    def _urgent_is_two_hours(cls, v: Target) -> Target:
        if v.respond_h != 2:
            raise ValueError("urgent reports must be answered within 2 hours (the mission fixes "
                             f"it); respond_h is {v.respond_h}")
        return v


class Policy(BaseModel):
    model_config = ConfigDict(extra="ignore")
    water_level: WaterLevel = WaterLevel()
    sla: SlaPolicy = SlaPolicy()
    sensor_stale_intervals: float = Field(3, gt=0, description="Silent this many intervals = offline")
    camera_stale_s: float = Field(60, gt=0)
    alarms: AlarmPolicy = AlarmPolicy()
    aqi: ThresholdRule = ThresholdRule(
        alarm_type="aqi", on_delay_s=0, off_delay_s=0, deadband=10, levels=[
            Level(at=151, severity=Severity.MEDIUM, label="Xấu"),
            Level(at=201, severity=Severity.HIGH, label="Rất xấu"),
            Level(at=301, severity=Severity.CRITICAL, label="Nguy hại")])
    sensors: dict[SensorKind, KindPolicy] = Field(default_factory=dict)

    def kind(self, kind: SensorKind) -> KindPolicy:
        """A kind's rules; the water-level threshold comes from the alert levels, so they are
        written once."""
        rules = self.sensors.get(kind, KindPolicy())
        if kind is SensorKind.WATER_LEVEL and rules.threshold is None:
            rules = rules.model_copy(update={"threshold": water_rule(self.water_level)})
        return rules


def water_rule(levels: WaterLevel, deadband: float = 0.05, on_delay_s: float = 60,
               off_delay_s: float = 600) -> ThresholdRule:
    return ThresholdRule(
        alarm_type="water_level", deadband=deadband, on_delay_s=on_delay_s,
        off_delay_s=off_delay_s, levels=[
            Level(at=levels.warn_m, severity=Severity.MEDIUM, label="Báo động I"),
            Level(at=levels.alarm_m, severity=Severity.HIGH, label="Báo động II"),
            Level(at=levels.critical_m, severity=Severity.CRITICAL, label="Báo động III")])


def _without_comments(value):
    """The file explains itself in "_comment" keys; they are not settings."""
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if not k.startswith("_")}
    return value


@lru_cache
def load_policy() -> Policy:
    text = files("ioc").joinpath("data/policy.json").read_text(encoding="utf-8")
    return Policy.model_validate(_without_comments(json.loads(text)))
