"""Fund pools and allocations: creating a pool, changing it within what it has given
out, and allocating part of it to a partner, one at a time or in bulk by tier.
Allocations of a pool never exceed its total: the allocations, then the pool, are
locked while one is made (the lock order: mdf/services/locking.py)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from mdf import clock, ledger
from mdf.models import ZERO, Allocation, FundPool, LedgerEntry
from mdf.money import format_money
from mdf.services.amounts import parse_amount
from mdf.services.locking import lock_allocation, lock_pool
from partners.models import Partner, Tier


@transaction.atomic
def pool_create(*, pool: FundPool) -> FundPool:
    """Save a new pool, built (unsaved) from the staff member's input.

    Rules: the model's own (a positive total; the period and the deadlines in order; a
    percentage above 0 and at most 100; a carry-over names a pool of the same currency,
    not itself); nothing is allocated yet: allocations give money out, never the pool's
    creation. Errors are keyed by field; nothing is saved when one is raised.
    """
    if pool.pk is not None:
        raise ValidationError(_("This pool exists already; change it instead."))
    if pool.allocated != ZERO or pool.rolled_over_at is not None:
        raise ValidationError({"allocated": _("Allocations change this, not edits.")})
    pool.full_clean()
    pool.save(force_insert=True)
    return pool


def pool_update_errors(*, pool_id: int, changes: dict[str, object]) -> dict[str, str]:
    """What is wrong with changing a pool this way, checked against its locked row.

    Rules: the total never drops below what is already allocated; the currency is
    fixed once money has been allocated in it. (Call inside a transaction.)
    """
    locked = lock_pool(pool_id)
    errors: dict[str, str] = {}
    total = changes.get("total")
    if isinstance(total, Decimal) and total < locked.allocated:
        errors["total"] = _("Already allocated: %(allocated)s; the total cannot be less.") % {
            "allocated": format_money(locked.allocated, locked.currency)
        }
    currency = changes.get("currency")
    if currency is not None and currency != locked.currency and locked.allocated > ZERO:
        errors["currency"] = _("Money has been allocated in %(currency)s; it cannot change.") % {
            "currency": locked.currency
        }
    return errors


@transaction.atomic
def pool_update(*, pool: FundPool, changes: dict[str, object]) -> FundPool:
    """Change a pool's settings (never its allocated sum, which allocations own)."""
    if "allocated" in changes:
        raise ValidationError({"allocated": _("Allocations change this, not edits.")})
    errors = pool_update_errors(pool_id=pool.pk, changes=changes)
    if errors:
        raise ValidationError(errors)
    for name, value in changes.items():
        setattr(pool, name, value)
    pool.save(update_fields=list(changes))
    return pool


def allocation_create(
    *, pool: FundPool, partner: Partner, amount: object, actor: User | None, reason: str
) -> Allocation:
    """Give part of a pool to a partner (or top up its allocation in that pool).

    Rule: a pool's allocations never exceed its total. The pool row is locked, so
    concurrent allocations cannot both take the last of it.
    """
    value = parse_amount(amount, field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this partner gets this amount.")})
    with transaction.atomic():
        return _allocate(pool.pk, partner, value, actor=actor, reason=reason)


def allocation_for(pool_id: int, partner: Partner) -> Allocation:
    """The partner's allocation in the pool, made (empty) if it has none yet."""
    with scopes_disabled():
        allocation, _created = Allocation.objects.get_or_create(
            pool_id=pool_id, partner=partner, defaults={"created_at": clock.now()}
        )
    return allocation


def _check_unallocated(locked_pool: FundPool, needed: Decimal) -> None:
    if needed > locked_pool.unallocated:
        raise ValidationError(
            {
                "amount": _("More than the pool has left (unallocated: %(left)s).")
                % {"left": format_money(locked_pool.unallocated, locked_pool.currency)}
            }
        )


def _allocate(
    pool_id: int,
    partner: Partner,
    value: Decimal,
    *,
    actor: User | None,
    reason: str,
) -> Allocation:
    allocation = lock_allocation(allocation_for(pool_id, partner).pk)
    locked_pool = lock_pool(pool_id)
    _check_unallocated(locked_pool, value)
    locked_pool.allocated += value
    locked_pool.save(update_fields=["allocated"])
    ledger.append(
        allocation,
        kind=LedgerEntry.Kind.ALLOCATE,
        amount=value,
        actor=actor,
        memo=reason,
        d_allocated=value,
    )
    return allocation


def allocations_bulk_by_tier(
    *,
    pool: FundPool,
    amounts: dict[Tier, object],
    actor: User | None,
    reason: str,
    statuses: Iterable[str] = (Partner.Status.ACTIVE,),
) -> list[Allocation]:
    """Allocate an amount per tier to every partner of that tier (active by default).

    All or nothing: if the sum exceeds what the pool has left, nothing is allocated
    and the error says how much is needed and how much is left.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why these partners get these amounts.")})
    per_tier = {
        tier: parse_amount(value, field=f"tier_{tier.slug}")
        for tier, value in amounts.items()
        if value not in (None, "", 0, ZERO)
    }
    partners = list(
        Partner.objects.filter(tier__in=per_tier.keys(), status__in=list(statuses)).select_related(
            "tier"
        )
    )
    needed = sum((per_tier[p.tier] for p in partners), ZERO)
    with transaction.atomic():
        allocations = sorted(
            ((allocation_for(pool.pk, partner), partner) for partner in partners),
            key=lambda pair: pair[0].pk,
        )
        locked = [(lock_allocation(allocation.pk), partner) for allocation, partner in allocations]
        locked_pool = lock_pool(pool.pk)
        if needed > locked_pool.unallocated:
            raise ValidationError(
                {
                    "amount": _("These allocations need %(needed)s; the pool has %(left)s left.")
                    % {
                        "needed": format_money(needed, locked_pool.currency),
                        "left": format_money(locked_pool.unallocated, locked_pool.currency),
                    }
                }
            )
        locked_pool.allocated += needed
        locked_pool.save(update_fields=["allocated"])
        for allocation, partner in locked:
            value = per_tier[partner.tier]
            ledger.append(
                allocation,
                kind=LedgerEntry.Kind.ALLOCATE,
                amount=value,
                actor=actor,
                memo=reason,
                d_allocated=value,
            )
        return [allocation for allocation, _partner in locked]
