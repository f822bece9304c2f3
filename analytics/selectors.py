"""Reads of performance: totals, series, breakdowns, the staff leaderboard and the MDF
attribution, all from the daily metrics table (never the raw events) and the MDF ledger.

Every selector aggregates in the database (GROUP BY through `values().annotate()`) and
runs a fixed number of queries whatever the data size; the KPIs themselves are computed
from the returned `Totals` by `analytics.kpis`, their one definition. The one exception
is the leaderboard's ranking: the database ranks and paginates the partners by a KPI
(`sort_value`, an aggregate written to equal the KPI of `analytics.kpis`; a test holds
the two orders equal), and `Totals` are built for the page shown only.

Partner-side selectors take `partner=` and run inside that partner's scope. The
selectors across partners (`leaderboard`, `kit_performance`, `mdf_roi_by_*`,
`top_assets_by_downloads`, and `series` without a partner) are for staff: they open
`scopes_disabled()` themselves, visibly, here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Lower, NullIf, Round, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from analytics.kpis import BY_NAME, COUNT_FIELDS, MONEY_FIELDS, ZERO, Totals, add_money
from analytics.models import DailyMetric, RollupState
from assets.models import DownloadRecord
from campaigns.models import CampaignKit, Launch
from mdf.models import Allocation, FundPool, LedgerEntry
from partners.models import Partner

ROLLUP_NAME = "daily_metrics"
# Sums are named "t_<field>": an annotation may not take a column's own name (the
# funded sums below sum the same columns again).
SUMS = {f"t_{name}": Sum(name) for name in (*COUNT_FIELDS, *MONEY_FIELDS)}
T = "t_"
FUNDED_FIELDS = ("leads", "pipeline", "revenue")


# --- building blocks ----------------------------------------------------------------


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The moments of a period of days [start, end], in the site's time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _rows(queryset: Any) -> Iterator[dict[str, Any]]:
    """The grouped rows of a `values().annotate()` query (no model ordering: it would
    join the GROUP BY)."""
    yield from queryset.order_by()


def _metrics(start: date, end: date) -> QuerySet[DailyMetric]:
    return DailyMetric.objects.filter(day__gte=start, day__lte=end)


def _spend(start: date, end: date) -> QuerySet[LedgerEntry]:
    """MDF spend in the period: the ledger's spend entries (claims approved)."""
    since, until = _bounds(start, end)
    return LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.SPEND, created_at__gte=since, created_at__lt=until
    )


def _funded_launches(spend: QuerySet[LedgerEntry]) -> QuerySet[Any, Any]:
    """The launches named by the fund requests of these spend entries (a subquery)."""
    return spend.filter(request__launch__isnull=False).values("request__launch_id")


def _funded_sums(spend: QuerySet[LedgerEntry], currencies: Iterable[str]) -> dict[str, Sum]:
    """Per spend currency C (`f_C_leads`, `f_C_pipeline`, `f_C_revenue`): the leads of
    the launches funded in C, and their pipeline and revenue in C (analytics.kpis)."""
    sums: dict[str, Sum] = {}
    for currency in currencies:
        if not (len(currency) == 3 and currency.isalpha()):
            continue  # a pool's currency is an ISO code; nothing else names a column
        launches = _funded_launches(spend.filter(allocation__pool__currency=currency))
        funded = Q(launch_id__in=launches)
        sums[f"f_{currency}_leads"] = Sum("leads", filter=funded)
        sums[f"f_{currency}_pipeline"] = Sum("pipeline", filter=funded & Q(currency=currency))
        sums[f"f_{currency}_revenue"] = Sum("revenue", filter=funded & Q(currency=currency))
        sums[f"f_{currency}_revenue_elsewhere"] = Sum(
            "revenue", filter=funded & ~Q(currency=currency)
        )
        sums[f"f_{currency}_pipeline_elsewhere"] = Sum(
            "pipeline", filter=funded & ~Q(currency=currency)
        )
    return sums


def _add_funded(totals: Totals, row: Mapping[str, Any], currencies: Iterable[str]) -> None:
    for currency in currencies:
        if f"f_{currency}_leads" in row:
            totals.add_funded(
                currency,
                row[f"f_{currency}_leads"],
                row[f"f_{currency}_pipeline"],
                row[f"f_{currency}_revenue"],
                row.get(f"f_{currency}_revenue_elsewhere"),
                row.get(f"f_{currency}_pipeline_elsewhere"),
            )


def _spend_sums() -> dict[str, Sum]:
    return {
        "spent": Sum("d_spent"),
        "funded": Sum("d_spent", filter=Q(request__launch__isnull=False)),
    }


