"""Database plumbing: connections, migrations, the storage layout and idempotent writes."""
