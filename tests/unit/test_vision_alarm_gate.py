"""One alarm per camera and incident kind; incidents off the carriageway raise nothing."""

from __future__ import annotations

from analytics.vision.incidents import IncidentChange, IncidentKind, new_incident
from analytics.vision.pipeline import AlarmGate
from analytics.vision.traffic import RegionOfInterest
from ioc.events import AlarmAction

ROAD = RegionOfInterest([(100, 100), (500, 100), (500, 350), (100, 350)])


def change(action, track: int, box=(200, 150, 260, 200), ts: float = 0.0) -> IncidentChange:
    incident = new_incident(IncidentKind.STALLED, "cam-01", (track,), 10.0 * track, (box,),
                            "standing")
    return IncidentChange(action, ts, incident)


def test_two_stalled_cars_are_one_alarm_cleared_when_the_last_drives_off():
    gate = AlarmGate(ROAD)
    first, second = change(AlarmAction.RAISE, 1), change(AlarmAction.RAISE, 2)
    assert gate([first]) == [first]
    assert gate([second]) == []  # the alarm is open already
    assert gate([change(AlarmAction.CLEAR, 1)]) == []  # one still stands
    last = change(AlarmAction.CLEAR, 2)
    assert gate([last]) == [last]
    again = change(AlarmAction.RAISE, 3)
    assert gate([again]) == [again]


def test_a_motorbike_parked_on_the_pavement_raises_nothing():
    gate = AlarmGate(ROAD)
    parked = (20, 300, 50, 340)  # its ground point is left of the road
    assert gate([change(AlarmAction.RAISE, 4, parked)]) == []
    assert gate([change(AlarmAction.CLEAR, 4, parked)]) == []
    assert gate.open == {} and gate.dropped == set()
