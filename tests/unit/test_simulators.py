"""Simulators: deterministic, plausible, valid events; frames with exact boxes; a run that stops."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from waiting import wait_until

from ioc import topics
from ioc.city import load_city
from ioc.clock import ScenarioClock
from ioc.config import Settings
from ioc.events import MAX_MESSAGE_BYTES, CitizenReport, SensorKind, SensorReading, Urgency
from ioc.taxonomy import load_taxonomy
from ioc.text import strip_diacritics
from simulators import report_templates, scenario
from simulators.cameras import CameraSim
from simulators.render import CLASSES
from simulators.reports import labelled_reports, reports_between
from simulators.rhythm import LOCAL_TZ
from simulators.sensors import LIMITS, faults_on, reading_at, weather_on

CITY = load_city()
TAXONOMY = load_taxonomy()
# 19:00 local on a rainy-season day: rush hour and showers are both in the window.
START = datetime(2026, 8, 3, 12, 0, tzinfo=UTC)


def settings(**overrides) -> Settings:
    return Settings(**{"seed": 7, "sensor_interval_s": 60, "report_rate_per_h": 30,
                       "cameras": 0, **overrides})


def window(seed: int = 7, hours: float = 2, start: datetime = START) -> list:
    return list(scenario.schedule(settings(), start, start + timedelta(hours=hours), seed=seed))


def local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ).astimezone(UTC)


# -- scheduling and determinism -------------------------------------------------------------


def test_same_seed_same_events():
    first, second = window(), window()
    assert first and [e.model_dump() for e in first] == [e.model_dump() for e in second]


def test_different_seed_different_events():
    a, b = window(seed=7), window(seed=8)
    assert [e.model_dump() for e in a] != [e.model_dump() for e in b]
    assert {e.event_id for e in a}.isdisjoint({e.event_id for e in b})


def test_a_window_cut_in_pieces_gives_the_same_events():
    whole = window(hours=3)
    cut = START + timedelta(hours=1, minutes=17, seconds=31)
    pieces = (list(scenario.schedule(settings(), START, cut))
              + list(scenario.schedule(settings(), cut, START + timedelta(hours=3))))
    assert [e.model_dump() for e in pieces] == [e.model_dump() for e in whole]


def test_schedule_is_in_time_order_inside_the_window_with_unique_ids():
    events = window()
    stamps = [e.ts for e in events]
    assert stamps == sorted(stamps)
    assert START <= stamps[0] and stamps[-1] < START + timedelta(hours=2)
    assert len({e.event_id for e in events}) == len(events)
    kinds = Counter(type(e).__name__ for e in events)
    assert kinds["SensorReading"] > 100 * len(CITY.sensors) and kinds["CitizenReport"] > 20


def test_every_event_validates_against_its_topic_model():
    for event in window(hours=1):
        is_reading = isinstance(event, SensorReading)
        topic = topics.SENSOR_READINGS if is_reading else topics.CITIZEN_REPORTS
        assert topic.model.model_validate_json(event.model_dump_json()) == event


def test_reading_times_sit_on_a_fixed_grid():
    times = list(scenario.reading_times(START + timedelta(seconds=1), START + timedelta(seconds=31),
                                        10))
    assert times == [START + timedelta(seconds=s) for s in (10, 20, 30)]


# -- sensors --------------------------------------------------------------------------------


@pytest.mark.parametrize("month", [3, 8])  # dry season and rainy season
def test_readings_stay_in_plausible_ranges(month):
    values: dict[SensorKind, list[float]] = {}
    start = datetime(2026, month, 1, tzinfo=UTC)
    for k in range(0, 4 * 24 * 3600, 900):
        at = start + timedelta(seconds=k)
        for site in CITY.sensors:
            reading = reading_at(CITY, site, at, seed=3)
            if reading:
                assert reading.sensor_id == site.id and reading.kind == site.kind
                values.setdefault(site.kind, []).append(reading.value)
    for kind, vs in values.items():
        low, high, _ = LIMITS[kind]
        assert low <= min(vs) and max(vs) <= high, kind
    median = {k: sorted(v)[len(v) // 2] for k, v in values.items()}
    assert 24 <= median[SensorKind.TEMPERATURE] <= 33
    assert 50 <= median[SensorKind.HUMIDITY] <= 95
    assert 10 <= median[SensorKind.PM25] <= 60
    assert 1.3 <= median[SensorKind.PM10] / median[SensorKind.PM25] <= 1.9
    assert 45 <= median[SensorKind.NOISE] <= 80
    assert median[SensorKind.RAINFALL] == 0
    assert 0.5 <= median[SensorKind.WATER_LEVEL] <= 1.5


def _mean_at_local_hour(kind: SensorKind, hour: int, days: int = 10) -> float:
    sites = [s for s in CITY.sensors if s.kind is kind]
    values = [r.value for d in range(days) for s in sites
              if (r := reading_at(CITY, s, local(date(2026, 3, 1) + timedelta(days=d), hour), 5))]
    return sum(values) / len(values)


def test_daily_cycles():
    t = SensorKind.TEMPERATURE
    assert _mean_at_local_hour(t, 15) > _mean_at_local_hour(t, 5) + 5
    h = SensorKind.HUMIDITY
    assert _mean_at_local_hour(h, 15) < _mean_at_local_hour(h, 5) - 10
    pm = SensorKind.PM25
    assert _mean_at_local_hour(pm, 7) > 1.5 * _mean_at_local_hour(pm, 3)
    assert _mean_at_local_hour(pm, 17) > 1.5 * _mean_at_local_hour(pm, 3)
    n = SensorKind.NOISE
    assert _mean_at_local_hour(n, 17) > _mean_at_local_hour(n, 2) + 15


def test_heavy_rain_floods_one_stream():
    streams = tuple(s.slug for s in CITY.streams)
    day = date(2026, 6, 1)
    while weather_on(7, day, streams).flood_stream is None:
        day += timedelta(days=1)
        assert day < date(2026, 11, 1), "no heavy rain in a whole rainy season"
    weather = weather_on(7, day, streams)
    rain_ends = datetime.fromtimestamp(max(s.end_s for s in weather.showers), UTC)
    peak: dict[str, float] = {}
    for site in (s for s in CITY.sensors if s.kind is SensorKind.WATER_LEVEL):
        levels = [r.value for m in range(-60, 300, 10)
                  if (r := reading_at(CITY, site, rain_ends + timedelta(minutes=m), 7))]
        peak[site.stream] = max(peak.get(site.stream, 0), *levels)
    assert peak[weather.flood_stream] > 1.5  # above the policy's alarm level
    assert peak[weather.flood_stream] == max(peak.values())


def test_sensors_drop_out_and_get_stuck():
    site = CITY.sensors[0]
    day = date(2026, 1, 1)
    while faults_on(1, site.id, day).outage is None or faults_on(1, site.id, day).stuck is None:
        day += timedelta(days=1)
    faults = faults_on(1, site.id, day)
    mid_outage = datetime.fromtimestamp((faults.outage.start_s + faults.outage.end_s) / 2, UTC)
    assert reading_at(CITY, site, mid_outage, seed=1) is None
    stuck_start = datetime.fromtimestamp(faults.stuck.start_s, UTC)
    stuck_values = {r.value for m in range(1, 30, 3)
                    if (r := reading_at(CITY, site, stuck_start + timedelta(minutes=m), 1))}
    assert len(stuck_values) == 1


# -- citizen reports ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelled():
    return labelled_reports(CITY, TAXONOMY, seed=11, count=1500)


def test_strip_diacritics():
    assert strip_diacritics("Đường Hùng Vương ngập, cây đổ!") == "Duong Hung Vuong ngap, cay do!"


def test_reports_come_in_three_languages(labelled):
    by_variant = Counter(label.variant for _, label in labelled)
    assert set(by_variant) == {"vi", "vi_ascii", "en"}
    for report, label in labelled:
        if label.variant == "vi":
            assert report.lang == "vi" and report.text != strip_diacritics(report.text)
        elif label.variant == "vi_ascii":
            assert report.lang == "vi"
            decomposed = unicodedata.normalize("NFD", report.text)
            assert not any(unicodedata.combining(ch) for ch in decomposed)
            assert report.text.isascii()
        else:
            assert report.lang == "en"


def test_reports_cover_every_category_and_both_urgencies(labelled):
    assert {label.category for _, label in labelled} == set(TAXONOMY.codes)
    urgency = Counter(label.urgency for _, label in labelled)
    assert 0.1 < urgency[Urgency.URGENT] / len(labelled) < 0.4
    assert all(label.urgency is Urgency.URGENT for _, label in labelled if label.category == "fire")
    for _, label in labelled:
        assert label.department == TAXONOMY.category(label.category).department


def test_reports_hint_the_category_sometimes_and_never_carry_urgency(labelled):
    hinted = [(r, label) for r, label in labelled if r.category_hint]
    assert 0.2 < len(hinted) / len(labelled) < 0.4
    assert all(r.category_hint == label.category for r, label in hinted)
    assert "urgency" not in CitizenReport.model_fields


def test_reports_are_placed_in_their_ward_with_unique_ids(labelled):
    ids = [r.report_id for r, _ in labelled]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"R-[0-9a-f]{8}", i) for i in ids)
    for report, _ in labelled:
        assert CITY.ward_at(report.lat, report.lon).slug == report.ward


def test_report_text_is_varied(labelled):
    texts = [r.text for r, _ in labelled]
    assert len(set(texts)) > 0.95 * len(texts)
    assert not any("{" in t or "}" in t for t in texts)  # every slot filled


def test_templates_exist_for_every_category_and_language():
    templates = report_templates.load_templates().templates
    assert set(templates) == set(TAXONOMY.codes)
    for category, by_urgency in templates.items():
        drawn = [by_urgency[u] for u in ("normal", "urgent") if by_urgency[u] is not None]
        assert drawn, category
        assert sum(len(by_lang[lang]) for by_lang in drawn for lang in ("vi", "en")) >= 6, category


def test_reports_arrive_at_the_configured_rate():
    start = datetime(2026, 5, 1, tzinfo=UTC)
    reports = list(reports_between(CITY, TAXONOMY, 3, start, start + timedelta(hours=200), 30))
    assert 0.9 * 6000 < len(reports) < 1.1 * 6000
    assert not list(reports_between(CITY, TAXONOMY, 3, start, start + timedelta(hours=5), 0))


# -- cameras --------------------------------------------------------------------------------


def test_a_frame_is_a_small_jpeg_with_boxes_inside_the_image():
    sim = CameraSim(CITY.cameras[0], seed=7, fps=1)
    at = local(date(2026, 11, 24), 17)
    for i in range(5):
        frame, jpeg, truth = sim.next_frame(at + timedelta(seconds=i))
        assert (frame.seq, frame.camera_id, frame.ts) == (i, "cam-01", at + timedelta(seconds=i))
        assert jpeg.startswith(b"\xff\xd8") and len(jpeg) < MAX_MESSAGE_BYTES
        assert (truth.seq, truth.t_s) == (i, i) and truth.boxes
        for b in truth.boxes:
            assert b.cls in CLASSES and b.track_id > 0
            assert 0 <= b.x1 < b.x2 <= frame.width and 0 <= b.y1 < b.y2 <= frame.height


def test_frames_are_deterministic():
    at = local(date(2026, 11, 24), 8)
    a, b = CameraSim(CITY.cameras[1], seed=7), CameraSim(CITY.cameras[1], seed=7)
    for i in range(3):
        fa, ja, ta = a.next_frame(at + timedelta(seconds=i))
        fb, jb, tb = b.next_frame(at + timedelta(seconds=i))
        assert (fa, ja, ta) == (fb, jb, tb)


def test_motorcycles_dominate_rush_hour():
    sim = CameraSim(CITY.cameras[0], seed=7)
    at = local(date(2026, 11, 24), 7)
    counts = Counter(b.cls for i in range(30)
                     for b in sim.render_frame(at + timedelta(seconds=i))[1].boxes)
    assert counts["motorcycle"] == max(counts.values())
    assert counts["motorcycle"] > counts["car"] + counts["bus"] + counts["truck"]


def test_rush_hour_is_busier_than_night():
    def boxes_at(hour: int) -> int:
        sim = CameraSim(CITY.cameras[0], seed=7)
        at = local(date(2026, 11, 24), hour)
        return sum(len(sim.render_frame(at + timedelta(seconds=i))[1].boxes) for i in range(20))

    assert boxes_at(17) > 2 * boxes_at(2)


# -- the running scenario -------------------------------------------------------------------


class RecordingPublisher:
    def __init__(self) -> None:
        self.calls: list[tuple[topics.Topic, object, bytes | None]] = []
        self.lock = threading.Lock()

    def publish(self, topic, event, payload=None):
        assert isinstance(event, topic.model)
        with self.lock:
            self.calls.append((topic, event, payload))

    def on(self, topic) -> list:
        with self.lock:
            return [c for c in self.calls if c[0] is topic]


def test_run_opens_with_the_reports_of_the_backlog_hours():
    s = settings(report_backlog_h=2, cameras=0)
    publisher, stop = RecordingPublisher(), threading.Event()
    worker = threading.Thread(target=scenario.run, daemon=True,
                              args=(s, publisher, ScenarioClock(START, speed=600), stop))
    worker.start()
    try:
        wait_until(lambda: publisher.on(topics.SENSOR_READINGS), 30, "the live scenario runs")
    finally:
        stop.set()
        worker.join(timeout=1.0)
    backlog = {e.event_id: e.model_dump() for _, e, _ in publisher.on(topics.CITIZEN_REPORTS)
               if e.ts < START}
    # The scenario clock had moved on a little (600x) when run read it: leave a margin.
    expected = {r.event_id: r.model_dump() for r, _ in reports_between(
        CITY, TAXONOMY, 7, START - timedelta(hours=2) + timedelta(minutes=10), START,
        s.report_rate_per_h)}
    assert len(expected) > 20, "about 30 an hour"
    assert all(backlog.get(i) == r for i, r in expected.items()), \
        "the same reports, with the same ids, as a run that was live then"
    assert all(e["ts"] >= START - timedelta(hours=2) for e in backlog.values())


def test_run_publishes_on_the_scenario_clock_and_stops_promptly(caplog):
    caplog.set_level("INFO", logger="simulators.scenario")
    s = settings(sensor_interval_s=10, cameras=2, camera_fps=5, report_backlog_h=0)
    clock = ScenarioClock(START, speed=3600)
    publisher, stop = RecordingPublisher(), threading.Event()
    worker = threading.Thread(target=scenario.run, args=(s, publisher, clock, stop), daemon=True)
    worker.start()
    try:
        wait_until(lambda: publisher.on(topics.CITIZEN_REPORTS), 30, "a report is published")
        wait_until(lambda: len(publisher.on(topics.CAMERA_FRAMES)) >= 4, 30, "frames are published")
    finally:
        stop.set()
        worker.join(timeout=1.0)
    assert not worker.is_alive(), "scenario.run did not stop within a second of stop being set"

    readings = publisher.on(topics.SENSOR_READINGS)
    assert len(readings) > len(CITY.sensors)
    end = clock.now()
    for topic in (topics.CITIZEN_REPORTS, topics.CAMERA_FRAMES):
        assert all(START <= e.ts <= end for _, e, _ in publisher.on(topic))
    # Readings start with the sensors' last two minutes before the start (what a gateway
    # buffered), the same readings live would have sent then.
    began = datetime.fromisoformat(next(r.scenario_start for r in caplog.records
                                        if r.getMessage() == "scenario started"))
    quiet = s.model_copy(update={"report_rate_per_h": 0.0})
    backfill = list(scenario.schedule(quiet, began - scenario.READING_BACKFILL, began))
    assert backfill and [e.model_dump() for _, e, _ in readings[:len(backfill)]] == [
        e.model_dump() for e in backfill]
    assert all(e.ts <= end for _, e, _ in readings)
    for _, frame, jpeg in publisher.on(topics.CAMERA_FRAMES):
        assert frame.camera_id in {"cam-01", "cam-02"} and jpeg.startswith(b"\xff\xd8")
    # What run published is what schedule says is due in that window.
    # What run published is what schedule says is due, from where run started to where it
    # stopped (perhaps part-way through the readings of one instant).
    published = [e for t, e, _ in publisher.calls
                 if t is not topics.CAMERA_FRAMES][len(backfill):]
    first, last = published[0].ts, published[-1].ts
    expected = list(scenario.schedule(s, first, last + timedelta(microseconds=1)))
    expected = expected[:len(published)]
    assert [e.model_dump() for e in published] == [e.model_dump() for e in expected]
