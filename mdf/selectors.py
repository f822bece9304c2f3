"""MDF reads: balances (defined once, from the allocation buckets), queues, statements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from mdf import clock
from mdf.models import (
    BUCKETS,
    FINANCE_PERMISSION,
    ZERO,
    ActivityType,
    Allocation,
    Claim,
    FundPool,
    FundRequest,
    LedgerEntry,
    MDFEvent,
)
from mdf.money import cents
from partners.models import Partner


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

    def __post_init__(self) -> None:
        # Sums come back as int or float from SQLite (the `make run` default): keep
        # every figure a Decimal in cents, so each screen and export shows "0.00".
        for bucket in BUCKETS:
            setattr(self, bucket, cents(getattr(self, bucket)))

    @classmethod
    def from_sums(cls, currency: str, sums: Mapping[str, Any], prefix: str = "") -> Balance:
        """The balance of database sums of the buckets (named `prefix` + bucket)."""
        balance = cls(currency)
        for bucket in BUCKETS:
            setattr(balance, bucket, cents(sums.get(prefix + bucket)))
        return balance

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
            return Decimal("0.0")
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


def open_pools_q(today: date) -> Q:
    """Allocations in pools of the current period: the claim deadline has not passed
    and the pool has not rolled over (money can still be requested or claimed)."""
    return Q(pool__claim_deadline__gte=today, pool__rolled_over_at__isnull=True)


def balances_for_partner(
    *, partner: Partner, today: date | None = None, open_only: bool = False
) -> dict[str, Balance]:
    """Balances per currency, summed over the partner's allocations (with `open_only`,
    only those in open pools: `open_pools_q`), with the available money expiring
    within 30 days (by claim deadline)."""
    today = today or clock.today()
    balances: dict[str, Balance] = {}
    allocations = allocations_for_partner(partner=partner)
    if open_only:
        allocations = allocations.filter(open_pools_q(today))
    for allocation in allocations:
        balance = balances.setdefault(allocation.pool.currency, Balance(allocation.pool.currency))
        balance.add(allocation)
        deadline = allocation.pool.claim_deadline
        expires = allocation.pool.rollover_policy == FundPool.Rollover.EXPIRE
        if expires and today <= deadline <= today + timedelta(days=30) and allocation.available > 0:
            balance.expiring.append((deadline, allocation.available))
    return balances


def pool_balance(*, pool: FundPool) -> Balance:
    totals = Allocation.objects.filter(pool=pool).aggregate(
        **{bucket: Sum(bucket) for bucket in BUCKETS}
    )
    return Balance.from_sums(pool.currency, totals)


def activity_types_offered(*, keeping: int | None = None) -> QuerySet[ActivityType]:
    """The activity types a request can choose: those not retired, and (`keeping`) the
    one a draft already has, so its edit form still shows it."""
    return ActivityType.objects.filter(Q(active=True) | Q(pk=keeping)).prefetch_related(
        "proof_kinds"
    )


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


# --- waiting for a decision (the decision SLA) ------------------------------------

# What a request waits for, and since when: the field that starts the clock of the
# pool's decision SLA in each waiting state. A request awaiting finance has waited for
# finance since the channel manager approved it, not since the partner submitted it.
# The one definition: `request_waiting_since` reads it for a row, `waiting_since_sql`
# for a query.
REQUEST_WAITING_SINCE: dict[str, str] = {
    FundRequest.Status.SUBMITTED: "submitted_at",
    FundRequest.Status.AWAITING_FINANCE: "manager_decided_at",
}


def request_waiting_since(fund_request: FundRequest) -> datetime | None:
    """When the request started waiting for the decision it awaits now (None: it awaits
    none)."""
    field_name = REQUEST_WAITING_SINCE.get(fund_request.status)
    return getattr(fund_request, field_name) if field_name else None


def waiting_since_sql() -> Case:
    """`request_waiting_since` as a query expression (NULL for a request awaiting none)."""
    return Case(
        *(When(status=status, then=F(name)) for status, name in REQUEST_WAITING_SINCE.items()),
        default=Value(None),
    )


def claim_waiting_since(claim: Claim) -> datetime | None:
    """A claim waits for finance from its (latest) submission until decided."""
    return claim.submitted_at if claim.status == Claim.Status.SUBMITTED else None


def requests_awaiting(*, user: User) -> QuerySet[FundRequest]:
    """Requests waiting for this staff user's decision, the longest waiting first
    (`request_waiting_since`; callers disable scopes)."""
    step = Q()
    if user.has_perm("mdf.decide_any_request"):
        step |= Q(status=FundRequest.Status.SUBMITTED)
    else:
        step |= Q(status=FundRequest.Status.SUBMITTED, partner__channel_manager=user)
    if user.has_perm(FINANCE_PERMISSION):
        step |= Q(status=FundRequest.Status.AWAITING_FINANCE)
    return (
        FundRequest.objects.filter(step)
        .exclude(Q(created_by=user) | Q(submitted_by=user))
        .select_related("partner", "allocation__pool", "activity_type")
        .annotate(waiting_since=waiting_since_sql())
        .order_by("waiting_since", "pk")
    )


def claims_awaiting(*, user: User) -> QuerySet[Claim]:
    if not user.has_perm(FINANCE_PERMISSION):
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


def is_overdue(waiting_since: datetime | None, sla_days: int, today: date | None = None) -> bool:
    """Past the decision SLA: more than `sla_days` business days waiting since
    `waiting_since` (`request_waiting_since`, `claim_waiting_since`; None: not waiting)."""
    if waiting_since is None:
        return False
    today = today or clock.today()
    return business_days_between(timezone.localdate(waiting_since), today) > sla_days


# --- portal (/portal/funds/) -----------------------------------------------------


@dataclass(frozen=True)
class ClaimWindow:
    """When claims on an approved request can be made: from the day its activity ends
    through its pool's claim deadline, both included, as of `today` (`mdf.clock`)."""

    opens: date
    closes: date
    today: date

    @property
    def not_yet(self) -> bool:
        return self.today < self.opens

    @property
    def too_late(self) -> bool:
        return self.today > self.closes

    @property
    def is_open(self) -> bool:
        return not self.not_yet and not self.too_late


