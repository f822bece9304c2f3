"""The incremental rollup of result events into daily metrics, and its full rebuild.

The one module that holds the rollup's SQL (zulip's `analytics/lib/counts.py` is the
model). Events are append-only and numbered by a sequence; `RollupState.watermark` is
the highest event id whose bucket has been rolled up. A run:

1. finds a bound: an id such that every event with an id up to it is committed
   (`_committed_bound`, which explains why `max(id)` alone is not enough);
2. locks the state row, so only one rollup (or rebuild) writes metrics at a time;
   then judges the new clicks by the repeat and burst rules, in the order they were
   recorded (`analytics.clicks.classify_clicks`: one judge at a time, so the
   judgement is sequential and deterministic);
3. recomputes, in ONE `INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`, every
   bucket (partner, day, kit, launch, currency) of the partner-days that an event in
   (watermark, bound] belongs to, from all the events of that bucket: late events land
   on their own day, and a bucket's row is always the whole truth, never a previous
   value plus a delta; a row whose figures did not change is not written;
4. moves the watermark to the bound and sets `rolled_up_at` in the same transaction.

A crash anywhere rolls back the metrics and the watermark together; a rerun (or a
redelivered task) recomputes the same buckets from the same events and writes the
same rows. So the table always equals a full rebuild (`rebuild_metrics`), which
deletes the rows in its scope and writes them again with the same SELECT in a plain
INSERT.

Why raw SQL: the ORM has no `INSERT … SELECT`, and recomputing a bucket in Python
would read every event of it into the process. The statements are portable: aggregate
`FILTER`, row values in `IN`, `ON CONFLICT` on an expression index and `IS DISTINCT
FROM` on row values work on PostgreSQL and on SQLite (3.39 and later), so both
databases run the same text.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from analytics import clicks
from analytics.models import DailyMetric, EventKind, RollupState
from partners.models import Partner

STATE_NAME = "daily_metrics"

# The memory a sort or hash of the rollup's statements may take before spilling to
# disk (PostgreSQL's `work_mem`, set for the rollup's and the rebuild's transaction
# only; the server's default stays for every other query). A catch-up run groups tens
# of thousands of buckets and a rebuild all of them: at the default they spill in
# batches to temporary files.
BULK_WORK_MEM = "64MB"

# What PostgreSQL's planner assumes a random page read costs against a sequential one,
# for the rollup's and the rebuild's transaction (the usual value for SSDs and for
# tables held in memory; the server default, 4, is for spinning disks). At the default
# the rollup read every event of the table in a sequential scan to find the few
# partner-days it recomputes, instead of those partner-days' events through
# `resultevent_partner_day`.
BULK_RANDOM_PAGE_COST = 1.1

# How long the rollup waits for in-flight event writers before giving up this run
# (the beat tries again a minute later). While it waits, new writers queue behind
# it, so the wait must stay short.
BOUND_LOCK_TIMEOUT = "5s"

# The rows of the buckets of the events `{where}` selects, each computed from all of
# that bucket's events it sees. The bucket of an event is its partner, day, kit,
# launch, and the currency of its amount: events without an amount (clicks, downloads,
# leads, MQLs, amount-less lost deals) count in the row with an empty currency, an
# event with an amount counts in the row of its currency, so pipeline and revenue
# never add two currencies. A click counts once it has been judged by the repeat and
# burst rules (`analytics.clicks.classify_clicks`), that is once its id is at most the
# watermark the statement is writing (`judged`); a later click is counted by the run
# that judges it, which recomputes its bucket. (The GROUP BY keeps the kit and launch
# before the day: in the order of the bucket key, PostgreSQL prefers a merge join that
# reads every event through `resultevent_partner_day` for the rollup's few touched
# partner-days.)
_BUCKETS_SQL = """
INSERT INTO analytics_dailymetric (
    partner_id, day, kit_id, launch_id, currency,
    clicks, bot_clicks, downloads, leads, mqls, opportunities, won, lost,
    pipeline, revenue
)
SELECT
    e.partner_id, e.day, e.kit_id, e.launch_id,
    CASE WHEN e.amount IS NULL THEN '' ELSE e.currency END,
    COUNT(*) FILTER (
        WHERE e.kind = %(click)s AND e.id <= %(judged)s AND e.bot_reason = '' AND NOT e.repeat
    ),
    COUNT(*) FILTER (WHERE e.kind = %(click)s AND e.id <= %(judged)s AND e.bot_reason <> ''),
    COUNT(*) FILTER (WHERE e.kind = %(download)s),
    COUNT(*) FILTER (WHERE e.kind = %(lead)s),
    COUNT(*) FILTER (WHERE e.kind = %(mql)s),
    COUNT(*) FILTER (WHERE e.kind = %(opportunity)s),
    COUNT(*) FILTER (WHERE e.kind = %(won)s),
    COUNT(*) FILTER (WHERE e.kind = %(lost)s),
    COALESCE(SUM(e.amount) FILTER (WHERE e.kind = %(opportunity)s), 0),
    COALESCE(SUM(e.amount) FILTER (WHERE e.kind = %(won)s), 0)
