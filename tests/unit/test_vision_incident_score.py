"""Incident alarms scored against scripted truth: found in time and of the right kind, found as
another kind, missed, and false alarms per camera-hour."""

from __future__ import annotations

import math

from analytics.vision.incident_score import Clip, Raised, TrueIncident, score


def test_found_in_time_of_its_kind_or_another_and_missed():
    clips = [
        Clip((TrueIncident("stalled", 60, 240),), (Raised("stalled_vehicle", 130),), 300, "a"),
        # a crash seen as a stalled vehicle: the operator sees the scene, not the right name
        Clip((TrueIncident("crash", 60, 240),), (Raised("stalled_vehicle", 150),), 300, "b"),
        # too late: more than 3 minutes after the start
        Clip((TrueIncident("stalled", 60, 400),), (Raised("stalled_vehicle", 250),), 450, "c"),
    ]
    result = score(clips)
    assert (result.kinds["stalled"].scripted, result.kinds["stalled"].found) == (2, 1)
    assert result.kinds["stalled"].delays_s == [70]
    assert (result.kinds["crash"].found, result.kinds["crash"].found_any) == (0, 1)
    assert result.recall == 1 / 3 and result.recall_any == 2 / 3
    assert result.false_alarms == []  # each raise fell while its incident was under way
    assert math.isnan(result.kinds["wrong_way"].recall)


def test_a_raise_with_nothing_under_way_is_a_false_alarm():
    clips = [
        Clip((), (Raised("congestion", 100),), 1800, "quiet"),
        # a late clear is no new alarm: a raise within a minute of the end still belongs to it
        Clip((TrueIncident("stalled", 60, 200),),
             (Raised("stalled_vehicle", 90), Raised("stalled_vehicle", 250),
              Raised("wrong_way", 20)), 1800, "busy"),
    ]
    result = score(clips)
    assert result.false_alarms == [("quiet", Raised("congestion", 100)),
                                   ("busy", Raised("wrong_way", 20))]
    # a wrong-way rider gone at 80 s: a raise at 190 s is not it, though within 3 min
    late = score([Clip((TrueIncident("wrong_way", 70, 80),), (Raised("wrong_way", 190),), 300)])
    assert late.kinds["wrong_way"].found == 0 and len(late.false_alarms) == 1
    assert result.camera_hours == 1.0
    assert result.false_alarms_per_camera_hour == 2.0
