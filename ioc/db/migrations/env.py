"""Alembic environment: migrations run inside the configured schema (IOC_DB_SCHEMA)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

config = context.config
schema = config.attributes["schema"]


def run_migrations_online() -> None:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        conn.execute(sa.text(f'SET search_path TO "{schema}", public'))
        conn.commit()
        context.configure(connection=conn, version_table_schema=schema,
                          transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported; run against a database")
run_migrations_online()