FROM analytics_resultevent e
WHERE {where}
GROUP BY
    e.partner_id, e.kit_id, e.launch_id, e.day,
    CASE WHEN e.amount IS NULL THEN '' ELSE e.currency END
"""

# The rollup's upsert: a bucket's row is replaced by its recomputed figures, and only
# when they differ (`IS DISTINCT FROM` on row values: PostgreSQL, SQLite 3.39 and
# later), so a bucket recomputed without a change costs no new row version and no
# index entries. The conflict target is the `dailymetric_bucket` key's expressions.
_UPSERT_SQL = (
    _BUCKETS_SQL
    + """ON CONFLICT (partner_id, day, COALESCE(kit_id, 0), COALESCE(launch_id, 0), currency)
DO UPDATE SET
    clicks = EXCLUDED.clicks,
    bot_clicks = EXCLUDED.bot_clicks,
    downloads = EXCLUDED.downloads,
    leads = EXCLUDED.leads,
    mqls = EXCLUDED.mqls,
    opportunities = EXCLUDED.opportunities,
    won = EXCLUDED.won,
    lost = EXCLUDED.lost,
    pipeline = EXCLUDED.pipeline,
    revenue = EXCLUDED.revenue
WHERE (
    analytics_dailymetric.clicks, analytics_dailymetric.bot_clicks,
    analytics_dailymetric.downloads, analytics_dailymetric.leads,
    analytics_dailymetric.mqls, analytics_dailymetric.opportunities,
    analytics_dailymetric.won, analytics_dailymetric.lost,
    analytics_dailymetric.pipeline, analytics_dailymetric.revenue
) IS DISTINCT FROM (
    EXCLUDED.clicks, EXCLUDED.bot_clicks, EXCLUDED.downloads, EXCLUDED.leads,
    EXCLUDED.mqls, EXCLUDED.opportunities, EXCLUDED.won, EXCLUDED.lost,
    EXCLUDED.pipeline, EXCLUDED.revenue
)
"""
)

# The partner-days that the events after the watermark belong to; every bucket of
# them is recomputed, from ALL its events, including any committed after the bound was
# taken: a bucket computed from every event it has is always right, and those later
# events are above the new watermark, so the next run recomputes their buckets again.
# Matching plain (partner_id, day) columns, not the bucket's expressions, lets the
# database find the events through `resultevent_partner_day` instead of reading every
# event; the buckets of those days that did not change are not written (the upsert's
# `WHERE … IS DISTINCT FROM`).
_TOUCHED_WHERE = """(e.partner_id, e.day) IN (
    SELECT n.partner_id, n.day
    FROM analytics_resultevent n
    WHERE n.id > %(after)s AND n.id <= %(upto)s
)"""

# The rebuild writes its rows in the order of the bucket key (`dailymetric_bucket`):
# that index, the largest the table has, is then filled page after page instead of at
# random places, so each of its pages is written (and logged) once rather than once per
# row that lands on it. Sorting the rows first costs less than the random writes.
_IN_BUCKET_KEY_ORDER = """
ORDER BY 1, 2, COALESCE(e.kit_id, 0), COALESCE(e.launch_id, 0), 5
"""

_KIND_PARAMS = {
    "click": EventKind.CLICK.value,
    "download": EventKind.DOWNLOAD.value,
    "lead": EventKind.LEAD.value,
    "mql": EventKind.MQL.value,
    "opportunity": EventKind.OPPORTUNITY.value,
    "won": EventKind.WON.value,
    "lost": EventKind.LOST.value,
}


def rollup_metrics() -> int:
    """Roll the events that arrived since the last run into `DailyMetric`.

    Rules:
    - One run at a time: a run that finds the state row locked by another run (or a
      rebuild) returns 0 at once; the other run does the work.
    - Only committed events up to a bound are taken (`_committed_bound`), so an event
      whose transaction commits late is never skipped by the watermark.
    - Every bucket of the partner-days touched is recomputed from all its events and
      upserted in one statement (a row whose figures did not change is not written);
      the watermark moves to the bound, and
      `rolled_up_at` to now, in the same transaction.
    - The new clicks are judged (repeat, burst) before they are counted, in the same
      transaction (`analytics.clicks.classify_clicks`).
    - `clicks` counts clicks that are neither bot clicks nor repeats; `bot_clicks`
      counts clicks with a bot reason; a repeat click (same visitor and link within the
      repeat window) counts as neither. A click on a paused or completed launch counts.
    - `pipeline` sums opportunity amounts, `revenue` won amounts, per currency.

    Returns the number of events rolled up (0 when another run holds the lock).
    """
    _ensure_state()
    upto = _committed_bound()
    with transaction.atomic():
        state = (
            RollupState.objects.select_for_update(skip_locked=True).filter(name=STATE_NAME).first()
        )
        if state is None:
            return 0
        after = state.watermark
        rolled = 0
        if upto > after:
            params = {"after": after, "upto": upto}
            with connection.cursor() as cursor:
                _bulk_settings(cursor)
                cursor.execute(
                    "SELECT COUNT(*) FROM analytics_resultevent WHERE id > %(after)s "
                    "AND id <= %(upto)s",
                    params,
                )
                rolled = cursor.fetchone()[0]
                if rolled:
                    clicks.classify_clicks(after=after, upto=upto)
                    cursor.execute(
                        _UPSERT_SQL.format(where=_TOUCHED_WHERE),
                        {**_KIND_PARAMS, **params, "judged": upto},
                    )
            state.watermark = upto
        # (A run whose bound a later run has already passed moves nothing: the
        # watermark never goes back.)
        state.rolled_up_at = timezone.now()
        state.save(update_fields=["watermark", "rolled_up_at"])
    return rolled


def rebuild_metrics(*, partner: Partner | None = None, since: datetime.date | None = None) -> int:
    """Recompute the daily metrics in scope from the raw events.

    Rules:
    - The scope is one partner and/or the days from `since` on; without either, all.
    - The metric rows in scope are deleted and recomputed from their events with the
      rollup's own SELECT (a plain INSERT: nothing is left to conflict with), in one
      transaction that holds the rollup's lock (it waits for a
      running rollup, and rollups wait for it), so the two never interleave.
    - The watermark does not move: events above it are rolled up again by the next
      run, which recomputes the same rows; clicks above it are not counted yet (they
      are judged by that run, `analytics.clicks.classify_clicks`).

    Returns the number of metric rows written.
    """
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if partner is not None:
        where.append("e.partner_id = %(partner)s")
        params["partner"] = partner.pk
    if since is not None:
        where.append("e.day >= %(since)s")
        params["since"] = since
    _ensure_state()
    with transaction.atomic(), scopes_disabled():
        state = RollupState.objects.select_for_update().get(name=STATE_NAME)
        # Clicks above the watermark are not judged yet: the next rollup counts them.
        params["judged"] = state.watermark
        in_scope = DailyMetric.objects.all()
        if partner is not None:
            in_scope = in_scope.filter(partner=partner)
        if since is not None:
            in_scope = in_scope.filter(day__gte=since)
        in_scope.delete()
        # The rows in scope are gone and the lock keeps rollups out, so a plain
        # INSERT (no conflict to resolve) writes them back. DELETE, not TRUNCATE:
        # dashboards keep reading the old rows until this transaction commits.
        with connection.cursor() as cursor:
            _bulk_settings(cursor)
            cursor.execute(
                _BUCKETS_SQL.format(where=" AND ".join(where)) + _IN_BUCKET_KEY_ORDER,
                {**_KIND_PARAMS, **params},
            )
            return cursor.rowcount


def freshness() -> datetime.datetime | None:
    """When the last rollup finished (None before the first): "updated … ago"."""
    return (
        RollupState.objects.filter(name=STATE_NAME).values_list("rolled_up_at", flat=True).first()
    )


def _ensure_state() -> None:
    # get_or_create is race-safe on the unique name: a run that loses the race to
    # create the row reads the winner's.
    RollupState.objects.get_or_create(name=STATE_NAME)


def _bulk_settings(cursor: Any) -> None:
    """Settings for the rollup's and the rebuild's statements, for their transaction
    only (`SET LOCAL`): on PostgreSQL, room to group and sort in memory, and the cost of
    a random read as on SSDs (`BULK_RANDOM_PAGE_COST`)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL work_mem = '{BULK_WORK_MEM}'")
        cursor.execute(f"SET LOCAL random_page_cost = {BULK_RANDOM_PAGE_COST}")


def _committed_bound() -> int:
    """The highest event id below which every event is committed.

    Ids come from a sequence when a row is inserted, but transactions commit in any
    order: a writer that took id 10 may commit after one that took id 11. Taking
    `max(id)` as the new watermark could then pass over id 10 for good. On PostgreSQL,
    `LOCK TABLE … IN SHARE MODE` waits until every transaction that has written to
    the event table (holding ROW EXCLUSIVE) has finished, and keeps new writers out
    until `max(id)` is read; this transaction then ends at once, so writers wait only
    for that. Every id up to the max it reads is then committed (or rolled back, never
    to appear). (A running autovacuum of the table also conflicts; PostgreSQL cancels
    it for a waiting lock after `deadlock_timeout`.) On SQLite, writers are serialised
    by the database lock and an IMMEDIATE transaction holds it, so ids are committed
    in order and `max(id)` is the bound.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL lock_timeout = '{BOUND_LOCK_TIMEOUT}'")
            cursor.execute("LOCK TABLE analytics_resultevent IN SHARE MODE")
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM analytics_resultevent")
        return cursor.fetchone()[0]
