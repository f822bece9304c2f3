"""MDF under contention: 50 clients moving money on ONE allocation at once.

A guard, not a target: it fails (exit status 1) on any violation. It compares, in the
same run on the same PostgreSQL server:
- the services: request approvals (commit) and claim approvals (spend) through
  mdf.services, each in its own transaction with row locks, ledger entry and hash
  chain, from 50 client processes with their own connections (as web workers);
- the bare engine: the same moves as single `UPDATE … SET … WHERE available >= amount`
  statements from 50 client processes with their own connections.
The allocation is over-subscribed (more is asked than allocated), so both sides must
refuse some moves. At the end the invariants are checked (nothing negative, nothing
overspent, `mdf_reconcile` clean); every failure counts as a violation.

Both sides run warm: each client rehearses one move, rolled back, before the clock
starts (a web worker has long been connected and paged in), Django runs with DEBUG
off, as in production, and no client exits before the clock stops (a web worker lives
on; an exiting process's teardown would be counted in the window). The two take
turns: the whole bare loop (a fresh row, all its moves) runs before, between and after
the service rounds (full: two rounds per phase; --quick: one), and each side's rate is
all its moves over all its time, so that a shared machine's drifting speed weighs on
both alike. For context (not the bar) a third loop writes the rows a service move
writes, in plain SQL from a bare client: lock the request, update it, write its event,
move the allocation (guarded), append a ledger row, commit.

The machine is saturated during the rounds, so each loop's rate is the machine's CPU
divided by the CPU one move costs, clients, server and kernel together (printed as
`*_cpu_per_move_ms`).

Usage: .venv/bin/python bench/mdf_contention.py [--quick]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres):
a scratch database is created and dropped. The figures come last, one per line:
`figure: NAME VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CLIENTS = 50


def scratch_database() -> tuple[str, str]:
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_mdf_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    return server, urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(server: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine_busy_seconds() -> float:
    """CPU time all processes on this machine have used since boot (Linux /proc/stat),
    idle and I/O wait left out: the same clock for the clients and the server."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return float("nan")
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def run_clients(work, items, rehearse, clients=None):
    """Split items over `clients` processes (each with its own database connection,
    as web workers are), release them together, and time until all are done.
    Before the clock starts each client rehearses one move (`rehearse(item)`, rolled
    back), so it runs warm, as a long-running web worker does: connected, its code
    and data paged in (after a fork, first touches copy memory pages).
    Returns (wall seconds, per-move latencies in ms, successes, machine CPU seconds)."""
    import gc
    import multiprocessing

    from django.db import connections

    clients = clients or CLIENTS
    chunks = [items[i::clients] for i in range(clients)]
    if clients == 1:  # inline, so a profiler sees the moves
        busy, started = machine_busy_seconds(), time.perf_counter()
        latencies, ok = _run_chunk(work, chunks[0])
        return time.perf_counter() - started, latencies, ok, machine_busy_seconds() - busy
    context = multiprocessing.get_context("fork")
    gc.freeze()  # what the parent made stays shared (no collection copies it per child)
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    clock_stopped = context.Event()
    connections.close_all()  # children must not share the parent's sockets

    def child(chunk):
        if chunk:
            rehearse(chunk[0])
        barrier.wait()
        results.put(_run_chunk(work, chunk))
        clock_stopped.wait(timeout=600)  # a web worker lives on: no exit on the clock
        connections.close_all()

    processes = [context.Process(target=child, args=(chunk,)) for chunk in chunks]
    for process in processes:
        process.start()
    barrier.wait()
    busy, started = machine_busy_seconds(), time.perf_counter()
    collected = [results.get(timeout=600) for _ in processes]
    elapsed, busy = time.perf_counter() - started, machine_busy_seconds() - busy
    clock_stopped.set()
    for process in processes:
        process.join(timeout=60)
    latencies = [value for chunk_latencies, _ok in collected for value in chunk_latencies]
    return elapsed, latencies, sum(ok for _latencies, ok in collected), busy


class Rehearsal(Exception):  # noqa: N818 - control flow: undo the rehearsed move
    pass


