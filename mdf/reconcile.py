"""Reconciliation: the ledger against the state tables, and every hash chain."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from django_scopes import scopes_disabled

from mdf import ledger
from mdf.models import ZERO, Allocation, Claim, FundPool, FundRequest, LedgerEntry
from mdf.money import cents


def reconcile(pool: FundPool | None = None) -> list[str]:
    """Every difference found, as readable lines naming the allocation/entry; [] if clean.

    With `pool`, only that pool and its allocations are checked.
    """
    problems: list[str] = []
    with scopes_disabled():
        allocations = Allocation.objects.select_related("pool", "partner").order_by("pk")
        pools = FundPool.objects.order_by("pk")
        if pool is not None:
            allocations = allocations.filter(pool=pool)
            pools = pools.filter(pk=pool.pk)
        pool_allocated: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for allocation in allocations.iterator(chunk_size=500):
            totals, chain_problems = ledger.verify_allocation(allocation)
            problems.extend(str(problem) for problem in chain_problems)
            for bucket, total in totals.items():
                if getattr(allocation, bucket) != total:
                    problems.append(
                        f"allocation {allocation.uuid} ({allocation}): {bucket} is "
                        f"{getattr(allocation, bucket)} but the ledger sums to {total}"
                    )
            pool_allocated[allocation.pool_id] += totals["allocated"]
            problems.extend(_state_problems(allocation))
        for checked in pools:
            expected = pool_allocated.get(checked.pk, ZERO)
            if checked.allocated != expected:
                problems.append(
                    f"pool {checked.name}: allocated is {checked.allocated} but its "
                    f"allocations' ledgers sum to {expected}"
                )
    return problems


def _state_problems(allocation: Allocation) -> list[str]:
    """The requests' and claims' amounts must match the ledger's entries for them."""
    problems = []
    label = f"allocation {allocation.uuid} ({allocation})"
    committed = ZERO
    requests = FundRequest.objects.filter(allocation=allocation)
    ledger_by_request = {
        row["request"]: row
        for row in LedgerEntry.objects.filter(allocation=allocation, request__isnull=False)
        .values("request")
        .annotate(committed=Sum("d_committed"), spent=Sum("d_spent"))
    }
    for fund_request in requests:
        row = ledger_by_request.get(fund_request.pk, {"committed": ZERO, "spent": ZERO})
        open_in_ledger = cents(row["committed"])
        if fund_request.open_commitment != open_in_ledger:
            problems.append(
                f"{label}: request {fund_request.uuid} has {fund_request.open_commitment} "
                f"committed but the ledger holds {open_in_ledger} for it"
            )
        if fund_request.commitment_spent != cents(row["spent"]):
            problems.append(
                f"{label}: request {fund_request.uuid} spent {fund_request.commitment_spent} "
                f"but the ledger spent {cents(row['spent'])} on it"
            )
        committed += fund_request.open_commitment
    if committed != allocation.committed:
        problems.append(
            f"{label}: open commitments of its requests sum to {committed}, "
            f"allocation says {allocation.committed}"
        )
    claims = Claim.objects.filter(request__allocation=allocation)
    spent = cents(
        claims.filter(status__in=(Claim.Status.APPROVED, Claim.Status.PAID)).aggregate(
            s=Sum("reimbursement")
        )["s"]
    )
    paid = cents(claims.filter(status=Claim.Status.PAID).aggregate(s=Sum("reimbursement"))["s"])
    if spent != allocation.spent:
        problems.append(
            f"{label}: approved claims sum to {spent}, allocation spent is {allocation.spent}"
        )
    if paid != allocation.paid:
        problems.append(f"{label}: paid claims sum to {paid}, allocation paid is {allocation.paid}")
    return problems
