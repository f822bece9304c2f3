"""The launcher of `make run` (scripts/devserver.py), run for real on the embedded default:
the web server, a Celery worker and beat stay up for minutes of beat's short jobs, and a
worker or beat that dies is started again while the web server keeps answering."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.platform.conftest import child_env, free_port, manage, wait_until

pytestmark = [pytest.mark.celery_worker, pytest.mark.slow]

SOAK_SECONDS = 180
BEAT_JOB_RAN = re.compile(r"Task mdf\.tasks\.send_decision_emails\[[^\]]+\] succeeded")

ROUND_TRIP = "from partners.tasks import ping; print(ping.delay('after').get(timeout=120))"


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    """One migrated SQLite file for the module; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("migrated")
    database = folder / "db.sqlite3"
    env = child_env(folder / "var", DATABASE_URL=f"sqlite:///{database}")
    result = manage("migrate", "--no-input", env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return database


class Launcher:
    def __init__(self, process, log_path: Path, base: str, env: dict[str, str]):
        self.process, self.log_path, self.base, self.env = process, log_path, base, env

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self) -> str:
        return self.log()[-5000:]

    def pids(self, name: str) -> list[int]:
        return [int(pid) for pid in re.findall(rf"started {name} \(pid (\d+)\)", self.log())]

    def healthy(self) -> bool:
        try:
            response = requests.get(f"{self.base}/healthz", timeout=10)
        except requests.RequestException:
            return False
        return response.status_code == 200

    def round_trip(self) -> str:
        result = manage("shell", "-c", ROUND_TRIP, env=self.env, timeout=240)
        assert result.returncode == 0, result.stdout + result.stderr + self.tail()
        return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def launch(migrated_database, tmp_path, spawn):
    def start(**extra_env: str) -> Launcher:
        database = tmp_path / "db.sqlite3"
        shutil.copy(migrated_database, database)
        port = free_port()
        env = child_env(
            tmp_path / "var",
            DATABASE_URL=f"sqlite:///{database}",
            ADDR=f"127.0.0.1:{port}",
            **extra_env,
        )
        process = spawn(
            "devserver",
            [sys.executable, "scripts/devserver.py", "--addr", f"127.0.0.1:{port}"],
            env,
        )
        launcher = Launcher(process, tmp_path / "devserver.log", f"http://127.0.0.1:{port}", env)
        assert wait_until(launcher.healthy, timeout=120, interval=1), launcher.tail()
        return launcher

    return start


def test_web_worker_and_beat_stay_up_through_minutes_of_short_jobs(launch):
    # given: beat sends the decision emails job every second
    launcher = launch(MDF_DECISION_EMAIL_SECONDS="1")

    # when: minutes pass, the health endpoint asked every few seconds
    unanswered = []
    deadline = time.monotonic() + SOAK_SECONDS
    while time.monotonic() < deadline:
        if not launcher.healthy():
            unanswered.append(round(SOAK_SECONDS - (deadline - time.monotonic())))
        assert launcher.process.poll() is None, launcher.tail()
        time.sleep(5)

    # then: the web server answered throughout, nothing stopped, beat's job ran again and
    # again, and a task sent now comes back
    assert unanswered == [], launcher.tail()
    assert "stopped by itself" not in launcher.log(), launcher.tail()
    assert len(launcher.pids("worker")) == 1
    assert len(launcher.pids("beat")) == 1
    runs = BEAT_JOB_RAN.findall(launcher.log())
    assert len(runs) >= 10, launcher.tail()
    assert launcher.round_trip() == "pong:after"
    assert launcher.healthy()


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_a_child_that_dies_is_started_again_while_the_web_server_answers(launch, name):
    launcher = launch(MDF_DECISION_EMAIL_SECONDS="1")
    [first] = launcher.pids(name)

    # when: it dies without a chance to clean up
    os.kill(first, signal.SIGKILL)

    # then: the launcher says why and starts a new one; the web server answers meanwhile
    answered = []

    def restarted() -> bool:
        answered.append(launcher.healthy())
        return len(launcher.pids(name)) == 2

    assert wait_until(restarted, timeout=60, interval=0.5), launcher.tail()
    assert all(answered), launcher.tail()
    assert f"{name} stopped by itself (killed by SIGKILL" in launcher.log()
    assert launcher.process.poll() is None

    # and: the work goes on: beat's job runs again after the restart, a task comes back
    def job_ran_since_restart() -> bool:
        since = launcher.log().split(f"started {name} (pid {launcher.pids(name)[1]})", 1)[1]
        return BEAT_JOB_RAN.search(since) is not None

    assert wait_until(job_ran_since_restart, timeout=60, interval=1), launcher.tail()
    assert launcher.round_trip() == "pong:after"
    assert launcher.healthy()