def rolled_back(move) -> None:
    """Run one move in a transaction and roll it back: a rehearsal, nothing stays."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    try:
        with transaction.atomic():
            move()
            raise Rehearsal
    except (Rehearsal, ValidationError):
        pass


def _run_chunk(work, chunk) -> tuple[list[float], int]:
    latencies, ok = [], 0
    for item in chunk:
        started = time.perf_counter()
        ok += 1 if work(item) else 0
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, ok


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small run (well under 2 minutes)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    args = parser.parse_args()
    global CLIENTS
    CLIENTS = args.clients
    requests_count = 400 if args.quick else 2000
    request_cost = Decimal("100.00")
    # Over-subscribed: 80 % of the requests fit in the allocation.
    allocated = request_cost * requests_count * Decimal("0.8")

    server, url = scratch_database()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "false"  # as in production: no query log kept per cursor
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-mdf-"))
    try:
        import django

        django.setup()
        from django.conf import settings

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        result = measure(requests_count, request_cost, allocated)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server, url)
    report(result)
    if result["violations"]:
        sys.exit(1)


def measure(requests_count: int, request_cost: Decimal, allocated: Decimal) -> dict:
    from django.contrib.auth.models import Group, User
    from django.core.exceptions import ValidationError
    from django.db import connection
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from mdf import services
    from mdf.models import ActivityType, Allocation, FundPool, FundRequest
    from mdf.reconcile import reconcile
    from partners import roles
    from partners.models import Membership, Partner, Tier
    from partners.services import membership_create, partner_create

    print(f"setting up {requests_count} requests on one allocation of {allocated} …", flush=True)
    manager = User.objects.create_user("manager", is_staff=True, email="m@example.com")
    manager.groups.add(Group.objects.get(name=roles.CHANNEL_MANAGER))
    finance = User.objects.create_user("finance", is_staff=True, email="f@example.com")
    finance.groups.add(Group.objects.get(name=roles.FINANCE_APPROVER))
    marketer = User.objects.create_user("marketer", email="p@example.com")
    tier = Tier.objects.create(name="Gold", slug="gold", rank=30)
    partner = partner_create(
        actor=None,
        name="Bench Partner",
        slug="bench",
        tier=tier,
        partner_type=Partner.Type.RESELLER,
        status="active",
        channel_manager=manager,
    )
    membership_create(partner=partner, user=marketer, role=Membership.Role.MARKETER)
    today = timezone.localdate()
    pool = FundPool.objects.create(
        name="Bench pool",
        currency="EUR",
        total=allocated * 2,
        period_start=today,
        period_end=today + timedelta(days=90),
        request_deadline=today + timedelta(days=60),
        claim_deadline=today + timedelta(days=90),
        finance_threshold=Decimal("1000000"),
    )
    activity = ActivityType.objects.create(slug="webinar", name="Webinar")
    allocation = services.allocation_create(
        pool=pool, partner=partner, amount=allocated, actor=manager, reason="bench"
    )
    start = today + timedelta(days=5)
    fund_requests = []
    for number in range(requests_count):
        fund_request = services.request_create(
            partner=partner,
            allocation=allocation,
            activity_type=activity,
            title=f"Webinar {number}",
            description="bench",
            activity_start=start,
            activity_end=start,
            requested_amount=request_cost,
            actor=marketer,
        )
        fund_requests.append(fund_request)
    # Submitting checks "available" against the allocation: submit before approving any.
    for fund_request in fund_requests:
        services.request_submit(fund_request=fund_request, actor=marketer)

    refusals: dict[str, int] = {}

    # Permission lookups are cached per user object: fill the caches before forking.
    manager.get_all_permissions()
    finance.get_all_permissions()

    def attempt(move) -> bool:
        try:
            move()
        except ValidationError as exc:
            reason = "; ".join(exc.messages)[:60]
            refusals[reason] = refusals.get(reason, 0) + 1
            return False
        return True

    def approve(fund_request):
        return services.request_decide(
            fund_request=fund_request, actor=manager, approve=True, note="bench"
        )

    def approve_claim(claim):
        return services.claim_decide(claim=claim, actor=finance, decision="approve", note="bench")

    # This machine's speed drifts by ±20 % within seconds (a pure-Python loop timed
    # every few seconds, idle otherwise), and the short bare loop's rate swings with
    # how its 50 clients happen to queue on its one row. So the two take turns: the
    # whole bare loop (its own fresh row, all its moves) runs before, between and
    # after the service rounds, and each side's rate is all its moves over all its
    # time. (A bare loop cut into small rounds is not comparable: with a few moves
    # per client its clients barely meet on the row.)
    service, bare = Side(), Side()
    bare_runs: list[dict] = []

    def bare_turn() -> None:
        run = bare_loop(connection.settings_dict, requests_count, request_cost, allocated)
        bare_runs.append(run)
        bare.add((run["time"], [], run["moves"], run["cpu"]))

    rounds = 1 if requests_count < 1000 else 2

    def service_rounds(items: list, move) -> int:
        """`move` on every item, in rounds, a bare turn after each; returns successes."""
        done = 0
        for chunk in split(items, rounds):
            took = run_clients(
                lambda item: attempt(lambda: move(item)),
                chunk,
                rehearse=lambda item: rolled_back(lambda: move(item)),
            )
            service.add(took)
            done += took[2]
            bare_turn()
        return done

    bare_turn()
    # Phase 1: parallel approvals (commit moves).
    approved = service_rounds(fund_requests, approve)
    # Claims need the activity to be over: move the activity dates into the past (setup).
    with scopes_disabled():
        FundRequest.objects.filter(status="approved").update(
            activity_start=today - timedelta(days=2), activity_end=today - timedelta(days=1)
        )
        approved_requests = list(FundRequest.objects.filter(status="approved"))
    claims = []
    for fund_request in approved_requests:
        claim = services.claim_create(
            fund_request=fund_request, amount=request_cost, actor=marketer
        )
        claims.append(services.claim_submit(claim=claim, actor=marketer))
    # Phase 2: parallel claim approvals (spend moves).
    spent = service_rounds(claims, approve_claim)
    print(
        f"service rounds: {', '.join(f'{rate:.0f}' for rate in service.rates)} moves/s "
        f"(approvals, then claims); bare loops: "
        f"{', '.join(f'{rate:.0f}' for rate in bare.rates)} moves/s",
        flush=True,
    )
    service_moves = approved + spent

    violations = 0
    with scopes_disabled():
        allocation = Allocation.objects.get(pk=allocation.pk)
    for bucket in ("allocated", "committed", "spent", "paid", "expired"):
        violations += getattr(allocation, bucket) < 0
    violations += allocation.committed + allocation.spent > allocation.allocated
    violations += allocation.spent != request_cost * spent
    problems = reconcile()
    violations += len(problems)
    for problem in problems:
        print("RECONCILE:", problem)

    violations += sum(run["violations"] for run in bare_runs)
    bare_tx = bare_transaction_loop(
        connection.settings_dict, requests_count, request_cost, allocated
    )
    violations += bare_tx["violations"]
    return {
        "service_moves": service_moves,
        "service_time": service.time,
        "service_rate": service.rate,
        "service_cpu_ms": service.cpu * 1000 / service_moves,
        "p95_ms": p95(service.latencies),
        "p50_ms": statistics.median(service.latencies),
        "bare_rate": bare.rate,
        "bare_moves": bare.moves,
        "bare_cpu_ms": bare.cpu * 1000 / bare.moves,
        "bare_runs": len(bare_runs),
        "bare_tx_rate": bare_tx["moves"] / bare_tx["time"],
        "violations": violations,
        "approved": approved,
        "requests": requests_count,
    }


def split(items: list, parts: int) -> list[list]:
    """`items` in `parts` consecutive runs of (nearly) equal length."""
    size, extra = divmod(len(items), parts)
    runs, start = [], 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        runs.append(items[start:end])
        start = end
    return runs


class Side:
    """One side's rounds: moves, wall time, machine CPU and latencies, added up."""

    def __init__(self) -> None:
        self.moves, self.time, self.cpu = 0, 0.0, 0.0
        self.latencies: list[float] = []
        self.rates: list[float] = []

    def add(self, took: tuple) -> None:
        elapsed, latencies, ok, cpu = took
        self.moves += ok
        self.time += elapsed
        self.cpu += cpu
        self.latencies += latencies
        self.rates.append(ok / elapsed)

    @property
    def rate(self) -> float:
        return self.moves / self.time


