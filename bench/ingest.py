"""The results sync against PostgreSQL's COPY: events per second into the same table.

In the same run, on the same PostgreSQL server and table (`analytics_resultevent`,
with its unique index and the others):
- the endpoint: `POST /api/v1/results/` through gunicorn (one sync worker, DEBUG off,
  as in production), batches of 5,000 events with a partner API key, sent one after
  another by one client: authentication, msgspec decoding, validation of every field
  (launch codes and kits looked up), fingerprints, COPY into a temporary table and
  `INSERT … SELECT … ON CONFLICT DO NOTHING`, the answer;
- the bare engine: a psycopg client COPYing the same rows (the values the endpoint
  stores: ids, day, fingerprint and all) straight into the table, 5,000 per
  transaction, under another source so the two never conflict.
The two take turns batch by batch (a warm-up batch of each first, not counted), so a
shared machine's drifting speed weighs on both alike. Each side's rate is all its
events over all its time. Every endpoint answer must be 201 with 5,000 created.

Usage: .venv/bin/python bench/ingest.py [--quick] [--batches N]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres):
a scratch database is created and dropped. The figures come last, one per line:
`figure: NAME VALUE UNIT`. Bar: `ingest_vs_copy` ≥ 0.2.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BATCH = 5000
BAR = 0.2


def scratch_database() -> tuple[str, str]:
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    return server, urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(server: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_world():
    """A partner with a kit, two launches and an API key; returns (partner, codes, key)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from campaigns.models import CampaignKit, Channel, Launch
    from partners.models import Partner, Tier
    from partners.services import api_key_create, membership_create, partner_create

    tier, _ = Tier.objects.get_or_create(slug="gold", defaults={"name": "Gold", "rank": 30})
    partner = partner_create(
        actor=None,
        name="Bench Partner",
        slug="bench",
        tier=tier,
        partner_type=Partner.Type.RESELLER,
        status=Partner.Status.ACTIVE,
    )
    admin = get_user_model().objects.create_user("bench-admin")
    membership_create(partner=partner, user=admin, role="admin")
    today = timezone.localdate()
    kit = CampaignKit.objects.create(
        name="Bench kit",
        slug="bench-kit",
        objective=CampaignKit.Objective.LEAD_GENERATION,
        channels=[Channel.EMAIL],
        start_date=today - timedelta(days=400),
        end_date=today + timedelta(days=30),
        landing_url="https://vendor.example.com/",
        status=CampaignKit.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    with scopes_disabled():
        codes = [
            Launch.objects.create(
                partner=partner,
                kit=kit,
                channel=channel,
                start_date=today - timedelta(days=400),
                end_date=today + timedelta(days=30),
                status=Launch.Status.ACTIVE,
                created_by=admin,
            ).code
            for channel in (Channel.EMAIL, Channel.WEB)
        ]
    key = api_key_create(name="bench sync", partner=partner, created_by=admin).raw_key
    return partner, codes, key


def events_of(batch_no: int, codes: list[str]) -> list[dict]:
    """5,000 events as a CRM sends them: leads and MQLs, opportunities and won deals
    with amounts, over the past year, each with a company and a domain."""
    from django.utils import timezone

    now = timezone.now().replace(microsecond=0)
    kinds = ("lead", "lead", "mql", "opportunity", "won", "lost")
    events = []
    for i in range(BATCH):
        n = batch_no * BATCH + i
        kind = kinds[n % len(kinds)]
        event = {
            "external_id": f"crm-{n:09d}",
            "launch": codes[n % len(codes)],
            "kind": kind,
            "occurred_at": (now - timedelta(minutes=n % 525_600)).isoformat(),
            "company": f"Customer {n % 9973} Ltd",
            "email_domain": f"customer{n % 9973}.example",
        }
        if kind in ("opportunity", "won"):
            event["amount"] = f"{(n % 50_000) + 1000}.{n % 100:02d}"
            event["currency"] = ("EUR", "USD")[n % 2]
        events.append(event)
    return events


def copy_rows(events: list[dict], partner) -> list[tuple]:
    """The rows the endpoint stores for these events (validated by the same module),
    under another source: what a bare COPY of them writes."""
    from django.utils import timezone

    from analytics import ingest

    caller = ingest.Caller(user=None, partner=partner)  # type: ignore[arg-type]
    with ingest._caller_scope(caller):
        rows, _duplicates = ingest._Validator(caller).validate(ingest.decode_batch(events))
    received = timezone.now()
    return [
        (
            row.partner_id,
            row.kit_id,
            row.launch_id,
            row.kind,
            "bench-copy",
            row.external_id,
            row.occurred_at,
            row.day,
            row.amount,
            row.currency,
            row.company,
            row.email_domain,
            row.fingerprint,
            received,
            "",
            "",
            False,
            False,
        )
        for row in rows
    ]


COPY_COLUMNS = (
    "partner_id, kit_id, launch_id, kind, source, external_id, occurred_at, day, amount, "
    "currency, company, email_domain, fingerprint, received_at, visitor_key, bot_reason, "
    '"repeat", launch_inactive'
)


def copy_text(rows: list[tuple]) -> bytes:
    """The rows in COPY's text format, made before the clock starts: the bare side
    times only the server's COPY, the fastest way in (a conservative baseline)."""

    def cell(value: object) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    return "".join("\t".join(cell(value) for value in row) + "\n" for row in rows).encode()


def copy_batch(conn: psycopg.Connection, text: bytes) -> float:
    started = time.perf_counter()
    with (
        conn.transaction(),
        conn.cursor() as cursor,
        cursor.copy(f"COPY analytics_resultevent ({COPY_COLUMNS}) FROM STDIN") as copy,
    ):
        copy.write(text)
    return time.perf_counter() - started


def post_batch(port: int, key: str, body: bytes) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request(
        "POST",
        "/api/v1/results/",
        body=body,
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    answer = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 201 or json.loads(answer) != {"created": BATCH, "duplicates": 0}:
        raise SystemExit(f"the endpoint answered {response.status}: {answer[:500]!r}")
    return elapsed


def start_gunicorn(env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--timeout",
            "300",
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
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return server, port
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 batches a side (< 2 minutes)")
    parser.add_argument("--batches", type=int, help="timed batches per side")
    args = parser.parse_args()
    batches = args.batches or (6 if args.quick else 20)

    server_url, url = scratch_database()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    (work / "var" / "static").mkdir(parents=True)  # whitenoise looks for it
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("REDIS_URL", "CELERY_TASK_ALWAYS_EAGER")
        },
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",  # as in production: no query log kept per cursor
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(work / "var"),
        "API_THROTTLE_RATE": "100000/minute",
    }
    os.environ.clear()
    os.environ.update(env)
    gunicorn = None
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        print("migrating a scratch database …", flush=True)
        call_command("migrate", verbosity=0)
        partner, codes, key = make_world()
        # The bodies and the COPY rows are made before the clock starts.
        total = batches + 1
        bodies = [json.dumps({"events": events_of(n, codes)}).encode() for n in range(total)]
        texts = [copy_text(copy_rows(events_of(n, codes), partner)) for n in range(total)]
        connections.close_all()

        gunicorn, port = start_gunicorn(env)
        print(
            f"{batches} timed batches of {BATCH:,} events a side (one warm-up each), "
            f"body {len(bodies[0]) / 1e6:.1f} MB …",
            flush=True,
        )
        endpoint_times: list[float] = []
        copy_times: list[float] = []
        with psycopg.connect(url) as conn:
            for n in range(total):
                endpoint = post_batch(port, key, bodies[n])
                bare = copy_batch(conn, texts[n])
                if n == 0:
                    continue  # warm-up
                endpoint_times.append(endpoint)
                copy_times.append(bare)
            count = conn.execute("SELECT count(*) FROM analytics_resultevent").fetchone()[0]
        if count != 2 * total * BATCH:
            raise SystemExit(f"expected {2 * total * BATCH} rows, found {count}")

        events = batches * BATCH
        endpoint_rate = events / sum(endpoint_times)
        copy_rate = events / sum(copy_times)
        print(
            f"endpoint: {statistics.median(endpoint_times) * 1000:.0f} ms per batch (median); "
            f"COPY: {statistics.median(copy_times) * 1000:.0f} ms per batch (median)"
        )
        ratio = endpoint_rate / copy_rate
        verdict = "meets" if ratio >= BAR else "MISSES"
        print(f"ingest_vs_copy {ratio:.3f} {verdict} the bar (≥ {BAR})")
        print(f"figure: ingest_events_per_s {endpoint_rate:.0f} events/s")
        print(f"figure: copy_events_per_s {copy_rate:.0f} events/s")
        print(f"figure: ingest_batch_p50_ms {statistics.median(endpoint_times) * 1000:.0f} ms")
        print(f"figure: ingest_vs_copy {ratio:.3f} x")
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        drop_database(server_url, url)


if __name__ == "__main__":
    main()
