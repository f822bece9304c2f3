"""The staff leaderboard and kit pages sum a period's daily metrics across every
partner: an index on the day that carries the summed columns lets PostgreSQL answer
with an index-only scan instead of visiting each row of the table (bench/dashboard.py).

PostgreSQL only (INCLUDE); SQLite, the embedded default, keeps the plain day index. The
index is not in the model's Meta (analytics/models.py belongs to the rollup), so it is
created here with SQL and the model state is left unchanged."""

from django.db import migrations

COLUMNS = (
    "partner_id, launch_id, currency, clicks, bot_clicks, downloads, leads, mqls, "
    "opportunities, won, lost, pipeline, revenue"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS dailymetric_day_covering "
            f"ON analytics_dailymetric (day) INCLUDE ({COLUMNS})"
        )


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS dailymetric_day_covering")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_staff_view_metrics")]

    operations = [migrations.RunPython(forward, reverse)]