def _dsn(settings_dict: dict) -> str:
    return (
        f"host={settings_dict['HOST']} port={settings_dict['PORT'] or 5432} "
        f"dbname={settings_dict['NAME']} user={settings_dict['USER']}"
    )


def bare_loop(settings_dict: dict, requests_count: int, cost: Decimal, allocated: Decimal):
    """The same commits and spends as bare UPDATEs guarded by the amount left."""
    dsn = _dsn(settings_dict)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bare_allocation")  # a fresh row each turn
        conn.execute(
            "CREATE TABLE bare_allocation (id int PRIMARY KEY, available numeric(14,2),"
            " committed numeric(14,2), spent numeric(14,2))"
        )
        conn.execute("INSERT INTO bare_allocation VALUES (1, %s, 0, 0)", [allocated])
    per_process: dict[int, psycopg.Connection] = {}

    def own_connection() -> psycopg.Connection:
        pid = os.getpid()
        if pid not in per_process:
            per_process[pid] = psycopg.connect(dsn, autocommit=True)
        return per_process[pid]

    def cursor():
        return own_connection().cursor()

    def rehearse(_):
        conn = own_connection()
        with conn.transaction(force_rollback=True):
            conn.execute("UPDATE bare_allocation SET available = available WHERE id = 1")

    def commit(_):
        cur = cursor()
        cur.execute(
            "UPDATE bare_allocation SET available = available - %s, committed = committed + %s"
            " WHERE id = 1 AND available >= %s",
            [cost, cost, cost],
        )
        return cur.rowcount == 1

    def spend(_):
        cur = cursor()
        cur.execute(
            "UPDATE bare_allocation SET committed = committed - %s, spent = spent + %s"
            " WHERE id = 1 AND committed >= %s",
            [cost, cost, cost],
        )
        return cur.rowcount == 1

    t1, _lat1, committed, cpu1 = run_clients(commit, list(range(requests_count)), rehearse)
    t2, _lat2, spent, cpu2 = run_clients(spend, list(range(committed)), rehearse)
    with psycopg.connect(dsn, autocommit=True) as conn:
        available, committed_left, spent_total = conn.execute(
            "SELECT available, committed, spent FROM bare_allocation"
        ).fetchone()
    violations = int(available < 0) + int(available + committed_left + spent_total != allocated)
    return {
        "moves": committed + spent,
        "time": t1 + t2,
        "cpu": cpu1 + cpu2,
        "violations": violations,
    }


