"""Scripted scenarios (simulators.scenario_file) and their expectations (simulators.expectations).

Every shipped scenario loads, compiles the same way twice and makes a verified recording. Its
expectations are then checked against what the pipeline's own pure parts make of it: the
compiled readings through the sensor engine (`SensorAnalytics`, event time advancing with the
stream), the reports through the triage model, the lifecycle and the SLA; the KPIs from
`ioc.kpis`. The replay runner checks them again through the real pipeline.
"""

from __future__ import annotations

import inspect
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest

from analytics.sensors.engine import SensorAnalytics
from analytics.triage.model import TriageModel
from ioc import kpis, recording, sla
from ioc import lifecycle as lc
from ioc import topics as tp
from ioc.city import load_city
from ioc.config import Settings
from ioc.events import AlarmAction, Severity, Urgency
from ioc.policy import load_policy
from ioc.sensors import from_city
from simulators import expectations as ex
from simulators import scenario_file as sf

SHIPPED = sorted(p.stem for p in sf.SCENARIO_DIR.glob("*.yaml"))
SETTINGS = Settings()
T0 = datetime(2026, 9, 18, 17, 0, tzinfo=UTC)  # 00:00 local


@lru_cache
def scenario(name: str) -> sf.Scenario:
    return sf.load(sf.find(name))


@lru_cache
def compiled(name: str) -> tuple[recording.Entry, ...]:
    return tuple(sf.compile_scenario(scenario(name), SETTINGS))


@lru_cache
def triage_model() -> TriageModel:
    return TriageModel.load()


# ------------------------------------------------------------------ the pipeline's pure parts


def interval_of(s: sf.Scenario) -> float:
    return s.interval.total_seconds() if s.interval else SETTINGS.sensor_interval_s


def raised_alarms(s: sf.Scenario, entries) -> list[ex.AlarmOutcome]:
    """The compiled readings through the sensor engine, event time moving with the stream."""
    city = load_city()
    wards = {site.id: site.ward for site in city.sensors}
    sensors = {x.sensor_id: x for x in from_city(city, interval_of(s))}
    extra = ({"silent_since": s.start} if "silent_since" in
             inspect.signature(SensorAnalytics).parameters else {})
    engine = SensorAnalytics(load_policy(), sensors, **extra)
    by_ts = defaultdict(list)
    for e in entries:
        if e.topic is tp.SENSOR_READINGS:
            by_ts[e.event.ts].append(e.event)
    alarms = []
    for ts in sorted(by_ts):
        alarms += engine.readings(by_ts[ts], not_after=ts)
        alarms += engine.advance()
    alarms += engine.advance(s.end)
    return [ex.AlarmOutcome(a.source_id, a.alarm_type, a.severity, a.ts, wards.get(a.source_id))
            for a in alarms if a.action is AlarmAction.RAISE]


def camera_alarms(s: sf.Scenario, entries) -> list[ex.AlarmOutcome]:
    """The compiled frames through the shipped detector and each camera's pipeline (tracker,
    windows, incident rules), in frame order: what the vision worker does with them."""
    frames = [e for e in entries if e.topic is tp.CAMERA_FRAMES]
    if not frames:
        return []
    from analytics.vision.detector import Detector, decode_jpeg
    from analytics.vision.pipeline import CameraPipeline
    from analytics.vision.worker import SEVERITY
    from ioc.camera_views import load_views

    detector, views, pipes, alarms = Detector(), load_views(), {}, []
    fps = {c.camera: c.fps for c in s.cameras}
    for e in sorted(frames, key=lambda e: (e.event.camera_id, e.event.ts)):
        f = e.event
        pipe = pipes.get(f.camera_id) or pipes.setdefault(f.camera_id, CameraPipeline(
            f.camera_id, f.width, f.height, views.get(f.camera_id), fps_hint=fps[f.camera_id]))
        scale = detector.reduction(f.width, f.height)
        out = pipe.frame(f.ts, detector.detect([decode_jpeg(e.jpeg, reduce=scale)], [scale])[0])
        alarms += [ex.AlarmOutcome(f.camera_id, c.incident.kind.value,
                                   SEVERITY[c.incident.kind], c.at, None)
                   for c in out.changes if c.action is AlarmAction.RAISE]
    return alarms


