"""The shipped scenario library passes its own expectations through the real pipeline (broker,
PostgreSQL, triage, sensors, persistence), replayed as fast as it goes: what `ioc replay NAME
--check` does, so CI can guard a new model or a changed rule with it."""

from __future__ import annotations

import uuid

import pytest

from ioc import recording
from ioc import replay as rp
from ioc.cli import _kpis_at, _replay_outcomes, _replay_prepare, _replay_workers
from ioc.db.session import connect
from simulators.expectations import check
from simulators.scenario_file import compile_to, library

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", [info.name for info in library()])
def test_the_scenario_meets_its_expectations(name, settings, tmp_path):
    path = tmp_path / f"{name}.zip"
    compile_to(name, path, settings)
    manifest = recording.verify(path)
    result = rp.run(path, settings, _replay_workers(), None, tag=uuid.uuid4().hex[:8],
                    prepare=_replay_prepare, kpis_at=_kpis_at)
    with connect(result.namespace.settings) as conn:
        found = check(manifest.scenario["expectations"],
                      _replay_outcomes(conn, path, result, manifest))
    assert found and [f"{r.description}: {r.evidence}" for r in found if not r.met] == []


def test_the_library_is_listed():
    assert len(library()) >= 5
