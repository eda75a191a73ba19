"""The operating policy file: thresholds used by KPIs and alarms, with documented defaults."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field


class WaterLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warn_m: float = Field(1.2, gt=0)
    alarm_m: float = Field(1.5, gt=0)


class Policy(BaseModel):
    model_config = ConfigDict(extra="ignore")
    water_level: WaterLevel = WaterLevel()
    sensor_stale_intervals: float = Field(3, gt=0, description="Silent this many intervals = offline")
    camera_stale_s: float = Field(60, gt=0)


@lru_cache
def load_policy() -> Policy:
    return Policy.model_validate(json.loads(files("ioc").joinpath("data/policy.json").read_text()))
