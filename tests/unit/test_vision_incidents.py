"""Incidents (analytics.vision.incidents) on synthetic streets at 2 and 5 frames/s: each is
raised once and cleared once, and nothing is raised where nothing happens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from analytics.vision import compare
from analytics.vision.compare import Actor
from analytics.vision.incidents import IncidentDetector, IncidentKind, IncidentThresholds
from analytics.vision.tracking import CLASS_NAMES, Frame, Tracker
from ioc.events import AlarmAction, TrafficMetric

RAISE, CLEAR = AlarmAction.RAISE, AlarmAction.CLEAR
PX_PER_M = compare.PX_PER_M


def run(actors: list[Actor], fps: float, duration_s: float, seed: int = 3,
        congestion: float | None = None, frames: list[Frame] | None = None):
    """Incident changes over the scene, as (ts, action, kind, track ids)."""
    frames = frames or compare.render_detections(actors, fps, duration_s, seed=seed)
    tracker, detector = Tracker(fps_hint=fps), IncidentDetector("cam-3")
    detector.congestion = congestion
    changes = []
    for f in frames:
        tracker.update(f.ts, f.xyxy, f.conf, f.cls)
        changes += detector.update(tracker)
    return [(c.ts, c.action, c.incident.kind, c.incident.track_ids) for c in changes], detector


def street(duration_s: float, seed: int = 3, density: float = 1.0) -> list[Actor]:
    return compare.street_actors(duration_s, seed=seed, density=density)


def stalled_car(stop_at: float, until: float) -> Actor:
    # A car on the street's inbound lane breaks down at x ~ 250 px.
    return Actor("car", stop_at - 1.2, -48, 217.0, 250.0, stop=(stop_at, until))


# -- stalled vehicle ---------------------------------------------------------------------------

@pytest.mark.parametrize("fps", [2, 5])
def test_a_stalled_car_raises_once_after_a_minute_and_clears_when_it_moves(fps):
    changes, _ = run(street(140) + [stalled_car(21.2, 101.2)], fps, 140)
    stalled = [c for c in changes if c[2] is IncidentKind.STALLED]
    assert [c[1] for c in stalled] == [RAISE, CLEAR], changes
    (raised_at, _, _, _), (cleared_at, _, _, _) = stalled
    assert 81.2 <= raised_at <= 84  # 60 s after it stopped
    assert 101.2 < cleared_at <= 101.2 + 12  # it drove off at 101.2 s
    assert [c for c in changes if c[2] is not IncidentKind.STALLED] == []


@pytest.mark.parametrize(("congestion", "raised"), [(0.1, True), (None, False), (0.4, False)])
def test_on_a_quiet_road_one_vehicle_standing_alone_is_stalled(congestion, raised):
    # Only one motorbike goes by in two minutes; the road is known to be quiet (or not).
    actors = [stalled_car(5.0, 300.0), Actor("motorcycle", 20.0, -22, 170.0, 216.0)]
    changes, _ = run(actors, 2, 120, congestion=congestion)
    assert [(c[1], c[2]) for c in changes] == ([(RAISE, IncidentKind.STALLED)] if raised else [])
    if raised:
        assert 65 <= changes[0][0] <= 67


def test_a_queue_in_a_jam_is_not_a_stalled_vehicle():
    # The inbound lane is jammed: eight cars stand bumper to bumper for two minutes while
    # the other lanes flow; the last window's congestion index says it is jammed.
    queue = [Actor("car", 0.0, 40 + 100 * k, 217.0, 1e-9, stop=(0.0, 120.0)) for k in range(6)]
    changes, _ = run(street(130) + queue, 2, 130, congestion=0.75)
    assert changes == []


def test_a_red_light_queue_is_not_a_stalled_vehicle():
    # Everybody waits at a light for 100 s: nobody drives past anybody.
    waiting = [Actor(cls, 0.0, 40 + 90 * k, y, 1e-9, stop=(0.0, 90.0))
               for k in range(6) for cls, y in (("motorcycle", 170.0), ("car", 217.0))]
    changes, _ = run(waiting, 2, 100)
    assert changes == []


def test_a_parked_car_with_a_jittering_box_raises_nothing():
    # A car parked for ten minutes on an empty street, its box jittering by 4 %.
    parked = Actor("car", 0.0, 300.0, 300.0, 1e-9, stop=(0.0, 1e6))
    changes, _ = run([parked], 2, 600)
    assert changes == []


def test_a_stalled_car_that_flickers_is_one_incident():
    # The detector misses it for 5 s (a bus in front): one incident, not two.
    actors = street(140) + [stalled_car(21.2, 200.0)]
    frames = compare.render_detections(actors, 2, 140, seed=3)
    frames = [Frame(f.ts, f.xyxy[~hides], f.conf[~hides], f.cls[~hides])
              if 90 <= f.ts < 95 else f
              for f in frames
              for hides in [_near_box(f, (250.0, 217.0))]]
    changes, _ = run([], 2, 140, frames=frames)
    assert [(c[1], c[2]) for c in changes] == [(RAISE, IncidentKind.STALLED)]


def _near_box(f: Frame, foot: tuple[float, float]) -> np.ndarray:
    cx, fy = (f.xyxy[:, 0] + f.xyxy[:, 2]) / 2, f.xyxy[:, 3]
    return (np.abs(cx - foot[0]) < 60) & (np.abs(fy - foot[1]) < 10) & (
        f.cls == CLASS_NAMES.index("car"))


# -- wrong way ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [3, 5, 6])
def test_a_rider_against_the_traffic_raises_once_and_clears_when_gone(seed):
    # At 100 s a motorbike rides the edge of the outbound lane the wrong way, at 130 px/s
    # (5.4 m/s), amid the oncoming riders.
    rider = Actor("motorcycle", 100.0, 640 + 22, 160.0, -130.0)
    changes, _ = run(street(130, seed=seed) + [rider], 2, 130, seed=seed)
    assert [(c[1], c[2]) for c in changes] == [(RAISE, IncidentKind.WRONG_WAY),
                                               (CLEAR, IncidentKind.WRONG_WAY)]
    assert 101 < changes[0][0] <= 105 < changes[1][0] <= 110


def test_five_minutes_of_busy_traffic_raise_nothing():
    # Two-way traffic at twice the simulator's arrival rates, at 2 frames/s.
    changes, detector = run(street(300, seed=7, density=2.0), 2, 300, seed=7)
    assert changes == []
    assert detector.active == []


# -- crash-like stop ---------------------------------------------------------------------------

@pytest.mark.parametrize("fps", [2, 5])
def test_two_vehicles_stopping_dead_together_is_a_crash(fps):
    # A car going in and a motorbike going out stop dead at the same spot at 101.5 s.
    crash = [Actor("car", 100.0, -48, 214.0, 250.0, stop=(101.5, 400)),
             Actor("motorcycle", 100.0, 640 + 22, 262.0, -216.0, stop=(101.5, 400))]
    changes, _ = run(street(300, seed=5) + crash, fps, 130, seed=5)
    crashes = [c for c in changes if c[2] is IncidentKind.CRASH]
    assert [c[1] for c in crashes] == [RAISE], changes
    assert 106 <= crashes[0][0] <= 109  # once both have stood for 5 s


def test_two_vehicles_braking_to_a_stop_together_are_not_a_crash():
    # The same two brake at 3 m/s² to stand side by side for a minute.
    brake = 3.0 * PX_PER_M
    braking = [Actor("car", 100.0, -48, 214.0, 250.0, stop=(101.0, 400), brake_px_s2=brake),
               Actor("motorcycle", 100.0, 640 + 22, 262.0, -216.0, stop=(101.2, 400),
                     brake_px_s2=brake)]
    changes, _ = run(street(300, seed=5) + braking, 5, 130, seed=5)
    assert [c for c in changes if c[2] is IncidentKind.CRASH] == []


# -- congestion onset --------------------------------------------------------------------------

T0 = datetime(2026, 9, 12, 7, 0, tzinfo=UTC)


def window(k: int, ci: float) -> TrafficMetric:
    start = T0 + timedelta(minutes=k)
    return TrafficMetric(ts=start + timedelta(minutes=1), window_start=start, camera_id="cam-3",
                         congestion_index=ci)


def test_congestion_onset_after_three_windows_and_clear_after_two():
    detector = IncidentDetector("cam-3")
    indices = [0.2, 0.75, 0.8, 0.6, 0.75, 0.8, 0.9, 0.95, 0.45, 0.55, 0.4, 0.3, 0.75]
    changes = [(k, c) for k, ci in enumerate(indices) for c in detector.on_window(window(k, ci))]
    assert [(k, c.action) for k, c in changes] == [(6, RAISE), (11, CLEAR)]
    raised = changes[0][1].incident
    assert raised.kind is IncidentKind.CONGESTION and raised.started_at == T0 + timedelta(minutes=4)
    assert changes[1][1].incident.incident_id == raised.incident_id
    assert detector.congestion == 0.75


def test_thresholds_are_a_small_dataclass_with_defaults():
    t = IncidentThresholds(stalled_s=30)
    assert (t.stalled_s, t.congestion_on, t.congestion_windows) == (30, 0.7, 3)
