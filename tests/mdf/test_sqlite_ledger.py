"""The embedded default (SQLite), migrated as `make run` migrates it: the ledger is
append-only there too. Changing an index remakes a SQLite table, which drops its
triggers; the migrations put them back."""

from __future__ import annotations

import sqlite3

import pytest

from tests.platform.conftest import child_env, manage

pytestmark = pytest.mark.slow


def test_a_migrated_sqlite_database_refuses_to_change_ledger_rows(tmp_path):
    database = tmp_path / "ledger.sqlite3"
    env = child_env(tmp_path / "var", DATABASE_URL=f"sqlite:///{database}")
    migrate = manage("migrate", "--no-input", env=env)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    with sqlite3.connect(database) as conn:  # foreign keys unchecked: one bare row
        columns = [row[1] for row in conn.execute("PRAGMA table_info(mdf_ledgerentry)")]
        values = {name: 1 for name in columns} | {"kind": "allocate", "memo": "", "seq": 1}
        values |= {"created_at": "2027-01-04 12:00:00", "prev_hash": "a", "entry_hash": "b"}
        conn.execute(
            f"INSERT INTO mdf_ledgerentry ({', '.join(columns)}) "  # noqa: S608
            f"VALUES ({', '.join('?' * len(columns))})",
            [values[name] for name in columns],
        )
        for statement in (
            "UPDATE mdf_ledgerentry SET amount = 2",
            "DELETE FROM mdf_ledgerentry",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(statement)
        assert conn.execute("SELECT amount FROM mdf_ledgerentry").fetchall() == [(1,)]