def _add_spend(totals: Totals, row: Mapping[str, Any], currency: str) -> None:
    add_money(totals.mdf_spent, currency, row["spent"])
    add_money(totals.funded_spent, currency, row["funded"])


# --- one partner --------------------------------------------------------------------


def partner_totals(
    *,
    partner: Partner | None,
    start: date,
    end: date,
    kit: CampaignKit | None = None,
    launch: Launch | None = None,
) -> Totals:
    """The partner's totals for the days [start, end], optionally of one kit or launch,
    with its MDF spend and attributed results (`analytics.kpis`). `partner=None`: the
    whole programme (staff). Two queries."""
    with _staff_scope(partner is None):
        metrics = _metrics(start, end)
        spend = _spend(start, end)
        if partner is not None:
            metrics = metrics.filter(partner=partner)
            spend = spend.filter(partner=partner)
        if kit is not None:
            metrics = metrics.filter(kit=kit)
            spend = spend.filter(request__launch__kit=kit)
        if launch is not None:
            metrics = metrics.filter(launch=launch)
            spend = spend.filter(request__launch=launch)
        totals = Totals()
        spent = spend.values("allocation__pool__currency").annotate(**_spend_sums())
        currencies = []
        for row in _rows(spent):
            _add_spend(totals, row, row["allocation__pool__currency"])
            currencies.append(row["allocation__pool__currency"])
        funded = _funded_sums(spend, currencies)
        for row in _rows(metrics.values("currency").annotate(**SUMS, **funded)):
            totals.add_row(row, prefix=T)
            _add_funded(totals, row, currencies)
    return totals


@dataclass
class Point:
    """One period of a series: its first day and its totals (zeros when empty)."""

    start: date
    totals: Totals


