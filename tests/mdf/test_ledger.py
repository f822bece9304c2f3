"""`mdf.ledger.append`: the last step of a service's transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from mdf import ledger
from mdf.models import Allocation, FundPool, LedgerEntry

D = Decimal


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_ledger_move_outside_a_transaction_is_refused_and_writes_nothing(alice, staff_users):
    """`ledger.append` is the last step of a service's transaction, never a write of its
    own: the entry, the buckets and the move's own rows commit together or not at all."""
    pool = FundPool.objects.create(
        name="Bare",
        total=D("100.00"),
        period_start=date(2027, 1, 1),
        period_end=date(2027, 6, 30),
        request_deadline=date(2027, 5, 1),
        claim_deadline=date(2027, 6, 30),
    )
    with scopes_disabled():
        allocation = Allocation.objects.create(pool=pool, partner=alice.partner)

    with pytest.raises(RuntimeError, match="atomic"):
        ledger.append(allocation, kind="allocate", amount=D("10.00"), d_allocated=D("10.00"))

    allocation.refresh_from_db()
    assert (allocation.allocated, allocation.ledger_seq) == (D("0.00"), 0)
    with scopes_disabled():
        assert not LedgerEntry.objects.filter(allocation=allocation).exists()
