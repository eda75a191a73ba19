"""The topic registry: name -> event model, key field and partitions."""

from __future__ import annotations

from dataclasses import dataclass

from ioc import events as ev


@dataclass(frozen=True)
class Topic:
    name: str
    model: type[ev.Event]
    key_field: str
    partitions: int = 4
    jpeg: bool = False  # the value is a JPEG; the event rides in the `ioc-meta` header

    def key_of(self, event: ev.Event) -> str:
        return str(getattr(event, self.key_field))


CAMERA_FRAMES = Topic("ioc.camera.frames", ev.CameraFrame, "camera_id", 4, jpeg=True)
SENSOR_READINGS = Topic("ioc.sensor.readings", ev.SensorReading, "sensor_id", 4)
CITIZEN_REPORTS = Topic("ioc.citizen.reports", ev.CitizenReport, "report_id", 4)
REPORT_EVENTS = Topic("ioc.reports.events", ev.ReportEvent, "report_id", 4)
REPORTS_TRIAGED = Topic("ioc.reports.triaged", ev.ReportTriaged, "report_id", 4)
VISION_DETECTIONS = Topic("ioc.vision.detections", ev.Detections, "camera_id", 4)
TRAFFIC_METRICS = Topic("ioc.traffic.metrics", ev.TrafficMetric, "camera_id", 4)
VISION_SNAPSHOTS = Topic("ioc.vision.snapshots", ev.Snapshot, "camera_id", 4, jpeg=True)
ALERTS = Topic("ioc.alerts", ev.Alarm, "source_id", 4)
HEARTBEATS = Topic("ioc.system.heartbeats", ev.Heartbeat, "worker", 1)
DEADLETTER = Topic("ioc.deadletter", ev.DeadLetter, "source_topic", 1)

ALL: tuple[Topic, ...] = (
    CAMERA_FRAMES,
    SENSOR_READINGS,
    CITIZEN_REPORTS,
    REPORT_EVENTS,
    REPORTS_TRIAGED,
    VISION_DETECTIONS,
    TRAFFIC_METRICS,
    VISION_SNAPSHOTS,
    ALERTS,
    HEARTBEATS,
    DEADLETTER,
)
BY_NAME: dict[str, Topic] = {t.name: t for t in ALL}