def report_outcomes(s: sf.Scenario, entries) -> tuple[dict[str, ex.ReportOutcome], list]:
    """The scripted reports triaged by the model, their actions folded by the lifecycle, their
    SLA by ioc.sla; and the facts the report KPIs need."""
    policy = load_policy().sla
    reports = [e.event for e in entries if e.topic is tp.CITIZEN_REPORTS]
    results = dict(zip((r.report_id for r in reports),
                       triage_model().predict([r.text for r in reports], cues=False),
                       strict=True))
    states = {r.report_id: lc.Report(r.report_id, r.ts, urgency=results[r.report_id].urgency,
                                     category=results[r.report_id].category,
                                     status=lc.Status.TRIAGED) for r in reports}
    for e in entries:
        if e.topic is tp.REPORT_EVENTS:
            states[e.event.report_id] = lc.apply(states[e.event.report_id], e.event)
    outcomes, facts = {}, []
    by_id = {r.report_id: r for r in reports}
    for rid, st in states.items():
        urgency = st.urgency
        due = sla.due_at(st.received_at, urgency, policy)
        breached = (st.first_response_at or s.end) > due
        outcomes[rid] = ex.ReportOutcome(urgency, st.category, st.received_at, due,
                                         st.first_response_at, breached)
        facts.append(kpis.ReportFacts(
            st.received_at, urgency.value, due, st.first_response_at, st.resolved_at,
            sla.resolve_due_at(st.received_at, urgency, policy), st.is_open, st.rating,
            st.category, by_id[rid].ward, rid))
    return outcomes, facts


def outputs_of(name: str) -> ex.Outputs:
    s, entries = scenario(name), compiled(name)
    reports, facts = report_outcomes(s, entries)
    readings = defaultdict(list)
    for e in entries:
        if e.topic is tp.SENSOR_READINGS:
            readings[e.event.sensor_id].append((e.event.ts, e.event.value))
    end = s.end
    values = kpis.report_kpis(facts, end, end - timedelta(hours=24), kpis.local_day_start(end))
    return ex.Outputs(end_at=end, reports=reports,
                      alarms=raised_alarms(s, entries) + camera_alarms(s, entries),
                      readings=dict(readings), kpis={k.key: k.value for k in values})


# ------------------------------------------------------------------ the library


def test_the_library_ships_the_scenarios_and_lists_each_on_one_line():
    assert {"night_flood", "market_fire", "power_cut", "air_pollution", "urgent_breach",
            "road_crash"} <= set(SHIPPED)
    infos = sf.library()
    assert [i.name for i in infos] == SHIPPED
    for info in infos:
        assert info.line().startswith(f"{info.name}  ")
        assert "\n" not in info.line() and len(info.line()) < 160
        assert info.events > 0 and info.expectations > 0 and info.duration > timedelta(0)


