"""The statement recorder: every distinct SQL text colabctl runs through a store
connection's `execute` or `executemany` during the test run (on SQLite, where every test
module runs) is recorded, and at the end of the run each is translated for PostgreSQL
(store/pgsql.py) and prepared, not executed, on a throwaway server, with parameter types
taken from the values it first ran with. A statement the translation refuses or
PostgreSQL would reject then fails the run, even where no PostgreSQL test reaches it.

The same pass holds each statement against sqlglot (a test dependency), as an oracle for
what the two engines read differently: an ORDER BY on a column that may be NULL must say
NULLS FIRST or NULLS LAST (NULLs sort first on SQLite, last on PostgreSQL).

What is recorded, and how: tests/sqlrecorder_site/sqlrecording.py. The pytest process
records in process; every process the tests start records too (SQLRECORDER_DIR and
that folder's sitecustomize.py on its PYTHONPATH) and leaves its statements in a folder
read at the end. Under pytest-xdist each worker records its share and hands it to the
controller, which prepares the union once (conftest.py wires the hooks).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import pytest
from _pytest.reports import TestReport
from sqlrecorder_site.sqlrecording import RECORDED, merge, start

from colabctl.errors import InternalError
from colabctl.store.pgsql import translate

__all__ = ["OUTPUT_KEY", "RECORDED", "check", "merge", "start"]

NODEID = "tests/sqlrecorder.py::every_statement_colabctl_ran_prepares_on_postgresql"
OUTPUT_KEY = "colabctl_statements"


# -- at the end of the run ---------------------------------------------------------------------


def problems(statements: Mapping[str, Any], url: str) -> list[str]:
    """Each statement that cannot run on PostgreSQL, with why: refused by the translation,
    rejected by the server's parser and planner (PREPARE: nothing runs), or ordered by a
    column that may be NULL without saying where NULLs go."""
    import psycopg
    from psycopg.adapt import PyFormat, Transformer
    from psycopg.pq import ExecStatus

    from colabctl.store import pg_migrations

    found: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            pg_migrations.apply_pending(conn)
        nullable = _nullable_columns()
        for sql, sample in sorted(statements.items()):
            try:
                statement = translate(sql)
                args = [] if sample is None else list(statement.arguments(sample))
            except InternalError as exc:
                found.append(f"{exc.message}")
                continue
            dumper = Transformer(conn)  # the types psycopg sends those values as
            dumper.dump_sequence(args, [PyFormat.AUTO] * len(args))
            types = list(dumper.types or ())  # none known (no sample): the server infers
            result = conn.pgconn.prepare(b"", statement.text.encode(), types)
            if result.status != ExecStatus.COMMAND_OK:
                said = (result.error_message or b"").decode(errors="replace").strip()
                found.append(f"PostgreSQL rejects {statement.text!r}: {said}")
            found += _unordered_nulls(sql, nullable)
    return found


def _nullable_columns() -> dict[str, set[str]]:
    """Per table of a fresh store (SQLite's schema: the same columns on both engines), the
    columns that may hold NULL."""
    from colabctl.store.db import open_empty

    store = open_empty()
    try:
        conn = store.conn
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            table: {
                row[1]
                for row in conn.execute("SELECT * FROM pragma_table_info(?)", (table,))
                if not row[3] and not row[5]  # notnull, pk
            }
            for table in tables
        }
    finally:
        store.close()


def _unordered_nulls(sql: str, nullable: dict[str, set[str]]) -> list[str]:
    """ORDER BY terms on a column that may be NULL, without NULLS FIRST or LAST (sqlglot
    reads the statement; one it cannot read is left to PREPARE)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except sqlglot.errors.ParseError:
        return []
    tables = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
    found = []
    for ordered in tree.find_all(exp.Ordered):
        column = ordered.this
        if not isinstance(column, exp.Column):
            continue
        owners = [tables[column.table]] if column.table in tables else list(tables.values())
        if not any(column.name in nullable.get(table, set()) for table in owners):
            continue
        spelt = re.escape(column.sql(dialect="sqlite"))
        if not re.search(rf"{spelt}(\s+(ASC|DESC))?\s+NULLS\s+(FIRST|LAST)", sql, re.I):
            found.append(
                f"ORDER BY {column.sql()} may meet NULLs, which SQLite sorts first and"
                f" PostgreSQL last: say NULLS FIRST or NULLS LAST in {' '.join(sql.split())!r}"
            )
    return found


def check(session: pytest.Session) -> None:
    """Prepare the recorded statements on a throwaway server; report the outcome as one
    test (failed with every problem listed, or passed)."""
    if not RECORDED:
        return
    from pgcluster import Cluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("COLABCTL_REQUIRE_POSTGRES") == "1":
            _report(session, ["no PostgreSQL server binaries to prepare the statements on"])
        return
    cluster = Cluster(bindir).start()
    try:
        found = problems(RECORDED, cluster.url())
    finally:
        cluster.stop()
    _report(session, found)


def _report(session: pytest.Session, found: list[str]) -> None:
    text = (
        f"{len(found)} of {len(RECORDED)} recorded statements cannot run on PostgreSQL:\n"
        + "\n".join(f"- {line}" for line in found)
        if found
        else ""
    )
    report = TestReport(
        nodeid=NODEID,
        location=("tests/sqlrecorder.py", 0, "every statement colabctl ran prepares on PostgreSQL"),
        keywords={},
        outcome="failed" if found else "passed",
        longrepr=text or None,
        when="call",
    )
    session.config.hook.pytest_runtest_logreport(report=report)
    if found:
        session.testsfailed += 1
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
