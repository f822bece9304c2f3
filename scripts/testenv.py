"""Find PostgreSQL and Redis for the test suite, then run pytest (`make test`).

PostgreSQL, first that works:
  1. DATABASE_URL, when given;
  2. the server on 127.0.0.1:5432 (postgres://postgres@127.0.0.1:5432/partnerhub), when it
     accepts a connection;
  3. a throwaway cluster made with the PostgreSQL binaries on this machine (initdb, pg_ctl),
     stopped and deleted when the run ends;
  4. otherwise: stop, saying how to get PostgreSQL.
Redis, first that works: TEST_REDIS_URL or REDIS_URL; 127.0.0.1:6379 when it answers PING;
`redis-server` on a free port when the binary exists (stopped at the end); otherwise none,
so the Redis tests skip (with CI=true they fail instead).

pytest gets DATABASE_URL and TEST_REDIS_URL. REDIS_URL is removed: the application under
test keeps its embedded cache and broker unless a test points it at Redis itself. VAR_DIR
is a throwaway folder, so a test run never touches the var/ of `make run`.

Arguments after the script's name, and PYTEST_ARGS, go to pytest. Tests are spread over
PYTEST_WORKERS processes with pytest-xdist (default: one per core, at most 4; 0 turns it off),
handed out one at a time, the longest first (see `DISTRIBUTION`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/partnerhub"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
HOW_TO_GET_POSTGRES = """\
The test suite runs on PostgreSQL, and none was found. Any one of these will do:
  * point DATABASE_URL at a server you can create databases on:
      make test DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/partnerhub
  * run a server on 127.0.0.1:5432 that lets user "postgres" in without a password;
  * install the PostgreSQL server binaries (Debian/Ubuntu: apt-get install postgresql;
    macOS: brew install postgresql@15) and `make test` starts a throwaway cluster itself."""

Cleanup = Callable[[], None]


def log(message: str) -> None:
    print(f"testenv: {message}", file=sys.stderr, flush=True)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


# --- PostgreSQL -------------------------------------------------------------------


def postgres_accepts(url: str) -> bool:
    """True when we can log in to the server's maintenance database with this URL."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = "postgres"  # the test database is created by pytest-django
    try:
        with psycopg.connect(make_conninfo(**params), connect_timeout=3):
            return True
    except psycopg.Error as exc:
        log(f"{url} does not accept us: {str(exc).strip().splitlines()[0]}")
        return False


def postgres_bindir() -> Path | None:
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))

    def major(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major)[::-1]]
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def start_throwaway_postgres(bindir: Path) -> tuple[str, Cleanup]:
    """initdb + pg_ctl start in a temporary folder; PostgreSQL refuses to run as root."""
    run_as: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="partnerhub-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(workdir)
            raise RuntimeError("running as root, and no 'postgres' user to run as") from None
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    workdir.chmod(0o700)
    data, port = workdir / "data", free_port()
    pg_ctl = [*run_as, str(bindir / "pg_ctl"), "-D", str(data)]

    def cleanup() -> None:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)

    try:
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
            + ["-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        # Durability is worth nothing for a throwaway test cluster; speed is.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={workdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            [*pg_ctl, "-l", str(workdir / "postgresql.log"), "-w", "-o", options, "start"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        cleanup()
        output = (exc.stderr or exc.stdout or b"").decode(errors="replace").strip()
        raise RuntimeError(f"{' '.join(exc.cmd[:3])} failed: {output}") from None
    return f"postgres://postgres@127.0.0.1:{port}/partnerhub", cleanup


def resolve_postgres(cleanups: list[Cleanup]) -> str:
    if url := os.environ.get("DATABASE_URL"):
        log("PostgreSQL: DATABASE_URL as given")
        return url
    if postgres_accepts(LOCAL_POSTGRES):
        log(f"PostgreSQL: the server on 127.0.0.1:5432 ({LOCAL_POSTGRES})")
        return LOCAL_POSTGRES
    if bindir := postgres_bindir():
        try:
            url, cleanup = start_throwaway_postgres(bindir)
        except RuntimeError as exc:
            log(f"could not start a throwaway PostgreSQL from {bindir}: {exc}")
        else:
            cleanups.append(cleanup)
            log(f"PostgreSQL: a throwaway cluster from {bindir} ({url})")
            return url
    log(HOW_TO_GET_POSTGRES)
    sys.exit(2)


# --- Redis --------------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def start_redis(binary: str) -> tuple[str, Cleanup]:
    workdir = tempfile.mkdtemp(prefix="partnerhub-redis-")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        + ["--dir", workdir],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        process_group=0,  # our Ctrl-C goes to pytest; we stop Redis after it
    )

    def cleanup() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    url = f"redis://127.0.0.1:{port}/0"
    if not wait_until(lambda: process.poll() is None and redis_answers(url), timeout=10):
        cleanup()
        raise RuntimeError("redis-server did not answer PING within 10 s")
    return url, cleanup


