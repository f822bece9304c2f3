"""The web server and a Celery worker with embedded beat, together (`make run`).

Both run as children in their own process groups; Ctrl-C (or SIGTERM) here stops both
and waits for them. When either stops by itself, the other is stopped too and the
exit status says so. With no REDIS_URL, Celery uses kombu's filesystem transport.
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
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 10


def log(message: str) -> None:
    print(f"devserver: {message}", file=sys.stderr, flush=True)


def start(name: str, command: list[str]) -> subprocess.Popen:
    log(f"starting {name}: {' '.join(command)}")
    # Own process group: the terminal's Ctrl-C reaches only us, and we stop each child
    # with everything it started (runserver's reloader child, Celery's pool and beat).
    return subprocess.Popen(command, cwd=BASE_DIR, stdin=subprocess.DEVNULL, process_group=0)


def signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def stop_all(children: dict[str, subprocess.Popen]) -> None:
    # runserver's reloader does not pass SIGTERM on to its server child: signal the group.
    # Celery's main process shuts its pool and beat down itself (warm shutdown): only it.
    signal_group(children["web"], signal.SIGTERM)
    with contextlib.suppress(ProcessLookupError):
        children["worker"].send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, process in children.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop within {STOP_GRACE_SECONDS} s: killing it")
        # Whatever is left of the group (pool processes, reloader child) goes with it.
        signal_group(process, signal.SIGKILL)
        process.wait()


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
        "PartnerHub is running (Ctrl-C stops the web server and the Celery worker):",
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
    children = {
        "web": start("web", [python, "manage.py", "runserver", args.addr]),
        "worker": start(
            "worker",
            [python, "-m", "celery", "-A", "config", "worker", "-B", "--loglevel=INFO"],
        ),
    }

    stopping: list[int] = []

    def on_signal(signum: int, _frame) -> None:
        stopping.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)

    base, ready, status = f"http://{args.addr}", False, 0
    while not stopping:
        exited = {name: p.returncode for name, p in children.items() if p.poll() is not None}
        if exited:
            for name, code in exited.items():
                log(f"{name} stopped by itself (exit status {code}); stopping the rest")
            status = 1
            break
        if not ready and answers(f"{base}/healthz"):
            ready = True
            print(banner(base), flush=True)
        time.sleep(0.2)
    if stopping:
        log("stopping the web server and the Celery worker")
    stop_all(children)
    log("all stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
