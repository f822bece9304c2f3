"""The partner dashboard and the staff leaderboard on a programme of 1,000 partners.

Generated data: 1,000 partners with three launches each over 20 kits, a year of daily
metrics standing for 10 million events (`--quick`: 1 million), and MDF spend on 50
funded launches. The daily metrics are written directly, with `INSERT … SELECT …
generate_series`, as the rollup would leave them (the counts of a launch and day in the
''-currency row, opportunities and won deals with their amounts in the currency row,
library downloads in a row without kit or launch): the metrics table is what the pages
read, never the raw events, so the events themselves are not generated.

Measured in-process through Django's test Client with DEBUG off: the portal dashboard
(`/portal/performance/`, last 30 days) of ten partners in turn, and the staff
leaderboard (`/admin/performance/`, last 30 days, sorted by revenue in one currency; the
same sorted by clicks, by a rate, by MDF ROI, and over the last 12 months). Nothing is
cached: the leaderboard ranks and paginates in the database and builds the KPIs of the
25 partners shown. p50/p95 per page (bar: p95 < 150 ms) and the queries each page runs
(constant, whatever the data).

Usage: .venv/bin/python bench/dashboard.py [--quick]
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
PARTNERS = 1000
LAUNCHES_PER_PARTNER = 3
KITS = 20
DAYS = 365
FUNDED = 50


def scratch_database() -> tuple[str, str]:
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_dashboard_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    return server, urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(server: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 million events (under 2 minutes)")
    parser.add_argument("--events", type=int, help="events the metrics stand for")
    parser.add_argument("--requests", type=int, help="requests per page")
    args = parser.parse_args()
    events = args.events or (1_000_000 if args.quick else 10_000_000)
    requests = args.requests or (40 if args.quick else 100)

    server, url = scratch_database()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-dashboard-"))
    try:
        import django

        django.setup()
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["*"]
        settings.SECURE_SSL_REDIRECT = False  # the test Client speaks plain HTTP
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        # No collectstatic here: plain static URLs instead of the manifest's.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        world = generate(events)
        generated_s = time.perf_counter() - started
        result = measure(world, requests)
        result["generated_s"] = generated_s
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server, url)
    report(result)


def generate(events: int) -> dict:
    """Partners, kits, launches, a year of daily metrics and some MDF spend."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from analytics.models import RollupState
    from campaigns.models import CampaignKit, Channel, Launch
    from mdf import ledger, services
    from mdf.models import ActivityType, FundPool, FundRequest, LedgerEntry
    from partners.models import Membership, Partner, Tier
    from partners.services import membership_create

    today = timezone.localdate()
    start = today - timedelta(days=DAYS - 1)
    tiers = [
        Tier.objects.create(name=name, slug=name.lower(), rank=rank)
        for name, rank in (("Registered", 10), ("Silver", 20), ("Gold", 30), ("Platinum", 40))
    ]
    staff = User.objects.create_superuser("bench_staff", "staff@example.com", "x")
    types = list(Partner.Type.values)
    with scopes_disabled():
        partners = Partner.objects.bulk_create(
            Partner(
                name=f"Partner {n:04d}",
                slug=f"partner-{n:04d}",
                status=Partner.Status.ACTIVE,
                tier=tiers[n % len(tiers)],
                partner_type=types[n % len(types)],
                channel_manager=staff if n % 3 == 0 else None,
            )
            for n in range(PARTNERS)
        )
        kits = CampaignKit.objects.bulk_create(
            CampaignKit(
                name=f"Kit {n:02d}",
                slug=f"kit-{n:02d}",
                objective=CampaignKit.Objective.LEAD_GENERATION,
                channels=[Channel.EMAIL],
                start_date=start,
                end_date=today + timedelta(days=90),
                landing_url="https://vendor.example.com/",
                status=CampaignKit.Status.PUBLISHED,
            )
            for n in range(KITS)
        )
        launches = Launch.objects.bulk_create(
            Launch(
                partner=partner,
                kit=kits[(i * LAUNCHES_PER_PARTNER + j) % KITS],
                channel=Channel.EMAIL,
                start_date=start,
                end_date=today + timedelta(days=90),
                status=Launch.Status.ACTIVE,
                created_by=staff,
            )
            for i, partner in enumerate(partners)
            for j in range(LAUNCHES_PER_PARTNER)
        )
        users = []
        for partner in partners[:: PARTNERS // 10][:10]:
            user = User.objects.create_user(f"{partner.slug}-admin", password="x")
            membership_create(partner=partner, user=user, role=Membership.Role.ADMIN)
            users.append(user)

    # The metrics, as the rollup leaves them (see the module docstring). Per launch and
    # day: 90 % of the events; the library's downloads: the other 10 %.
    per_launch_day = events * 0.9 / (len(launches) * DAYS)
    density = min(1.0, per_launch_day / 4)  # sparse data: fewer rows, fuller ones
    mean = per_launch_day / density
    money_density = min(1.0, density * 0.3)
    money_mean = per_launch_day * 0.05 / money_density
    per_download_row = events * 0.1 / (PARTNERS * DAYS)
    download_density = min(1.0, per_download_row / 2)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            """
            INSERT INTO analytics_dailymetric (partner_id, kit_id, launch_id, day, currency,
                clicks, bot_clicks, downloads, leads, mqls, opportunities, won, lost,
                pipeline, revenue)
            SELECT l.partner_id, l.kit_id, l.id, d::date, '',
                   round(random() * 2 * %(m)s * 0.75)::int,
                   round(random() * 2 * %(m)s * 0.1)::int,
                   0,
                   round(random() * 2 * %(m)s * 0.1)::int,
                   round(random() * 2 * %(m)s * 0.05)::int,
                   0, 0, 0, 0, 0
            FROM campaigns_launch l
            CROSS JOIN generate_series(%(start)s::date, %(end)s::date, interval '1 day') d
            WHERE random() < %(density)s
            """,
            {"m": mean, "start": start, "end": today, "density": density},
        )
        cursor.execute(
            """
            INSERT INTO analytics_dailymetric (partner_id, kit_id, launch_id, day, currency,
                clicks, bot_clicks, downloads, leads, mqls, opportunities, won, lost,
                pipeline, revenue)
            SELECT l.partner_id, l.kit_id, l.id, d::date,
                   CASE WHEN l.partner_id %% 2 = 0 THEN 'EUR' ELSE 'USD' END,
                   0, 0, 0, 0, 0, o, w, floor(random() * 2)::int,
                   o * 2500.00, w * 9000.00
            FROM campaigns_launch l
            CROSS JOIN generate_series(%(start)s::date, %(end)s::date, interval '1 day') d
            CROSS JOIN LATERAL (
                SELECT 1 + round(random() * 2 * %(m)s * 0.6)::int AS o,
                       round(random() * 2 * %(m)s * 0.3)::int AS w
                WHERE d IS NOT NULL
            ) amounts
            WHERE random() < %(density)s
            """,
            {"m": money_mean, "start": start, "end": today, "density": money_density},
        )
        cursor.execute(
            """
            INSERT INTO analytics_dailymetric (partner_id, kit_id, launch_id, day, currency,
                clicks, bot_clicks, downloads, leads, mqls, opportunities, won, lost,
                pipeline, revenue)
            SELECT p.id, NULL, NULL, d::date, '', 0, 0,
                   1 + round(random() * 2 * %(m)s)::int, 0, 0, 0, 0, 0, 0, 0
            FROM partners_partner p
            CROSS JOIN generate_series(%(start)s::date, %(end)s::date, interval '1 day') d
            WHERE random() < %(density)s
            """,
            {
                "m": per_download_row / download_density,
                "start": start,
                "end": today,
                "density": download_density,
            },
        )
        cursor.execute(
            "SELECT count(*), sum(clicks + bot_clicks + downloads + leads + mqls"
            " + opportunities + won + lost) FROM analytics_dailymetric"
        )
        rows, counted = cursor.fetchone()
        # Vacuumed and analysed, as autovacuum leaves a table between rollups.
        cursor.execute("VACUUM ANALYZE analytics_dailymetric")
        cursor.execute("ANALYZE")
    RollupState.objects.create(name="daily_metrics", watermark=counted, rolled_up_at=timezone.now())

    # MDF: 50 fund requests naming a launch, approved and spent, through the services.
    with scopes_disabled():
        pools = {
            currency: FundPool.objects.create(
                name=f"FY {currency}",
                currency=currency,
                total=Decimal("10000000.00"),
                period_start=start,
                period_end=today + timedelta(days=90),
                request_deadline=today + timedelta(days=60),
                claim_deadline=today + timedelta(days=90),
                reimbursement_percentage=Decimal("100.00"),
                finance_threshold=Decimal("1000000.00"),
            )
            for currency in ("EUR", "USD")
        }
        activity = ActivityType.objects.create(slug="webinar", name="Webinar")
        for launch in launches[: FUNDED * LAUNCHES_PER_PARTNER : LAUNCHES_PER_PARTNER]:
            partner = launch.partner
            pool = pools["EUR" if partner.pk % 2 == 0 else "USD"]
            allocation = services.allocation_create(
                pool=pool, partner=partner, amount="50000.00", actor=staff, reason="plan"
            )
            member = User.objects.create_user(f"{partner.slug}-mdf")
            membership_create(partner=partner, user=member, role=Membership.Role.MARKETER)
            fund_request = services.request_create(
                partner=partner,
                allocation=allocation,
                activity_type=activity,
                title="Launch",
                description="Funds a launch",
                activity_start=today + timedelta(days=5),
                activity_end=today + timedelta(days=5),
                requested_amount="5000.00",
                expected_leads=10,
                actor=member,
            )
            services.request_submit(fund_request=fund_request, actor=member)
            services.request_decide(fund_request=fund_request, actor=staff, approve=True, note="ok")
            FundRequest.objects.filter(pk=fund_request.pk).update(launch=launch)
            with transaction.atomic():
                allocation.refresh_from_db()
                ledger.append(
                    allocation,
                    kind=LedgerEntry.Kind.SPEND,
                    amount=Decimal("4000.00"),
                    actor=staff,
                    request=fund_request,
                    d_committed=Decimal("-4000.00"),
                    d_spent=Decimal("4000.00"),
                )
    return {"users": users, "staff": staff, "rows": rows, "events": counted}


