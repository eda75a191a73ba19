"""Is the city healthy? A pure judgement over the checks the API gathers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class WorkerBeat:
    worker: str
    instance: str
    ts: datetime
    processed: int
    dead_lettered: int
    lag_s: float
    caught_up: bool


def assess(*, now: datetime, broker: str | None, database: str | None,
           expected_workers: list[str], beats: list[WorkerBeat], stale_s: float,
           lag_warn_s: float) -> tuple[bool, dict]:
    """(healthy, body). `broker`/`database` are None when fine, else what is wrong."""
    problems: list[str] = []
    if broker:
        problems.append(f"broker: {broker}")
    if database:
        problems.append(f"database: {database}")
    workers: dict[str, dict] = {}
    for name in expected_workers:
        mine = [b for b in beats if b.worker == name]
        alive = [b for b in mine if (now - b.ts).total_seconds() <= stale_s]
        lag = max((b.lag_s for b in alive), default=None)
        if not alive:
            last = max((b.ts for b in mine), default=None)
            status = "down"
            seen = f"last seen {last.isoformat()}" if last else "never seen"
            problems.append(f"worker {name}: no heartbeat for over {stale_s:.0f} s ({seen})")
        elif lag is not None and lag > lag_warn_s:
            status = "lagging"
        else:
            status = "ok"
        workers[name] = {
            "status": status,
            "instances": len(alive),
            "lag_s": lag,
            "processed": sum(b.processed for b in alive),
            "dead_lettered": sum(b.dead_lettered for b in alive),
            "last_seen": max((b.ts for b in mine), default=None),
        }
    healthy = not problems
    body = {
        "status": "ok" if healthy else "down",
        "checked_at": now,
        "problems": problems,
        "broker": {"status": "down" if broker else "ok", "detail": broker},
        "database": {"status": "down" if database else "ok", "detail": database},
        "workers": workers,
    }
    return healthy, body