def test_find_takes_a_name_or_a_path_and_says_which_names_exist(tmp_path):
    assert sf.find("night_flood") == sf.SCENARIO_DIR / "night_flood.yaml"
    assert sf.find(sf.SCENARIO_DIR / "power_cut.yaml").name == "power_cut.yaml"
    with pytest.raises(sf.ScenarioError, match="no scenario 'nigth_flood'.*night_flood"):
        sf.find("nigth_flood")
    with pytest.raises(sf.ScenarioError, match="no scenario file"):
        sf.find(tmp_path / "missing.yaml")


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_compiles_the_same_twice_into_a_verified_recording(name, tmp_path):
    s, entries = scenario(name), list(compiled(name))
    manifest = sf.compile_to(name, tmp_path / f"{name}.zip", SETTINGS)  # compiles it again
    assert recording.verify(tmp_path / f"{name}.zip") == manifest
    assert manifest.source == f"scenario:{name}"
    assert manifest.events == len(entries)
    assert manifest.topics == dict(Counter(e.topic.name for e in entries))
    assert s.start <= manifest.start and manifest.end < s.end
    assert [e.event for e in recording.read(tmp_path / f"{name}.zip")] == \
        [e.event for e in entries]
    assert manifest.scenario["name"] == name
    assert set(manifest.scenario["description"]) == {"vi", "en"}
    assert ex.parse(manifest.scenario["expectations"]) == sf.resolved_expectations(s)

    ids = [e.event.event_id for e in entries]
    assert len(set(ids)) == len(ids)
    scripted = {s.report_id(r) for r in s.reports}
    reports = {e.event.report_id for e in entries if e.topic is tp.CITIZEN_REPORTS}
    assert scripted <= reports and all(len(r) <= 64 for r in reports)
    city = load_city()
    for e in entries:
        if e.topic is tp.CITIZEN_REPORTS and e.event.report_id in scripted:
            assert city.ward(e.event.ward).contains(e.event.lat, e.event.lon)


@pytest.mark.parametrize("name", SHIPPED)
def test_scripted_sensors_replace_their_background_and_silenced_ones_send_nothing(name):
    s, entries = scenario(name), compiled(name)
    city = load_city()
    seen = Counter((e.event.sensor_id, e.event.ts) for e in entries
                   if e.topic is tp.SENSOR_READINGS)
    assert max(seen.values(), default=1) == 1  # one reading per sensor and instant
    for _, step in s.steps("silence"):
        silent = set(step.silence.sensors) | {x.id for x in city.sensors
                                              if x.ward == step.silence.ward}
        a, b = s.start + step.at, s.start + step.at + step.length
        assert not [k for k in seen if k[0] in silent and a <= k[1] < b]
    for kind in ("ramp", "hold"):
        for i, step in s.steps(kind):
            a = s.start + step.at
            inside = sorted((e.event for e in entries if e.topic is tp.SENSOR_READINGS
                             and e.event.sensor_id == step.body.sensor
                             and a <= e.event.ts < a + step.length), key=lambda r: r.ts)
            assert inside and all(r.event_id == sf._event_id(s, "reading", r.sensor_id,
                                                              round(r.ts.timestamp() * 1e6))
                                  for r in inside), f"events[{i}]"
            first = step.body.from_ if kind == "ramp" else step.body.value
            assert inside[0].value == pytest.approx(first, rel=0.02, abs=0.02)


# ------------------------------------------------------------------ its own expectations


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_meets_its_own_expectations(name):
    results = ex.check(sf.resolved_expectations(scenario(name)), outputs_of(name))
    missed = [f"{r.description}: {r.evidence}" for r in results if not r.met]
    assert not missed
    assert all(r.evidence for r in results)


@pytest.mark.parametrize("name", SHIPPED)
def test_reports_expected_urgent_are_classified_urgent_by_the_model(name):
    """Their text is what makes them urgent: rewritten until the model agrees, with margin."""
    s = scenario(name)
    texts = {spec.triage.report: s.reports[spec.triage.report].report.text
             for spec in s.expectations if spec.kind == "triage"
             and spec.triage.urgency is Urgency.URGENT}
    for short, result in zip(texts, triage_model().predict(list(texts.values()), cues=False),
                             strict=True):
        assert result.urgency is Urgency.URGENT and result.p_urgent >= 0.5, short


# ------------------------------------------------------------------ schema errors, with lines

