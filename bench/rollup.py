"""The rollup of result events into daily metrics, against a bare GROUP BY of the same rows.

On generated data in a scratch PostgreSQL database (created, migrated with Django's
`migrate`, dropped): 10 million events (--quick: 1 million) of 1,000 partners over a
year, three launches per partner over 20 kits. Event ids follow arrival order; most
events happen on the day they arrive, results (leads, opportunities, deals) often
arrive later for a past day. It measures, in the same run:

(a) `rollup_metrics()` of the newest 100,000 events, after everything before them has
    been rolled up, against a bare `SELECT … GROUP BY` of those 100,000 rows (the
    rollup's own aggregates, counted on the server, nothing written). Bar: ≤ 2×,
    figure `rollup_vs_groupby`.
(b) `rebuild_metrics()` (delete all metric rows, recompute them from all events)
    against a bare `SELECT … GROUP BY` of all rows. Bar: ≤ 1.5×, figure
    `rebuild_vs_groupby`.
(c) the engine's floor: the rows of those two bare GROUP BYs written by a plain
    `INSERT … SELECT` into an empty copy of the metric table, with its indexes and
    checks and once without indexes (nothing deleted, nothing to conflict with,
    nothing judged). No rollup or rebuild writes less than these rows, so a floor
    above a bar says the bar asks the engine for less than it takes to write them.
    Figures `newest_insert_floor_vs_groupby`, `newest_heap_floor_vs_groupby`,
    `all_insert_floor_vs_groupby`, `all_heap_floor_vs_groupby`.

Each side runs several times, in turns; the figures are ratios of medians. Before each
repetition of (a) the metric rows and the watermark are put back as they were before
the newest events, so every repetition does the same work. The plans of the rollup's
statement and of the bare GROUP BY are printed (EXPLAIN ANALYZE) so a missed bar can be
read.

Usage: .venv/bin/python bench/rollup.py [--quick] [--events N] [--runs N] [--keep]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
The figures come last, one per line: `figure: NAME VALUE UNIT`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PARTNERS = 1000
KITS = 20
LAUNCHES_PER_PARTNER = 3
DAYS = 365
NEWEST = 100_000
VISITORS = 2_000_000

# The rollup's aggregates over the events `{where}` selects, one row per bucket.
GROUPED = """
    SELECT
        e.partner_id, e.kit_id, e.launch_id, e.day,
        CASE WHEN e.amount IS NULL THEN '' ELSE e.currency END,
        COUNT(*) FILTER (WHERE e.kind = 'click' AND e.bot_reason = '' AND NOT e.repeat),
        COUNT(*) FILTER (WHERE e.kind = 'click' AND e.bot_reason <> ''),
        COUNT(*) FILTER (WHERE e.kind = 'download'),
        COUNT(*) FILTER (WHERE e.kind = 'lead'),
        COUNT(*) FILTER (WHERE e.kind = 'mql'),
        COUNT(*) FILTER (WHERE e.kind = 'opportunity'),
        COUNT(*) FILTER (WHERE e.kind = 'won'),
        COUNT(*) FILTER (WHERE e.kind = 'lost'),
        COALESCE(SUM(e.amount) FILTER (WHERE e.kind = 'opportunity'), 0),
        COALESCE(SUM(e.amount) FILTER (WHERE e.kind = 'won'), 0)
    FROM analytics_resultevent e
    WHERE e.id > %(after)s
    GROUP BY
        e.partner_id, e.kit_id, e.launch_id, e.day,
        CASE WHEN e.amount IS NULL THEN '' ELSE e.currency END
"""

# The bare GROUP BY: the rollup's aggregates over the same rows, counted on the server.
BARE_GROUP_BY = "SELECT COUNT(*) FROM (" + GROUPED + ") g"

# The engine's floor: the bare GROUP BY's rows written by a plain INSERT … SELECT
# into an empty copy of the metric table (nothing to delete, nothing to conflict
# with, nothing judged), once with the metric table's indexes and checks
# (`bench_floor`) and once as a bare heap with its checks only (`bench_heap`).
# Whatever the rollup or the rebuild does, it writes at least these rows.
FLOOR_TABLES = {
    "bench_floor": "LIKE analytics_dailymetric INCLUDING ALL",
    "bench_heap": (
        "LIKE analytics_dailymetric INCLUDING IDENTITY INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
    ),
}
FLOOR_INSERT = (
    """
