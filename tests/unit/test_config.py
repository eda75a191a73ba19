from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from math import inf
from pathlib import Path
from typing import get_args

import pytest
from pydantic import AwareDatetime, SecretStr, ValidationError

from ioc.config import Settings, describe


def test_secrets_are_masked():
    s = Settings(database_url="postgresql://ioc:hunter2@db:5432/ioc", secret_key="s3cret")
    shown = dict((k, v) for k, v, _ in describe(s))
    assert shown["IOC_DATABASE_URL"] == "postgresql://ioc:****@db:5432/ioc"
    assert shown["IOC_SECRET_KEY"] == "****"
    assert "hunter2" not in " ".join(shown.values())


def test_unknown_and_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv("IOC_API_PORT", "99999")
    with pytest.raises(ValidationError, match="api_port"):
        Settings()


def test_embedded_unless_configured():
    assert Settings().embedded_kafka and Settings().embedded_db
    s = Settings(kafka_bootstrap="k:9092", database_url="postgresql://x@y/z")
    assert not s.embedded_kafka and not s.embedded_db


def _other_value(name: str, field):
    """A valid value for the field that is not its default, derived from its type and bounds,
    so a field added to Settings is covered without touching this test."""
    kind = next((a for a in get_args(field.annotation) if a is not type(None)), field.annotation)
    default = field.default
    highest = min((m.le for m in field.metadata if hasattr(m, "le")), default=inf)
    if kind is bool:
        return not default
    if kind in (int, float):
        step = 1 if kind is int else 0.25
        return default + step if default + step <= highest else default - step
    if kind is SecretStr:
        return SecretStr(f"{default.get_secret_value()}-other-{name}")
    if kind is Path:
        return Path("/tmp/ioc-other") / name
    if kind is AwareDatetime:
        return datetime(2026, 8, 3, 19, 4, 5, 123456, tzinfo=timezone(timedelta(hours=7)))
    if kind is str:
        return f"{default}_other" if default else f"other_{name}"
    raise AssertionError(f"no non-default value for {name}: {field.annotation}; add its type here")


def _plain(value):
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def test_every_setting_reaches_a_child_process(monkeypatch):
    values = {name: _other_value(name, field) for name, field in Settings.model_fields.items()}
    parent = Settings(**values)
    for name, field in Settings.model_fields.items():
        assert _plain(getattr(parent, name)) != _plain(field.default), f"{name} kept its default"

    for key in [k for k in os.environ if k.startswith("IOC_")]:
        monkeypatch.delenv(key)
    for key, value in parent.as_env().items():
        monkeypatch.setenv(key, value)
    child = Settings()

    for name in Settings.model_fields:
        assert _plain(getattr(child, name)) == _plain(getattr(parent, name)), name


def test_the_readme_documents_every_setting():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [f"IOC_{name.upper()}" for name in Settings.model_fields
               if f"| `IOC_{name.upper()}` |" not in readme]
    assert not missing, f"README's configuration table lacks {missing}"