BASE = """\
name: broken
title: {vi: Thử, en: Test}
description: {vi: Kịch bản thử, en: A test scenario}
start: 2026-09-18T23:30:00+07:00
duration: 1h
interval: 60s
background: {readings: false}
events:
  - at: 0m
    ramp:
      sensor: wl-suoiret-1
      from: 0.6
      to: 1.4
      over: 30m
  - at: 30m
    hold: {sensor: wl-suoiret-1, value: 1.4, for: 20m}
  - at: 10m
    report:
      id: R1
      ward: xuan-binh
      text: Nước ngập sâu gần 1 mét trong hẻm, nhà có người già không ra được
  - at: 12m
    action: {report: R1, action: acknowledge, actor: op-khoa}
expectations:
  - triage: {report: R1, urgency: urgent}
  - alarm:
      type: water_level
      sensor: wl-suoiret-1
      within: 3m
      of_crossing: {sensor: wl-suoiret-1, above: 1.2}
"""


def write(tmp_path, text: str, name: str = "broken") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_base_of_the_broken_variants_is_valid(tmp_path):
    s = sf.load(write(tmp_path, BASE))
    entries = sf.compile_scenario(s, SETTINGS)
    assert Counter(e.topic.name for e in entries) == {
        tp.SENSOR_READINGS.name: 50, tp.CITIZEN_REPORTS.name: 1, tp.REPORT_EVENTS.name: 1}
    (report,) = [e.event for e in entries if e.topic is tp.CITIZEN_REPORTS]
    assert report.report_id == "S-broken-R1" and report.ts == s.start + timedelta(minutes=10)


