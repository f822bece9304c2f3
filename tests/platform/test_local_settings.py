"""What `make run` derives for itself when the environment says nothing: a secret key of
its own kept in VAR_DIR, and SITE_URL from the address it serves on."""

from __future__ import annotations

import contextlib
import shlex
import sqlite3
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.platform.conftest import ROOT, child_env, free_port

PRINT_SETTING = (
    "import sys; from django.conf import settings; print(getattr(settings, sys.argv[1]))"
)


def setting(name: str, env: dict[str, str]) -> str:
    """The value a fresh process gets from config.settings with this environment."""
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTING, name],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# --- The secret key -------------------------------------------------------------------


def test_without_secret_key_the_first_run_makes_one_and_keeps_it(tmp_path):
    env = child_env(tmp_path / "var", SECRET_KEY=None)

    first = setting("SECRET_KEY", env)
    second = setting("SECRET_KEY", env)

    assert first == second
    assert len(first) >= 50
    assert not first.startswith("django-insecure")
    kept = tmp_path / "var" / "secret_key"
    assert kept.read_text().strip() == first
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # readable by its owner only
    # another installation (another VAR_DIR) has a key of its own
    assert setting("SECRET_KEY", child_env(tmp_path / "other", SECRET_KEY=None)) != first


def test_processes_starting_together_agree_on_one_key(tmp_path):
    # `make run` starts the web server, the worker and beat at once
    env = child_env(tmp_path / "var", SECRET_KEY=None)

    with ThreadPoolExecutor(max_workers=6) as pool:
        keys = set(pool.map(lambda _: setting("SECRET_KEY", env), range(6)))

    assert len(keys) == 1
    assert (tmp_path / "var" / "secret_key").read_text().strip() in keys
    # and the embedded broker's files, made at the same moment, are ready for them all
    for name in ("broker.sqlite3", "results.sqlite3"):
        with contextlib.closing(sqlite3.connect(tmp_path / "var" / "celery" / name)) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_secret_key_from_the_environment_wins(tmp_path):
    env = child_env(tmp_path / "var", SECRET_KEY=None)
    kept = setting("SECRET_KEY", env)

    given = setting("SECRET_KEY", {**env, "SECRET_KEY": "k" * 30 + "given-by-the-operator"})

    assert given == "k" * 30 + "given-by-the-operator"
    assert given != kept


# --- SITE_URL follows the address ---------------------------------------------------


def test_site_url_follows_addr_unless_set(tmp_path):
    env = child_env(tmp_path / "var", SITE_URL=None, ADDR="127.0.0.1:8101")

    assert setting("SITE_URL", env) == "http://127.0.0.1:8101"
    assert setting("SITE_URL", {**env, "ADDR": "8102"}) == "http://127.0.0.1:8102"
    lan = {**env, "ADDR": "192.0.2.5:8101", "ALLOWED_HOSTS": None}
    lan = {k: v for k, v in lan.items() if v is not None}
    assert setting("SITE_URL", lan) == "http://192.0.2.5:8101"
    assert "'192.0.2.5'" in setting("ALLOWED_HOSTS", lan)  # and it answers there
    assert (
        setting("SITE_URL", {**env, "SITE_URL": "https://partners.example.com/"})
        == "https://partners.example.com"
    )


@pytest.mark.slow
def test_make_run_prints_the_demo_logins_at_its_address(tmp_path):
    # given: the commands `make run ADDR=…` runs (a dry run: make prints, runs nothing)
    port = free_port()
    dry_run = subprocess.run(
        ["make", "-n", "run", f"ADDR=127.0.0.1:{port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dry_run.returncode == 0, dry_run.stderr
    commands = [line for line in dry_run.stdout.splitlines() if "manage.py" in line]
    assert len(commands) == 2, dry_run.stdout  # migrate, seed_demo

    # when: they run, on a database of their own
    env = child_env(
        tmp_path / "var", SITE_URL=None, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    outputs = []
    for command in commands:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, shlex.quote(command) + result.stdout + result.stderr
        outputs.append(result.stdout)

    # then: every demo login is printed at that address, none at port 8000
    logins = [line for line in outputs[1].splitlines() if "http://" in line]
    assert logins, outputs[1]
    assert all(f"http://127.0.0.1:{port}/" in line for line in logins), logins
    assert ":8000" not in outputs[1]
