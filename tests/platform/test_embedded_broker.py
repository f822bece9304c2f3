"""The embedded broker of `make run` (no REDIS_URL) under load: several producer processes
send thousands of messages while a real worker consumes them, and a producer is paused
in the middle of sending, as a loaded machine pauses a process. Every message arrives
exactly once, and the worker lives through it (kombu's filesystem transport handed the
worker a message whose file was created but not yet written, which stopped it: kombu
issue #1551)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.platform.conftest import ROOT, child_env, wait_until

pytestmark = [pytest.mark.celery_worker, pytest.mark.slow]

PRODUCERS = 4
MESSAGES_EACH = 500
PAUSES = 40
# A message of some size takes a while to write, so a pause often falls in the middle.
PADDING = 64 * 1024

PRODUCE = """
import django, sys
from pathlib import Path
django.setup()
from partners.tasks import ping
producer, count, padding = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stop = Path(sys.argv[4]) if len(sys.argv) > 4 else None
i = 0
while i < count and not (stop and stop.exists()):
    task_id = f"load-{producer}-{i}"
    ping.apply_async([task_id + "." * padding], task_id=task_id, ignore_result=True)
    i += 1
print("sent", i)
"""
RAN = re.compile(r"Task partners\.tasks\.ping\[(load-[\w-]+)\] succeeded")

ROUND_TRIP = """
import django
django.setup()
from partners.tasks import ping
print(ping.delay("last").get(timeout=120))
"""


def run_python(code: str, *args: str, env: dict[str, str], timeout: float) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_thousands_of_messages_from_several_producers_arrive_once_each(tmp_path, spawn):
    var_dir = tmp_path / "var"
    # The ping task reads no table: a database file that was never migrated will do.
    env = child_env(var_dir, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    worker = spawn(
        "worker",
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"],
        env,
    )
    log_path = tmp_path / "worker.log"

    # when: several processes send at once
    producers = [
        subprocess.Popen(
            [sys.executable, "-c", PRODUCE, f"p{n}", str(MESSAGES_EACH), "0"],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in range(PRODUCERS)
    ]
    for producer in producers:
        output, _ = producer.communicate(timeout=600)
        assert producer.returncode == 0, output

    # then: the worker ran each message exactly once, and is still running
    expected = {f"load-p{n}-{i}" for n in range(PRODUCERS) for i in range(MESSAGES_EACH)}

    def ran() -> Counter:
        return Counter(RAN.findall(log_path.read_text(errors="replace")))

    finished = wait_until(
        lambda: worker.poll() is not None or set(ran()) >= expected, timeout=900, interval=2
    )
    assert worker.poll() is None, f"the worker stopped:\n{worker.log_text()}"
    assert finished, f"{len(expected - set(ran()))} messages never ran:\n{worker.log_text()}"
    counts = ran()
    assert set(counts) == expected
    assert [task for task, times in counts.items() if times != 1] == []

    # and: a task sent now still comes back with its answer
    assert run_python(ROUND_TRIP, env=env, timeout=180).strip() == "pong:last"
    assert worker.poll() is None


def test_a_producer_paused_while_sending_never_hands_the_worker_half_a_message(tmp_path, spawn):
    env = child_env(tmp_path / "var", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    worker = spawn(
        "worker",
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"],
        env,
    )
    log_path = tmp_path / "worker.log"
    stop = tmp_path / "stop"
    producer = subprocess.Popen(
        [sys.executable, "-c", PRODUCE, "paused", "1000000", str(PADDING), str(stop)],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    # when: the producer runs a few messages at a time and is stopped wherever it is,
    # for long enough that the worker, having taken what came before, looks again
    try:
        assert wait_until(lambda: RAN.search(log_path.read_text(errors="replace")), timeout=120)
        for _pause in range(PAUSES):
            os.kill(producer.pid, signal.SIGSTOP)
            time.sleep(2.5)
            os.kill(producer.pid, signal.SIGCONT)
            time.sleep(0.02)
            if worker.poll() is not None:
                break
    finally:
        stop.touch()
        os.kill(producer.pid, signal.SIGCONT)
    output, _ = producer.communicate(timeout=120)
    assert producer.returncode == 0, output
    sent = int(output.split("sent ")[-1])

    # then: the worker lives, and ran every message once
    assert worker.poll() is None, f"the worker stopped:\n{worker.log_text()}"
    expected = {f"load-paused-{i}" for i in range(sent)}

    def ran() -> Counter:
        return Counter(RAN.findall(log_path.read_text(errors="replace")))

    assert wait_until(lambda: set(ran()) >= expected, timeout=300, interval=2), (
        f"{len(expected - set(ran()))} of {sent} messages never ran:\n{worker.log_text()}"
    )
    counts = ran()
    assert set(counts) == expected
    assert [task for task, times in counts.items() if times != 1] == []
    assert worker.poll() is None