BROKEN = [  # (replace, with, the line the error names holds this, what the message says)
    ("      to: 1.4", "      to: high", "to: high",
     "events[0].ramp.to: Input should be a valid number"),
    ("      over: 30m", "      over: 30m\n      speed: 2", "speed: 2",
     "events[0].ramp.speed: Extra inputs are not permitted"),
    ("      sensor: wl-suoiret-1\n      from", "      sensor: wl-suoiret-9\n      from",
     "wl-suoiret-9", "events[0].ramp.sensor: unknown sensor 'wl-suoiret-9'"),
    ("      ward: xuan-binh", "      ward: xuan-bin", "xuan-bin",
     "events[2].report.ward: unknown ward 'xuan-bin'"),
    ("  - at: 12m\n", "  - at: 11m\n    report: {id: R1, ward: xuan-an, text: Lại ngập}\n"
                     "  - at: 12m\n", "id: R1, ward: xuan-an",
     "events[3].report.id: report id 'R1' is used twice (first at line 19)"),
    ("  - at: 12m", "  - at: 75m", "at: 75m",
     "events[3].at: action at 1h15m is at or after the scenario's end (duration 1h)"),
    ("  - triage: {report: R1, urgency: urgent}", "  - triage: {report: R7, urgency: urgent}",
     "report: R7", "expectations[0].triage.report: unknown report 'R7'"),
    ("duration: 1h", "duration: 90", "duration: 90",
     "duration: 90 is not a duration; write it with its units"),
    ("start: 2026-09-18T23:30:00+07:00", "start: 2026-09-18T23:30:00", "start:",
     "start: Input should have timezone info"),
    ("interval: 60s", "interval: 60s\ninterval: 30s", "interval: 30s",
     "interval: duplicate key 'interval' (first at line 6)"),
    ("    hold: {sensor: wl-suoiret-1, value: 1.4, for: 20m}",
     "    hold: {sensor: wl-suoiret-1, value: 1.4, for: 20m", "- at: 10m", "not valid YAML"),
    ("    hold: {sensor: wl-suoiret-1, value: 1.4, for: 20m}",
     "    hold: {sensor: wl-suoiret-1, value: 1.4, for: 40m}", "for: 40m",
     "events[1].hold.for: it runs to 1h10m, past the scenario's end"),
    ("  - at: 30m\n    hold", "  - at: 20m\n    hold", "hold: {sensor: wl-suoiret-1",
     "events[1].hold: overlaps events[0] on wl-suoiret-1 (0–30m)"),
    ("    hold: {sensor: wl-suoiret-1, value: 1.4, for: 20m}",
     "    hold: {sensor: wl-suoiret-1, value: 41, for: 20m}", "value: 41",
     "events[1].hold.value: a water_level sensor reads 0-30 m; 41 is impossible"),
    ("action: acknowledge, actor", "action: resolve, actor", "action: resolve",
     "events[3].action.action: cannot resolve report S-broken-R1: it is received; respond"),
    ("action: acknowledge, actor: op-khoa}", "action: respond, actor: op-khoa}",
     "action: respond", "a response needs the text the citizen will see"),
    ("      ward: xuan-binh", "      ward: xuan-binh\n      lat: 10.96\n      lon: 107.26",
     "lat: 10.96", "events[2].report.lat: (10.96, 107.26) is not in ward xuan-binh"),
    ("  - at: 30m\n    hold", "  - at: 30m\n    ramp: {sensor: wl-suoiret-2, from: 1, to: 2, "
     "over: 5m}\n    hold", "- at: 30m", "events[1]: give exactly one of ramp, hold"),
    ("      type: water_level", "      type: aqi", "type: aqi",
     "expectations[1].alarm.type: a water_level sensor raises no 'aqi' alarm"),
    ("  - triage: {report: R1, urgency: urgent}", "  - breach: {report: R1}", "breach:",
     "expectations[0].breach.report: report R1 is due at 2h10m, not before the end at 1h"),
    ("  - triage: {report: R1, urgency: urgent}", "  - answered: {report: R1}", "answered:",
     "expectations[0].answered.report: no `respond` action answers report R1"),
    ("  - triage: {report: R1, urgency: urgent}", "  - kpi: {key: breaches, min: 1}",
     "kpi:", "expectations[0].kpi.key: unknown KPI 'breaches'"),
    ("name: broken", "name: other", "name: other",
     "name: 'other' must match the file name 'broken'"),
    ("expectations:\n", "cameras:\n  - {camera: cam-99, fps: 1}\nexpectations:\n", "cam-99",
     "cameras[0].camera: unknown camera 'cam-99'"),
    ("expectations:\n", "cameras:\n  - camera: cam-03\n    from: 10m\n    until: 20m\n"
     "    incidents: [{at: 25m, kind: crash}]\nexpectations:\n", "at: 25m",
     "cameras[0].incidents[0].at: 25m is outside the camera's frames (10m–20m)"),
    ("expectations:\n", "cameras:\n  - {camera: cam-03, until: 2h}\nexpectations:\n",
     "until: 2h", "cameras[0].until: 2h is after the scenario's end at 1h"),
    ("expectations:\n", "cameras:\n  - {camera: cam-03, fps: 5}\nexpectations:\n",
     "cameras:", "18000 frames to render, more than 6000"),
    ("expectations:\n", "cameras:\n  - camera: cam-03\n    incidents: [{at: 5m, kind: fire}]"
     "\nexpectations:\n", "kind: fire", "cameras[0].incidents[0].kind: Input should be"),
    ("  - triage: {report: R1, urgency: urgent}",
     "  - alarm: {type: stalled_vehicle, camera: cam-03, within: 3m}", "camera: cam-03",
     "expectations[0].alarm.camera: camera cam-03 sends no frames in this scenario"),
    ("  - triage: {report: R1, urgency: urgent}",
     "  - alarm: {type: water_level, camera: cam-03, sensor: wl-suoiret-1, within: 3m}",
     "camera: cam-03", "give a sensor, a camera or a ward, not more than one"),
]


@pytest.mark.parametrize(("old", "new", "marker", "says"), BROKEN,
                         ids=[b[3][:40] for b in BROKEN])
def test_a_schema_error_names_the_file_the_line_and_what_is_wrong(tmp_path, old, new, marker,
                                                                  says):
    assert BASE.count(old) == 1, old
    text = BASE.replace(old, new)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if marker in t)
    with pytest.raises(sf.ScenarioError) as caught:
        sf.load(write(tmp_path, text))
    first = str(caught.value).splitlines()[0]
    assert first.startswith(f"broken.yaml line {line}: "), str(caught.value)
    assert says in str(caught.value)