def resolve_redis(cleanups: list[Cleanup]) -> str | None:
    for name in ("TEST_REDIS_URL", "REDIS_URL"):
        if url := os.environ.get(name):
            log(f"Redis: {name} as given")
            return url
    if redis_answers(LOCAL_REDIS):
        log(f"Redis: the server on 127.0.0.1:6379 ({LOCAL_REDIS})")
        return LOCAL_REDIS
    if binary := shutil.which("redis-server"):
        try:
            url, cleanup = start_redis(binary)
        except RuntimeError as exc:
            log(f"could not start {binary}: {exc}")
        else:
            cleanups.append(cleanup)
            log(f"Redis: {binary} on a free port ({url})")
            return url
    how = "set REDIS_URL, run Redis on 127.0.0.1:6379, or install redis-server"
    if in_ci():
        log(f"Redis: none found; with CI=true the Redis tests will fail ({how})")
    else:
        log(f"Redis: none found; the Redis tests will be skipped ({how})")
    return None


# --- pytest ---------------------------------------------------------------------------


# One test at a time to whichever worker is free, in the order of the collection
# (tests/conftest.py puts the long ones first): the workers finish together. xdist's
# default hands out large blocks, so a worker could get all the long tests at once.
DISTRIBUTION = ["--dist", "load", "--maxschedchunk", "1"]


def cores() -> int:
    """The cores this process may run on (not those of the whole machine)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def xdist_args(pytest_args: list[str]) -> list[str]:
    """One worker per core (at most 4) unless the caller chose, or asked for no xdist."""
    chosen = any(
        arg in {"-n", "--numprocesses", "--dist"}
        or arg.startswith(("-n", "--numprocesses=", "--dist="))
        for arg in pytest_args
    )
    if chosen or "no:xdist" in pytest_args:
        return []
    workers = os.environ.get("PYTEST_WORKERS") or str(min(cores(), 4))
    return [] if workers in {"0", "1"} else ["-n", workers, *DISTRIBUTION]


def run_pytest(pytest_args: list[str], env: dict[str, str]) -> int:
    command = [sys.executable, "-m", "pytest", *xdist_args(pytest_args), *pytest_args]
    log("running " + shlex.join(command[1:]))
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env)

    # pytest shares our process group, so a Ctrl-C from the terminal reaches it directly:
    # we ignore ours and clean up once it has finished. SIGTERM/SIGHUP are passed on.
    def forward(signum: int, _frame) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    return process.wait()


def main() -> int:
    pytest_args = sys.argv[1:] + shlex.split(os.environ.get("PYTEST_ARGS", ""))
    cleanups: list[Cleanup] = []
    try:
        env = dict(os.environ)
        env["DATABASE_URL"] = resolve_postgres(cleanups)
        env.pop("REDIS_URL", None)
        env.pop("TEST_REDIS_URL", None)
        if redis_url := resolve_redis(cleanups):
            env["TEST_REDIS_URL"] = redis_url
        if "VAR_DIR" not in env:
            var_dir = tempfile.mkdtemp(prefix="partnerhub-var-")
            cleanups.append(lambda: shutil.rmtree(var_dir, ignore_errors=True))
            env["VAR_DIR"] = var_dir
        return run_pytest(pytest_args, env)
    finally:
        for cleanup in reversed(cleanups):
            cleanup()


if __name__ == "__main__":
    sys.exit(main())
