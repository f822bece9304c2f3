"""Production settings pass Django's deployment checks; no migration is missing."""

from __future__ import annotations

import secrets

import pytest

from tests.platform.conftest import child_env, manage

pytestmark = pytest.mark.slow


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    env = child_env(
        tmp_path,
        DJANGO_DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="partners.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path}/deploy.sqlite3",
    )

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output
    assert "no issues" in output


def test_no_model_change_lacks_a_migration(tmp_path):
    env = child_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/migrations.sqlite3")

    result = manage("makemigrations", "--check", "--dry-run", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_collectstatic_builds_the_production_manifest(tmp_path):
    """The Docker image runs this; with DEBUG off every CSS/JS reference must resolve."""
    env = child_env(
        tmp_path,
        DJANGO_DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=f"sqlite:///{tmp_path}/static.sqlite3",
    )

    result = manage("collectstatic", "--no-input", env=env)

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").is_file()