def period_starts(start: date, end: date, granularity: str) -> list[date]:
    """The first day of each day, week (Monday) or month that [start, end] touches."""
    if granularity == "day":
        return [start + timedelta(days=n) for n in range((end - start).days + 1)]
    if granularity == "week":
        first = start - timedelta(days=start.weekday())
        return [first + timedelta(weeks=n) for n in range((end - first).days // 7 + 1)]
    starts, current = [], date(start.year, start.month, 1)
    while current <= end:
        starts.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return starts


def series(
    *,
    partner: Partner | None,
    start: date,
    end: date,
    granularity: str = "day",
    kit: CampaignKit | None = None,
    launch: Launch | None = None,
) -> list[Point]:
    """Totals per day, week or month over [start, end], every period present (empty
    ones as zeros). Without a partner: across all partners (staff). One query."""
    with _staff_scope(partner is None):
        metrics = _metrics(start, end)
        if partner is not None:
            metrics = metrics.filter(partner=partner)
        if kit is not None:
            metrics = metrics.filter(kit=kit)
        if launch is not None:
            metrics = metrics.filter(launch=launch)
        grouped: Any
        if granularity == "day":
            grouped = metrics.values("day", "currency")
        else:
            trunc = TruncWeek("day") if granularity == "week" else TruncMonth("day")
            grouped = metrics.annotate(period=trunc).values("period", "currency")
        points = {first: Point(first, Totals()) for first in period_starts(start, end, granularity)}
        for row in _rows(grouped.annotate(**SUMS)):
            first = row.get("period") or row["day"]
            if isinstance(first, datetime):
                first = first.date()
            points.setdefault(first, Point(first, Totals())).totals.add_row(row, prefix=T)
    return [points[first] for first in sorted(points)]


@dataclass
class BreakdownRow:
    kit_id: int | None
    kit_name: str
    kit_slug: str
    launch_id: int | None
    launch_code: str
    launch_name: str
    totals: Totals = field(default_factory=Totals)


def breakdown_by_kit_and_launch(*, partner: Partner, start: date, end: date) -> list[BreakdownRow]:
    """The partner's totals per kit and launch over [start, end], with the MDF spent
    on requests naming each launch (so each launch row has its own MDF ROI). Results
    without a kit or launch (library downloads) come last. Two queries."""
    metrics = _metrics(start, end).filter(partner=partner)
    spend = _spend(start, end).filter(partner=partner, request__launch__isnull=False)
    rows: dict[tuple[int | None, int | None], BreakdownRow] = {}
    grouped = metrics.values(
        "kit_id", "kit__name", "kit__slug", "launch_id", "launch__code", "launch__name", "currency"
    ).annotate(**SUMS)
    for row in _rows(grouped):
        key = (row["kit_id"], row["launch_id"])
        if key not in rows:
            rows[key] = BreakdownRow(
                kit_id=row["kit_id"],
                kit_name=row["kit__name"] or "",
                kit_slug=row["kit__slug"] or "",
                launch_id=row["launch_id"],
                launch_code=row["launch__code"] or "",
                launch_name=row["launch__name"] or "",
            )
        rows[key].totals.add_row(row, prefix=T)
    launch_rows = {row.launch_id: row for row in rows.values() if row.launch_id is not None}
    spent = spend.values("request__launch_id", "allocation__pool__currency").annotate(
        spent=Sum("d_spent")
    )
    for row in _rows(spent):
        target = launch_rows.get(row["request__launch_id"])
        if target is not None:
            currency = row["allocation__pool__currency"]
            add_money(target.totals.mdf_spent, currency, row["spent"])
            add_money(target.totals.funded_spent, currency, row["spent"])
    for launch_row in launch_rows.values():
        funded = launch_row.totals
        for currency in funded.funded_spent:
            # A funded launch: its results are its requests' results.
            funded.add_funded(
                currency,
                funded.leads,
                funded.pipeline.get(currency),
                funded.revenue.get(currency),
                sum((v for c, v in funded.revenue.items() if c != currency), ZERO),
                sum((v for c, v in funded.pipeline.items() if c != currency), ZERO),
            )
    return sorted(
        rows.values(),
        key=lambda r: (r.kit_id is None, r.kit_name.lower(), r.launch_id is None, r.launch_code),
    )


def launch_totals(*, partner: Partner, launch_ids: Iterable[int]) -> dict[int, Totals]:
    """All-time totals of each of the partner's launches (clicks, leads, pipeline,
    revenue, ...), keyed by launch id; launches without results are absent. One query."""
    ids = list(launch_ids)
    totals: dict[int, Totals] = {}
    if not ids:
        return totals
    rows = (
        DailyMetric.objects.filter(partner=partner, launch_id__in=ids)
        .values("launch_id", "currency")
        .annotate(**SUMS)
        .order_by()
    )
    for row in rows:
        totals.setdefault(row["launch_id"], Totals()).add_row(row, prefix=T)
    return totals


# --- across partners (staff) ------------------------------------------------------------


def _staff_scope(across_partners: bool) -> AbstractContextManager[Any]:
    """`scopes_disabled()` for a read across partners (staff), else nothing."""
    return scopes_disabled() if across_partners else nullcontext()


# Columns the leaderboard sorts by besides the KPIs.
LEADERBOARD_FIELDS = ("name", "tier")
# KPIs from the MDF ledger: ranked in Python from `analytics.kpis` (see `leaderboard`).
MDF_KPIS = ("mdf_spent", "cost_per_lead", "pipeline_per_mdf", "mdf_roi")
# Rates the database ranks: (numerator, denominator), as `analytics.kpis` defines them.
RATES = {
    "click_to_lead": ("leads", "clicks"),
    "lead_to_opportunity": ("opportunities", "leads"),
    "opportunity_to_won": ("won", "opportunities"),
}


@dataclass
class LeaderRow:
    partner_id: int
    name: str
    slug: str
    uuid: Any
    tier: str
    tier_rank: int
    partner_type: str
    channel_manager: str
    totals: Totals = field(default_factory=Totals)
    kpis: dict[str, Any] = field(default_factory=dict)


@dataclass
class Leaderboard:
    page: Page
    rows: list[LeaderRow]
    sort: str
    currency: str
    currencies: list[str]
    count: int


def parse_sort(sort: str) -> tuple[str, bool]:
    """ "-revenue" → ("revenue", descending); unknown names fall back to -revenue."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in BY_NAME and name not in LEADERBOARD_FIELDS:
        return "revenue", True
    return name, descending


def _leader_filter(
    prefix: str,
    *,
    tier: int | None,
    partner_type: str,
    region: int | None,
    channel_manager: int | None,
) -> Q:
    """The partners the leaderboard ranks (not applicants), filtered; `prefix` is the
    path to the partner ("" on `Partner`, "partner__" on the daily metrics)."""
    condition = ~Q(**{f"{prefix}status": Partner.Status.APPLICANT})
    if tier:
        condition &= Q(**{f"{prefix}tier_id": tier})
    if partner_type:
        condition &= Q(**{f"{prefix}partner_type": partner_type})
    if region:
        in_region = Partner.objects.filter(regions__id=region).values("pk")
        condition &= Q(**{f"{prefix}pk__in": in_region})
    if channel_manager:
        condition &= Q(**{f"{prefix}channel_manager_id": channel_manager})
    return condition


def sort_value(name: str, *, currency: str) -> tuple[Any, Any]:
    """A leaderboard KPI as the database computes it for a partner: an aggregate over
    the partner's daily metrics of the period, the same as the KPI of `analytics.kpis`
    (`test_sql_ranking_follows_the_kpi_definitions` holds them together), and its value
    for a partner without metrics in the period. Counts are 0 then; a rate with a zero
    denominator and a money KPI with nothing in `currency` are NULL (`analytics.kpis`:
    None, shown "—"), which the ranking puts last. MDF KPIs are not here (`leaderboard`
    ranks them in Python)."""
    if name in RATES:
        numerator, denominator = RATES[name]
        # rate(): numerator × 100 ÷ denominator, to one decimal, half up (PostgreSQL's
        # ROUND of a numeric rounds half away from zero; rates are never negative).
        # The numerator cast to a decimal: an integer division would round down.
        exact = Cast(Sum(numerator), output_field=DecimalField(max_digits=20, decimal_places=2))
        percent = ExpressionWrapper(
            exact * Value(100) / NullIf(Sum(denominator), Value(0)), output_field=DecimalField()
        )
        return Round(percent, 1), Value(None, output_field=DecimalField())
    if BY_NAME[name].per_currency:
        # pipeline, revenue: the amount in `currency`; none (or zero) is None in kpis.
        none = Value(None, output_field=DecimalField())
        if not currency:
            return none, none
        amount = Sum(name, filter=Q(currency=currency))
        return NullIf(amount, Value(0), output_field=DecimalField()), none
    return Sum(name), Value(0)


# The counts of events without an amount: they sit in the daily rows without a
# currency only (`DailyMetric`: an event with an amount counts in its currency's row).
NO_AMOUNT_COUNTS = frozenset({"clicks", "bot_clicks", "downloads", "leads", "mqls"})


def _rows_of(name: str, *, currency: str) -> Q:
    """The daily rows whose sums make the leaderboard KPI `name` (see `sort_value`):
    an amount's rows of `currency`, the rows without a currency for counts of events
    without an amount (and rates of them), else every row. Ranking reads those only;
    a partner none of whose rows match has the KPI's value without metrics."""
    fields = RATES.get(name, (name,))
    if BY_NAME[name].per_currency:
        return Q(currency=currency)
    if NO_AMOUNT_COUNTS.issuperset(fields):
        return Q(currency="")
    return Q()


class _Ranked:
    """The ranked partners as the paginator sees them: a slice runs on the database
    (LIMIT/OFFSET); the count is the filtered partners' (each is ranked once), not a
    second run of the aggregate."""

    def __init__(self, rows: Any, count: int) -> None:
        self.rows = rows
        self.total = count

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: Any) -> Any:
        return self.rows[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)


def _ranked_by_metrics(
    partners: QuerySet[Partner],
    on_metrics: Q,
    name: str,
    currency: str,
    start: date,
    end: date,
    descending: bool,
) -> Any:
    """(partner id, value, lower-case name) of every partner, ranked by a KPI of the
    daily metrics: one GROUP BY partner over the period's rows the KPI sums
    (`_rows_of`) for the partners with such rows (`on_metrics`: the partner filter, on
    the join the name needs too), with the partners without any (their value:
    `sort_value`)."""
    value, default = sort_value(name, currency=currency)
    rows = _rows_of(name, currency=currency)
    with_metrics = (
        _metrics(start, end)
        .filter(rows)
        .filter(on_metrics)
        .values("partner_id")
        .annotate(rank=value, lname=Lower("partner__name"))
        .values_list("partner_id", "rank", "lname")
        # No ordering of its own (the model's): SQLite refuses one inside a UNION.
        .order_by()
    )
    in_period = DailyMetric.objects.filter(
        rows, partner=OuterRef("pk"), day__gte=start, day__lte=end
    )
    without = (
        partners.filter(~Exists(in_period)).order_by().values_list("pk", default, Lower("name"))
    )
    key = F("rank").desc(nulls_last=True) if descending else F("rank").asc(nulls_last=True)
    return with_metrics.union(without, all=True).order_by(key, "lname", "partner_id")


def _mdf_ranks(
    partners: QuerySet[Partner], name: str, currency: str, start: date, end: date, descending: bool
) -> Any:
    """The rank of each partner with MDF spend in the period by an MDF KPI, computed by
    `analytics.kpis` from its `Totals` (a KPI along the ledger's links, not one sum);
    partners without a value rank NULL. Only partners with spend can have a value, so
    this reads their totals only. Three queries."""
    spenders = partners.filter(pk__in=_spend(start, end).values("partner_id"))
    totals = _totals_of(spenders.values("pk"), start, end)
    kpi = BY_NAME[name]
    keyed = []
    for partner_id, name_key, partner_totals in (
        (pid, lower, totals.get(pid, Totals()))
        for pid, lower in spenders.values_list("pk", Lower("name"))
    ):
        value = kpi.value(partner_totals).get(currency)
        if value is not None:
            keyed.append((value, name_key, partner_id))
    keyed.sort(key=lambda item: item[1])
    keyed.sort(key=lambda item: item[0], reverse=descending)
    whens = [
        When(pk=partner_id, then=Value(rank)) for rank, (_v, _n, partner_id) in enumerate(keyed)
    ]
    if not whens:
        return Value(None, output_field=IntegerField())
    return Case(*whens, default=Value(None), output_field=IntegerField())


def _totals_of(partner_ids: Any, start: date, end: date) -> dict[int, Totals]:
    """`Totals` over [start, end] of each partner in `partner_ids` (a list or a
    subquery): its daily metrics with the results of its funded launches, and its MDF
    spend (`analytics.kpis`). Two grouped queries."""
    totals: dict[int, Totals] = defaultdict(Totals)
    spend = _spend(start, end).filter(partner_id__in=partner_ids)
    spend_rows = list(
        _rows(spend.values("partner_id", "allocation__pool__currency").annotate(**_spend_sums()))
    )
    currencies = sorted({row["allocation__pool__currency"] for row in spend_rows})
    for row in spend_rows:
        _add_spend(totals[row["partner_id"]], row, row["allocation__pool__currency"])
    metrics = (
        _metrics(start, end)
        .filter(partner_id__in=partner_ids)
        .values("partner_id", "currency")
        .annotate(**SUMS, **_funded_sums(spend, currencies))
    )
    for row in _rows(metrics):
        totals[row["partner_id"]].add_row(row, prefix=T)
        _add_funded(totals[row["partner_id"]], row, currencies)
    return dict(totals)


def _money_currencies(
    partners: QuerySet[Partner], on_metrics: Q, start: date, end: date
) -> tuple[list[str], str]:
    """The currencies the partners' money KPIs have over [start, end] (pipeline, revenue,
    MDF spent), and the one with the most daily rows of revenue (the default for money
    columns). Two grouped queries."""
    metrics = (
        _metrics(start, end)
        .filter(on_metrics)
        .exclude(currency="")
        .values("currency")
        .annotate(
            money=Count("id", filter=Q(pipeline__gt=0) | Q(revenue__gt=0)),
            earners=Count("id", filter=Q(revenue__gt=0)),
        )
    )
    found: set[str] = set()
    earners: dict[str, int] = {}
    for row in _rows(metrics):
        if row["money"]:
            found.add(row["currency"])
        if row["earners"]:
            earners[row["currency"]] = row["earners"]
    spent = (
        _spend(start, end)
        .filter(partner__in=partners)
        .exclude(d_spent=0)
        .values_list("allocation__pool__currency", flat=True)
        .distinct()
        .order_by()
    )
    found.update(spent)
    currencies = sorted(found)
    default = max(earners, key=lambda c: (earners[c], c)) if earners else ""
    return currencies, default or (currencies[0] if currencies else "")


def leaderboard(
    *,
    start: date,
    end: date,
    sort: str = "-revenue",
    currency: str = "",
    tier: int | None = None,
    partner_type: str = "",
    region: int | None = None,
    channel_manager: int | None = None,
    page: int | str = 1,
    per_page: int | None = 25,
) -> Leaderboard:
    """Partners (not applicants) ranked by any KPI over [start, end], filtered by tier,
    type, region and channel manager; `per_page=None`: all of them on one page (the CSV).

    Rules:
    - The database ranks and paginates (`sort_value`, LIMIT/OFFSET): Python builds the
      `Totals` and KPIs (`analytics.kpis`) of the partners on the page only.
    - A money KPI ranks by its amount in `currency` (default: the currency with the most
      rows of revenue); partners without a value (no amount in that currency, a rate
      with a zero denominator) come last in either direction; ties by name.
    - MDF KPIs (spent, cost per lead, pipeline per MDF dollar, ROI) are ranked in Python
      from `analytics.kpis` for the partners with spend in the period (the others have
      no value), then handed to the database's ordering as a rank.
    - A fixed number of queries whatever the number of partners."""
    name, descending = parse_sort(sort)
    with scopes_disabled():

        def chosen(prefix: str) -> Q:
            return _leader_filter(
                prefix,
                tier=tier,
                partner_type=partner_type,
                region=region,
                channel_manager=channel_manager,
            )

        partners = Partner.objects.filter(chosen(""))
        on_metrics = chosen("partner__")  # the same filter on the daily metrics
        currencies, default = _money_currencies(partners, on_metrics, start, end)
        if currency not in currencies:
            currency = default
        count = partners.count()
        by_name = Lower("name")
        ranked: Any
        if name in LEADERBOARD_FIELDS or name in MDF_KPIS:
            if name == "name":
                order = [by_name.desc() if descending else by_name.asc()]
            elif name == "tier":
                rank = F("tier__rank")
                order = [rank.desc() if descending else rank.asc(), by_name.asc()]
            else:
                # The rank already holds the direction.
                partners = partners.annotate(
                    rank=_mdf_ranks(partners, name, currency, start, end, descending)
                )
                order = [F("rank").asc(nulls_last=True), by_name.asc()]
            ranked = partners.order_by(*order, "pk").values_list("pk", flat=True)
        else:
            ranked = _ranked_by_metrics(
                partners, on_metrics, name, currency, start, end, descending
            )
        if per_page is None:
            page, per_page = 1, max(1, count)
        paginator: Paginator[Any] = Paginator(_Ranked(ranked, count), per_page)
        page_obj = paginator.get_page(page)
        ids = [item if isinstance(item, int) else item[0] for item in page_obj.object_list]
        found = Partner.objects.select_related("tier", "channel_manager").in_bulk(ids)
        shown = [found[pk] for pk in ids if pk in found]
        totals = _totals_of(ids, start, end) if ids else {}
    rows = []
    for partner in shown:
        manager = partner.channel_manager
        manager_name = ""
        if manager is not None:
            manager_name = manager.get_full_name() or manager.get_username()
        row = LeaderRow(
            partner_id=partner.pk,
            name=partner.name,
            slug=partner.slug,
            uuid=partner.uuid,
            tier=partner.tier.name,
            tier_rank=partner.tier.rank,
            partner_type=partner.partner_type,
            channel_manager=manager_name,
            totals=totals.get(partner.pk, Totals()),
        )
        row.kpis = {kpi.name: kpi.value(row.totals) for kpi in BY_NAME.values()}
        rows.append(row)
    return Leaderboard(
        page=page_obj,
        rows=rows,
        sort=("-" if descending else "") + name,
        currency=currency,
        currencies=currencies,
        count=paginator.count,
    )


@dataclass
class KitRow:
    kit_id: int | None
    name: str
    slug: str
    partners: int = 0
    launches: int = 0
    totals: Totals = field(default_factory=Totals)


def kit_performance(*, start: date, end: date) -> list[KitRow]:
    """Each kit's totals across partners over [start, end], with how many partners and
    launches brought results; the most leads first. Two queries."""
    rows: dict[int | None, KitRow] = {}
    with scopes_disabled():
        metrics = _metrics(start, end).filter(kit__isnull=False)
        for row in _rows(
            metrics.values("kit_id", "kit__name", "kit__slug", "currency").annotate(**SUMS)
        ):
            kit = rows.setdefault(
                row["kit_id"], KitRow(row["kit_id"], row["kit__name"], row["kit__slug"])
            )
            kit.totals.add_row(row, prefix=T)
        counts = metrics.values("kit_id").annotate(
            partners=Count("partner_id", distinct=True), launches=Count("launch_id", distinct=True)
        )
        for row in _rows(counts):
            if row["kit_id"] in rows:
                rows[row["kit_id"]].partners = row["partners"]
                rows[row["kit_id"]].launches = row["launches"]
    return sorted(rows.values(), key=lambda r: (-r.totals.leads, -r.totals.clicks, r.name.lower()))


@dataclass
class RoiRow:
    key: int
    name: str
    slug: str = ""
    uuid: Any = None
    currency: str = ""
    funded_launches: int = 0
    totals: Totals = field(default_factory=Totals)


def mdf_roi_by_partner(*, start: date, end: date) -> list[RoiRow]:
    """Per partner with MDF spend in [start, end]: MDF spent, spend on funded requests
    and the results of the launches they name (`analytics.kpis` for the definitions).
    Three queries."""
    rows: dict[int, RoiRow] = {}
    with scopes_disabled():
        spend = _spend(start, end)
        for row in _rows(
            spend.values(
                "partner_id",
                "partner__name",
                "partner__slug",
                "partner__uuid",
                "allocation__pool__currency",
            ).annotate(**_spend_sums())
        ):
            target = rows.setdefault(
                row["partner_id"],
                RoiRow(
                    row["partner_id"],
                    row["partner__name"],
                    row["partner__slug"],
                    row["partner__uuid"],
                ),
            )
            _add_spend(target.totals, row, row["allocation__pool__currency"])
        currencies = sorted({c for row in rows.values() for c in row.totals.mdf_spent})
        results = (
            _metrics(start, end)
            .filter(launch_id__in=_funded_launches(spend))
            .values("partner_id")
            .annotate(**_funded_sums(spend, currencies))
        )
        for row in _rows(results):
            if row["partner_id"] in rows:
                _add_funded(rows[row["partner_id"]].totals, row, currencies)
        launches = (
            spend.filter(request__launch__isnull=False)
            .values("partner_id")
            .annotate(n=Count("request__launch_id", distinct=True))
        )
        for row in _rows(launches):
            rows[row["partner_id"]].funded_launches = row["n"]
    return sorted(rows.values(), key=lambda r: r.name.lower())


def mdf_roi_by_pool(*, start: date, end: date) -> list[RoiRow]:
    """Per fund pool (one currency each) with spend in [start, end]: MDF spent, the
    spend on requests naming a launch and those launches' results. A launch funded
    from two pools counts in full in each. Three queries."""
    rows: dict[int, RoiRow] = {}
    with scopes_disabled():
        spend = _spend(start, end)
        for row in _rows(
            spend.values(
                "allocation__pool_id", "allocation__pool__name", "allocation__pool__currency"
            ).annotate(**_spend_sums())
        ):
            target = rows.setdefault(
                row["allocation__pool_id"],
                RoiRow(
                    row["allocation__pool_id"],
                    row["allocation__pool__name"],
                    currency=row["allocation__pool__currency"],
                ),
            )
            _add_spend(target.totals, row, target.currency)
        pairs = (
            spend.filter(request__launch__isnull=False)
            .values_list("allocation__pool_id", "request__launch_id")
            .distinct()
            .order_by()
        )
        pools_of: dict[int, set[int]] = defaultdict(set)
        for pool_id, launch_id in pairs:
            pools_of[launch_id].add(pool_id)
        results = (
            _metrics(start, end)
            .filter(launch_id__in=_funded_launches(spend))
            .values("launch_id", "currency")
            .annotate(**{f"f_{name}": Sum(name) for name in FUNDED_FIELDS})
        )
        for row in _rows(results):
            for pool_id in pools_of.get(row["launch_id"], ()):
                pool = rows[pool_id]
                same = row["currency"] == pool.currency
                pool.totals.add_funded(
                    pool.currency,
                    row["f_leads"],
                    row["f_pipeline"] if same else None,
                    row["f_revenue"] if same else None,
                )
    for launch_pools in pools_of.values():
        for pool_id in launch_pools:
            rows[pool_id].funded_launches += 1
    return sorted(rows.values(), key=lambda r: r.name.lower())


def top_assets_by_downloads(*, start: date, end: date, limit: int = 20) -> list[dict[str, Any]]:
    """The library assets downloaded most in [start, end] (the library's download
    records), with how many partners downloaded each. One query."""
    since, until = _bounds(start, end)
    with scopes_disabled():
        rows = (
            DownloadRecord.objects.filter(at__gte=since, at__lt=until)
            .values("asset_id", "asset__title", "asset__uuid")
            .annotate(downloads=Count("id"), partners=Count("partner_id", distinct=True))
            .order_by("-downloads", "asset__title")[:limit]
        )
        return [dict(row) for row in rows]


def pools_for_filter() -> QuerySet[FundPool]:
    return FundPool.objects.order_by("-period_start", "name")


# --- freshness ------------------------------------------------------------------------


def freshness() -> datetime | None:
    """When the daily metrics were last rolled up (None: never)."""
    return (
        RollupState.objects.filter(name=ROLLUP_NAME).values_list("rolled_up_at", flat=True).first()
    )


def freshness_text(at: datetime | None) -> str:
    """'Updated 40 seconds ago', or that results have not been rolled up yet."""
    if at is None:
        return _("Not updated yet: results appear here within a minute of arriving.")
    return _("Updated %(ago)s") % {"ago": naturaltime(at)}


def iter_rows(points: list[Point]) -> Iterator[tuple[date, Totals]]:
    for point in points:
        yield point.start, point.totals


def programme_leads_since(*, since: date) -> int:
    """Leads of every partner since a day (the staff desk's figure)."""
    with scopes_disabled():
        total = DailyMetric.objects.filter(day__gte=since).aggregate(leads=Sum("leads"))["leads"]
    return int(total or 0)


# --- MDF allocated (MDF utilisation of a plan target) -----------------------------------


def _allocated(partner_id: int, start: date, end: date) -> QuerySet[Any, Any]:
    """The partner's allocations for the days [start, end] (those of the fund pools whose
    period overlaps it), summed per currency."""
    return (
        Allocation.objects.filter(
            partner_id=partner_id, pool__period_start__lte=end, pool__period_end__gte=start
        )
        .values("pool__currency")
        .annotate(total=Sum("allocated"))
    )


def partner_mdf_allocated(*, partner: Partner, start: date, end: date) -> dict[str, Decimal]:
    """MDF allocated to the partner for the days [start, end], per currency: the
    allocations of the fund pools whose period overlaps it (the denominator of
    `analytics.kpis.mdf_utilisation`). One query."""
    allocated: dict[str, Decimal] = {}
    for row in _rows(_allocated(partner.pk, start, end)):
        add_money(allocated, row["pool__currency"], row["total"])
    return allocated


# --- many partners and periods at once (a page of plans) -------------------------------

# A slice of results: (partner id, first day, last day).
PartnerPeriod = tuple[int, date, date]


def _numbered(part: int) -> Value:
    return Value(part, output_field=IntegerField())


def _union_all(parts: list[QuerySet[Any, Any]]) -> list[dict[str, Any]]:
    """The rows of grouped queries of the same columns, sent as one UNION ALL."""
    parts = [part.order_by() for part in parts]
    if not parts:
        return []
    return list(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])


