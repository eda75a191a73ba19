"""Health and Prometheus metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily

from ioc.api.deps import ClockDep, SettingsDep
from ioc.api.models import Health
from ioc.db import queries
from ioc.embedded import port_open
from ioc.health import WorkerBeat, assess

router = APIRouter(tags=["system"])


class _Fixed:
    """A collector that yields metric families computed for this scrape."""

    def __init__(self, families) -> None:
        self.families = families

    def collect(self):
        return iter(self.families)


def _broker_problem(bootstrap: str) -> str | None:
    for hostport in bootstrap.split(","):
        host, _, port = hostport.strip().rpartition(":")
        if port.isdigit() and port_open(host or "127.0.0.1", int(port)):
            return None
    return f"no broker answers at {bootstrap!r}"


def _check(request: Request, settings, now) -> tuple[bool, dict]:
    beats: list[WorkerBeat] = []
    db_problem = None
    try:
        with request.app.state.engine.connect() as conn:
            beats = [WorkerBeat(**{k: r[k] for k in WorkerBeat.__dataclass_fields__})
                     for r in queries.worker_status(conn)]
    except sa.exc.OperationalError as exc:
        db_problem = (str(exc.orig).strip().splitlines() or ["unreachable"])[0]
    return assess(now=now, broker=_broker_problem(settings.kafka_bootstrap), database=db_problem,
                  expected_workers=[w for w in settings.expected_workers.split(",") if w],
                  beats=beats, stale_s=settings.worker_stale_s,
                  lag_warn_s=settings.worker_lag_warn_s)


@router.get("/health", summary="Broker, database and every worker's liveness and lag",
            response_model=Health,
            responses={503: {"model": Health,
                             "description": "Something is down; `problems` names it"}})
def health(request: Request, settings: SettingsDep, clock: ClockDep):
    # Heartbeats are stamped with wall time: process liveness is not scenario time.
    healthy, body = _check(request, settings, datetime.now(UTC))
    body["clock"] = {"now": clock.now(), "speed": settings.scenario_speed}  # the stream's "now"
    return JSONResponse(Health.model_validate(body).model_dump(mode="json"),
                        status_code=200 if healthy else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request, settings: SettingsDep):
    healthy, body = _check(request, settings, datetime.now(UTC))
    registry = CollectorRegistry()
    Gauge("ioc_up", "1 when /health is green", registry=registry).set(int(healthy))
    for part in ("broker", "database"):
        Gauge(f"ioc_{part}_up", f"1 when the {part} answers", registry=registry).set(
            int(body[part]["status"] == "ok"))
    labels = ["worker"]
    up = Gauge("ioc_worker_up", "1 when the worker's heartbeat is fresh", labels,
               registry=registry)
    lag = Gauge("ioc_worker_lag_seconds", "How far behind the newest message the worker is",
                labels, registry=registry)
    processed = Gauge("ioc_worker_processed", "Messages handled since the worker started",
                      labels, registry=registry)
    dead = Gauge("ioc_worker_dead_lettered", "Messages sent to the dead-letter topic",
                 labels, registry=registry)
    for name, w in body["workers"].items():
        up.labels(name).set(int(w["status"] != "down"))
        lag.labels(name).set(w["lag_s"] or 0)
        processed.labels(name).set(w["processed"])
        dead.labels(name).set(w["dead_lettered"])
    responses = CounterMetricFamily("ioc_http_responses", "HTTP responses by status class",
                                    labels=["status_class"])
    for status_class, count in sorted(request.app.state.request_counts.items()):
        responses.add_metric([status_class], count)
    registry.register(_Fixed([responses]))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