def bare_transaction_loop(
    settings_dict: dict, requests_count: int, cost: Decimal, allocated: Decimal
):
    """For context, not the bar: the rows a service move writes, as plain SQL from a bare
    client: per move one transaction that locks the request, updates it, writes its
    event, moves the allocation (guarded) and appends a ledger row, then commits."""
    dsn = _dsn(settings_dict)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE tx_allocation (id int PRIMARY KEY, available numeric(14,2),"
            " committed numeric(14,2), spent numeric(14,2), seq int)"
        )
        conn.execute("INSERT INTO tx_allocation VALUES (1, %s, 0, 0, 0)", [allocated])
        conn.execute(
            "CREATE TABLE tx_request (id int PRIMARY KEY, status text, decided_at timestamptz)"
        )
        conn.execute(
            "INSERT INTO tx_request SELECT n, 'submitted', NULL FROM generate_series(1, %s) n",
            [requests_count],
        )
        conn.execute(
            "CREATE TABLE tx_event (id bigserial PRIMARY KEY, request_id int, action text,"
            " at timestamptz)"
        )
        conn.execute(
            "CREATE TABLE tx_ledger (id bigserial PRIMARY KEY, allocation_id int, seq int,"
            " kind text, amount numeric(14,2), request_id int, at timestamptz,"
            " UNIQUE (allocation_id, seq))"
        )
    per_process: dict[int, psycopg.Connection] = {}

    def own_connection() -> psycopg.Connection:
        if os.getpid() not in per_process:
            per_process[os.getpid()] = psycopg.connect(dsn)
        return per_process[os.getpid()]

    def move(request_id: int, kind: str, status: str, guard: str, sets: str) -> bool:
        conn = own_connection()
        with conn.transaction():
            conn.execute("SELECT status FROM tx_request WHERE id = %s FOR UPDATE", [request_id])
            conn.execute(
                "UPDATE tx_request SET status = %s, decided_at = now() WHERE id = %s",
                [status, request_id],
            )
            conn.execute(
                "INSERT INTO tx_event (request_id, action, at) VALUES (%s, %s, now())",
                [request_id, kind],
            )
            row = conn.execute(
                f"UPDATE tx_allocation SET {sets}, seq = seq + 1 WHERE id = 1 AND {guard}"  # noqa: S608
                " RETURNING seq",
                [cost, cost, cost],
            ).fetchone()
            if row is None:
                raise psycopg.Rollback
            conn.execute(
                "INSERT INTO tx_ledger (allocation_id, seq, kind, amount, request_id, at)"
                " VALUES (1, %s, %s, %s, %s, now())",
                [row[0], kind, cost, request_id],
            )
        return row is not None

    def commit(request_id):
        return move(
            request_id,
            "commit",
            "approved",
            "available >= %s",
            "available = available - %s, committed = committed + %s",
        )

    def spend(request_id):
        return move(
            request_id,
            "spend",
            "closed",
            "committed >= %s",
            "committed = committed - %s, spent = spent + %s",
        )

    def rehearse(request_id):
        conn = own_connection()
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT status FROM tx_request WHERE id = %s FOR UPDATE", [request_id])

    t1, _lat, committed, _cpu = run_clients(commit, list(range(1, requests_count + 1)), rehearse)
    t2, _lat, spent, _cpu = run_clients(spend, list(range(1, committed + 1)), rehearse)
    with psycopg.connect(dsn, autocommit=True) as conn:
        available, committed_left, spent_total = conn.execute(
            "SELECT available, committed, spent FROM tx_allocation"
        ).fetchone()
    violations = int(available < 0) + int(available + committed_left + spent_total != allocated)
    return {"moves": committed + spent, "time": t1 + t2, "violations": violations}


