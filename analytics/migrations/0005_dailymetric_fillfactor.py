"""Room on each page of the daily metrics for their next version (PostgreSQL).

The rollup rewrites the rows of the days it touches, today's above all, every minute.
With free space on the row's page and no indexed column changed (only the figures
change, never the bucket key), PostgreSQL writes the new version as a heap-only tuple:
no new entry in any of the table's indexes. A full page forces a new entry in every
index. A fill factor of 90 leaves that space on pages written from now on (existing
pages get it when the table is rewritten, e.g. `VACUUM FULL`). SQLite has no such
setting: nothing to do there. Reversible (`RESET`).
"""

from django.db import migrations

FILLFACTOR = 90


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE analytics_dailymetric SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE analytics_dailymetric RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_derived_metrics_cheap_writes"),
    ]

    operations = [
        migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False),
    ]
