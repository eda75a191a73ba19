"""`ioc triage …` is triage's own app, registered by the core CLI: the commands answer as
before, the training-set generator is lent to them, and `ioc` imports no stage to start."""

from __future__ import annotations

import json
import subprocess
import sys

import typer
from typer.testing import CliRunner

from analytics.triage.cli import TriageCommands
from ioc.cli import app, fail, settings_or_exit

runner = CliRunner()


def test_triage_classifies_a_file(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": 1, "text": "Cháy lớn ở chợ, có người mắc kẹt"}) + "\n",
                   encoding="utf-8")
    done = runner.invoke(app, ["triage", "--in", str(src), "--out", str(dst)])
    assert done.exit_code == 0, done.output
    (line,) = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert set(line) == {"id", "urgency", "category", "department", "confidence", "cues"}


def test_triage_refuses_half_a_request(tmp_path):
    done = runner.invoke(app, ["triage", "--in", str(tmp_path / "in.jsonl")])
    assert done.exit_code == 1 and "give both --in" in done.output


def test_the_dataset_command_writes_with_the_generator_it_was_lent(tmp_path):
    calls = []

    def writer(path, *, seed, count):
        calls.append((path, seed, count))
        return count

    triage = typer.Typer()
    triage.add_typer(TriageCommands(writer, settings_or_exit, fail).app(), name="triage")
    done = runner.invoke(triage, ["triage", "dataset", "--out", str(tmp_path / "d.jsonl"),
                                  "--seed", "3", "--count", "12"])
    assert done.exit_code == 0, done.output
    assert calls == [(tmp_path / "d.jsonl", 3, 12)]
    assert "wrote 12 labelled reports" in done.output


def test_ioc_imports_no_stage_until_a_command_needs_one():
    probe = ("import sys, ioc.cli; print(' '.join(m for m in ('simulators', 'sklearn', "
             "'numpy', 'analytics.triage.model', 'alembic') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == ""