def claim_window(fund_request: FundRequest, *, today: date | None = None) -> ClaimWindow:
    """The claim window of a request (the rule `services.claims` enforces, read by the
    pages that show it), on the services' clock unless `today` is given."""
    return ClaimWindow(
        opens=fund_request.activity_end,
        closes=fund_request.allocation.pool.claim_deadline,
        today=today or clock.today(),
    )


def allocations_open_for_requests(
    *, partner: Partner, today: date | None = None
) -> QuerySet[Allocation]:
    """The partner's allocations whose pool still accepts requests (deadline not past,
    on the services' clock)."""
    today = today or clock.today()
    return allocations_for_partner(partner=partner).filter(pool__request_deadline__gte=today)


def statement_with_running_available(
    *, partner: Partner, allocation: Allocation | None = None
) -> QuerySet[LedgerEntry]:
    """`statement_for_partner`, optionally for one allocation, each entry annotated with
    `available_change` (its effect on the available money) and `available_after` (the
    allocation's available money after it, summed in ledger order). The window runs per
    allocation, so filtering by allocation leaves the running figures unchanged."""
    entries = statement_for_partner(partner=partner)
    if allocation is not None:
        entries = entries.filter(allocation=allocation)
    change = ExpressionWrapper(
        F("d_allocated") - F("d_committed") - F("d_spent") - F("d_expired") - F("d_carried_over"),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    return entries.annotate(
        available_change=change,
        available_after=Window(
            expression=Sum(change),
            partition_by=[F("allocation_id")],
            order_by=F("seq").asc(),
        ),
    )


# --- staff reads (admin, reports) ----------------------------------------------


def pools_with_balances(queryset: QuerySet[FundPool] | None = None) -> QuerySet[FundPool]:
    """Pools annotated with their allocations' summed buckets, so a list of pools
    costs one query. Read a pool's figures with `annotated_pool_balance`: the same
    sums as `pool_balance`."""
    queryset = FundPool.objects.all() if queryset is None else queryset
    return queryset.annotate(
        **{
            f"sum_{bucket}": Coalesce(Sum(f"allocations__{bucket}"), Value(ZERO))
            for bucket in BUCKETS
        }
    )


def annotated_pool_balance(pool: FundPool) -> Balance:
    """The balance of a pool read through `pools_with_balances`."""
    return Balance.from_sums(pool.currency, vars(pool), prefix="sum_")


def partners_per_tier(*, statuses: Iterable[str], pool: FundPool | None = None) -> dict[int, int]:
    """How many partners with one of these statuses each tier (by id) has; with
    `pool`, only those already holding an allocation in it."""
    partners = Partner.objects.filter(status__in=list(statuses))
    if pool is not None:
        partners = partners.filter(allocations__pool=pool)
    counts = partners.order_by().values("tier").annotate(n=Count("pk", distinct=True))
    return {row["tier"]: row["n"] for row in counts}


def request_history(*, fund_request: FundRequest) -> QuerySet[MDFEvent]:
    """Who did what to a request, oldest first (callers disable scopes)."""
    return MDFEvent.objects.filter(request=fund_request).select_related("actor")


def claim_history(*, claim: Claim) -> QuerySet[MDFEvent]:
    return MDFEvent.objects.filter(claim=claim).select_related("actor")


PAYMENT_STATES = {
    "to_pay": (Claim.Status.APPROVED,),
    "paid": (Claim.Status.PAID,),
    "all": (Claim.Status.APPROVED, Claim.Status.PAID),
}


def payments(
    *,
    state: str = "to_pay",
    pool: FundPool | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Claim]:
    """Approved claims to pay and paid claims, for finance (callers disable scopes).

    The dates bound the payment date of paid claims and the approval date of
    claims still to pay.
    """
    claims = Claim.objects.filter(status__in=PAYMENT_STATES[state])
    if pool is not None:
        claims = claims.filter(request__allocation__pool=pool)
    paid, to_pay = Claim.Status.PAID, Claim.Status.APPROVED
    if date_from is not None:
        claims = claims.filter(
            Q(status=paid, paid_at__gte=date_from)
            | Q(status=to_pay, decided_at__date__gte=date_from)
        )
    if date_to is not None:
        claims = claims.filter(
            Q(status=paid, paid_at__lte=date_to) | Q(status=to_pay, decided_at__date__lte=date_to)
        )
    return claims.select_related("partner", "request__allocation__pool").order_by(
        "status", "paid_at", "decided_at", "pk"
    )
