"""The row locks of the MDF services, in the one order every move takes them.

Lock order: claim → request → allocation → pool. The most specific row first, the
most shared last, so the rows every partner's move contends for (an allocation, a
pool) are held for the shortest time, and two moves never wait for each other in
opposite orders (no deadlock). Each lock is `select_for_update(of=("self",))`: it
locks the named row only; the rows joined in for reading are not locked. A move that
moves money locks its allocation last, in `mdf.ledger.append`.

Each function runs inside the caller's `transaction.atomic()` (the lock lasts until
its commit). On SQLite, which has no row locks, the transaction itself (BEGIN
IMMEDIATE, config/settings.py) makes writers take turns.
"""

from __future__ import annotations

from django_scopes import scopes_disabled

from mdf.models import Allocation, Claim, FundPool, FundRequest


def lock_claim(claim_id: int) -> Claim:
    """The claim, locked, with its request, allocation, pool and partner read along."""
    with scopes_disabled():
        return (
            Claim.objects.select_for_update(of=("self",))
            .select_related("request__allocation__pool", "partner")
            .get(pk=claim_id)
        )


def lock_request(request_id: int) -> FundRequest:
    """The request, locked, with its allocation, pool and partner read along."""
    with scopes_disabled():
        return (
            FundRequest.objects.select_for_update(of=("self",))
            .select_related("allocation__pool", "partner")
            .get(pk=request_id)
        )


def lock_claim_and_request(claim_id: int) -> tuple[Claim, FundRequest]:
    """The claim, then its request: both locked, in that order (the request with its
    allocation, pool and partner read along, given to the claim as its request)."""
    with scopes_disabled():
        claim = Claim.objects.select_for_update(of=("self",)).get(pk=claim_id)
    fund_request = lock_request(claim.request_id)
    claim.request = fund_request
    return claim, fund_request


def lock_allocation(allocation_id: int) -> Allocation:
    """The allocation, locked, with its pool and partner read along."""
    with scopes_disabled():
        return (
            Allocation.objects.select_for_update(of=("self",))
            .select_related("pool", "partner")
            .get(pk=allocation_id)
        )


def lock_pool(pool_id: int) -> FundPool:
    """The pool, locked (the last of the order)."""
    return FundPool.objects.select_for_update(of=("self",)).get(pk=pool_id)
