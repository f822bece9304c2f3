"""The embedded default, as `make run` uses it: SQLite, Celery on a SQLite file, local
files. Migrate, load the demo data twice, serve, and open the main
pages as a visitor and as a demo partner admin would."""

from __future__ import annotations

import re
import sqlite3
import sys

import pytest
import requests

from partners.demo import DEMO_PASSWORD
from tests.platform.conftest import child_env, free_port, manage, wait_until

pytestmark = pytest.mark.slow

COUNTED_TABLES = ("auth_user", "partners_partner", "partners_tier", "partners_membership")


def _counts(database) -> dict[str, int]:
    with sqlite3.connect(database) as conn:
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in COUNTED_TABLES
        }


def test_embedded_default_migrates_seeds_and_serves(tmp_path, spawn):
    database = tmp_path / "x.sqlite3"
    var_dir = tmp_path / "var"
    env = child_env(var_dir, DATABASE_URL=f"sqlite:///{database}")

    # migrate, then the demo data twice: the second run creates nothing
    migrate = manage("migrate", "--no-input", env=env)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    first = manage("seed_demo", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "20 partners created" in first.stdout
    counts = _counts(database)
    second = manage("seed_demo", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 tiers created, 0 partners created, 0 users created" in second.stdout
    assert _counts(database) == counts

    # serve
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = spawn(
        "runserver",
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env,
    )
    http = requests.Session()

    def up() -> bool:
        try:
            http.get(f"{base}/healthz", timeout=2)
        except requests.ConnectionError:
            return False
        return True

    assert wait_until(up, timeout=30), server.log_text()

    health = http.get(f"{base}/healthz", timeout=10)
    assert health.status_code == 200, health.text
    assert all(check["ok"] for check in health.json()["checks"].values())
    assert (var_dir / "celery" / "broker.sqlite3").is_file()  # the broker is a SQLite file

    for path in ("/portal/login/", "/api/docs/", "/api/schema/", "/admin/login/"):
        response = http.get(base + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code, server.log_text())

    # log in as a demo partner admin
    login = http.get(f"{base}/portal/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    response = http.post(
        f"{base}/portal/login/",
        data={
            "csrfmiddlewaretoken": token,
            "username": "northwind-admin",
            "password": DEMO_PASSWORD,
        },
        headers={"Referer": f"{base}/portal/login/"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.url == f"{base}/portal/", server.log_text()

    dashboard = http.get(f"{base}/portal/", timeout=10)
    assert dashboard.status_code == 200
    assert "Northwind" in dashboard.text

    me = http.get(f"{base}/api/v1/me", timeout=10)
    assert me.status_code == 200, me.text
    assert "northwind" in me.text.lower()
