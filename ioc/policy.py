"""The operating policy file: thresholds used by KPIs and alarms, with documented defaults."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WaterLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warn_m: float = Field(1.2, gt=0)
    alarm_m: float = Field(1.5, gt=0)


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


@lru_cache
def load_policy() -> Policy:
    return Policy.model_validate(json.loads(files("ioc").joinpath("data/policy.json").read_text()))
