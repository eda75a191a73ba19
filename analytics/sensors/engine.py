"""Sensor readings in, alarm events out: every sensor's detectors, on the stream's event time.

No I/O: the worker feeds it readings and event time, and publishes what it returns. Alarm event
ids come from what they say (source, type, action, instant), so feeding the same readings again,
after a crash or in a replay, gives the same events, which the idempotent writes absorb.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from analytics.sensors.rules import (
    OfflineDetector,
    RateDetector,
    StuckDetector,
    ThresholdDetector,
    Transition,
)
from ioc import aqi, status
from ioc.events import SENSOR_UNITS, Alarm, AlarmAction, SensorKind, SensorReading, Severity
from ioc.policy import Policy
from ioc.sensors import Sensor

logger = logging.getLogger(__name__)

ALARM_EVENT_NAMESPACE = uuid.UUID("c41d7e2a-95b3-4f0e-8a6d-1b2e3f4a5c6d")
HOUR = timedelta(hours=1)
PM_KINDS = (SensorKind.PM25, SensorKind.PM10)


def alarm_event_id(source_id: str, t: Transition) -> uuid.UUID:
    return uuid.uuid5(ALARM_EVENT_NAMESPACE, f"{source_id}|{t.alarm_type}|{t.action.value}|"
                                             f"{t.ts.isoformat()}|{t.severity}")


def hour_start(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Restored:
    """What a restarted worker takes over from the database: the alarms already open, when each
    sensor was last heard, and the hourly PM means the NowCast needs."""

    open_alarms: dict[tuple[str, str], Severity] = field(default_factory=dict)
    last_seen: dict[str, datetime] = field(default_factory=dict)
    hourly_means: dict[str, dict[datetime, float]] = field(default_factory=dict)


class SensorDetectors:
    """One sensor's detectors."""

    def __init__(self, sensor: Sensor, policy: Policy, restored: Restored) -> None:
        self.sensor = sensor
        rules = sensor.rules(policy)
        unit = SENSOR_UNITS[sensor.kind]
        is_open = restored.open_alarms
        sid = sensor.sensor_id

        def level_of(rule) -> int:
            severity = is_open.get((sid, rule.alarm_type))
            if severity is None:
                return 0
            ranks = [k + 1 for k, lv in enumerate(rule.levels) if lv.severity == severity]
            return ranks[-1] if ranks else 1

        self.threshold = (ThresholdDetector(rules.threshold, unit, level_of(rules.threshold))
                          if rules.threshold else None)
        self.rate = (RateDetector(rules.rate, unit, (sid, rules.rate.alarm_type) in is_open)
                     if rules.rate else None)
        self.stuck = (StuckDetector(rules.stuck_after_s, (sid, StuckDetector.ALARM_TYPE)
                                    in is_open) if rules.stuck_after_s else None)
        self.offline = OfflineDetector(status.sensor_silence_limit(policy, sensor.interval_s), restored.last_seen.get(sid),
                                       (sid, OfflineDetector.ALARM_TYPE) in is_open)
        self.aqi = (ThresholdDetector(policy.aqi, "", level_of(policy.aqi))
                    if sensor.kind in PM_KINDS else None)
        # hour start -> [sum, count] of this hour's readings, and the means of closed hours
        self._hour: dict[datetime, list[float]] = {}
        self.means: dict[datetime, float] = dict(restored.hourly_means.get(sid, {}))
        # Not restored: readings the last run left uncommitted come again and must be judged.
        self._last_ts: datetime | None = None

    def _value_detectors(self):
        return [d for d in (self.threshold, self.rate, self.stuck) if d is not None]

    def _active_types(self) -> list[str]:
        types = []
        if self.threshold and self.threshold.level:
            types.append(self.threshold.rule.alarm_type)
        if self.rate and self.rate.active:
            types.append(self.rate.rule.alarm_type)
        if self.stuck and self.stuck.active:
            types.append(StuckDetector.ALARM_TYPE)
        if self.aqi and self.aqi.level:
            types.append(self.aqi.rule.alarm_type)
        return types

    def reading(self, r: SensorReading) -> list[Transition]:
        """A reading older than the last one this sensor sent is stored but changes no alarm:
        the detectors run forward in time only."""
        if self._last_ts is not None and r.ts <= self._last_ts:
            return []
        self._last_ts = r.ts
        out, back = [], self.offline.seen(r.ts)
        for t in back:
            out.append(t)
            if t.action is AlarmAction.RAISE:  # a gap found late: what it suppressed, as live
                out += [Transition(a, AlarmAction.SUPPRESS, t.ts) for a in self._active_types()]
        if back:  # back online: what its silence suppressed is shown again
            out += [Transition(t, AlarmAction.UNSUPPRESS, r.ts) for t in self._active_types()]
        for detector in self._value_detectors():
            out += detector.update(r.ts, r.value)
        if self.aqi is not None:
            out += self._close_hours(hour_start(r.ts))  # its own newer reading ends an hour
            acc = self._hour.setdefault(hour_start(r.ts), [0.0, 0])
            acc[0] += r.value
            acc[1] += 1
        return out

    def advance(self, event_time: datetime) -> list[Transition]:
        """What the passing of event time decides: silence, and the hourly AQI."""
        out = []
        if self.aqi is not None:
            out += self._close_hours(event_time)
        went_offline = self.offline.check(event_time)
        if went_offline:  # its other alarms rest on data that stopped: suppress them
            at = went_offline[0].ts
            out += went_offline + [Transition(t, AlarmAction.SUPPRESS, at)
                                   for t in self._active_types()]
        return out

    def _close_hours(self, event_time: datetime) -> list[Transition]:
        out = []
        for start in sorted(h for h in self._hour if h + HOUR <= event_time):
            total, count = self._hour.pop(start)
            self.means[start] = total / count
            index = aqi.hourly_sub_index(self.sensor.kind.value, self.means, start + HOUR)
            for old in [h for h in self.means if h < start - 12 * HOUR]:
                del self.means[old]
            if index is not None:
                for t in self.aqi.update(start + HOUR, index):
                    out.append(Transition(
                        t.alarm_type, t.action, t.ts, t.severity, t.value, t.threshold,
                        f"VN_AQI {index} ({self.sensor.kind.value.upper()}, NowCast)"
                        + (f": {t.message.split(':')[0]}" if t.action is AlarmAction.RAISE
                           else " back below the alarm bands")))
        return out


