"""The schema version this colabctl writes: the number of its last migration.

Kept apart from migrations.py so that opening a store (and so every `can`)
checks the version without importing sqlite-utils: on SQLite one PRAGMA, on
PostgreSQL one row of `colabctl_schema` (store/pg_migrations.py).
"""

SCHEMA_VERSION = 11
