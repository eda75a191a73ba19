"""When the configured broker or database is down, or two services share a port, `ioc up` says
which and how to fix it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ioc.embedded import free_port

pytestmark = pytest.mark.integration


def _up(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    base.update({"IOC_DATA_DIR": str(tmp_path), "IOC_API_PORT": str(free_port()),
                 "IOC_DASHBOARD_PORT": str(free_port()), "IOC_INGEST_PORT": str(free_port()),
                 **env})
    return subprocess.run([sys.executable, "-m", "ioc.cli", "up"], env=base, timeout=60,
                          capture_output=True, text=True)


def test_broker_down(tmp_path):
    done = _up(tmp_path, IOC_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}",
               IOC_DATABASE_URL="postgresql://ioc@127.0.0.1:1/ioc")
    assert done.returncode == 1
    assert "no Kafka broker answers at IOC_KAFKA_BOOTSTRAP" in done.stderr
    assert "Traceback" not in done.stderr


def test_database_down(tmp_path, infra):
    done = _up(tmp_path, IOC_KAFKA_BOOTSTRAP=infra.broker.bootstrap,
               IOC_DATABASE_URL=f"postgresql://ioc:pw@127.0.0.1:{free_port()}/ioc")
    assert done.returncode == 1
    assert "PostgreSQL does not answer at postgresql://ioc:****@" in done.stderr
    assert "unset IOC_DATABASE_URL" in done.stderr and "Traceback" not in done.stderr


def test_bad_config_names_the_variable(tmp_path):
    done = _up(tmp_path, IOC_API_PORT="eighty")
    assert done.returncode == 1
    assert "IOC_API_PORT='eighty'" in done.stderr


def test_two_services_on_one_port(tmp_path):
    port = str(free_port())
    done = _up(tmp_path, IOC_API_PORT=port, IOC_BROKER_PORT=port)
    assert done.returncode == 1
    assert f"IOC_API_PORT and IOC_BROKER_PORT are both {port}" in done.stderr
    assert "Traceback" not in done.stderr
