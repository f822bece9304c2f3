"""Benchmark: tracking-link redirects per second, the click recorded, against a bare view.

Two gunicorn servers run the project's WSGI application with DEBUG off on a scratch
PostgreSQL database (created and dropped here), same settings, same middleware, same
worker model (gthread: keep-alive connections):
- the app: `/t/<code>` as it is (the code's destination from the cache, after the
  first click of each code in each worker from the database; visitor key, user-agent
  check; the click's one INSERT; the 302 with the launch's UTMs); the repeat and burst
  rules are applied by the rollup, run once at the end;
- the bare view: a Django view that answers the same 302 (same Location and headers)
  and does nothing else, mounted by a URLconf that exists only in this file (the
  second server's ROOT_URLCONF is this module; the app has no such route).
The load comes from `wrk` (Debian's package) with many keep-alive connections, or,
when wrk is not installed, from a Python client with one thread per connection (says
which). Each request names a random launch of 50 (10 partners), a visitor address
among 20,000 (X-Forwarded-For, the app is told it sits behind one proxy, as in
production) and a user agent among a few real ones (one of them Googlebot): repeats,
bots and the occasional burst happen as they would.

The two servers take turns, bare first, in rounds of equal length; the figure is the
median of the rounds' app/bare ratios (a shared machine's speed drifts between rounds,
not within one). At the end every app redirect must have its click in the table.

    .venv/bin/python bench/tracking_redirect.py            # 5 rounds of 15 s
    .venv/bin/python bench/tracking_redirect.py --quick    # 3 rounds of 6 s (< 2 minutes)

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
The last lines are `figure: NAME VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.urls import path

ROOT = Path(__file__).resolve().parent.parent
PARTNERS = 10
LAUNCHES_PER_PARTNER = 5
VISITORS = 20_000
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]
LANDING = "https://www.example.com/cloud-backup?lang=en&ref=partners#request-demo"


# --- the bare server (gunicorn loads `tracking_redirect:bare_app()`) --------------------


def bare_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """The same 302 as the tracking link's, with nothing looked up or recorded."""
    response = HttpResponseRedirect(os.environ["BENCH_LOCATION"])
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


def bare_redirect_or_404(request: HttpRequest, code: str) -> HttpResponse:
    if code == "-":  # the start-up check's unknown code
        return HttpResponseNotFound()
    return bare_redirect(request, code)


urlpatterns = [path("t/<str:code>", bare_redirect_or_404)]


