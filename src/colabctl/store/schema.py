"""The schema version this colabctl writes: the number of its last migration.

Kept apart from migrations.py so that opening a store (and so every `can`)
checks the version with one PRAGMA, without importing sqlite-utils.
"""

SCHEMA_VERSION = 10
