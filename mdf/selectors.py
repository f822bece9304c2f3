"""MDF reads: balances (defined once, from the allocation buckets), queues, statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from mdf.models import ZERO, Allocation, Claim, FundPool, FundRequest, LedgerEntry
from partners.models import Partner

BUCKETS = ("allocated", "committed", "spent", "paid", "expired", "carried_over")


@dataclass
class Balance:
    """The one definition of the figures every screen shows."""

    currency: str
    allocated: Decimal = ZERO
    committed: Decimal = ZERO
    spent: Decimal = ZERO
    paid: Decimal = ZERO
    expired: Decimal = ZERO
    carried_over: Decimal = ZERO
    expiring: list[tuple[date, Decimal]] = field(default_factory=list)

    @property
    def available(self) -> Decimal:
        return self.allocated - self.committed - self.spent - self.expired - self.carried_over

    @property
    def unpaid(self) -> Decimal:
        return self.spent - self.paid

    @property
    def utilisation(self) -> Decimal:
        """Share of the allocated money committed or spent, in percent."""
        if not self.allocated:
            return ZERO
        return ((self.committed + self.spent) * 100 / self.allocated).quantize(Decimal("0.1"))

    def add(self, allocation: Allocation) -> None:
        for bucket in BUCKETS:
            setattr(self, bucket, getattr(self, bucket) + getattr(allocation, bucket))


def allocations_for_partner(*, partner: Partner) -> QuerySet[Allocation]:
    return (
        Allocation.objects.filter(partner=partner)
        .select_related("pool")
        .order_by("-pool__period_start", "pool__name")
    )


def balances_for_partner(*, partner: Partner, today: date | None = None) -> dict[str, Balance]:
    """Balances per currency, summed over the partner's allocations, with the
    available money expiring within 30 days (by claim deadline)."""
    today = today or timezone.localdate()
    balances: dict[str, Balance] = {}
    for allocation in allocations_for_partner(partner=partner):
        balance = balances.setdefault(allocation.pool.currency, Balance(allocation.pool.currency))
        balance.add(allocation)
        deadline = allocation.pool.claim_deadline
        if today <= deadline <= today + timedelta(days=30) and allocation.available > 0:
            balance.expiring.append((deadline, allocation.available))
    return balances


def pool_balance(*, pool: FundPool) -> Balance:
    balance = Balance(pool.currency)
    totals = Allocation.objects.filter(pool=pool).aggregate(
        **{bucket: Sum(bucket) for bucket in BUCKETS}
    )
    for bucket in BUCKETS:
        setattr(balance, bucket, totals[bucket] or ZERO)
    return balance


def requests_for_partner(*, partner: Partner) -> QuerySet[FundRequest]:
    return FundRequest.objects.filter(partner=partner).select_related(
        "allocation__pool", "activity_type"
    )


def claims_for_partner(*, partner: Partner) -> QuerySet[Claim]:
    return Claim.objects.filter(partner=partner).select_related(
        "request__allocation__pool", "request__activity_type"
    )


def statement_for_partner(*, partner: Partner) -> QuerySet[LedgerEntry]:
    """The partner's view of the ledger: every movement on its allocations."""
    return (
        LedgerEntry.objects.filter(partner=partner)
        .select_related("allocation__pool", "request", "claim")
        .order_by("-created_at", "-seq")
    )


def requests_awaiting(*, user: User) -> QuerySet[FundRequest]:
    """Requests waiting for this staff user's decision (callers disable scopes)."""
    step = Q()
    if user.has_perm("mdf.decide_any_request"):
        step |= Q(status=FundRequest.Status.SUBMITTED)
    else:
        step |= Q(status=FundRequest.Status.SUBMITTED, partner__channel_manager=user)
    if user.has_perm("mdf.finance_approve"):
        step |= Q(status=FundRequest.Status.AWAITING_FINANCE)
    return (
        FundRequest.objects.filter(step)
        .exclude(Q(created_by=user) | Q(submitted_by=user))
        .select_related("partner", "allocation__pool", "activity_type")
        .order_by("submitted_at")
    )


def claims_awaiting(*, user: User) -> QuerySet[Claim]:
    if not user.has_perm("mdf.finance_approve"):
        return Claim.objects.none()
    return (
        Claim.objects.filter(status=Claim.Status.SUBMITTED)
        .exclude(Q(created_by=user) | Q(submitted_by=user))
        .select_related("partner", "request__allocation__pool")
        .order_by("submitted_at")
    )


def business_days_between(start: date, end: date) -> int:
    """Weekdays after `start` up to and including `end`."""
    if end <= start:
        return 0
    days = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days += 1
    return days


def is_overdue(submitted_at, sla_days: int, today: date | None = None) -> bool:
    if submitted_at is None:
        return False
    today = today or timezone.localdate()
    return business_days_between(timezone.localdate(submitted_at), today) > sla_days