@pytest.mark.parametrize(("text", "says"), [
    ("", "broken.yaml line 1: the file is empty"),
    ("- name: broken\n", "broken.yaml line 1: a scenario is a mapping"),
    ("name: [broken\n", "broken.yaml line 2: not valid YAML"),
])
def test_a_file_that_is_no_scenario_at_all(tmp_path, text, says):
    with pytest.raises(sf.ScenarioError, match=re.escape(says)):
        sf.load(write(tmp_path, text))


def test_every_error_is_reported_each_on_its_line(tmp_path):
    text = BASE.replace("      to: 1.4", "      to: high").replace("ward: xuan-binh",
                                                                  "ward: nowhere")
    with pytest.raises(sf.ScenarioError) as caught:
        sf.load(write(tmp_path, text))
    assert len(str(caught.value).splitlines()) == 1  # the schema fails first, alone
    text = BASE.replace("ward: xuan-binh", "ward: nowhere").replace(
        "report: R1, urgency", "report: R9, urgency")
    with pytest.raises(sf.ScenarioError) as caught:
        sf.load(write(tmp_path, text))
    lines = str(caught.value).splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["broken.yaml line 20", "broken.yaml line 25"]


# ------------------------------------------------------------------ the checker, by hand


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def outcome(received_min=0, urgency=Urgency.URGENT, responded_min=None, due_h=2,
            breached=None, category="flooding") -> ex.ReportOutcome:
    responded = None if responded_min is None else at(responded_min)
    due = at(received_min) + timedelta(hours=due_h)
    late = (responded or at(10_000)) > due
    return ex.ReportOutcome(urgency, category, at(received_min), due, responded,
                            late if breached is None else breached)


END = at(180)
LEVELS = [(at(m), 2.0 + 0.1 * m) for m in range(0, 20)]  # 3.2 m at 12 min
ALARM = ex.AlarmOutcome("wl-suoiret-1", "water_level", Severity.CRITICAL, at(15), "xuan-binh")
CROSSING = ex.Crossing(sensor_id="wl-suoiret-1", value=3.2, unit="m")


def one(expectation, outputs) -> ex.Result:
    (result,) = ex.check([expectation], outputs)
    return result


def test_an_alarm_within_minutes_of_a_crossing_says_when_each_happened():
    e = ex.AlarmRaised(alarm_type="water_level", source_id="wl-suoiret-1", within_s=300,
                       since=at(0), crossing=CROSSING, min_severity=Severity.HIGH)
    r = one(e, ex.Outputs(END, alarms=[ALARM], readings={"wl-suoiret-1": LEVELS}))
    assert r.met
    assert r.evidence == ("alarm water_level critical on wl-suoiret-1 (xuan-binh) raised "
                          "00:15:00, 3 min after wl-suoiret-1 reached 3.2 m at 00:12:00 "
                          "(read 3.2 m)")
    assert r.description == ("a water_level alarm of severity ≥ high on wl-suoiret-1 within "
                             "5 min of wl-suoiret-1 reaching 3.2 m")

    late = ex.AlarmOutcome("wl-suoiret-1", "water_level", Severity.CRITICAL, at(20), "xuan-binh")
    r = one(e, ex.Outputs(END, alarms=[late], readings={"wl-suoiret-1": LEVELS}))
    assert not r.met
    assert "between 00:12:00 and 00:17:00" in r.evidence
    assert "nearest: water_level critical on wl-suoiret-1 (xuan-binh) raised 00:20:00" in \
        r.evidence

    low = ex.AlarmOutcome("wl-suoiret-1", "water_level", Severity.MEDIUM, at(13), "xuan-binh")
    assert not one(e, ex.Outputs(END, alarms=[low], readings={"wl-suoiret-1": LEVELS})).met

    r = one(e, ex.Outputs(END, alarms=[ALARM], readings={"wl-suoiret-1": LEVELS[:10]}))
    assert not r.met
    assert r.evidence == ("wl-suoiret-1 never reached 3.2 m from 00:00:00 (highest 2.9 m at "
                          "00:09:00)")
    r = one(e, ex.Outputs(END, alarms=[ALARM]))
    assert not r.met and r.evidence == "no readings of wl-suoiret-1 from 00:00:00"


