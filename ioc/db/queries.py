"""Read queries behind the API. Writes happen only in ioc.persistence."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ioc.aqi import NOWCAST_HOURS
from ioc.kpis import (
    KpiInputs,
    Reading,
    ReportFacts,
    ReportGroup,
    RolledUp,
    SensorInfo,
    TrafficWindow,
)
from ioc.sensors import UNREGISTERED


def kpi_inputs(conn: sa.Connection, sensor_ids: list[str], camera_ids: list[str],
               since: datetime, now: datetime, camera_wards: dict[str, str] | None = None,
               ward: str | None = None, category: str | None = None) -> KpiInputs:
    """What the KPIs need at `now` for the window from `since`; `ward` and `category` narrow the
    rollup's part (kpis.only_area narrows the rest)."""
    latest = [Reading(r.sensor_id, r.kind, r.value, r.ts) for r in conn.execute(sa.text(
        "SELECT sensor_id, kind, value, ts FROM sensor_latest"))]
    cameras = {r.camera_id: r.ts for r in conn.execute(sa.text(
        "SELECT camera_id, ts FROM camera_snapshots"))}
    # also today's breaches, the 24 h count, the 7-day figures and the 7 local days of trends
    recent = now - RECENT
    rolled = rolled_up(conn, since, recent, ward, category)
    # Tuples in ReportFacts' field order, in order of receipt (the KPIs slice them by time):
    # on a month of history this is tens of thousands of rows, and building them by name costs
    # more than the query. The days the rollup covers are skipped, but for their open urgent
    # reports not yet answered (the least time left). Straight from the driver's cursor:
    # SQLAlchemy's rows cost more than the query here.
    with conn.connection.driver_connection.cursor(binary=True) as cur:
        cur.execute(
            "SELECT s.received_at, s.urgency, s.due_at, s.first_response_at, s.resolved_at, "
            "s.resolve_due_at, s.is_open, s.rating, coalesce(s.category, r.category_hint), "
            "r.ward, s.report_id FROM report_state s JOIN citizen_reports r USING (report_id) "
            "WHERE (s.received_at >= %(since)s AND NOT (s.received_at >= %(from)s AND "
            "s.received_at < %(to)s)) OR s.due_at >= %(recent)s OR (s.is_open AND "
            "s.urgency = 'urgent' AND s.first_response_at IS NULL) ORDER BY s.received_at",
            {"since": min(since, recent), "recent": recent,
             "from": rolled.start if rolled else now, "to": rolled.end if rolled else now})
        reports = list(map(ReportFacts._make, cur.fetchall()))
    raised = list(conn.execute(sa.text(
        "SELECT raised_at FROM alarms WHERE raised_at > :since AND raised_at <= :now"),
        {"since": min(since, now - timedelta(minutes=10)), "now": now}).scalars())
    standing, unacked = conn.execute(sa.text(
        "SELECT count(*), count(*) FILTER (WHERE NOT acked AND NOT suppressed AND NOT "
        "out_of_service) FROM alarms WHERE closed_at IS NULL AND raised_at <= :now"),
        {"now": now}).one()
    return KpiInputs(sensor_ids=sensor_ids, latest=latest, camera_ids=camera_ids,
                     camera_last_seen=cameras, reports=reports, registry=sensor_registry(conn),
                     pm_hourly=pm_hourly_means(conn, now), traffic=traffic_latest(
                         conn, now - timedelta(hours=1)), camera_wards=camera_wards or {},
                     alarms_raised=raised, alarms_standing=standing,
                     alarms_unacknowledged=unacked, rolled_up=rolled)


RECENT = timedelta(days=8)  # always read report by report: the 7-day figures and trends


def rolled_up(conn: sa.Connection, since: datetime, recent: datetime, ward: str | None = None,
              category: str | None = None) -> RolledUp | None:
    """The whole UTC days of [since, recent) from the daily report rollup, if there are any,
    for the reports of one ward and/or category if given."""
    start = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if start < since:
        start += timedelta(days=1)
    end = recent.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if start >= end:
        return None
    days = ("FROM report_daily WHERE day >= :start AND day < :end "
            "AND (CAST(:ward AS text) IS NULL OR ward = :ward) "
            "AND (CAST(:category AS text) IS NULL OR category = :category)")
    args = {"start": start.date(), "end": end.date(), "ward": ward, "category": category}
    groups = tuple(ReportGroup(r.ward or None, r.category or None, *r[2:]) for r in conn.execute(
        sa.text("SELECT ward, category, sum(received), sum(decided), sum(on_time), "
                f"sum(resolved), sum(resolved_on_time) {days} GROUP BY ward, category"), args))
    # Thousands of values a day: in one query, in binary (parsing them as text costs more)
    with conn.connection.driver_connection.cursor(binary=True) as cur:
        minutes, ratings = cur.execute(
            "WITH d AS (SELECT response_minutes, ratings FROM report_daily WHERE day >= %(start)s "
            "AND day < %(end)s AND (%(ward)s::text IS NULL OR ward = %(ward)s) "
            "AND (%(category)s::text IS NULL OR category = %(category)s)) "
            "SELECT (SELECT array_agg(m) FROM d, unnest(d.response_minutes) m), "
            "(SELECT array_agg(x) FROM d, unnest(d.ratings) x)", args).fetchone()
    return RolledUp(start, end, groups, tuple(minutes or ()), tuple(ratings or ()),
                    (ward, category))


