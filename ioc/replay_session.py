"""A replay an engineer drives from /replay.

The API starts it as a process of its own (`ioc replay SOURCE --control DIR`: a replay's
workers never share the API's process) and steers it through two small files in DIR, the
city's `replay/` folder: `control.json`, where the API queues the engineer's commands
(pause, resume, speed, seek, stop), and `status.json`, where the replay says where it is
(state, stream position, speed, progress, and at the end its digest and expectations).

Every screen that shows the replay takes its "now" from the status (`now_of`): scenario
start + elapsed x speed, standing still while paused. So an SLA countdown on a 60x replay
loses a minute a second, and a paused replay's clocks stop. A seek forward publishes what
lies between at once; a seek back starts a fresh namespace and replays up to the instant as
fast as it goes (a replay is deterministic, so the screens show what they showed then).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from ioc.config import Settings
from ioc.replay import Pacer, parse_speed, process_alive

STATUS_FILE, CONTROL_FILE = "status.json", "control.json"
ACTIVE = ("starting", "running", "paused")  # then: finished, failed, stopped
ACTIONS = ("pause", "resume", "speed", "seek", "stop")
WRITE_EVERY_S = 0.2
KEPT_COMMANDS = 20  # commands sent faster than it reads them are all applied, in order
_commands_lock = threading.Lock()  # the API's threads append one at a time


def control_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "replay"


def _write(path: Path, data: dict) -> None:
    """Whole or not at all: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, default=str, ensure_ascii=False))
    os.replace(tmp, path)


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def read_status(folder: Path) -> dict | None:
    """The replay's last status; a replay whose process is gone while it said it was running
    is reported failed (it crashed or was killed), so a screen never waits on it."""
    status = _read(folder / STATUS_FILE)
    pid = status.get("pid") if status else None
    if status and status.get("state") in ACTIVE and not (isinstance(pid, int)
                                                          and process_alive(pid)):
        status = {**status, "state": "failed",
                  "error": status.get("error") or "the replay's process ended without a word; "
                                                  "see the API's log"}
    return status


def active(folder: Path) -> dict | None:
    status = read_status(folder)
    return status if status and status["state"] in ACTIVE else None


def command(folder: Path, action: str, value: str | None = None) -> dict:
    """Send the running replay a command; it acts on it within a fifth of a second."""
    if action not in ACTIONS:
        raise ValueError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    with _commands_lock:
        queued = (_read(folder / CONTROL_FILE) or {}).get("commands", [])
        sent = {"seq": _last_seq(queued) + 1, "action": action, "value": value}
        _write(folder / CONTROL_FILE, {"commands": (queued + [sent])[-KEPT_COMMANDS:]})
    return sent


def _last_seq(commands: list[dict]) -> int:
    return max((int(c.get("seq", 0)) for c in commands), default=0)


def now_of(status: dict, wall: float | None = None) -> datetime:
    """The replay's "now" as every screen shows it: the position it last wrote, run on at its
    speed since it wrote it (never past the end), or held while paused or done."""
    position = datetime.fromisoformat(status["position"])
    end = datetime.fromisoformat(status["end"])
    speed = status.get("speed")
    if status.get("state") != "running" or speed is None:
        return position
    elapsed = max(0.0, (wall if wall is not None else time.time()) - status["written"])
    return min(end, position + timedelta(seconds=elapsed * speed))


class Steering:
    """The replay process's side: applies the commands to the pacer and writes the status
    until `finish`. A seek back (or to the start) asks the caller to start again
    (`restart_at`); a stop stops the run."""

    def __init__(self, folder: Path, *, source: str, tag: str, start: datetime,
                 end: datetime, events: int, pacer: Pacer, stop: threading.Event,
                 sent: Callable[[], int]) -> None:
        self.folder, self.pacer, self.stop, self.sent = folder, pacer, stop, sent
        self.base = {"source": source, "tag": tag, "start": start.isoformat(),
                     "end": end.isoformat(), "events": events, "pid": os.getpid()}
        self.start, self.end = start, end
        self.restart_at: datetime | None = None
        self.stopped = False
        # Commands sent before this run are not for it.
        self._seq = _last_seq((_read(folder / CONTROL_FILE) or {}).get("commands", []))
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="replay-steering", daemon=True)

    def begin(self) -> Steering:
        self._write("running")
        self._thread.start()
        return self

    def finish(self, state: str, **extra) -> None:
        self._done.set()
        self._thread.join(5)
        self._write(state, position=self.end if state == "finished" else None, **extra)

    def _write(self, state: str, position: datetime | None = None, **extra) -> None:
        if state == "running" and self.pacer.paused:
            state = "paused"
        _write(self.folder / STATUS_FILE, {
            **self.base, "state": state, "speed": self.pacer.speed,
            "position": (position or self.pacer.position()).isoformat(),
            "sent": self.sent(), "written": time.time(), **extra})

    def _loop(self) -> None:
        while not self._done.wait(WRITE_EVERY_S):
            for order in (_read(self.folder / CONTROL_FILE) or {}).get("commands", []):
                if int(order.get("seq", 0)) > self._seq:
                    self._seq = int(order["seq"])
                    self.apply(order["action"], order.get("value"))
            if not self.stop.is_set():
                self._write("running")

    def apply(self, action: str, value: str | None) -> None:
        if action == "pause":
            self.pacer.pause()
        elif action == "resume":
            self.pacer.resume()
        elif action == "speed":
            self.pacer.set_speed(parse_speed(str(value)))
        elif action == "seek":
            to = max(self.start, min(self.end, datetime.fromisoformat(str(value))))
            if to >= self.pacer.position():
                self.pacer.seek(to)
            else:  # what was published cannot be taken back: replay afresh up to `to`
                self.restart_at = to
                self.stop.set()
        elif action == "stop":
            self.stopped = True
            self.stop.set()