def test_an_alarm_in_a_ward_on_several_sensors_after_an_offset():
    e = ex.AlarmRaised(alarm_type="offline", ward="xuan-trung", within_s=180, since=at(20),
                       sources=2)
    alarms = [ex.AlarmOutcome(sid, "offline", Severity.MEDIUM, at(21.5), "xuan-trung")
              for sid in ("aq-xuantrung-1-pm25", "noise-xuantrung-1")]
    r = one(e, ex.Outputs(END, alarms=alarms))
    assert r.met
    assert r.evidence == ("offline alarms on 2 sensors (aq-xuantrung-1-pm25, noise-xuantrung-1) "
                          "raised 00:21:30, at most 1 min 30 s after 00:20:00")
    r = one(e, ex.Outputs(END, alarms=alarms[:1]))
    assert not r.met
    assert r.evidence.startswith("1 of the 2 sensors (aq-xuantrung-1-pm25) raised an offline "
                                 "alarm in ward xuan-trung between 00:20:00 and 00:23:00")
    r = one(e, ex.Outputs(END, alarms=[]))
    assert not r.met and r.evidence.endswith("no offline alarm in ward xuan-trung at all")


def test_no_alarm_is_met_by_silence_and_missed_by_each_alarm_it_lists():
    e = ex.NoAlarm(alarm_type="offline", ward="xuan-binh", from_at=at(0), to_at=END)
    elsewhere = ex.AlarmOutcome("wl-suoicai-1", "offline", Severity.MEDIUM, at(5), "xuan-an")
    r = one(e, ex.Outputs(END, alarms=[elsewhere]))
    assert r.met
    assert r.evidence == ("none raised between 00:00:00 and 03:00:00 (1 offline alarm anywhere "
                          "in the replay)")
    false = ex.AlarmOutcome("wl-suoiret-1", "offline", Severity.MEDIUM, at(42), "xuan-binh")
    r = one(e, ex.Outputs(END, alarms=[elsewhere, false]))
    assert not r.met
    assert r.evidence == "1 raised: offline medium on wl-suoiret-1 (xuan-binh) raised 00:42:00"
    critical_only = ex.NoAlarm(alarm_type="water_level", source_id="wl-suoiret-1",
                               min_severity=Severity.CRITICAL, from_at=at(0), to_at=END)
    high = ex.AlarmOutcome("wl-suoiret-1", "water_level", Severity.HIGH, at(30), "xuan-binh")
    assert one(critical_only, ex.Outputs(END, alarms=[high])).met
    assert not one(critical_only, ex.Outputs(END, alarms=[high, ALARM])).met


def test_a_report_is_triaged_as_expected_or_the_evidence_says_what_it_got():
    e = ex.ReportTriage(report_id="S-x-R2", urgency=Urgency.URGENT, category="flooding")
    r = one(e, ex.Outputs(END, reports={"S-x-R2": outcome()}))
    assert r.met and r.evidence == "S-x-R2 was triaged urgent, category flooding"
    assert r.description == "report S-x-R2 is triaged urgent, category flooding"
    r = one(e, ex.Outputs(END, reports={"S-x-R2": outcome(urgency=Urgency.NORMAL,
                                                          category="blocked_drain")}))
    assert not r.met
    assert r.evidence == ("S-x-R2 was triaged normal, category blocked_drain (expected urgent; "
                          "expected category flooding)")
    r = one(e, ex.Outputs(END))
    assert not r.met and r.evidence == "no report S-x-R2 in the replay's database"