def bare_app():  # noqa: ANN201 - a WSGI callable for gunicorn
    """The project's WSGI application with this module as its URLconf (bench only)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    settings.ROOT_URLCONF = __name__
    return application


# --- set-up ----------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 6 s")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=float, help="length of one side's round")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--python-client", action="store_true", help="use the Python client even if wrk exists"
    )
    return parser.parse_args()


def scratch_database() -> tuple[str, str]:
    import psycopg

    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_tracking_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    return server, urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(server: str, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_launches() -> list[str]:
    """10 partners, one published kit, 5 active launches each: their codes."""
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from campaigns.models import CampaignKit, Channel, Launch
    from partners.models import Partner, Tier
    from partners.services import partner_create

    tier, _ = Tier.objects.get_or_create(slug="gold", defaults={"name": "Gold", "rank": 30})
    user = get_user_model().objects.create_user("bench-admin")
    kit = CampaignKit.objects.create(
        name="Cloud backup",
        slug="cloud-backup",
        objective=CampaignKit.Objective.LEAD_GENERATION,
        channels=[Channel.EMAIL],
        start_date=date(2026, 1, 1),
        end_date=date(2030, 12, 31),
        landing_url=LANDING,
        status=CampaignKit.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    codes = []
    with scopes_disabled():
        for number in range(PARTNERS):
            partner = partner_create(
                actor=None,
                name=f"Bench Partner {number}",
                slug=f"bench-{number}",
                tier=tier,
                partner_type=Partner.Type.RESELLER,
                status=Partner.Status.ACTIVE,
            )
            for channel in list(Channel.values)[:LAUNCHES_PER_PARTNER]:
                launch = Launch.objects.create(
                    partner=partner,
                    kit=kit,
                    channel=channel,
                    start_date=date(2026, 1, 1),
                    end_date=date(2030, 12, 31),
                    status=Launch.Status.ACTIVE,
                    created_by=user,
                )
                codes.append(launch.code)
    return codes


def start_gunicorn(app: str, port: int, env: dict[str, str], args) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--pythonpath",
            str(ROOT / "bench"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            # An unknown code: a 404 from either server once it is up (the app's
            # /healthz would also wait on the broker, which the bench does not run).
            urllib.request.urlopen(f"http://127.0.0.1:{port}/t/-", timeout=1)  # noqa: S310
        except urllib.error.HTTPError as answer:
            if answer.code == 404:
                return server
            stop(server)
            raise SystemExit(f"gunicorn ({app}) answered {answer.code}") from None
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                stop(server)
                raise SystemExit(f"gunicorn ({app}) did not start") from None
            time.sleep(0.2)


def stop(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time each process has used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def server_pids(server: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [server.pid, *(int(pid) for pid in children.read_text().split())]


def backend_pids() -> list[int]:
    """The PostgreSQL backends serving the scratch database (the app's connections)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


class CpuMeter:
    """CPU used by a set of processes over a round: the servers' own cost per request,
    whatever else the machine is doing (PostgreSQL backends found at the start and the
    end of the round; one that connects during it counts from zero)."""

    def __init__(self, pids: list[int]) -> None:
        self.before = cpu_seconds(pids)

    def used(self, pids: list[int]) -> float:
        after = cpu_seconds(sorted(set(pids) | set(self.before)))
        return sum(after[pid] - self.before.get(pid, 0.0) for pid in after)


# --- load ------------------------------------------------------------------------------


def wrk_script(codes: list[str], folder: Path) -> Path:
    lua = folder / "tracking.lua"
    quoted = ", ".join(f'"{code}"' for code in codes)
    agents = ", ".join('"' + agent.replace('"', '\\"') + '"' for agent in USER_AGENTS)
    lua.write_text(
        f"""
local codes = {{{quoted}}}
local agents = {{{agents}}}
math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
request = function()
  local visitor = math.random({VISITORS})
  local ip = "10." .. (visitor % 250) .. "." .. math.floor(visitor / 250) % 250 .. ".7"
  local headers = {{}}
  headers["User-Agent"] = agents[(visitor % #agents) + 1]
  headers["X-Forwarded-For"] = ip
  return wrk.format("GET", "/t/" .. codes[math.random(#codes)], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %.3f\\n", summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.duration,
    latency:percentile(99) / 1000))
end
"""
    )
    return lua


def run_wrk(port: int, seconds: float, connections: int, script: Path) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) ([\d.]+)", out)
    if not match:
        raise SystemExit(f"wrk said:\n{out}")
    requests, bad_status, socket_errors, micros, p99 = match.groups()
    # wrk counts 3xx as good; the servers answer 302 or nothing else.
    return {
        "requests": int(requests),
        "bad": int(bad_status) + int(socket_errors),
        "rate": int(requests) / (int(micros) / 1e6),
        "p99_ms": float(p99),
    }


def run_python(port: int, seconds: float, connections: int, codes: list[str]) -> dict[str, float]:
    """One thread per keep-alive connection (http.client), each GET checked for 302."""
    stop_at = time.monotonic() + seconds
    counts = [0] * connections
    bad = [0] * connections
    latencies: list[float] = []

    def client(index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            visitor = rng.randrange(VISITORS)
            started = time.perf_counter()
            conn.request(
                "GET",
                "/t/" + rng.choice(codes),
                headers={
                    "User-Agent": USER_AGENTS[visitor % len(USER_AGENTS)],
                    "X-Forwarded-For": f"10.{visitor % 250}.{visitor // 250 % 250}.7",
                },
            )
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            counts[index] += 1
            bad[index] += response.status != 302
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "requests": sum(counts),
        "bad": sum(bad),
        "rate": sum(counts) / elapsed,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0,
    }