def partner_totals_by_period(*, periods: Iterable[PartnerPeriod]) -> dict[PartnerPeriod, Totals]:
    """`partner_totals` of each (partner id, first day, last day), keyed by it: for a page
    that shows the figures of many partners or periods at once (a list of plans). Each
    slice's two queries are `partner_totals`' own; the slices' are sent together as two
    UNION ALL queries, so the page reads two queries whatever the number of slices.
    Runs in the caller's scope (the scope of those partners, or disabled for staff)."""
    slices = list(dict.fromkeys(periods))
    totals = {key: Totals() for key in slices}
    spends = [_spend(start, end).filter(partner_id=partner_id) for partner_id, start, end in slices]
    spent = _union_all(
        [
            spend.values("allocation__pool__currency").annotate(
                **_spend_sums(), part=_numbered(part)
            )
            for part, spend in enumerate(spends)
        ]
    )
    currencies: dict[int, list[str]] = defaultdict(list)
    for row in spent:
        currency = row["allocation__pool__currency"]
        _add_spend(totals[slices[row["part"]]], row, currency)
        currencies[row["part"]].append(currency)
    # Every part of a UNION has the same columns: each slice's query sums the funded
    # results of every currency spent on the page, and a slice takes its own currencies'
    # (as `partner_totals` reads them).
    spent_in = sorted({currency for found in currencies.values() for currency in found})
    metrics = _union_all(
        [
            _metrics(start, end)
            .filter(partner_id=partner_id)
            .values("currency")
            .annotate(**SUMS, **_funded_sums(spend, spent_in), part=_numbered(part))
            for part, ((partner_id, start, end), spend) in enumerate(
                zip(slices, spends, strict=True)
            )
        ]
    )
    for row in metrics:
        found = totals[slices[row["part"]]]
        found.add_row(row, prefix=T)
        _add_funded(found, row, currencies[row["part"]])
    return totals


def partner_mdf_allocated_by_period(
    *, periods: Iterable[PartnerPeriod]
) -> dict[PartnerPeriod, dict[str, Decimal]]:
    """`partner_mdf_allocated` of each (partner id, first day, last day), keyed by it, in
    one query (a UNION ALL of each slice's). Runs in the caller's scope."""
    slices = list(dict.fromkeys(periods))
    allocated: dict[PartnerPeriod, dict[str, Decimal]] = {key: {} for key in slices}
    rows = _union_all(
        [
            _allocated(partner_id, start, end).annotate(part=_numbered(part))
            for part, (partner_id, start, end) in enumerate(slices)
        ]
    )
    for row in rows:
        add_money(allocated[slices[row["part"]]], row["pool__currency"], row["total"])
    return allocated
