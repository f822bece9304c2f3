"""The library's search reads the same on PostgreSQL and on SQLite (the embedded
default of `make run`): every word must be found somewhere (title, tags,
description), a quoted phrase whole, `-word` excludes, `or` takes either.

The same library and the same queries run on both databases: in this process on the
suite's PostgreSQL, and in a `manage.py shell` on a freshly migrated SQLite file.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from tests.platform.conftest import child_env, manage

LIBRARY = [
    # (title, tags, description)
    (
        "Cloud Backup for small businesses",
        ["backup"],
        "A two-page brochure on backing up office laptops to the cloud.",
    ),
    ("Endpoint Security Datasheet", ["security"], "Protect every laptop with managed security."),
    (
        "Partner Brochure: Managed Firewall",
        ["network", "brochure"],
        "Firewall as a service for your customers.",
    ),
    ("Disaster Recovery Webinar", [], "Recorded webinar about restoring backup sets."),
]
BACKUP, SECURITY, FIREWALL, RECOVERY = (title for title, _tags, _text in LIBRARY)

# query -> the titles it finds, on either database
CASES: dict[str, list[str]] = {
    "backup brochure": [BACKUP],  # "backup" in the title and tags, "brochure" in the text
    "BACKUP Brochure": [BACKUP],
    "brochure": [BACKUP, FIREWALL],
    "backup": [BACKUP, RECOVERY],
    "laptop security": [SECURITY],
    "firewall customers": [FIREWALL],
    "recovery restoring": [RECOVERY],  # one word in the title, the other in the text
    "network firewall": [FIREWALL],  # a tag and the title
    '"managed firewall"': [FIREWALL],
    "backup -webinar": [BACKUP],
    "brochure or webinar": [BACKUP, FIREWALL, RECOVERY],
    "backup zebra": [],
    "zebra": [],
}


def build_library() -> None:
    from assets import services

    for title, tags, description in LIBRARY:
        services.asset_create(
            actor=None,
            title=title,
            tags=services.tags_from_names(tags),
            description=description,
        )


def search_results() -> dict[str, list[str]]:
    """What the library's search finds for each query (titles, sorted)."""
    from assets import selectors
    from assets.models import Asset

    return {
        query: sorted(
            selectors.library_search(Asset.objects.all(), q=query).values_list("title", flat=True)
        )
        for query in CASES
    }


def expected() -> dict[str, list[str]]:
    return {query: sorted(titles) for query, titles in CASES.items()}


@pytest.mark.django_db
def test_search_on_postgresql():
    assert connection.vendor == "postgresql"
    build_library()
    assert search_results() == expected()


@pytest.mark.slow
def test_search_on_sqlite(tmp_path):
    env = child_env(tmp_path / "var", DATABASE_URL=f"sqlite:///{tmp_path / 'search.sqlite3'}")
    migrated = manage("migrate", "--no-input", env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    script = (
        "import json; from django.db import connection; "
        "from tests.assets.test_search import build_library, search_results; "
        "assert connection.vendor == 'sqlite'; build_library(); "
        "print('RESULTS', json.dumps(search_results()))"
    )
    ran = manage("shell", "-c", script, env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    line = next(line for line in ran.stdout.splitlines() if line.startswith("RESULTS "))
    assert json.loads(line.removeprefix("RESULTS ")) == expected()
