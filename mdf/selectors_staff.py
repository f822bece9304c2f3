"""MDF reads for staff pages. The desk (the admin's home page): what awaits my decision
and how long it has waited, what falls due this week, the money of the current period.
A partner's admin page: the decisions taken on its requests and claims.

Who decides what is `mdf.selectors.requests_awaiting` / `claims_awaiting` and the
finance permission, the same rules the queues use; nothing is re-derived here.
Callers disable scopes (staff pages)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Q

from mdf import clock, selectors
from mdf.models import FINANCE_PERMISSION, FundPool, MDFEvent
from partners.models import Partner

# "This week": the next seven days, today included.
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Waiting:
    """A queue's rows reduced to what the desk shows."""

    count: int = 0
    overdue: int = 0  # past their pool's decision SLA today
    due_this_week: int = 0  # not overdue yet, but past the SLA within a week
    oldest: datetime | None = None


def _waiting(rows: Iterable[tuple[datetime | None, int]], today: date) -> Waiting:
    """Count (waiting since, SLA days) pairs with the queues' own SLA rule
    (`selectors.is_overdue`)."""
    count = overdue = due = 0
    oldest: datetime | None = None
    for since, sla_days in rows:
        count += 1
        if since is not None and (oldest is None or since < oldest):
            oldest = since
        if selectors.is_overdue(since, sla_days, today):
            overdue += 1
        elif selectors.is_overdue(since, sla_days, today + WEEK):
            due += 1
    return Waiting(count=count, overdue=overdue, due_this_week=due, oldest=oldest)


def requests_waiting_for(*, user: User, today: date | None = None) -> Waiting:
    """The fund requests awaiting this user's decision (`selectors.requests_awaiting`),
    with their SLA counted from when each started waiting for this decision."""
    today = today or clock.today()
    # `waiting_since` is the annotation `requests_awaiting` adds (mypy sees only fields).
    rows = selectors.requests_awaiting(user=user).values_list(  # type: ignore[misc]
        "waiting_since", "allocation__pool__decision_sla_days"
    )
    return _waiting(rows, today)


def claims_waiting_for(*, user: User, today: date | None = None) -> Waiting:
    """The claims awaiting this user's decision (`selectors.claims_awaiting`)."""
    today = today or clock.today()
    rows = selectors.claims_awaiting(user=user).values_list(
        "submitted_at", "request__allocation__pool__decision_sla_days"
    )
    return _waiting(rows, today)


@dataclass(frozen=True)
class PaymentsToRecord:
    count: int = 0
    # What the fund owes, per currency (approved claims' reimbursement).
    owed: dict[str, Decimal] = field(default_factory=dict)


def payments_waiting_for(*, user: User) -> PaymentsToRecord | None:
    """Approved claims whose payment this user records (`selectors.payments`); None
    for someone who does not record payments."""
    if not user.has_perm(FINANCE_PERMISSION):
        return None
    owed: dict[str, Decimal] = {}
    count = 0
    rows = selectors.payments(state="to_pay").values_list(
        "reimbursement", "request__allocation__pool__currency"
    )
    for amount, currency in rows:
        count += 1
        owed[currency] = owed.get(currency, Decimal("0.00")) + amount
    return PaymentsToRecord(count=count, owed=owed)


@dataclass(frozen=True)
class Deadline:
    pool: FundPool
    kind: str  # "request" or "claim"
    day: date


def deadlines_this_week(*, today: date | None = None) -> list[Deadline]:
    """Request and claim deadlines of pools that fall in the next seven days, soonest
    first (pools already rolled over have nothing left to decide)."""
    today = today or clock.today()
    end = today + WEEK - timedelta(days=1)
    pools = FundPool.objects.filter(rolled_over_at__isnull=True).filter(
        Q(request_deadline__range=(today, end)) | Q(claim_deadline__range=(today, end))
    )
    deadlines = []
    for pool in pools:
        for kind, day in (("request", pool.request_deadline), ("claim", pool.claim_deadline)):
            if today <= day <= end:
                deadlines.append(Deadline(pool=pool, kind=kind, day=day))
    return sorted(deadlines, key=lambda d: (d.day, d.pool.name, d.kind))


def current_pools_q(today: date) -> Q:
    """Pools whose fiscal period contains `today`: "this period"."""
    return Q(period_start__lte=today, period_end__gte=today)


def funds_this_period(*, today: date | None = None) -> dict[str, selectors.Balance]:
    """Allocated, committed, spent (and the rest) over the pools of the current period,
    per currency, summed from the allocation buckets (`selectors.pools_with_balances`)."""
    today = today or clock.today()
    totals: dict[str, selectors.Balance] = {}
    pools = selectors.pools_with_balances(FundPool.objects.filter(current_pools_q(today)))
    for pool in pools:
        balance = selectors.annotated_pool_balance(pool)
        total = totals.setdefault(pool.currency, selectors.Balance(pool.currency))
        for bucket in selectors.BUCKETS:
            setattr(total, bucket, getattr(total, bucket) + getattr(balance, bucket))
    return dict(sorted(totals.items()))


def decisions_for_partner(*, partner: Partner, limit: int = 10) -> list[MDFEvent]:
    """The latest steps vendor staff took on a partner's requests and claims (decisions,
    payments, work on the partner's behalf), newest first."""
    return list(
        MDFEvent.objects.filter(partner=partner, actor__is_staff=True)
        .select_related("actor", "request__allocation__pool", "claim__request__allocation__pool")
        .order_by("-at", "-id")[:limit]
    )
