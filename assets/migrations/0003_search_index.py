"""The GIN index of the library's full-text search, on PostgreSQL only.

It is not in `Asset.Meta.indexes`: SQLite cannot build it (and rebuilds a table's
indexes from the model state on every ALTER), and searches with LIKE instead.
"""

from django.db import migrations

INDEX = "asset_search_vector_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON assets_asset USING gin (search_vector)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("assets", "0002_staff_roles")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
