"""Index the actor columns again (who created, submitted, decided, paid, acted):
deleting a user looks up, in each, the rows that protect it (on_delete=PROTECT).

On SQLite, changing a column's index remakes the table, and a remade table has lost
its triggers: migration 0008 remade mdf_ledgerentry and dropped the append-only
triggers of 0002 there. They are created again, after this migration's own remake.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER IF NOT EXISTS mdf_ledger_no_update BEFORE UPDATE ON mdf_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'mdf_ledgerentry is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER IF NOT EXISTS mdf_ledger_no_delete BEFORE DELETE ON mdf_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'mdf_ledgerentry is append-only: DELETE refused'); END;""",
]


def ledger_append_only_on_sqlite(apps, schema_editor):
    """PostgreSQL keeps its trigger through an index change; SQLite needs it again."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_APPEND_ONLY:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("mdf", "0008_drop_unsearched_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="claim",
            name="created_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="claim",
            name="decided_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="claim",
            name="payment_recorded_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="claim",
            name="submitted_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="fundrequest",
            name="created_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="fundrequest",
            name="finance_decided_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="fundrequest",
            name="manager_decided_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="fundrequest",
            name="submitted_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="actor",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="mdfevent",
            name="actor",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(ledger_append_only_on_sqlite, migrations.RunPython.noop),
    ]