def timed(client, url: str, count: int, before=None) -> tuple[list[float], int]:
    """Milliseconds of `count` GETs (after two warm-ups) and the queries of one;
    `before` runs before each (untimed)."""
    from django.db import connection

    def count_queries(execute, sql, params, many, context):
        counted.append(sql)
        return execute(sql, params, many, context)

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    counted: list[str] = []
    with connection.execute_wrapper(count_queries):
        client.get(url)
    took = []
    for _ in range(count):
        if before is not None:
            before()
        began = time.perf_counter()
        response = client.get(url)
        took.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return took, len(counted)


def measure(world: dict, requests: int) -> dict:
    from django.test import Client

    dashboard: list[float] = []
    dashboard_queries = set()
    per_user = max(1, requests // len(world["users"]))
    for user in world["users"]:
        client = Client()
        client.force_login(user)
        took, queries = timed(client, "/portal/performance/", per_user)
        dashboard += took
        dashboard_queries.add(queries)
    staff = Client()
    staff.force_login(world["staff"])
    leaderboard, leaderboard_queries = timed(staff, "/admin/performance/", requests)
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            staff.get("/admin/performance/")
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        from django.db import connection

        def timing(execute, sql, params, many, context):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                print(f"{(time.perf_counter() - began) * 1000:7.1f} ms  {sql[:160]}")
                if "SUM" in sql:
                    plans.append((sql, params))

        plans: list = []
        for url in ("/admin/performance/", "/portal/performance/"):
            print(url)
            who = staff if url.startswith("/admin") else Client()
            if who is not staff:
                who.force_login(world["users"][0])
            with connection.execute_wrapper(timing):
                who.get(url)
        with connection.cursor() as cursor:
            for sql, params in plans:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                print("\n".join(row[0] for row in cursor.fetchall()))
    year, _year_queries = timed(staff, "/admin/performance/?period=12m", max(10, requests // 4))
    sorts = {}
    for sort in ("-clicks", "-click_to_lead", "-mdf_roi"):
        sorts[sort.lstrip("-")] = timed(
            staff, f"/admin/performance/?sort={sort}", max(10, requests // 4)
        )
    return {
        **world,
        "dashboard": dashboard,
        "dashboard_queries": sorted(dashboard_queries),
        "leaderboard": leaderboard,
        "leaderboard_queries": leaderboard_queries,
        "leaderboard_year": year,
        **{f"leaderboard_{name}": took for name, (took, _q) in sorts.items()},
        "leaderboard_sort_queries": {name: queries for name, (_t, queries) in sorts.items()},
    }


def report(result: dict) -> None:
    print(f"partners: {PARTNERS}, launches: {PARTNERS * LAUNCHES_PER_PARTNER}")
    print(
        f"daily metric rows: {result['rows']:,} standing for {result['events']:,} events "
        f"(generated in {result['generated_s']:.1f} s)"
    )
    sorted_by = [f"leaderboard_{name}" for name in result["leaderboard_sort_queries"]]
    for name in ("dashboard", "leaderboard", "leaderboard_year", *sorted_by):
        values = result[name]
        print(
            f"{name}: n={len(values)} p50={statistics.median(values):.1f} ms "
            f"p95={percentile(values, 0.95):.1f} ms max={max(values):.1f} ms"
        )
    print(f"dashboard queries per page (ten partners): {result['dashboard_queries']}")
    print(f"leaderboard queries per page: {result['leaderboard_queries']}")
    print(f"leaderboard queries per page by sort: {result['leaderboard_sort_queries']}")
    print(f"figure: dashboard_p50_ms {statistics.median(result['dashboard']):.1f} ms")
    print(f"figure: dashboard_p95_ms {percentile(result['dashboard'], 0.95):.1f} ms")
    print(f"figure: leaderboard_p50_ms {statistics.median(result['leaderboard']):.1f} ms")
    print(f"figure: leaderboard_p95_ms {percentile(result['leaderboard'], 0.95):.1f} ms")
    print(f"figure: leaderboard_12m_p95_ms {percentile(result['leaderboard_year'], 0.95):.1f} ms")
    for name in sorted_by:
        print(f"figure: {name}_p95_ms {percentile(result[name], 0.95):.1f} ms")
    print(f"figure: dashboard_queries {max(result['dashboard_queries'])} queries")
    print(f"figure: leaderboard_queries {result['leaderboard_queries']} queries")


if __name__ == "__main__":
    main()