# --- main -------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    rounds = args.rounds or (3 if args.quick else 5)
    seconds = args.seconds or (6 if args.quick else 15)
    use_wrk = bool(shutil.which("wrk")) and not args.python_client
    work = Path(tempfile.mkdtemp(prefix="tracking-bench-"))
    server_url, db_url = scratch_database()
    env = {
        **os.environ,
        "VAR_DIR": str(work / "var"),
        "DATABASE_URL": db_url + os.environ.get("BENCH_DB_QUERY", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PROXY_COUNT": "1",
        "AWS_STORAGE_BUCKET_NAME": "",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    app = bare = None
    try:
        for command in (["migrate"], ["collectstatic", "--noinput"]):  # the 404 page's CSS
            subprocess.run(
                [sys.executable, "manage.py", *command, "-v0"], cwd=ROOT, env=env, check=True
            )
        import django

        django.setup()
        from django.db import connection
        from django_scopes import scopes_disabled

        from analytics.models import ResultEvent
        from campaigns.selectors import launch_by_code, launch_destination

        codes = make_launches()
        location = launch_destination(launch_by_code(codes[0]))
        print(f"{len(codes)} launches; a redirect goes to {location}", flush=True)
        connection.close()
        app_port, bare_port = free_port(), free_port()
        app = start_gunicorn("config.wsgi:application", app_port, env, args)
        bare = start_gunicorn(
            "tracking_redirect:bare_app()", bare_port, {**env, "BENCH_LOCATION": location}, args
        )
        check = http.client.HTTPConnection("127.0.0.1", bare_port)
        check.request("GET", f"/t/{codes[0]}")
        bare_response = check.getresponse()
        assert bare_response.status == 302 and bare_response.getheader("Location") == location
        script = wrk_script(codes, work)

        def load(port: int, duration: float) -> dict[str, float]:
            if use_wrk:
                return run_wrk(port, duration, args.connections, script)
            return run_python(port, duration, args.connections, codes)

        client = (
            f"wrk, 2 threads, {args.connections} keep-alive connections"
            if use_wrk
            else f"Python client, {args.connections} threads with keep-alive connections"
        )
        print(
            f"load: {client}; servers: gunicorn gthread, {args.workers} workers × "
            f"{args.threads} threads; {rounds} rounds of {seconds:g} s each side",
            flush=True,
        )
        app_requests = 0
        for port in (bare_port, app_port):  # warm up: connections, imports, caches
            app_requests += load(port, 2)["requests"] if port == app_port else 0
        ratios, app_rates, bare_rates, app_p99, bare_p99 = [], [], [], [], []
        app_cpu, bare_cpu = [], []
        bad = 0
        for number in range(1, rounds + 1):
            meter = CpuMeter(server_pids(bare))
            plain = load(bare_port, seconds)
            bare_cpu.append(meter.used(server_pids(bare)) / plain["requests"] * 1000)
            web, database = CpuMeter(server_pids(app)), CpuMeter(backend_pids())
            tracked = load(app_port, seconds)
            web_ms = web.used(server_pids(app)) / tracked["requests"] * 1000
            database_ms = database.used(backend_pids()) / tracked["requests"] * 1000
            app_cpu.append(web_ms + database_ms)
            app_requests += tracked["requests"]
            bad += int(plain["bad"] + tracked["bad"])
            ratios.append(tracked["rate"] / plain["rate"])
            app_rates.append(tracked["rate"])
            bare_rates.append(plain["rate"])
            app_p99.append(tracked["p99_ms"])
            bare_p99.append(plain["p99_ms"])
            print(
                f"round {number}: bare {plain['rate']:.0f}/s (p99 {plain['p99_ms']:.1f} ms), "
                f"tracking {tracked['rate']:.0f}/s (p99 {tracked['p99_ms']:.1f} ms): "
                f"{ratios[-1]:.2f} x; CPU per redirect: bare {bare_cpu[-1]:.2f} ms, "
                f"tracking {app_cpu[-1]:.2f} ms (gunicorn {web_ms:.2f}, PostgreSQL "
                f"{database_ms:.2f})",
                flush=True,
            )
        # The request records the clicks; the rollup judges them (repeats, bursts).
        from analytics.rollup import rollup_metrics

        judging = time.perf_counter()
        rollup_metrics()
        judging = time.perf_counter() - judging
        with scopes_disabled():
            recorded = ResultEvent.objects.filter(kind="click").count()
            bots = ResultEvent.objects.filter(kind="click").exclude(bot_reason="").count()
            repeats = ResultEvent.objects.filter(kind="click", repeat=True).count()
        print(
            f"clicks recorded {recorded} for {app_requests} redirects counted by the client "
            f"({bots} bots, {repeats} repeats, judged and rolled up by one rollup in "
            f"{judging:.1f} s); non-302 answers or socket errors: {bad}"
        )
        # The client stops counting with requests still in flight; the server finishes
        # them, so the table may hold up to one more per connection and run.
        assert app_requests <= recorded <= app_requests + args.connections * (rounds + 1), (
            recorded,
            app_requests,
        )
        assert bad == 0, bad
        print(
            "CPU per redirect, servers only (the machine's other load left out): tracking "
            f"{statistics.median(app_cpu):.2f} ms, bare {statistics.median(bare_cpu):.2f} ms: "
            f"{statistics.median(bare_cpu) / statistics.median(app_cpu):.2f} x"
        )
        print(f"figure: redirect_vs_bare {statistics.median(ratios):.2f} x")
        print(f"figure: redirects_per_s {statistics.median(app_rates):.0f} redirects/s")
        print(f"figure: bare_redirects_per_s {statistics.median(bare_rates):.0f} redirects/s")
        print(f"figure: redirect_cpu_ms {statistics.median(app_cpu):.2f} ms")
        print(f"figure: bare_cpu_ms {statistics.median(bare_cpu):.2f} ms")
        print(f"figure: redirect_p99_ms {statistics.median(app_p99):.1f} ms")
        print(f"figure: bare_p99_ms {statistics.median(bare_p99):.1f} ms")
    finally:
        stop(app)
        stop(bare)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110 - django may not be set up yet
            pass
        drop_database(server_url, db_url)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