INSERT INTO {table} (
    partner_id, kit_id, launch_id, day, currency,
    clicks, bot_clicks, downloads, leads, mqls, opportunities, won, lost, pipeline, revenue
)"""
    + GROUPED
)
# Into the indexed copy, the rows go in the order of the bucket key, as the rebuild
# writes them (`analytics.rollup._IN_BUCKET_KEY_ORDER`): the cheapest way to fill
# those indexes, so random index writes do not raise the floor.
FLOOR_ORDER = {
    "bench_floor": "ORDER BY 1, 4, COALESCE(e.kit_id, 0), COALESCE(e.launch_id, 0), 5",
    "bench_heap": "",
}

# Events numbered g = first … last, in arrival order over DAYS days. As in a partner
# program, a few partners bring most results (partner = N · random³: the busiest tenth
# brings about half the events) and a partner's first launch is its busiest. The
# arrival day follows g; clicks and downloads happen on the day they arrive; results (a third of
# the events) mostly too, but a quarter of them are for the week before and one in
# twenty for the quarter before. Each partner has LAUNCHES_PER_PARTNER launches (ids
# consecutive per partner); clicks always name one, results usually, downloads
# sometimes name a kit only. Clicks come from the tracking link (source "tracking",
# a visitor key among VISITORS): the older ones as the rollup left them (10 % bots by
# user agent, 10 % repeats), the newest as the request writes them (only the user
# agent's bots marked), for the rollup to judge (`analytics.clicks.classify_clicks`).
GENERATE_EVENTS = """
INSERT INTO analytics_resultevent (
    partner_id, kit_id, launch_id, kind, source, external_id, occurred_at, day,
    received_at, amount, currency, company, email_domain, visitor_key, bot_reason,
    repeat, launch_inactive, fingerprint
)
SELECT
    %(partner0)s + s.p,
    CASE WHEN s.attributed THEN %(kit0)s + (s.p * 3 + s.l) %% %(kits)s
         WHEN s.kind = 'download' AND s.r3 < 0.5 THEN %(kit0)s + s.p %% %(kits)s END,
    CASE WHEN s.attributed THEN %(launch0)s + s.p * 3 + s.l END,
    s.kind, CASE WHEN s.kind = 'click' THEN 'tracking' ELSE 'bench' END, 'b' || s.g,
    s.occurred_day + time '12:00', s.occurred_day, s.arrival_day + time '12:00',
    CASE WHEN s.kind IN ('opportunity', 'won') THEN round((s.r3 * 50000)::numeric, 2) END,
    CASE WHEN s.kind NOT IN ('opportunity', 'won') THEN ''
         WHEN s.r4 < 0.8 THEN 'USD' WHEN s.r4 < 0.95 THEN 'EUR' ELSE 'GBP' END,
    '', '',
    CASE WHEN s.kind = 'click' THEN md5((%(visitors)s * s.r3)::int::text) ELSE '' END,
    CASE WHEN s.kind = 'click' AND s.r4 < 0.1 THEN 'user_agent' ELSE '' END,
    NOT %(unjudged)s AND s.kind = 'click' AND s.r4 >= 0.1 AND s.r4 < 0.2,
    false, ''