def report(result: dict) -> None:
    print(
        f"requests: {result['requests']}, approved: {result['approved']} (the allocation fits 80 %)"
    )
    print(
        f"services: {result['service_moves']} moves in {result['service_time']:.2f} s = "
        f"{result['service_rate']:.0f} moves/s, p50 {result['p50_ms']:.1f} ms"
    )
    print(
        f"bare SQL: {result['bare_moves']} moves = {result['bare_rate']:.0f} moves/s "
        f"(the whole bare loop {result['bare_runs']} times, in turns with the services)"
    )
    print(
        "machine CPU per move (clients + server + kernel; the machine is saturated, so "
        f"the rate follows it): services {result['service_cpu_ms']:.2f} ms, "
        f"bare SQL {result['bare_cpu_ms']:.2f} ms"
    )
    print(
        f"bare transaction (the same rows in plain SQL, for context): "
        f"{result['bare_tx_rate']:.0f} moves/s; services are "
        f"{result['service_rate'] / result['bare_tx_rate']:.2f}× of it"
    )
    print(f"figure: mdf_moves_per_s {result['service_rate']:.0f} moves/s")
    print(f"figure: mdf_moves_vs_bare {result['service_rate'] / result['bare_rate']:.3f} ratio")
    print(f"figure: mdf_move_p95_ms {result['p95_ms']:.1f} ms")
    print(
        "figure: mdf_moves_vs_bare_transaction "
        f"{result['service_rate'] / result['bare_tx_rate']:.3f} ratio"
    )
    print(f"figure: mdf_cpu_per_move_ms {result['service_cpu_ms']:.2f} ms")
    print(f"figure: bare_cpu_per_move_ms {result['bare_cpu_ms']:.2f} ms")
    print(f"figure: mdf_violations {result['violations']} count")


if __name__ == "__main__":
    main()
