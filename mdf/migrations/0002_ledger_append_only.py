"""The database itself refuses UPDATE and DELETE on ledger rows.

PostgreSQL: a trigger function raising an exception; SQLite: RAISE(ABORT).
TRUNCATE is left to database privileges (the application role should not have
it); Django's test flush uses it on PostgreSQL.
"""

from django.db import migrations

PG_FORWARD = """
CREATE FUNCTION mdf_ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'mdf_ledgerentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER mdf_ledger_append_only
    BEFORE UPDATE OR DELETE ON mdf_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION mdf_ledger_refuse_change();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS mdf_ledger_append_only ON mdf_ledgerentry;
DROP FUNCTION IF EXISTS mdf_ledger_refuse_change();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER mdf_ledger_no_update BEFORE UPDATE ON mdf_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'mdf_ledgerentry is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER mdf_ledger_no_delete BEFORE DELETE ON mdf_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'mdf_ledgerentry is append-only: DELETE refused'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS mdf_ledger_no_update;",
    "DROP TRIGGER IF EXISTS mdf_ledger_no_delete;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError("The ledger needs PostgreSQL or SQLite.")


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("mdf", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
