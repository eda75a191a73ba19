"""`ioc history generate` into a real PostgreSQL: the operator queue, alarms and KPIs of a
simulated past, and a second run that stores nothing new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row
from typer.testing import CliRunner

from ioc import cli
from ioc.api.main import create_app
from ioc.clock import FakeClock
from ioc.db import queries
from ioc.db.session import connect

pytestmark = pytest.mark.integration

UNTIL = datetime(2026, 9, 15, 5, 0, tzinfo=UTC)  # noon in Vietnam, the rainy season
ARGS = ["history", "generate", "--days", "1", "--until", UNTIL.isoformat(),
        "--reading-interval-s", "900"]


def summary(output: str) -> dict[str, float]:
    line = next(x for x in output.splitlines() if x.startswith("SUMMARY history"))
    return {k: float(v) for k, v in (pair.split("=") for pair in line.split()[2:])}


def test_a_day_and_a_half_of_history_is_a_lived_in_city_and_is_stored_once(settings,
                                                                           monkeypatch):
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    runner = CliRunner()

    first = runner.invoke(cli.app, ARGS)
    assert first.exit_code == 0, first.output
    made = summary(first.stdout)
    assert made["reports"] > 500 and made["new_rows"] > made["readings"] > 0
    assert "nothing new" not in first.stdout

    with connect(settings) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM report_state")
        reports = cur.fetchall()
        cur.execute("SELECT count(*) AS n FROM alarms")
        alarms = cur.fetchone()["n"]
        cur.execute("SELECT count(*) AS n FROM report_events WHERE outcome = 'refused'")
        refused = cur.fetchone()["n"]
        cur.execute("SELECT count(*) AS n FROM alarm_events WHERE action = 'acknowledge' "
                    "AND outcome = 'applied'")
        acknowledged = cur.fetchone()["n"]
    assert len(reports) == made["reports"]
    urgent = [r for r in reports if r["urgency"] == "urgent"
              and (UNTIL - r["received_at"]).total_seconds() > 2 * 3600]
    responded = [r for r in urgent if r["first_response_at"] is not None]
    assert urgent and len(responded) > 0.8 * len(urgent)
    breached = [r for r in reports if r["due_at"] < UNTIL and (
        r["first_response_at"] is None or r["first_response_at"] > r["due_at"])]
    assert breached
    assert any(r["rating"] is not None for r in reports)
    assert any(r["status"] == "resolved" for r in reports)
    assert any(r["status"] == "rejected" for r in reports)
    assert refused == 0  # every crew step was one the lifecycle takes
    assert alarms > 0 and acknowledged > 0

    with TestClient(create_app(settings, clock=FakeClock(UNTIL))) as client:
        body = client.get("/api/kpis").json()
    kpi = {k["key"]: k for k in body["kpis"]}["urgent_responded_in_2h_pct"]
    assert kpi["value"] is not None and kpi["detail"]["decided"] > 0

    # Twelve days on, a 30-day window reads these days from the daily rollup: the same KPIs,
    # for the city and for one ward, as when every report is read one by one.
    later = FakeClock(UNTIL + timedelta(days=12))
    def kpis_30d(**area) -> dict:
        with TestClient(create_app(settings, clock=later)) as client:
            answer = client.get("/api/kpis", params={"window": "30d", **area})
        assert answer.status_code == 200, answer.text
        return {k["key"]: (k["value"], k["detail"]) for k in answer.json()["kpis"]}

    with connect(settings) as conn:
        ward = conn.execute("SELECT ward FROM citizen_reports WHERE ward IS NOT NULL "
                            "LIMIT 1").fetchone()[0]
        assert conn.execute("SELECT sum(received) FROM report_daily").fetchone()[0] \
            == len(reports)
    rolled = kpis_30d(), kpis_30d(ward=ward)
    assert rolled[0]["urgent_responded_in_2h_pct"][1]["decided"] > 0
    monkeypatch.setattr(queries, "RECENT", timedelta(days=40))  # no rollup: all one by one
    assert (kpis_30d(), kpis_30d(ward=ward)) == rolled

    second = runner.invoke(cli.app, ARGS)
    assert second.exit_code == 0, second.output
    again = summary(second.stdout)
    assert again["new_rows"] == 0 and "nothing new" in second.stdout
    assert {k: v for k, v in again.items() if k != "seconds"} == \
        {k: v for k, v in made.items() if k not in ("seconds", "new_rows")} | {"new_rows": 0}
