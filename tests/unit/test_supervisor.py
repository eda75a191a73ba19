"""The supervisor restarts a crashed child, logs why, and stops the rest."""

from __future__ import annotations

import sys

from waiting import wait_until

from ioc.supervisor import Supervisor


def test_a_crashed_child_is_restarted_and_stop_ends_it(tmp_path, monkeypatch):
    monkeypatch.setattr("ioc.supervisor.RESTART_BACKOFF_S", (0,))
    sup = Supervisor(tmp_path, env={})
    crashy = sup.add("crashy", [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"])
    steady = sup.add("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    sup.start_all()
    first_pid = crashy.proc.pid
    notes = wait_until(lambda: sup.check(), 10, "the supervisor notices the crash")
    assert "crashy exited with code 3" in notes[0]
    wait_until(lambda: crashy.proc is not None and crashy.proc.pid != first_pid, 10,
               "the crashed child is started again")
    assert "boom" in (tmp_path / "crashy.log").read_text()
    steady_proc = steady.proc
    sup.stop_all(timeout_s=5)
    assert steady_proc.poll() is not None
    assert sup.check() == [] and steady.proc is None, "stopped children stay stopped"


def test_a_child_killed_by_a_signal_is_told_in_words(tmp_path, monkeypatch):
    monkeypatch.setattr("ioc.supervisor.RESTART_BACKOFF_S", (30,))
    sup = Supervisor(tmp_path, env={})
    sup.add("victim", [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), 9)"])
    sup.start_all()
    (note,) = wait_until(lambda: sup.check(), 10, "the supervisor notices the kill")
    assert note.startswith("victim was killed by SIGKILL; restarting it in 30 s")
    assert str(tmp_path / "victim.log") in note
    sup.stop_all(timeout_s=5)
