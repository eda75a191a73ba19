"""Runs the city's processes: starts each, restarts one that crashes, stops them all.

Each child runs in its own session (so a terminal's Ctrl-C reaches only the supervisor, which
then stops the children in order) and is asked to die with its parent if the supervisor is
killed outright, so nothing is left behind.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from ioc.embedded import die_with_parent

logger = logging.getLogger(__name__)

RESTART_BACKOFF_S = (1, 2, 5, 10, 30)
HEALTHY_AFTER_S = 60  # a child that ran this long resets its backoff


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    crashes: deque = field(default_factory=lambda: deque(maxlen=20))
    next_start_at: float = 0.0
    held: bool = False  # stopped on purpose: not restarted until start_all()


def ioc_command(*args: str) -> list[str]:
    """argv that runs an `ioc` subcommand with this interpreter."""
    return [sys.executable, "-m", "ioc.cli", *args]


class Supervisor:
    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.services: list[Service] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def add(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Service:
        service = Service(name, argv, env or {})
        self.services.append(service)
        return service

    def log_path(self, service: Service) -> Path:
        return self.log_dir / f"{service.name}.log"

    def _start(self, service: Service) -> None:
        log = open(self.log_path(service), "ab")  # noqa: SIM115 - the child owns it
        service.proc = subprocess.Popen(
            service.argv, env={**self.env, **service.env}, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=die_with_parent,
        )
        log.close()
        service.started_at = time.monotonic()
        logger.info("started", extra={"service": service.name, "pid": service.proc.pid})

    def start_all(self) -> None:
        for service in self.services:
            service.held = False
            if service.proc is None or service.proc.poll() is not None:
                self._start(service)

    def check(self) -> list[str]:
        """Restart crashed children (with backoff); returns lines describing what happened."""
        notes = []
        now = time.monotonic()
        for service in self.services:
            proc = service.proc
            if service.held or (proc is not None and proc.poll() is None):
                continue
            if proc is not None:  # it exited: a crash, since we did not ask it to
                ran_s = now - service.started_at
                if ran_s > HEALTHY_AFTER_S:
                    service.restarts = 0
                delay = RESTART_BACKOFF_S[min(service.restarts, len(RESTART_BACKOFF_S) - 1)]
                service.crashes.append((time.time(), proc.returncode))
                logger.error("crashed; restarting", extra={
                    "service": service.name, "exit_code": proc.returncode,
                    "ran_s": round(ran_s, 1), "restart_in_s": delay,
                    "log": str(self.log_path(service))})
                notes.append(f"{service.name} {_ended(proc.returncode)}; restarting it in "
                             f"{delay} s (its log: {self.log_path(service)})")
                service.proc = None
                service.restarts += 1
                service.next_start_at = now + delay
            if service.proc is None and now >= service.next_start_at:
                self._start(service)
        return notes

    def stop(self, names: set[str] | None = None, timeout_s: float = 8.0) -> None:
        """SIGTERM the named children (all if None), wait, then SIGKILL what is left.

        Stopped children stay stopped until start_all()."""
        chosen = [s for s in self.services if names is None or s.name in names]
        for service in chosen:
            service.held = True
        running = [s for s in chosen if s.proc is not None and s.proc.poll() is None]
        for service in running:
            _signal_group(service.proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for service in running:
            try:
                service.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("did not stop in time; killing", extra={"service": service.name})
                _signal_group(service.proc, signal.SIGKILL)
                service.proc.wait(5)
        for service in chosen:
            if service.proc is not None:
                _signal_group(service.proc, signal.SIGKILL)  # stray grandchildren
            service.proc = None

    def stop_all(self, timeout_s: float = 8.0) -> None:
        self.stop(None, timeout_s)


def _ended(returncode: int) -> str:
    if returncode < 0:  # Popen's way of saying a signal ended it
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
