from django.db import connection

from tests.conftest import services_required


def test_suite_runs_on_postgresql_in_ci(db):
    """`make test` and CI run on PostgreSQL; SQLite is covered by the smoke test only."""
    if services_required():
        assert connection.vendor == "postgresql"
