"""Helpers for the platform tests that run `manage.py` or a Celery worker as real processes.

Every child gets its own VAR_DIR (database file, media, broker folders) under the test's
tmp_path, starts in its own process group and is stopped, with everything it started,
when the test ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Variables of the test run that must not leak into a child's settings.
_NOT_INHERITED = (
    "REDIS_URL",
    "TEST_REDIS_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # tests/browser sets it; check --deploy rightly refuses it
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(var_dir: Path, **overrides: str | None) -> dict[str, str]:
    """The test run's environment for a child process, with its own VAR_DIR.

    An override of None removes the variable.
    """
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env["VAR_DIR"] = str(var_dir)
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def stop_process(process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM the child's process group, SIGKILL what is left after `grace` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture
def spawn(tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start a child (output to a log file under tmp_path); stopped at teardown.

    The returned process has a `log_text()` for assertion messages.
    """
    started: list[subprocess.Popen] = []

    def start(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log_path = tmp_path / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,
            )
        process.log_text = lambda: log_path.read_text(errors="replace")[-4000:]
        started.append(process)
        return process

    yield start
    for process in started:
        stop_process(process)