def test_an_unanswered_urgent_report_breaches_at_receipt_plus_two_hours():
    e = ex.ReportBreach(report_id="S-x-R1", received_at=at(10), due_at=at(130))
    assert e.describe() == ("urgent report S-x-R1 breaches at 02:10:00 (receipt + 2 h) if "
                            "unanswered")
    r = one(e, ex.Outputs(END, reports={"S-x-R1": outcome(10)}))
    assert r.met
    assert r.evidence == ("S-x-R1 received 00:10:00, urgent, due 02:10:00 (receipt + 2 h); no "
                          "response by the end at 03:00:00: breached 50 min ago")
    answered = one(e, ex.Outputs(END, reports={"S-x-R1": outcome(10, responded_min=60)}))
    assert not answered.met and answered.evidence.endswith(
        "answered 01:00:00, in time: not breached")
    normal = one(e, ex.Outputs(END, reports={"S-x-R1": outcome(10, urgency=Urgency.NORMAL,
                                                               due_h=24)}))
    assert not normal.met and "triaged normal, so its 2-hour clock never ran" in normal.evidence
    wrong_due = one(e, ex.Outputs(END, reports={"S-x-R1": outcome(10, due_h=3)}))
    assert not wrong_due.met and wrong_due.evidence.endswith(
        "due 03:10:00; expected 02:10:00 (receipt + 2 h)")
    early_end = one(e, ex.Outputs(at(100), reports={"S-x-R1": outcome(10)}))
    assert not early_end.met and "the replay ended 01:40:00, before it was due" in \
        early_end.evidence
    unmarked = one(e, ex.Outputs(END, reports={"S-x-R1": outcome(10, breached=False)}))
    assert not unmarked.met and "not marked breached" in unmarked.evidence


def test_a_report_is_answered_in_time_or_the_evidence_says_how_late():
    e = ex.ReportAnswered(report_id="S-x-R2", within_s=1800)
    r = one(e, ex.Outputs(END, reports={"S-x-R2": outcome(75, responded_min=98)}))
    assert r.met and r.evidence == "S-x-R2 answered 01:38:00, 23 min after receipt"
    late = one(e, ex.Outputs(END, reports={"S-x-R2": outcome(75, responded_min=125)}))
    assert not late.met and late.evidence.endswith("50 min after receipt: later than 30 min")
    never = one(e, ex.Outputs(END, reports={"S-x-R2": outcome(75)}))
    assert not never.met and never.evidence == ("S-x-R2 received 01:15:00 has no response by "
                                                "the end at 03:00:00")


def test_a_kpi_range_at_the_end():
    e = ex.KpiRange(key="open_urgent", min=1, max=1)
    assert e.describe() == "KPI open_urgent is 1 at the end"
    r = one(e, ex.Outputs(END, kpis={"open_urgent": 1}))
    assert r.met and r.evidence == "open_urgent = 1 at the end 03:00:00 (expected 1)"
    assert not one(e, ex.Outputs(END, kpis={"open_urgent": 3})).met
    assert one(e, ex.Outputs(END)).evidence == "the replay reported no KPI open_urgent"
    assert "no value" in one(e, ex.Outputs(END, kpis={"open_urgent": None})).evidence
    assert one(ex.KpiRange(key="urgent_responded_in_2h_pct", max=0),
               ex.Outputs(END, kpis={"urgent_responded_in_2h_pct": 0.0})).met


def test_expectations_read_back_from_a_manifests_json_check_the_same():
    s = scenario("urgent_breach")
    raw = json.loads(json.dumps(sf.manifest_scenario(s, 30.0)))["expectations"]
    outputs = outputs_of("urgent_breach")
    assert ex.check(raw, outputs) == ex.check(sf.resolved_expectations(s), outputs)
    with pytest.raises(ValueError):
        ex.parse([{"kind": "alarm", "alarm_type": "offline"}])


def test_the_camera_alarms_a_scenario_may_expect_are_the_vision_workers():
    from analytics.vision.incidents import IncidentKind
    from analytics.vision.worker import OFFLINE as CAMERA_OFFLINE

    assert sf.CAMERA_ALARMS == {k.value for k in IncidentKind} | {CAMERA_OFFLINE}
