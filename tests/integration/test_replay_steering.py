"""A replay driven through the API as the /replay page drives it (its own process, real broker
and database): it runs at its speed, stands still while paused, changes speed, seeks forward,
serves its data on its own clock under ?replay=<tag>, refuses what it should, and ends with the
same digest as the same scenario replayed straight through as fast as it goes: steering it
changes when things happen on the wall, never what the pipeline makes of them."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from waiting import wait_until

from ioc import accounts
from ioc import replay as rp
from ioc.api.main import create_app
from ioc.cli import _kpis_at, _replay_prepare, _replay_sources, _replay_workers
from ioc.db.session import connect
from ioc.replay_session import control_dir, read_status
from simulators.scenario_file import compile_to

pytestmark = pytest.mark.integration

SCENARIO = "urgent_breach"  # 2 h 40 min of stream, an urgent report that breaches


@pytest.fixture
def client(settings):
    with connect(settings, autocommit=True) as conn:
        for name, role in (("eng1", "engineer"), ("op1", "operator")):
            accounts.add_user(conn, name, role, f"{name}-password")
    with TestClient(create_app(settings, replay_sources=_replay_sources)) as c:
        yield c
    status = c.get("/api/replay").json()
    if status["state"] in ("running", "paused", "starting"):
        c.post("/api/replay/control", json={"action": "stop"}, headers=_auth(c, "eng1"))


def _auth(client, name: str) -> dict:
    token = client.post("/api/auth/login", json={"username": name,
                                                 "password": f"{name}-password"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _wait(settings, predicate, timeout_s: float, what: str):
    """wait_until, and on a time-out the replay's status and the end of its log."""
    try:
        return wait_until(predicate, timeout_s, what)
    except AssertionError as exc:
        folder = control_dir(settings)
        log = (folder / "replay.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"{exc}\nstatus: {read_status(folder)}\nlog:\n{log}") from None


def _now(client) -> datetime:
    return datetime.fromisoformat(client.get("/api/replay").json()["now"])


def test_a_replay_steered_from_the_api_ends_as_one_run_straight_through(client, settings,
                                                                       tmp_path):
    eng = _auth(client, "eng1")
    sources = client.get("/api/replay/sources").json()
    assert SCENARIO in [s["name"] for s in sources["scenarios"]]
    assert client.get("/api/replay").json()["state"] == "idle"

    # What is refused, and why
    assert client.post("/api/replay", json={"source": SCENARIO}).status_code == 401
    op = client.post("/api/replay", json={"source": SCENARIO}, headers=_auth(client, "op1"))
    assert op.status_code == 403 and "engineers and admins" in op.json()["detail"]
    bad = client.post("/api/replay", json={"source": SCENARIO, "speed": "0"}, headers=eng)
    assert bad.status_code == 422 and "above 0" in bad.json()["detail"]
    unknown = client.post("/api/replay", json={"source": "../../etc/passwd"}, headers=eng)
    assert unknown.status_code == 422 and "neither a scenario" in unknown.json()["detail"]
    idle = client.post("/api/replay/control", json={"action": "pause"}, headers=eng)
    assert idle.status_code == 409

    started = client.post("/api/replay", json={"source": SCENARIO, "speed": "60"}, headers=eng)
    assert started.status_code == 202, started.text
    wait_until(lambda: client.get("/api/replay").json()["state"] == "running", 30,
               "the replay runs")
    status = client.get("/api/replay").json()
    tag, start = status["tag"], datetime.fromisoformat(status["start"])
    again = client.post("/api/replay", json={"source": SCENARIO}, headers=eng)
    assert again.status_code == 409 and "stop it first" in again.json()["detail"]

    # It runs at its speed: about a minute of stream per second
    first, t0 = _now(client), time.monotonic()
    time.sleep(2)
    ran = (_now(client) - first).total_seconds() / (time.monotonic() - t0)
    assert 30 < ran < 90, f"the replay ran {ran:.0f} s of stream a second at 60x"

    # Paused, it stands still; its data is read on its own clock
    assert client.post("/api/replay/control", json={"action": "pause"},
                       headers=eng).status_code == 202
    wait_until(lambda: client.get("/api/replay").json()["state"] == "paused", 5, "paused")
    held = _now(client)
    time.sleep(1)
    assert _now(client) == held
    queue = client.get("/api/reports/queue", params={"replay": tag}).json()
    assert datetime.fromisoformat(queue["now"]) == held
    kpis = client.get("/api/kpis", params={"replay": tag}).json()
    assert datetime.fromisoformat(kpis["now"]) == held
    live = client.get("/api/reports/queue").json()
    assert abs(datetime.fromisoformat(live["now"]) - held) > timedelta(minutes=5)
    assert client.get("/api/alarms", params={"replay": "nosuchreplay"}).status_code == 404

    # A new speed, resumed, then a seek to the end: the rest is published at once
    assert client.post("/api/replay/control", json={"action": "speed", "speed": "0"},
                       headers=eng).status_code == 422
    assert client.post("/api/replay/control", json={"action": "speed", "speed": "600"},
                       headers=eng).status_code == 202
    assert client.post("/api/replay/control", json={"action": "resume"},
                       headers=eng).status_code == 202
    wait_until(lambda: client.get("/api/replay").json()["speed"] == 600, 5, "600x")

    # Back to a minute in (it is past two by now): a fresh namespace, replayed up to there,
    # then on at 600x
    back = start + timedelta(minutes=1)
    assert _now(client) > back
    assert client.post("/api/replay/control", json={"action": "seek", "to": back.isoformat()},
                       headers=eng).status_code == 202
    rerun = _wait(settings, lambda: (s := client.get("/api/replay").json())["tag"] != tag
                  and s["state"] == "running" and s, 60, "the replay starts again")
    assert back <= datetime.fromisoformat(rerun["now"]) < back + timedelta(minutes=30)
    assert client.get("/api/alarms", params={"replay": tag}).status_code == 404  # dropped
    tag = rerun["tag"]
    end = datetime.fromisoformat(status["end"])
    assert client.post("/api/replay/control", json={"action": "seek",
                                                    "to": end.isoformat()},
                       headers=eng).status_code == 202
    done = _wait(settings, lambda: (s := client.get("/api/replay").json())["state"] in (
        "finished", "failed") and s, 120, "the replay finishes")
    assert done["state"] == "finished", done.get("error")
    assert datetime.fromisoformat(done["now"]) == end
    assert done["expectations"] and all(e["met"] for e in done["expectations"]), \
        done["expectations"]

    # The same scenario straight through, as fast as it goes: the same outputs
    path = tmp_path / "straight.zip"
    compile_to(SCENARIO, path, settings)
    straight = rp.run(path, settings, _replay_workers(), None, tag=uuid.uuid4().hex[:8],
                      prepare=_replay_prepare, kpis_at=_kpis_at)
    assert done["digest"] == straight.digest
    assert start == datetime.fromisoformat(done["start"])
    # Its data stays on show after the end
    breached = client.get("/api/reports/queue", params={"replay": tag,
                                                        "sla_state": "breached"}).json()
    assert breached["total"] >= 1
