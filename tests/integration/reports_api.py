"""Pytest plugin (see tests/conftest.py): the citizen-report API as the integration tests drive
it, in-process on the real broker and database, with persistence and triage running as threads,
and one user of each role that acts or is refused (op1, boss, eng1; password = name + "-password")."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from analytics.triage.worker import make_worker as make_triage_worker
from ioc import accounts
from ioc.api.main import create_app
from ioc.db.session import connect
from ioc.persistence import make_worker


@pytest.fixture
def api(settings):
    """Modules that need another setup (Open311: persistence only) define their own `api`."""
    with connect(settings, autocommit=True) as conn:
        for name, role in (("op1", "operator"), ("boss", "leader"), ("eng1", "engineer")):
            accounts.add_user(conn, name, role, f"{name}-password")
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,))
               for w in (make_worker(settings), make_triage_worker(settings))]
    for thread in threads:
        thread.start()
    with TestClient(create_app(settings)) as client:
        yield client
    stop.set()
    for thread in threads:
        thread.join(30)