FROM (
    SELECT
        t.*,
        t.kind = 'click' OR (t.kind NOT IN ('download') AND t.r2 < 0.7) AS attributed,
        t.arrival_day - CASE
            WHEN t.kind IN ('click', 'download') OR t.r2 < 0.7 THEN 0
            WHEN t.r2 < 0.95 THEN 1 + floor(t.r3 * 7)::int
            ELSE 8 + floor(t.r3 * 83)::int END AS occurred_day
    FROM (
        SELECT
            g,
            DATE '2026-01-01' + ((g - 1)::bigint * %(days)s / %(total)s)::int AS arrival_day,
            floor(%(partners)s * power(random(), 3))::int AS p,
            floor(3 * power(random(), 2))::int AS l,
            CASE WHEN k < 0.55 THEN 'click' WHEN k < 0.67 THEN 'download'
                 WHEN k < 0.82 THEN 'lead' WHEN k < 0.89 THEN 'mql'
                 WHEN k < 0.95 THEN 'opportunity' WHEN k < 0.98 THEN 'won'
                 ELSE 'lost' END AS kind,
            random() AS r2, random() AS r3, random() AS r4
        FROM (SELECT g, random() AS k FROM generate_series(%(first)s, %(last)s) g) n
    ) t
) s
"""

# The metric rows of the buckets the events after `after` belong to.
TOUCHED = """WHERE (
    m.partner_id, COALESCE(m.kit_id, 0), COALESCE(m.launch_id, 0), m.day, m.currency
) IN (
    SELECT
        n.partner_id, COALESCE(n.kit_id, 0), COALESCE(n.launch_id, 0), n.day,
        CASE WHEN n.amount IS NULL THEN '' ELSE n.currency END
    FROM analytics_resultevent n
    WHERE n.id > %(after)s
)"""


def scratch_database() -> tuple[str, str]:
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_rollup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    return server, urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(server: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 million events (under 2 minutes)")
    parser.add_argument("--events", type=int, help="how many events (default 10 million)")
    parser.add_argument("--runs", type=int, help="repetitions of each side")
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch database (to read plans in it)"
    )
    args = parser.parse_args()
    total = args.events or (1_000_000 if args.quick else 10_000_000)
    runs = args.runs or (2 if args.quick else 3)

    server, url = scratch_database()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "false"  # as in production: no query log kept per cursor
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-rollup-"))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
        result = measure(total, runs)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept {url}")
        else:
            drop_database(server, url)
    report(result)


def make_world() -> dict[str, int]:
    """Partners, kits and launches with consecutive ids; returns the first of each."""
    import datetime

    from django.contrib.auth.models import User
    from django_scopes import scopes_disabled

    from campaigns.models import CampaignKit, Channel, Launch
    from partners.models import Partner, Tier

    tier = Tier.objects.create(name="Gold", slug="gold-bench", rank=99)
    user = User.objects.create(username="bench")
    start = datetime.date(2026, 1, 1)
    end = start + datetime.timedelta(days=DAYS)
    with scopes_disabled():
        partners = Partner.objects.bulk_create(
            Partner(
                name=f"Partner {i}",
                slug=f"partner-{i}",
                tier=tier,
                partner_type=Partner.Type.RESELLER,
                status=Partner.Status.ACTIVE,
            )
            for i in range(PARTNERS)
        )
        kits = CampaignKit.objects.bulk_create(
            CampaignKit(
                name=f"Kit {i}",
                slug=f"kit-{i}",
                objective=CampaignKit.Objective.LEAD_GENERATION,
                channels=[Channel.EMAIL],
                start_date=start,
                end_date=end,
                landing_url="https://example.com/",
                status=CampaignKit.Status.PUBLISHED,
            )
            for i in range(KITS)
        )
        launches = Launch.objects.bulk_create(
            Launch(
                partner=partner,
                kit=kits[(p * LAUNCHES_PER_PARTNER + n) % KITS],
                channel=Channel.EMAIL,
                start_date=start,
                end_date=end,
                created_by=user,
            )
            for p, partner in enumerate(partners)
            for n in range(LAUNCHES_PER_PARTNER)
        )
    ids = {
        "partner0": partners[0].pk,
        "kit0": kits[0].pk,
        "launch0": launches[0].pk,
    }
    # The generator computes ids by offset: they must be consecutive.
    assert partners[-1].pk - partners[0].pk == PARTNERS - 1
    assert kits[-1].pk - kits[0].pk == KITS - 1
    assert launches[-1].pk - launches[0].pk == PARTNERS * LAUNCHES_PER_PARTNER - 1
    return ids


def generate(ids: dict[str, int], first: int, last: int, total: int, *, judged: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            GENERATE_EVENTS,
            {
                **ids,
                "kits": KITS,
                "partners": PARTNERS,
                "days": DAYS,
                "total": total,
                "first": first,
                "last": last,
                "visitors": VISITORS,
                "unjudged": not judged,
            },
        )


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def measure(total: int, runs: int) -> dict:
    from django.db import connection

    from analytics import rollup
    from analytics.models import RollupState

    ids = make_world()

    def sql(statement: str, params=None):
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    # The bulk of the events, loaded without the event table's secondary indexes (made
    # again afterwards, as a restore does), then the newest 100,000 with them in place.
    started = time.perf_counter()
    indexes = sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'analytics_resultevent' "
        "AND indexname NOT LIKE '%%pkey'"
    )
    for name, _definition in indexes:
        constraint = sql("SELECT conname FROM pg_constraint WHERE conname = %s", [name])
        if constraint:
            sql(f'ALTER TABLE analytics_resultevent DROP CONSTRAINT "{name}"')
        else:
            sql(f'DROP INDEX "{name}"')
    older = total - NEWEST
    step = 1_000_000
    # The generated ids are consistent by construction: skip the foreign key triggers.
    sql("SET session_replication_role = replica")
    for first in range(1, older + 1, step):
        generate(ids, first, min(first + step - 1, older), total, judged=True)
        print(f"  {min(first + step - 1, older):,} events", flush=True)
    for name, definition in indexes:
        if "UNIQUE" in definition and "resultevent_once_per_source" in name:
            sql(
                f'ALTER TABLE analytics_resultevent ADD CONSTRAINT "{name}" '
                "UNIQUE (source, external_id)"
            )
        else:
            sql(definition)
    sql("SET session_replication_role = DEFAULT")
    sql("VACUUM ANALYZE analytics_resultevent")
    print(f"generated {older:,} events in {time.perf_counter() - started:.1f} s", flush=True)

    # Everything so far rolled up (a full rebuild), the watermark at its last event
    # (first: the rebuild counts the clicks up to the watermark, the judged ones).
    started = time.perf_counter()
    after = sql("SELECT MAX(id) FROM analytics_resultevent")[0][0]
    RollupState.objects.update_or_create(name=rollup.STATE_NAME, defaults={"watermark": after})
    rollup.rebuild_metrics()
    sql("VACUUM ANALYZE analytics_dailymetric")
    print(f"rolled up the older events in {time.perf_counter() - started:.1f} s", flush=True)

    generate(ids, older + 1, total, total, judged=False)
    sql("ANALYZE analytics_resultevent")
    touched = sql(
        "SELECT COUNT(*), COUNT(DISTINCT (partner_id, day)) FROM analytics_resultevent "
        "WHERE id > %(after)s",
        {"after": after},
    )[0]
    sql(
        f"CREATE TABLE bench_before AS SELECT m.* FROM analytics_dailymetric m {TOUCHED}",
        {"after": after},
    )
    existing = sql("SELECT COUNT(*) FROM bench_before")[0][0]
    print(
        f"newest {touched[0]:,} events touch {touched[1]:,} partner-days; "
        f"{existing:,} of their buckets hold older events"
    )

    def back_to_before() -> None:
        """The metrics, the watermark and the newest clicks' judgement as they were
        before the newest events were rolled up."""
        sql(
            "UPDATE analytics_resultevent SET bot_reason = '', repeat = false "
            "WHERE id > %(after)s AND kind = 'click' AND (bot_reason = 'burst' OR repeat)",
            {"after": after},
        )
        sql(f"DELETE FROM analytics_dailymetric m {TOUCHED}", {"after": after})
        sql("INSERT INTO analytics_dailymetric SELECT * FROM bench_before")
        RollupState.objects.filter(name=rollup.STATE_NAME).update(watermark=after)
        sql("VACUUM ANALYZE analytics_dailymetric")

    # (a) the incremental rollup of the newest events against a bare GROUP BY of them
    rollup_times, newest_group_by = [], []
    for _ in range(runs):
        back_to_before()
        started = time.perf_counter()
        rolled = rollup.rollup_metrics()
        rollup_times.append(time.perf_counter() - started)
        assert rolled == NEWEST, rolled
        newest_group_by.append(timed(lambda: sql(BARE_GROUP_BY, {"after": after})))
    back_to_before()
    judging = timed_judging(after, total)
    plan_rollup = explain_rollup(after, total)
    plan_newest = explain(BARE_GROUP_BY, {"after": after})

    # (b) a full rebuild against a bare GROUP BY of all rows (every event judged: the
    # newest by the last rollup of (a), run again here to leave them judged)
    rollup.rollup_metrics()
    rebuild_times, all_group_by = [], []
    for _ in range(runs):
        # The dead rows of the previous rebuild cleaned away, as autovacuum does.
        sql("VACUUM ANALYZE analytics_dailymetric")
        rebuild_times.append(timed(rollup.rebuild_metrics))
        all_group_by.append(timed(lambda: sql(BARE_GROUP_BY, {"after": 0})))
    metric_rows = sql("SELECT COUNT(*) FROM analytics_dailymetric")[0][0]

    # (c) the engine's floor: the same rows written by a plain INSERT … SELECT
    floors: dict[tuple[str, str], list[float]] = {}
    for table, like in FLOOR_TABLES.items():
        sql(f"CREATE TABLE {table} ({like})")
        for scope, since in (("newest", after), ("all", 0)):
            statement = FLOOR_INSERT.format(table=table) + FLOOR_ORDER[table]
            for _ in range(runs):
                started = time.perf_counter()
                sql(statement, {"after": since})
                floors.setdefault((table, scope), []).append(time.perf_counter() - started)
                sql(f"TRUNCATE {table}")
        sql(f"DROP TABLE {table}")
    return {
        "floors": floors,
        "total": total,
        "runs": runs,
        "metric_rows": metric_rows,
        "rollup": rollup_times,
        "newest_group_by": newest_group_by,
        "rebuild": rebuild_times,
        "all_group_by": all_group_by,
        "plan_rollup": plan_rollup,
        "judging": judging,
        "plan_newest": plan_newest,
    }


def explain(statement: str, params: dict) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def timed_judging(after: int, upto: int) -> tuple[float, dict[str, int]]:
    """The rollup's first step alone: judging the newest clicks (run, then undone)."""
    from django.db import transaction

    from analytics import clicks

    with transaction.atomic():
        started = time.perf_counter()
        marked = clicks.classify_clicks(after=after, upto=upto)
        took = time.perf_counter() - started
        transaction.set_rollback(True)
    return took, marked


