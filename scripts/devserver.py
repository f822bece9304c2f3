"""The web server, a Celery worker and Celery beat, together (`make run`).

Each runs as a child in its own process group; Ctrl-C (or SIGTERM) here stops them all
and waits for them. A worker or beat that stops by itself is started again, after a pause
that grows while it keeps dying soon after each start; the web server keeps serving
meanwhile. When the web server itself stops, the rest are stopped too and the exit status
says so. With no REDIS_URL, Celery's broker and results are SQLite files in VAR_DIR.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 10
# A child that ran at least this long before dying was healthy: its next start is quick.
STABLE_SECONDS = 60.0
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 60.0


def log(message: str) -> None:
    print(f"devserver: {message}", file=sys.stderr, flush=True)


def signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def how_it_ended(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
        return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


@dataclass
class Child:
    name: str
    command: list[str]
    # runserver's reloader does not pass SIGTERM on to its server child: signal the group.
    # Celery's main process shuts its pool down itself (warm shutdown): only it.
    stop_group: bool = False
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_delay: float = FIRST_RESTART_DELAY
    restart_at: float | None = None

    def start(self) -> None:
        # Own process group: the terminal's Ctrl-C reaches only us, and we stop each child
        # with everything it started (runserver's reloader child, Celery's pool).
        self.process = subprocess.Popen(
            self.command, cwd=BASE_DIR, stdin=subprocess.DEVNULL, process_group=0
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        log(f"started {self.name} (pid {self.process.pid}): {' '.join(self.command)}")

    def ended(self) -> int | None:
        """The exit status when the child has stopped since it was started, else None."""
        if self.process is None or self.restart_at is not None:
            return None
        return self.process.poll()

    def schedule_restart(self, returncode: int) -> None:
        """Pause before the next start: doubled for each death soon after a start."""
        assert self.process is not None
        ran = time.monotonic() - self.started_at
        if ran >= STABLE_SECONDS:
            self.restart_delay = FIRST_RESTART_DELAY
        # What its pool or threads left behind goes before a new one starts.
        signal_group(self.process, signal.SIGKILL)
        log(
            f"{self.name} stopped by itself ({how_it_ended(returncode)}, after {ran:.0f} s; "
            f"its last lines above say why); starting it again in {self.restart_delay:.0f} s"
        )
        self.restart_at = time.monotonic() + self.restart_delay
        self.restart_delay = min(self.restart_delay * 2, MAX_RESTART_DELAY)

    def due(self) -> bool:
        return self.restart_at is not None and time.monotonic() >= self.restart_at

    def request_stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if self.stop_group:
            signal_group(self.process, signal.SIGTERM)
        else:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{self.name} did not stop within {STOP_GRACE_SECONDS} s: killing it")
        # Whatever is left of the group (pool processes, reloader child) goes with it.
        signal_group(self.process, signal.SIGKILL)
        self.process.wait()


def stop_all(children: list[Child]) -> None:
    for child in children:
        child.request_stop()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        child.wait_stopped(deadline)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - our own http:// URL
            return True
    except urllib.error.HTTPError:
        return True  # it answered, even if something is down; /healthz says what
    except OSError:
        return False


def banner(base: str) -> str:
    lines = [
        "",
        "PartnerHub is running (Ctrl-C stops the web server, the Celery worker and beat):",
        f"  Partner portal   {base}/portal/",
        f"  Staff admin      {base}/admin/",
        f"  API docs         {base}/api/docs/",
        f"  Health           {base}/healthz",
        "  Demo logins and their password: printed above by seed_demo.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port of the web server")
    args = parser.parse_args()
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "config"]
    web = Child("web", [python, "manage.py", "runserver", args.addr], stop_group=True)
    # Beat apart from the worker, so either can be started again without the other; one
    # beat only, ever (two would send every scheduled job twice).
    restartable = [
        Child("worker", [*celery, "worker", "--loglevel=INFO"]),
        Child("beat", [*celery, "beat", "--loglevel=INFO"]),
    ]
    children = [web, *restartable]

    stopping: list[int] = []

    def on_signal(signum: int, _frame) -> None:
        stopping.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)

    for child in children:
        child.start()
    base, ready, status = f"http://{args.addr}", False, 0
    while not stopping:
        if (code := web.ended()) is not None:
            log(f"web stopped by itself ({how_it_ended(code)}); stopping the rest")
            status = 1
            break
        for child in restartable:
            if (code := child.ended()) is not None:
                child.schedule_restart(code)
            elif child.due():
                child.start()
        if not ready and answers(f"{base}/healthz"):
            ready = True
            print(banner(base), flush=True)
        time.sleep(0.2)
    if stopping:
        log("stopping the web server, the Celery worker and beat")
    stop_all(children)
    log("all stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
