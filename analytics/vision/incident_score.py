"""Incident alarms scored against a renderer's truth: recall per kind and false alarms per
camera-hour. Pure.

A raise *belongs* to a scripted incident when it comes while the incident is under way: from
its start to `after_s` past its end (a wrong-way rider is gone in seconds; the alarm may come
as it leaves). A scripted incident is *found* when an alarm of its kind that belongs to it is
raised within `within_s` of its start (the time an operator is promised, as in the scenarios'
expectations). An alarm of another kind in that time still shows the operator the scene, so it
is counted apart (`found_any`). A raise that belongs to no scripted incident is a *false
alarm*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# The renderer's incident kinds -> the alarm types the vision worker raises.
ALARM_OF = {"stalled": "stalled_vehicle", "wrong_way": "wrong_way", "crash": "crash",
            "congestion": "congestion"}


@dataclass(frozen=True)
class TrueIncident:
    kind: str  # the renderer's: stalled, wrong_way, crash, congestion
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Raised:
    alarm_type: str
    at_s: float


@dataclass(frozen=True)
class Clip:
    """One camera's clip: what was scripted, what the pipeline raised, how long it ran."""

    truth: tuple[TrueIncident, ...]
    raised: tuple[Raised, ...]
    seconds: float
    name: str = ""


@dataclass
class KindScore:
    scripted: int = 0
    found: int = 0  # an alarm of its own kind in time
    found_any: int = 0  # any incident alarm in time
    delays_s: list[float] = field(default_factory=list)  # of those found, raise - start

    @property
    def recall(self) -> float:
        return self.found / self.scripted if self.scripted else float("nan")

    @property
    def recall_any(self) -> float:
        return self.found_any / self.scripted if self.scripted else float("nan")


@dataclass
class IncidentScore:
    kinds: dict[str, KindScore]
    false_alarms: list[tuple[str, Raised]]  # (clip name, the raise)
    camera_hours: float

    @property
    def scripted(self) -> int:
        return sum(k.scripted for k in self.kinds.values())

    @property
    def recall(self) -> float:
        return sum(k.found for k in self.kinds.values()) / max(1, self.scripted)

    @property
    def recall_any(self) -> float:
        return sum(k.found_any for k in self.kinds.values()) / max(1, self.scripted)

    @property
    def false_alarms_per_camera_hour(self) -> float:
        return len(self.false_alarms) / self.camera_hours if self.camera_hours else float("nan")


def score(clips: Iterable[Clip], within_s: float = 180.0, after_s: float = 60.0
          ) -> IncidentScore:
    kinds = {kind: KindScore() for kind in ALARM_OF}
    false_alarms: list[tuple[str, Raised]] = []
    seconds = 0.0
    for clip in clips:
        seconds += clip.seconds
        for incident in clip.truth:
            cell = kinds[incident.kind]
            cell.scripted += 1
            until = min(incident.start_s + within_s, incident.end_s + after_s)
            in_time = [r for r in clip.raised if incident.start_s <= r.at_s <= until]
            own = [r for r in in_time if r.alarm_type == ALARM_OF[incident.kind]]
            cell.found += bool(own)
            cell.found_any += bool(in_time)
            if own:
                cell.delays_s.append(min(r.at_s for r in own) - incident.start_s)
        for r in clip.raised:
            if not any(i.start_s <= r.at_s <= i.end_s + after_s for i in clip.truth):
                false_alarms.append((clip.name, r))
    return IncidentScore(kinds, false_alarms, seconds / 3600)