def explain_rollup(after: int, upto: int) -> str:
    """The plan of the rollup's statement for the newest events (run, then undone)."""
    from django.db import connection, transaction

    from analytics import rollup

    statement = rollup._UPSERT_SQL.format(where=rollup._TOUCHED_WHERE)
    params = {**rollup._KIND_PARAMS, "after": after, "upto": upto, "judged": upto}
    with transaction.atomic():
        with connection.cursor() as cursor:
            rollup._bulk_settings(cursor)  # the rollup's own transaction settings
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def report(result: dict) -> None:
    def ms(values: list[float]) -> str:
        return ", ".join(f"{v * 1000:.0f}" for v in values) + " ms"

    print()
    print("plan of the rollup's statement (newest events):")
    print(result["plan_rollup"])
    print()
    print("plan of the bare GROUP BY (newest events):")
    print(result["plan_newest"])
    print()
    print(f"{result['total']:,} events, {result['metric_rows']:,} daily metric rows")
    print(f"(a) rollup of the newest {NEWEST:,}: {ms(result['rollup'])}")
    print(f"    bare GROUP BY of them:      {ms(result['newest_group_by'])}")
    took, marked = result["judging"]
    print(f"    of which judging the clicks: {took * 1000:.0f} ms (marked {marked})")
    print(f"(b) full rebuild:               {ms(result['rebuild'])}")
    print(f"    bare GROUP BY of all rows:  {ms(result['all_group_by'])}")
    rollup_ratio = statistics.median(result["rollup"]) / statistics.median(
        result["newest_group_by"]
    )
    rebuild_ratio = statistics.median(result["rebuild"]) / statistics.median(result["all_group_by"])
    floors = result["floors"]
    print("(c) the engine's floor, the bare GROUP BY's rows written by a plain INSERT … SELECT")
    print("    into an empty copy of the metric table:")
    for (table, scope), values in floors.items():
        what = "with its indexes" if table == "bench_floor" else "without indexes"
        print(f"    {scope} events, {what}: {ms(values)}")

    def floor_ratio(table: str, scope: str, group_by: list[float]) -> float:
        return statistics.median(floors[(table, scope)]) / statistics.median(group_by)

    print(f"figure: rollup_ms {statistics.median(result['rollup']) * 1000:.0f} ms")
    print(f"figure: rebuild_s {statistics.median(result['rebuild']):.2f} s")
    print(f"figure: rollup_vs_groupby {rollup_ratio:.2f} ratio")
    print(f"figure: rebuild_vs_groupby {rebuild_ratio:.2f} ratio")
    newest, every = result["newest_group_by"], result["all_group_by"]
    print(
        f"figure: newest_insert_floor_vs_groupby "
        f"{floor_ratio('bench_floor', 'newest', newest):.2f} ratio"
    )
    print(
        f"figure: newest_heap_floor_vs_groupby "
        f"{floor_ratio('bench_heap', 'newest', newest):.2f} ratio"
    )
    print(
        f"figure: all_insert_floor_vs_groupby {floor_ratio('bench_floor', 'all', every):.2f} ratio"
    )
    print(f"figure: all_heap_floor_vs_groupby {floor_ratio('bench_heap', 'all', every):.2f} ratio")


if __name__ == "__main__":
    main()