def slowest_sensor_interval(conn: sa.Connection) -> float | None:
    return conn.execute(sa.text("SELECT max(interval_s) FROM sensors")).scalar()


def sensor_registry(conn: sa.Connection) -> list[SensorInfo]:
    return [SensorInfo(**r) for r in conn.execute(sa.text(
        "SELECT sensor_id, kind, station, ward, stream, thresholds FROM sensors "
        "ORDER BY sensor_id")).mappings()]


def pm_hourly_means(conn: sa.Connection, now: datetime) -> dict[str, dict[datetime, float]]:
    """PM2.5/PM10 sensor -> {hour start: mean}, for the 12 whole hours before `now`'s hour: the
    NowCast's inputs (ioc.aqi.nowcast_at), from the hourly rollup rather than raw readings."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    means: dict[str, dict[datetime, float]] = {}
    for r in conn.execute(sa.text(
            "SELECT sensor_id, hour, sum / n AS mean FROM sensor_hourly "
            "WHERE kind IN ('pm25', 'pm10') AND hour >= :first AND hour < :hour AND n > 0"),
            {"first": hour - timedelta(hours=NOWCAST_HOURS), "hour": hour}):
        if math.isfinite(r.mean):
            means.setdefault(r.sensor_id, {})[r.hour] = r.mean
    return means


def traffic_latest(conn: sa.Connection, since: datetime) -> list[TrafficWindow]:
    """Each camera's newest traffic-metric window that ended after `since`."""
    return [TrafficWindow(r.camera_id, r.ts, r.congestion_index) for r in conn.execute(sa.text(
        "SELECT DISTINCT ON (camera_id) camera_id, ts, congestion_index FROM traffic_metrics "
        "WHERE ts >= :since ORDER BY camera_id, ts DESC"), {"since": since})]


def sensors_latest(conn: sa.Connection) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT sensor_id, kind, value, unit, ts FROM sensor_latest ORDER BY sensor_id"))]


def sensor_history(conn: sa.Connection, sensor_id: str, since: datetime) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT ts, value FROM sensor_readings WHERE sensor_id = :sid AND ts >= :since "
        "ORDER BY ts"), {"sid": sensor_id, "since": since})]


def recent_reports(conn: sa.Connection, limit: int) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT r.report_id, r.ts, r.text, r.lang, r.lat, r.lon, r.ward, r.category_hint, "
        "r.source, t.urgency, t.category, t.department, t.confidence "
        "FROM citizen_reports r LEFT JOIN LATERAL (SELECT urgency, category, department, "
        "  confidence FROM report_triage t WHERE t.report_id = r.report_id "
        "  ORDER BY t.ts DESC LIMIT 1) t ON true "
        "ORDER BY r.ts DESC LIMIT :limit"), {"limit": limit})]


def cameras(conn: sa.Connection) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT camera_id, ts, seq, width, height FROM camera_snapshots ORDER BY camera_id"))]


def vision_snapshot(conn: sa.Connection, snapshot_id) -> tuple[bytes, datetime] | None:
    row = conn.execute(sa.text("SELECT jpeg, ts FROM vision_snapshots WHERE event_id = :i"),
                       {"i": snapshot_id}).first()
    return (bytes(row.jpeg), row.ts) if row else None


def camera_snapshot(conn: sa.Connection, camera_id: str) -> tuple[bytes, datetime] | None:
    row = conn.execute(sa.text("SELECT jpeg, ts FROM camera_snapshots WHERE camera_id = :c"),
                       {"c": camera_id}).first()
    return (bytes(row.jpeg), row.ts) if row else None


def worker_status(conn: sa.Connection) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT worker, instance, ts, started_at, processed, dead_lettered, lag_s, caught_up "
        "FROM worker_status ORDER BY worker, instance"))]