class SensorAnalytics:
    """Every registered sensor's detectors, and the stream's event time.

    Each sensor's own readings drive its value alarms and its hourly AQI. Silence is judged on
    the stream's event time: the newest reading seen, moved on only when the consumer has
    nothing left to read (`advance`), so a partition that is merely read later than another
    never makes its sensors look silent, and one with nothing to say holds back no one.
    """

    def __init__(self, policy: Policy, sensors: dict[str, Sensor],
                 restored: Restored | None = None, silent_since: datetime | None = None) -> None:
        """`silent_since`: where the stream starts (a replay's recording); a sensor never heard
        from is silent since then. Live, since the first event time this engine saw."""
        self.policy = policy
        self.restored = restored or Restored()
        self.detectors: dict[str, SensorDetectors] = {}
        self.event_time: datetime | None = None
        self.newest: datetime | None = None  # newest plausible reading seen
        self.first_time: datetime | None = silent_since
        self._fixed_start = silent_since is not None
        self.update_registry(sensors)

    def update_registry(self, sensors: dict[str, Sensor]) -> None:
        for sid, sensor in sensors.items():
            current = self.detectors.get(sid)
            if current is None or current.sensor != sensor:
                self.detectors[sid] = SensorDetectors(sensor, self.policy, self.restored)

    def _saw(self, t: datetime) -> None:
        if not self._fixed_start:
            self.first_time = min(self.first_time or t, t)

    def readings(self, readings: list[SensorReading], not_after: datetime) -> list[Alarm]:
        """Alarms from a batch. Readings stamped after `not_after` (the clock plus a tolerance)
        do not count towards event time: one device with a wrong clock must not make every
        other sensor look silent."""
        alarms = []
        for r in sorted(readings, key=lambda r: r.ts):
            d = self.detectors.get(r.sensor_id)
            if d is None or d.sensor.kind is not r.kind:
                logger.warning("reading from a sensor not registered as %s; no alarms for it",
                               r.kind.value, extra={"sensor_id": r.sensor_id})
                continue
            if r.ts <= not_after:
                self.newest = max(self.newest or r.ts, r.ts)
                self._saw(r.ts)
            alarms += [self.alarm(r.sensor_id, t) for t in d.reading(r)]
        return alarms

    def advance(self, to: datetime | None = None) -> list[Alarm]:
        """Everything there was has been read: event time moves on to the newest reading (or
        `to`, the clock less a lateness, if later; never back), and silence is judged."""
        for t in (self.newest, to):
            if t is not None:
                self.event_time = max(self.event_time or t, t)
                self._saw(t)
        if self.event_time is None:
            return []
        for d in self.detectors.values():
            if d.offline.last_seen is None:
                d.offline.last_seen = self.first_time
        return [self.alarm(sid, t) for sid, d in self.detectors.items()
                for t in d.advance(self.event_time)]

    def alarm(self, sensor_id: str, t: Transition) -> Alarm:
        return Alarm(event_id=alarm_event_id(sensor_id, t), ts=t.ts, source_id=sensor_id,
                     source_kind="sensor", alarm_type=t.alarm_type, action=t.action,
                     severity=t.severity, value=t.value, threshold=t.threshold,
                     message=t.message)
