"""MDF reports for staff: utilisation, pre-approval turnaround, claim cycle time and
first-pass acceptance. Reads only, across every partner (scopes disabled, visibly).

Each report is one grouped query (no query per row). Utilisation comes from the
allocation buckets, the balances' one definition (`mdf.selectors.Balance`), grouped
per pool, per (tier, currency) and per (partner, currency): money in different
currencies is never added up. Medians and p90 are computed here from the one query's
rows, with linear interpolation (PostgreSQL's `percentile_cont`; SQLite has none).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from mdf.models import Allocation, Claim, FundPool, FundRequest
from mdf.selectors import BUCKETS, Balance, annotated_pool_balance, pools_with_balances

ALL_POOLS = "All pools"
DAY_SECONDS = Decimal(86400)
TENTH = Decimal("0.1")
CS = Claim.Status
# Claims with a final decision; a returned claim was decided too, on its first pass.
FINAL_CLAIM_STATUSES = (CS.APPROVED, CS.PAID, CS.REJECTED)


@dataclass(frozen=True)
class UtilisationRow:
    """Money figures of a group of allocations, in one currency."""

    label: str
    balance: Balance
    partners: int
    total: Decimal | None = None  # the pool budget (per-pool rows only)

    @property
    def currency(self) -> str:
        return self.balance.currency

    @property
    def unallocated(self) -> Decimal | None:
        return None if self.total is None else self.total - self.balance.allocated


@dataclass(frozen=True)
class DurationRow:
    """How long a step took, in days, over `count` items."""

    label: str
    count: int
    median_days: Decimal | None
    p90_days: Decimal | None


@dataclass(frozen=True)
class CycleRow:
    """Claim cycle: first submission → final decision → payment, medians in days."""

    label: str
    decided: int
    median_to_decision: Decimal | None
    paid: int
    median_decision_to_payment: Decimal | None
    median_submission_to_payment: Decimal | None


@dataclass(frozen=True)
class FirstPassRow:
    """Claims approved on their first decision, of the claims decided at least once."""

    label: str
    decided: int
    first_pass: int

    @property
    def rate(self) -> Decimal | None:
        if not self.decided:
            return None
        return (Decimal(self.first_pass) * 100 / self.decided).quantize(TENTH)


# --- utilisation -------------------------------------------------------------------


def utilisation_by_pool(*, pool: FundPool | None = None) -> list[UtilisationRow]:
    """Per pool: budget, the summed buckets and utilisation = (committed + spent) / allocated."""
    with scopes_disabled():
        pools = pools_with_balances().annotate(partner_count=Count("allocations"))
        if pool is not None:
            pools = pools.filter(pk=pool.pk)
        return [
            UtilisationRow(
                label=row.name,
                balance=annotated_pool_balance(row),
                partners=row.partner_count,
                total=row.total,
            )
            for row in pools.order_by("-period_start", "name")
        ]


def _grouped_balances(
    group: Iterable[str], *, pool: FundPool | None, order: Iterable[str]
) -> list[dict]:
    with scopes_disabled():
        allocations = Allocation.objects.all()
        if pool is not None:
            allocations = allocations.filter(pool=pool)
        return list(
            allocations.values(*group, "pool__currency")
            .annotate(partner_count=Count("partner", distinct=True))
            .annotate(**{f"sum_{bucket}": Sum(bucket) for bucket in BUCKETS})
            .order_by(*order, "pool__currency")
        )


def _balance(row: dict) -> Balance:
    return Balance.from_sums(row["pool__currency"], row, prefix="sum_")


def utilisation_by_tier(*, pool: FundPool | None = None) -> list[UtilisationRow]:
    """Per partner tier (the partner's current tier) and currency."""
    rows = _grouped_balances(
        ("partner__tier__name", "partner__tier__rank"),
        pool=pool,
        order=("-partner__tier__rank",),
    )
    return [
        UtilisationRow(
            label=row["partner__tier__name"], balance=_balance(row), partners=row["partner_count"]
        )
        for row in rows
    ]


def utilisation_by_partner(*, pool: FundPool | None = None) -> list[UtilisationRow]:
    """Per partner and currency."""
    rows = _grouped_balances(("partner__id", "partner__name"), pool=pool, order=("partner__name",))
    return [
        UtilisationRow(label=row["partner__name"], balance=_balance(row), partners=1)
        for row in rows
    ]


# --- time ----------------------------------------------------------------------------


def percentile(values: list[Decimal], fraction: Decimal) -> Decimal | None:
    """The value below which `fraction` of `values` lie, interpolating linearly between
    neighbours (as PostgreSQL's percentile_cont); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    result = ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)
    return result.quantize(TENTH)


def _days(start: datetime, end: datetime) -> Decimal:
    return Decimal((end - start).total_seconds()) / DAY_SECONDS


def _date_days(start: date, end: date) -> Decimal:
    return Decimal((end - start).days)


def _with_total(per_pool: dict[str, list[Decimal]]) -> list[tuple[str, list[Decimal]]]:
    groups = sorted(per_pool.items())
    everything = [value for _label, values in groups for value in values]
    return [*groups, (ALL_POOLS, everything)]


def request_turnaround(*, pool: FundPool | None = None) -> list[DurationRow]:
    """Pre-approval turnaround: submission → final decision (approval, including a
    finance step, or rejection), per pool and for all pools."""
    with scopes_disabled():
        requests = FundRequest.objects.filter(submitted_at__isnull=False, decided_at__isnull=False)
        if pool is not None:
            requests = requests.filter(allocation__pool=pool)
        rows = list(requests.values_list("allocation__pool__name", "submitted_at", "decided_at"))
    per_pool: dict[str, list[Decimal]] = defaultdict(list)
    for pool_name, submitted_at, decided_at in rows:
        if submitted_at and decided_at:  # filtered above; says so to the type checker
            per_pool[pool_name].append(_days(submitted_at, decided_at))
    return [
        DurationRow(
            label=label,
            count=len(values),
            median_days=percentile(values, Decimal("0.5")),
            p90_days=percentile(values, Decimal("0.9")),
        )
        for label, values in _with_total(per_pool)
    ]


def claim_cycle_time(*, pool: FundPool | None = None) -> list[CycleRow]:
    """Claim cycle time: first submission → final decision (approve or reject) →
    payment, medians in days. Payment dates have no time of day, so the payment
    legs count calendar days from the decision's (local) date."""
    with scopes_disabled():
        claims = Claim.objects.filter(
            status__in=FINAL_CLAIM_STATUSES,
            first_submitted_at__isnull=False,
            decided_at__isnull=False,
        )
        if pool is not None:
            claims = claims.filter(request__allocation__pool=pool)
        rows = list(
            claims.values_list(
                "request__allocation__pool__name", "first_submitted_at", "decided_at", "paid_at"
            )
        )
    to_decision: dict[str, list[Decimal]] = defaultdict(list)
    to_payment: dict[str, list[Decimal]] = defaultdict(list)
    whole_cycle: dict[str, list[Decimal]] = defaultdict(list)
    for pool_name, submitted_at, decided_at, paid_at in rows:
        if not (submitted_at and decided_at):  # filtered above
            continue
        to_decision[pool_name].append(_days(submitted_at, decided_at))
        if paid_at is not None:
            to_payment[pool_name].append(_date_days(timezone.localdate(decided_at), paid_at))
            whole_cycle[pool_name].append(_date_days(timezone.localdate(submitted_at), paid_at))
    payment_groups = dict(_with_total(to_payment))
    cycle_groups = dict(_with_total(whole_cycle))
    half = Decimal("0.5")
    return [
        CycleRow(
            label=label,
            decided=len(values),
            median_to_decision=percentile(values, half),
            paid=len(payment_groups.get(label, [])),
            median_decision_to_payment=percentile(payment_groups.get(label, []), half),
            median_submission_to_payment=percentile(cycle_groups.get(label, []), half),
        )
        for label, values in _with_total(to_decision)
    ]


def claim_first_pass(*, pool: FundPool | None = None) -> list[FirstPassRow]:
    """First-pass acceptance = claims whose first decision was an approval (in full or
    in part) ÷ claims decided at least once.

    Decided at least once: approved, paid or rejected, or returned at least once
    (`times_returned`). A return is a decision, and a first-pass failure: a returned
    claim counts as decided and not accepted first time, whether it awaits its
    resubmission, was resubmitted, was approved later or lapsed. Drafts and claims
    awaiting their first decision are not counted. Approved first time: approved or
    paid and never returned (a claim's decisions end with approval or rejection, so
    an approved claim that was never returned was approved on its first decision)."""
    decided = Q(status__in=FINAL_CLAIM_STATUSES) | Q(times_returned__gt=0)
    with scopes_disabled():
        claims = Claim.objects.all()
        if pool is not None:
            claims = claims.filter(request__allocation__pool=pool)
        rows = list(
            claims.values("request__allocation__pool__name")
            .annotate(
                decided=Count("pk", filter=decided),
                first_pass=Count(
                    "pk", filter=Q(status__in=(CS.APPROVED, CS.PAID), times_returned=0)
                ),
            )
            .order_by("request__allocation__pool__name")
        )
    result = [
        FirstPassRow(row["request__allocation__pool__name"], row["decided"], row["first_pass"])
        for row in rows
        if row["decided"]
    ]
    result.append(
        FirstPassRow(
            ALL_POOLS,
            sum(row.decided for row in result),
            sum(row.first_pass for row in result),
        )
    )
    return result


# --- tables for the reports page and its CSV exports ------------------------------

Table = tuple[str, list[str], list[list[Any]]]


def report_tables(*, pool: FundPool | None = None) -> dict[str, Table]:
    """Every report as a table (title, header, rows), for the page and its CSV export."""
    money = ["allocated", "committed", "claimed", "paid", "expired", "carried_over"]

    def figures(row: UtilisationRow) -> list[Any]:
        b = row.balance
        return [b.allocated, b.committed, b.spent, b.paid, b.expired, b.carried_over]

    by_pool = utilisation_by_pool(pool=pool)
    by_tier = utilisation_by_tier(pool=pool)
    by_partner = utilisation_by_partner(pool=pool)
    turnaround = request_turnaround(pool=pool)
    cycle = claim_cycle_time(pool=pool)
    first_pass = claim_first_pass(pool=pool)
    return {
        "pools": (
            str(_("Utilisation per pool")),
            ["pool", "currency", "total", "unallocated", "partners", *money, "utilisation_pct"],
            [
                [r.label, r.currency, r.total, r.unallocated, r.partners, *figures(r)]
                + [r.balance.utilisation]
                for r in by_pool
            ],
        ),
        "tiers": (
            str(_("Utilisation per tier")),
            ["tier", "currency", "partners", *money, "utilisation_pct"],
            [
                [r.label, r.currency, r.partners, *figures(r), r.balance.utilisation]
                for r in by_tier
            ],
        ),
        "partners": (
            str(_("Utilisation per partner")),
            ["partner", "currency", *money, "utilisation_pct"],
            [[r.label, r.currency, *figures(r), r.balance.utilisation] for r in by_partner],
        ),
        "turnaround": (
            str(_("Pre-approval turnaround (submitted → decided, days)")),
            ["pool", "decided_requests", "median_days", "p90_days"],
            [[r.label, r.count, r.median_days, r.p90_days] for r in turnaround],
        ),
        "cycle": (
            str(_("Claim cycle time (first submission → decision → payment, median days)")),
            [
                "pool",
                "decided_claims",
                "median_submission_to_decision",
                "paid_claims",
                "median_decision_to_payment",
                "median_submission_to_payment",
            ],
            [
                [
                    r.label,
                    r.decided,
                    r.median_to_decision,
                    r.paid,
                    r.median_decision_to_payment,
                    r.median_submission_to_payment,
                ]
                for r in cycle
            ],
        ),
        "first_pass": (
            str(_("Claim first-pass acceptance")),
            # Claims decided at least once, returns included (the cycle time's
            # "decided_claims" counts final decisions only).
            ["pool", "claims_decided_once", "approved_first_pass", "rate_pct"],
            [[r.label, r.decided, r.first_pass, r.rate] for r in first_pass],
        ),
    }
