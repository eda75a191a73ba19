"""Sensor alarm conditions (analytics.sensors.rules, engine) on readings with explicit times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.sensors.engine import Restored, SensorAnalytics
from analytics.sensors.rules import (
    OfflineDetector,
    RateDetector,
    StuckDetector,
    ThresholdDetector,
)
from ioc.events import AlarmAction, SensorKind, SensorReading, Severity
from ioc.policy import Level, Policy, RateRule, ThresholdRule, load_policy
from ioc.sensors import Sensor

T0 = datetime(2026, 9, 12, 1, 0, tzinfo=UTC)
A = AlarmAction


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


RULE = ThresholdRule(alarm_type="water_level", deadband=0.05, on_delay_s=60, off_delay_s=300,
                     levels=[Level(at=1.2, severity=Severity.MEDIUM, label="Báo động I"),
                             Level(at=1.5, severity=Severity.HIGH, label="Báo động II")])


def feed(detector, values, step_s: float = 30, start_s: float = 0):
    out = []
    for i, v in enumerate(values):
        out += detector.update(s(start_s + i * step_s), v)
    return out


def test_threshold_waits_for_its_on_delay():
    d = ThresholdDetector(RULE, "m")
    assert feed(d, [1.25, 1.26]) == []  # 30 s beyond: not yet
    (t,) = d.update(s(60), 1.27)
    assert (t.action, t.ts, t.severity, t.threshold) == (A.RAISE, s(60), Severity.MEDIUM, 1.2)
    assert "Báo động I" in t.message and "1.27 m" in t.message


def test_a_blip_shorter_than_the_on_delay_raises_nothing():
    d = ThresholdDetector(RULE, "m")
    assert feed(d, [1.3, 1.1, 1.3, 1.1, 1.3, 1.1]) == []


def test_hysteresis_holds_inside_the_deadband_and_clears_after_the_off_delay():
    d = ThresholdDetector(RULE, "m", level=1)
    assert feed(d, [1.17] * 20) == []  # within 0.05 of 1.2: still level I
    out = feed(d, [1.1] * 11, start_s=600)  # 300 s off-delay at 30 s steps
    assert [t.action for t in out] == [A.CLEAR] and out[0].ts == s(600 + 300)


def test_rising_through_levels_raises_the_severity():
    d = ThresholdDetector(RULE, "m")
    out = feed(d, [1.3] * 3 + [1.6] * 3)
    assert [(t.action, t.severity) for t in out] == [(A.RAISE, Severity.MEDIUM),
                                                     (A.RAISE, Severity.HIGH)]
    assert d.level == 2


def test_a_threshold_below():
    rule = ThresholdRule(alarm_type="cold", direction="below", deadband=1,
                         levels=[Level(at=5, severity=Severity.LOW)])
    d = ThresholdDetector(rule, "°C")
    (t,) = d.update(s(0), 4.5)
    assert t.action is A.RAISE and "≤ 5" in t.message
    assert d.update(s(1), 5.5) == []  # inside the deadband
    assert d.update(s(2), 6.5)[0].action is A.CLEAR


def test_rate_of_rise():
    d = RateDetector(RateRule(rise_per_h=0.3, window_s=900, off_delay_s=600), "m")
    rising = [0.8 + 0.002 * i for i in range(60)]  # 0.002 m per 10 s = 0.72 m/h
    out = feed(d, rising, step_s=10)
    assert [t.action for t in out] == [A.RAISE] and out[0].ts == s(450)
    flat = feed(d, [rising[-1]] * 200, step_s=10, start_s=600)
    assert [t.action for t in flat] == [A.CLEAR]


def test_stuck_needs_the_period_and_several_repeats():
    d = StuckDetector(after_s=1800)
    out = feed(d, [21.5] * 62, step_s=30)
    assert [t.action for t in out] == [A.RAISE] and out[0].ts == s(1800)
    assert d.update(s(2000), 21.6)[0].action is A.CLEAR


def test_offline_on_event_time_stamped_when_overdue():
    d = OfflineDetector(timedelta(seconds=60), last_seen=s(0))
    assert d.check(s(60)) == []
    (t,) = d.check(s(500))
    assert t.action is A.RAISE and t.ts == s(60)  # when it became overdue, not when noticed
    assert d.check(s(900)) == []
    assert d.seen(s(950))[0].action is A.CLEAR


def sensor(sid="wl-1", kind=SensorKind.WATER_LEVEL, interval_s=10.0) -> Sensor:
    return Sensor(sensor_id=sid, kind=kind, station=sid, interval_s=interval_s)


def reading(sid: str, seconds: float, value: float, kind=SensorKind.WATER_LEVEL):
    return SensorReading(ts=s(seconds), sensor_id=sid, kind=kind, value=value, unit="m")


def test_engine_is_deterministic_and_suppresses_a_silent_sensors_alarms():
    def run():
        eng = SensorAnalytics(load_policy(), {"wl-1": sensor(), "wl-2": sensor("wl-2")})
        batch = [reading("wl-1", i * 10, 1.6) for i in range(12)]
        batch += [reading("wl-2", i * 10, 0.6) for i in range(30)]
        out = eng.readings(batch, not_after=s(10_000))
        out += eng.advance()  # all read: event time is wl-2's newest; wl-1 went quiet at 110 s
        out += eng.readings([reading("wl-1", 400, 1.6)], not_after=s(10_000))
        return out

    first, second = run(), run()
    assert first == second  # same readings, same events, same ids
    steps = [(a.source_id, a.alarm_type, a.action) for a in first]
    assert steps == [("wl-1", "water_level", A.RAISE),
                     ("wl-1", "offline", A.RAISE), ("wl-1", "water_level", A.SUPPRESS),
                     ("wl-1", "offline", A.CLEAR), ("wl-1", "water_level", A.UNSUPPRESS)]
    assert first[1].ts == s(110 + 60)


def test_a_reading_from_the_future_does_not_move_event_time():
    eng = SensorAnalytics(load_policy(), {"wl-1": sensor(), "wl-2": sensor("wl-2")})
    eng.readings([reading("wl-1", 0, 0.6), reading("wl-2", 0, 0.6)], not_after=s(300))
    eng.readings([reading("wl-1", 86_400, 0.6)], not_after=s(300))  # a device a day ahead
    assert eng.advance() == []  # so wl-2 is not called offline
    assert eng.event_time == s(0)


def test_readings_out_of_order_change_no_alarm():
    eng = SensorAnalytics(load_policy(), {"wl-1": sensor()})
    eng.readings([reading("wl-1", i * 10, 0.6) for i in range(10)], not_after=s(10_000))
    assert eng.readings([reading("wl-1", 5, 1.9)] * 20, not_after=s(10_000)) == []


def test_a_restarted_engine_takes_over_open_alarms():
    restored = Restored(open_alarms={("wl-1", "water_level"): Severity.HIGH})
    eng = SensorAnalytics(load_policy(), {"wl-1": sensor()}, restored)
    assert eng.readings([reading("wl-1", i * 10, 1.6) for i in range(20)], s(10_000)) == []
    cleared = eng.readings([reading("wl-1", 200 + i * 10, 0.6) for i in range(70)], s(10_000))
    assert [a.action for a in cleared] == [A.CLEAR]


def test_hourly_aqi_alarm_from_pm25():
    eng = SensorAnalytics(Policy(), {"pm": sensor("pm", SensorKind.PM25, interval_s=600)})
    alarms = []
    for hour in range(4):
        for minute in range(0, 60, 10):
            r = SensorReading(ts=s(hour * 3600 + minute * 60), sensor_id="pm",
                              kind=SensorKind.PM25, value=160.0, unit="µg/m³")
            alarms += eng.readings([r], not_after=s(10**6))
        alarms += eng.advance(s((hour + 1) * 3600))
    aqi = [a for a in alarms if a.alarm_type == "aqi"]
    assert aqi and aqi[0].action is A.RAISE and aqi[0].severity is Severity.HIGH
    assert aqi[0].ts == s(2 * 3600)  # the first hour with 2 of the last 3 hours measured
    assert "NowCast" in aqi[0].message


def test_a_gap_found_only_when_the_sensor_is_back_gives_the_same_alarms_as_live():
    live = OfflineDetector(timedelta(seconds=60), last_seen=s(0))
    noticed = live.check(s(300)) + live.seen(s(400))
    late = OfflineDetector(timedelta(seconds=60), last_seen=s(0))
    assert late.seen(s(400)) == noticed  # a replay too fast for any idle moment
    assert [(t.action, t.ts) for t in noticed] == [(A.RAISE, s(60)), (A.CLEAR, s(400))]


def test_alarms_do_not_depend_on_when_event_time_was_advanced():
    def run(advance_every: int | None):
        eng = SensorAnalytics(load_policy(), {"wl-1": sensor(), "wl-2": sensor("wl-2")},
                              silent_since=s(0))
        out = []
        for i in range(120):
            batch = [reading("wl-2", i * 10, 0.6)]
            if not 30 <= i < 60:  # wl-1 silent for five minutes
                batch.append(reading("wl-1", i * 10, 1.6))
            out += eng.readings(batch, not_after=s(10_000))
            if advance_every and i % advance_every == 0:
                out += eng.advance()
        return sorted(out + eng.advance(s(1200)), key=lambda a: (a.ts, str(a.event_id)))

    assert run(None) == run(1) == run(7)