def deadletters(conn: sa.Connection, limit: int) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text(
        "SELECT event_id, ts, reason, source_topic, source_partition, source_offset, key, "
        "raw_bytes, worker FROM deadletters ORDER BY ts DESC LIMIT :limit"), {"limit": limit})]


def sensors(conn: sa.Connection) -> list[dict]:
    """The registry, with each sensor's newest reading."""
    return [dict(r) for r in conn.execute(sa.text(
        "SELECT s.sensor_id, s.kind, s.station, s.ward, s.lat, s.lon, s.stream, s.interval_s, "
        "s.thresholds, s.registered_by, s.registered_at, l.ts AS last_ts, l.value AS last_value "
        "FROM sensors s LEFT JOIN sensor_latest l USING (sensor_id) ORDER BY s.sensor_id"))
        .mappings()]


def unregistered(conn: sa.Connection, since: datetime) -> list[dict]:
    """Ids that sent readings without being registered (their readings were dead-lettered)."""
    return [dict(r) for r in conn.execute(sa.text(
        "SELECT key AS sensor_id, count(*) AS readings, min(ts) AS first_ts, max(ts) AS last_ts, "
        "min(source_topic) AS door FROM deadletters WHERE reason LIKE :reason AND ts >= :since "
        "GROUP BY key ORDER BY max(ts) DESC"),
        {"reason": UNREGISTERED + "%", "since": since}).mappings()]


# ------------------------------------------------------------------ cameras (/cameras page)

_TRAFFIC = ("window_start, ts, counts, crossings, occupancy, congestion_index, "
            "average_speed_kmh")


def traffic_newest(conn: sa.Connection, since: datetime, until: datetime) -> dict[str, dict]:
    """camera_id -> its newest traffic-metric window that ended in (since, until], in full."""
    return {r["camera_id"]: dict(r) for r in conn.execute(sa.text(
        f"SELECT DISTINCT ON (camera_id) camera_id, {_TRAFFIC} FROM traffic_metrics "
        "WHERE ts > :since AND ts <= :until ORDER BY camera_id, ts DESC"),
        {"since": since, "until": until}).mappings()}


def traffic_windows(conn: sa.Connection, camera_id: str, since: datetime, until: datetime,
                    limit: int) -> list[dict]:
    """A camera's traffic windows that ended in (since, until], the newest `limit` of them,
    oldest first. A replayed window has its own event_id, so one window (start) is kept once."""
    rows = conn.execute(sa.text(
        f"SELECT * FROM (SELECT DISTINCT ON (window_start) {_TRAFFIC} FROM traffic_metrics "
        "WHERE camera_id = :c AND ts > :since AND ts <= :until "
        "ORDER BY window_start, ts DESC) w ORDER BY ts DESC LIMIT :limit"),
        {"c": camera_id, "since": since, "until": until, "limit": limit}).mappings()
    return [dict(r) for r in reversed(list(rows))]


def frame_detections(conn: sa.Connection, camera_id: str, frame_seq: int,
                     ts: datetime) -> list[dict] | None:
    """The boxes detected on one frame (camera, seq and time: a restarted camera counts its
    seq from 0 again), or None when that frame has no detections row (yet)."""
    row = conn.execute(sa.text(
        "SELECT boxes FROM detections WHERE camera_id = :c AND frame_seq = :s "
        "AND ts BETWEEN :ts - interval '1 second' AND :ts + interval '1 second' LIMIT 1"),
        {"c": camera_id, "s": frame_seq, "ts": ts}).first()
    return list(row.boxes) if row else None


def camera_frame(conn: sa.Connection, camera_id: str) -> dict | None:
    """A camera's newest frame with its metadata."""
    row = conn.execute(sa.text("SELECT jpeg, ts, seq, width, height FROM camera_snapshots "
                               "WHERE camera_id = :c"), {"c": camera_id}).mappings().first()
    return {**row, "jpeg": bytes(row["jpeg"])} if row else None


def camera_alarm_ids(conn: sa.Connection, camera_id: str, limit: int,
                     exclude_types: tuple[str, ...] = ()) -> list:
    """The newest-raised alarms of one camera (their ids), `exclude_types` left out."""
    return list(conn.execute(sa.text(
        "SELECT alarm_id FROM alarms WHERE source_id = :c AND source_kind = 'camera' "
        "AND NOT (alarm_type = ANY(:skip)) ORDER BY raised_at DESC, alarm_id LIMIT :limit"),
        {"c": camera_id, "skip": list(exclude_types), "limit": limit}).scalars())
