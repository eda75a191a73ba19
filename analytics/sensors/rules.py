"""Alarm conditions on one sensor's readings, on event time. Pure.

Each detector is fed one sensor's readings in time order and says when its condition starts,
changes severity or ends. Nothing here reads a clock: a reading's own `ts`, or the stream's
event time for absence, decides every instant, so a replay at any speed finds the same
transitions at the same times.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from ioc.events import AlarmAction, Severity
from ioc.policy import Level, RateRule, ThresholdRule

STUCK_MIN_READINGS = 3  # one repeat is a coincidence; a run of them over the period is a fault


@dataclass(frozen=True)
class Transition:
    alarm_type: str
    action: AlarmAction  # RAISE (also for a change of severity) or CLEAR
    ts: datetime
    severity: Severity | None = None
    value: float | None = None
    threshold: float | None = None
    message: str = ""


class ThresholdDetector:
    """Levels with a deadband and on/off delays.

    The value enters a level when it reaches the level's `at`, and leaves it only once it is
    `deadband` back inside; either move counts only after it has held for the delay (on-delay
    to go up, off-delay to come down), so a value hovering at a threshold raises one alarm,
    not a hundred.
    """

    def __init__(self, rule: ThresholdRule, unit: str = "", level: int = 0) -> None:
        self.rule = rule
        self.unit = unit
        self.level = level  # 0: normal; k: levels[k-1] holds
        self._pending: tuple[int, datetime] | None = None  # (direction +1/-1, since)
        self._sign = 1.0 if rule.direction == "above" else -1.0

    def _beyond(self, value: float, at: float, slack: float = 0.0) -> bool:
        return self._sign * value >= self._sign * at - slack

    def target(self, value: float) -> int:
        """The level the value asks for, given the level it is at now (hysteresis)."""
        entered = sum(1 for lv in self.rule.levels if self._beyond(value, lv.at))
        held = max((k for k in range(1, self.level + 1)
                    if self._beyond(value, self.rule.levels[k - 1].at, self.rule.deadband)),
                   default=0)
        return max(entered, held)

    def update(self, ts: datetime, value: float) -> list[Transition]:
        target = self.target(value)
        if target == self.level:
            self._pending = None
            return []
        direction = 1 if target > self.level else -1
        if self._pending is None or self._pending[0] != direction:
            self._pending = (direction, ts)
        delay = self.rule.on_delay_s if direction > 0 else self.rule.off_delay_s
        if (ts - self._pending[1]).total_seconds() < delay:
            return []
        self._pending = None
        self.level = target
        if target == 0:
            return [Transition(self.rule.alarm_type, AlarmAction.CLEAR, ts, value=value,
                               message=f"back to normal: {value:g} {self.unit}".rstrip())]
        level: Level = self.rule.levels[target - 1]
        word = "≥" if self.rule.direction == "above" else "≤"
        label = f"{level.label}: " if level.label else ""
        return [Transition(self.rule.alarm_type, AlarmAction.RAISE, ts, level.severity, value,
                           level.at, f"{label}{value:g} {self.unit} {word} {level.at:g}"
                           .replace("  ", " "))]


class RateDetector:
    """The value climbs faster than the rule allows over its window (a stream rising fast
    floods before it crosses an alert level)."""

    def __init__(self, rule: RateRule, unit: str = "", active: bool = False) -> None:
        self.rule = rule
        self.unit = unit
        self.active = active
        self._window: deque[tuple[datetime, float]] = deque()
        self._calm_since: datetime | None = None

    def rate_per_h(self) -> float | None:
        """Rise over the window, per hour; None until the window is half full."""
        (t0, v0), (t1, v1) = self._window[0], self._window[-1]
        span_s = (t1 - t0).total_seconds()
        if span_s < self.rule.window_s / 2:
            return None
        return (v1 - v0) / (span_s / 3600)

    def update(self, ts: datetime, value: float) -> list[Transition]:
        self._window.append((ts, value))
        horizon = ts - timedelta(seconds=self.rule.window_s)
        while self._window and self._window[0][0] < horizon:
            self._window.popleft()
        rate = self.rate_per_h()
        if rate is None:
            return []
        fast = rate >= self.rule.rise_per_h
        if fast:
            self._calm_since = None
            if not self.active:
                self.active = True
                return [Transition(self.rule.alarm_type, AlarmAction.RAISE, ts,
                                   self.rule.severity, round(rate, 3), self.rule.rise_per_h,
                                   f"rising {rate:.2f} {self.unit}/h (limit "
                                   f"{self.rule.rise_per_h:g} {self.unit}/h)")]
            return []
        if self.active:
            self._calm_since = self._calm_since or ts
            if (ts - self._calm_since).total_seconds() >= self.rule.off_delay_s:
                self.active, self._calm_since = False, None
                return [Transition(self.rule.alarm_type, AlarmAction.CLEAR, ts,
                                   value=round(rate, 3), message="no longer rising fast")]
        return []


class StuckDetector:
    """The same value, exactly, for longer than a working instrument ever repeats itself."""

    ALARM_TYPE = "stuck"

    def __init__(self, after_s: float, active: bool = False) -> None:
        self.after_s = after_s
        self.active = active
        self._value: float | None = None
        self._since: datetime | None = None
        self._repeats = 0

    def update(self, ts: datetime, value: float) -> list[Transition]:
        if value != self._value:
            self._value, self._since, self._repeats = value, ts, 1
            if self.active:
                self.active = False
                return [Transition(self.ALARM_TYPE, AlarmAction.CLEAR, ts, value=value,
                                   message="the value changes again")]
            return []
        self._repeats += 1
        held_s = (ts - self._since).total_seconds()
        if not self.active and held_s >= self.after_s and self._repeats >= STUCK_MIN_READINGS:
            self.active = True
            return [Transition(self.ALARM_TYPE, AlarmAction.RAISE, ts, Severity.LOW, value,
                               message=f"the same value {value:g} for {held_s / 60:.0f} min: "
                                       "the sensor may be stuck")]
        return []


class OfflineDetector:
    """Silent for longer than `stale`, judged on event time, never the wall clock: the alarm is
    stamped when the sensor became overdue and cleared at its next reading. Live, the stream's
    event time moving past the due instant raises it (`check`); a gap noticed only when the
    next reading arrives (a replay that ran faster than anyone could look) raises and clears
    the same two events (`seen`), so every speed gives the same alarms."""

    ALARM_TYPE = "offline"

    def __init__(self, stale: timedelta, last_seen: datetime | None = None,
                 active: bool = False) -> None:
        self.stale = stale
        self.last_seen = last_seen
        self.active = active

    def _raise(self) -> Transition:
        return Transition(self.ALARM_TYPE, AlarmAction.RAISE, self.last_seen + self.stale,
                          Severity.MEDIUM,
                          message=f"no reading since {self.last_seen:%Y-%m-%d %H:%M:%S} UTC")

    def seen(self, ts: datetime) -> list[Transition]:
        if self.last_seen is not None and ts <= self.last_seen:
            return []
        out = []
        if not self.active and self.last_seen is not None and ts - self.last_seen > self.stale:
            out.append(self._raise())  # the gap was never noticed while it lasted
            self.active = True
        self.last_seen = ts
        if self.active:
            self.active = False
            out.append(Transition(self.ALARM_TYPE, AlarmAction.CLEAR, ts,
                                  message="reporting again"))
        return out

    def check(self, event_time: datetime) -> list[Transition]:
        if self.active or self.last_seen is None or event_time - self.last_seen <= self.stale:
            return []
        self.active = True
        return [self._raise()]
