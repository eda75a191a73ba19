"""Connections to PostgreSQL, always with the IOC schema first on the search path."""

from __future__ import annotations

from functools import lru_cache

import psycopg
import sqlalchemy as sa

from ioc.config import Settings
from ioc.embedded import postgres_url


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL cannot be reached; the message says where we looked and what to do."""


def _url(settings: Settings) -> str:
    """IOC_DATABASE_URL, or else the embedded PostgreSQL a running `ioc up` has on db_port:
    so `ioc user add` and friends work beside `make run` with nothing to set."""
    return settings.database_url.get_secret_value() or postgres_url(settings.db_port)


def _options(settings: Settings) -> str:
    # Sessions in UTC whatever the server's default: dates cut from times never depend on the
    # server, and the driver reads a UTC time twice as fast as one in a named zone.
    return f"-csearch_path={settings.db_schema},public -ctimezone=UTC"


def connect(settings: Settings, autocommit: bool = False) -> psycopg.Connection:
    try:
        return psycopg.connect(_url(settings), options=_options(settings), autocommit=autocommit,
                               connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(unreachable(settings, exc)) from None


def unreachable(settings: Settings, exc: Exception) -> str:
    from ioc.config import _mask

    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if settings.embedded_db:
        return (f"PostgreSQL does not answer at {_mask(_url(settings))} ({first}). Start the "
                "city first (`make run` or `ioc up`, which starts the embedded PostgreSQL), "
                "or set IOC_DATABASE_URL.")
    return (f"PostgreSQL does not answer at {_mask(_url(settings))} ({first}). Start it, or "
            "unset IOC_DATABASE_URL so `ioc up` starts the embedded PostgreSQL.")


def sqlalchemy_url(settings: Settings) -> str:
    url = _url(settings)
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache(maxsize=8)
def _engine(url: str, options: str) -> sa.Engine:
    return sa.create_engine(url, connect_args={"options": options, "connect_timeout": 5},
                            pool_pre_ping=True, pool_size=5, max_overflow=5)


def engine(settings: Settings) -> sa.Engine:
    return _engine(sqlalchemy_url(settings), _options(settings))
