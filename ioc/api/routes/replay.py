"""Replays an engineer drives from /replay: what can be replayed, the one on show, and the
commands (start, pause, resume, speed, seek, stop).

The replay runs as its own process (`ioc replay SOURCE --control DIR`, see
ioc/replay_session.py); this only starts it and passes commands. Its data is read through
the usual routes with `?replay=<tag>` (the queue, the alarms, the KPIs), on its clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ioc import replay_session as session
from ioc.api import models
from ioc.api.deps import EngineerDep, SettingsDep
from ioc.replay import ReplayError, parse_speed

router = APIRouter(prefix="/api/replay", tags=["replay"])
START_WAIT_S = 20.0  # compiling a scenario and readying the namespace take a few seconds


class ReplayStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(max_length=200, description="A scenario's name or a recording's file "
                        "name, as GET /api/replay/sources lists them")
    speed: str = Field("60", max_length=20, description="Stream seconds per wall second, or max")


class ReplayCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["pause", "resume", "speed", "seek", "stop"]
    speed: str | None = Field(None, max_length=20, description="For speed: e.g. 1, 10, 60, max")
    to: AwareDatetime | None = Field(None, description="For seek: the stream instant to go to")


def recordings_dir(settings) -> Path:
    return Path(settings.data_dir) / "recordings"


def _sources(request: Request) -> dict:
    """Scenarios come from the composition root (`ioc api` passes the simulators' library);
    recordings are the files in the city's recordings/ folder."""
    settings = request.app.state.settings
    listed = request.app.state.replay_sources
    scenarios = listed() if listed is not None else []
    folder = recordings_dir(settings)
    recordings = [{"name": p.name, "bytes": p.stat().st_size,
                   "modified": p.stat().st_mtime} for p in sorted(folder.glob("*"))
                  if p.is_file()] if folder.is_dir() else []
    return {"scenarios": scenarios, "recordings": recordings}


def _view(status: dict | None) -> dict:
    if status is None:
        return {"state": "idle"}
    return {**status, "now": session.now_of(status).isoformat()}


@router.get("/sources", summary="The scenarios and recordings a replay can play",
            response_model=models.ReplaySources)
def sources(request: Request):
    return _sources(request)


@router.get("", summary="The replay on show (or the last one): its state, clock and outcome",
            response_model=models.ReplayStatus)
def current(settings: SettingsDep):
    return _view(session.read_status(session.control_dir(settings)))


@router.post("", status_code=202, summary="Start a replay (engineers and admins)",
             response_model=models.ReplayStatus)
def start(body: ReplayStart, request: Request, settings: SettingsDep, _user: EngineerDep):
    folder = session.control_dir(settings)
    running = session.active(folder)
    if running is not None:
        raise HTTPException(409, f"a replay of {running['source']} is {running['state']}; stop "
                                 "it first (POST /api/replay/control with action=stop)")
    try:
        parse_speed(body.speed)
    except ReplayError as exc:
        raise HTTPException(422, str(exc)) from None
    known = _sources(request)
    names = [s["name"] for s in known["scenarios"]]
    files = [r["name"] for r in known["recordings"]]
    if body.source in names:
        source = body.source
    elif body.source in files:
        source = str(recordings_dir(settings) / body.source)
    else:
        raise HTTPException(422, f"{body.source!r} is neither a scenario ({', '.join(names)}) "
                                 f"nor a recording in {recordings_dir(settings)}")
    proc = _spawn(settings, source, body.speed, folder)
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        status = session.read_status(folder)
        if status and status.get("pid") == proc.pid:
            return _view(status)
        if proc.poll() is not None:
            said = _log(folder).strip().splitlines()
            raise HTTPException(409 if "another replay" in " ".join(said) else 422,
                                said[-1] if said else f"the replay exited with {proc.returncode}")
        time.sleep(0.1)
    return {"state": "starting", "source": body.source, "pid": proc.pid}


@router.post("/control", status_code=202, summary="Pause, resume, change speed, seek or stop "
             "the replay (engineers and admins)", response_model=models.ReplayCommandAnswer)
def control(body: ReplayCommand, settings: SettingsDep, _user: EngineerDep):
    folder = session.control_dir(settings)
    running = session.active(folder)
    if running is None:
        raise HTTPException(409, "no replay is running; start one with POST /api/replay")
    value = None
    if body.action == "speed":
        if body.speed is None:
            raise HTTPException(422, "action=speed needs speed, e.g. 10, 60 or max")
        try:
            parse_speed(body.speed)
        except ReplayError as exc:
            raise HTTPException(422, str(exc)) from None
        value = body.speed
    elif body.action == "seek":
        if body.to is None:
            raise HTTPException(422, "action=seek needs to, an instant with its zone "
                                     f"between {running['start']} and {running['end']}")
        value = body.to.isoformat()
    sent = session.command(folder, body.action, value)
    return {"command": sent, "replay": _view(running)}


def _log(folder: Path) -> str:
    try:
        return (folder / "replay.log").read_text(errors="replace")[-4000:]
    except FileNotFoundError:
        return ""


def _spawn(settings, source: str, speed: str, folder: Path) -> subprocess.Popen:
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(settings.as_env())
    with open(folder / "replay.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ioc.cli", "replay", source, "--speed", speed, "--control",
             str(folder)], env=env, stdout=log, stderr=subprocess.STDOUT)
    # In the API's process group: `ioc up` stops the group, so the replay ends with the API.
    threading.Thread(target=proc.wait, daemon=True).start()  # reaped when it ends
    return proc
