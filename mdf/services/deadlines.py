"""Deadlines: once a pool's claim deadline has passed, what its requests still have
committed expires, and what its allocations have left available expires or is carried
into the next pool, by the pool's roll-over policy (the daily beat job calls this)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from mdf import clock, ledger
from mdf.models import ZERO, Allocation, Claim, FundPool, FundRequest, LedgerEntry
from mdf.services.decisions import (
    REQUEST_STATE_FIELDS,
    release_commitment,
    take_open_commitment,
)
from mdf.services.locking import lock_allocation, lock_pool, lock_request
from mdf.services.pools import allocation_for
from mdf.services.trail import record_event

RS = FundRequest.Status
CS = Claim.Status
Kind = LedgerEntry.Kind


def pool_roll_over(*, pool: FundPool, today: date | None = None) -> dict[str, Decimal]:
    """After a pool's claim deadline: release open commitments and expire or carry
    over what is left, by the pool's roll-over policy.

    Claims still awaiting a decision keep their request open; the daily job retries
    until they are decided, and the pool is marked rolled over only when done.
    Returned claims lapse at the deadline (they cannot be resubmitted any more).
    Safe to run twice: it moves only what is still open.
    """
    today = today or clock.today()
    moved = {"released": ZERO, "expired": ZERO, "carried_over": ZERO}
    if today <= pool.claim_deadline:
        return moved
    with scopes_disabled():
        allocation_ids = list(
            Allocation.objects.filter(pool=pool).order_by("pk").values_list("pk", flat=True)
        )
    all_done = True
    for allocation_id in allocation_ids:
        all_done = _roll_over_allocation(allocation_id, moved) and all_done
    if all_done:
        FundPool.objects.filter(pk=pool.pk, rolled_over_at__isnull=True).update(
            rolled_over_at=clock.now()
        )
    return moved


def _roll_over_allocation(allocation_id: int, moved: dict[str, Decimal]) -> bool:
    """Expire each open request (one transaction each), then, when none waits for a
    claim decision, expire or carry over what the allocation has left (the allocation,
    the next pool's allocation, then the next pool are locked: the lock order)."""
    with scopes_disabled():
        request_ids = list(
            FundRequest.objects.filter(allocation_id=allocation_id, status=RS.APPROVED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    done = True
    for request_id in request_ids:
        with transaction.atomic():
            done = _expire_request(request_id, moved) and done
    if not done:
        return False
    with transaction.atomic():
        allocation = lock_allocation(allocation_id)
        pool = allocation.pool
        left = allocation.available
        if left <= ZERO:
            return True
        if pool.rollover_policy == FundPool.Rollover.CARRY_OVER and pool.rollover_pool_id:
            target = lock_allocation(allocation_for(pool.rollover_pool_id, allocation.partner).pk)
            next_pool = lock_pool(pool.rollover_pool_id)
            # The budget moves with the money: the next pool grows by what it receives.
            next_pool.total += left
            next_pool.allocated += left
            next_pool.save(update_fields=["total", "allocated"])
            ledger.append(
                allocation,
                kind=Kind.CARRY_OVER,
                amount=left,
                memo=str(next_pool),
                d_carried_over=left,
            )
            ledger.append(
                target,
                kind=Kind.CARRY_IN,
                amount=left,
                memo=_("Carried over from %(pool)s") % {"pool": pool.name},
                d_allocated=left,
            )
            moved["carried_over"] += left
        else:
            ledger.append(
                allocation,
                kind=Kind.EXPIRE,
                amount=left,
                memo=_("Claim deadline passed"),
                d_expired=left,
            )
            moved["expired"] += left
    return True


def _expire_request(request_id: int, moved: dict[str, Decimal]) -> bool:
    """Lapse its returned claims and release its open commitment, unless a claim still
    awaits a decision (then False: the daily job tries again)."""
    with scopes_disabled():
        returned = list(
            Claim.objects.select_for_update(of=("self",))
            .filter(request_id=request_id, status=CS.RETURNED)
            .order_by("pk")
        )
    locked = lock_request(request_id)
    if locked.status != RS.APPROVED:
        return True
    for claim in returned:
        claim.status = CS.REJECTED
        claim.decision_note = _("Lapsed: not resubmitted before the claim deadline.")
        claim.save(update_fields=["status", "decision_note"])
        record_event(
            partner_id=locked.partner_id,
            actor=None,
            action="lapsed",
            claim=claim,
            old_status=CS.RETURNED,
            new_status=CS.REJECTED,
        )
    with scopes_disabled():
        if locked.claims.filter(status=CS.SUBMITTED).exists():
            return False
    spent_any = locked.commitment_spent > ZERO
    released = take_open_commitment(locked, expired=True)
    locked.status = RS.CLOSED if spent_any else RS.EXPIRED
    locked.save(update_fields=REQUEST_STATE_FIELDS)
    record_event(
        partner_id=locked.partner_id,
        actor=None,
        action="expired",
        request=locked,
        old_status=RS.APPROVED,
        new_status=locked.status,
        amount=released,
    )
    release_commitment(
        locked.allocation, locked, released, actor=None, memo=_("Claim deadline passed")
    )
    moved["released"] += released
    return True
