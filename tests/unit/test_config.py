from __future__ import annotations

import pytest
from pydantic import ValidationError

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
