"""A database written by an earlier version of the money path, moved by this one.

`fixtures/ledger_written_by_old_code.json` was written by the money path as it was
before it became plain ORM transactions (its hash chain computed in SQL, its moves in
one statement each): one allocation with allocations, commitments, a release, spends and
a payment, with its requests, claims and the people who acted (renamed so they do not
collide with the test's own). Its chain must verify as it is, and keep verifying once
this code has added entries to it: the hash format is the same, so neither an old
entry nor the link to it changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django_scopes import scopes_disabled

from mdf import ledger, services
from mdf.models import Allocation, Claim, FundPool, FundRequest, LedgerEntry
from mdf.reconcile import reconcile

D = Decimal
FIXTURE = Path(__file__).parent / "fixtures" / "ledger_written_by_old_code.json"
# After the fixture's last entry, and before its pool's claim deadline.
LATER = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)


@pytest.fixture
def old_allocation(db) -> Allocation:
    call_command("loaddata", str(FIXTURE), verbosity=0)
    with scopes_disabled():
        return Allocation.objects.select_related("pool", "partner").get()


def test_the_old_chain_verifies_as_written(old_allocation):
    totals, problems = ledger.verify_allocation(old_allocation)

    assert problems == []
    assert old_allocation.ledger_seq == 12
    assert totals["allocated"] == old_allocation.allocated == D("12500.50")
    assert reconcile() == []


def test_new_moves_extend_the_old_chain_and_reconcile(old_allocation, staff_users):
    with scopes_disabled():
        pool = FundPool.objects.get()
        open_request = FundRequest.objects.get(requested_amount=D("999.99"))
        unpaid = Claim.objects.get(status=Claim.Status.APPROVED, amount=D("2000.01"))
    old_head = old_allocation.ledger_head
    admin, finance = staff_users["marketing_admin"], staff_users["finance_approver"]

    with time_machine.travel(LATER, tick=False):
        services.allocation_create(
            pool=pool, partner=old_allocation.partner, amount="100.00", actor=admin, reason="top"
        )
        services.request_release(fund_request=open_request, actor=admin, note="dropped")
        services.claim_record_payment(
            claim=unpaid, actor=finance, paid_at=date(2027, 1, 8), reference="PAY-2"
        )
    services.pool_roll_over(pool=pool, today=pool.claim_deadline.replace(year=2028))

    with scopes_disabled():
        entries = list(LedgerEntry.objects.filter(allocation=old_allocation).order_by("seq"))
    old_allocation.refresh_from_db()
    new_kinds = [entry.kind for entry in entries[12:]]
    assert new_kinds == ["allocate", "release", "pay", "release", "expire"]
    assert entries[12].prev_hash == old_head
    assert ledger.verify_allocation(old_allocation)[1] == []
    assert old_allocation.available == D("0.00")
    assert old_allocation.paid == D("2200.01")
    assert reconcile() == []
