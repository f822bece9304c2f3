"""Decisions without a lock held while they think (mdf.services.steps._decide).

A decision reads its rows unlocked and writes them only if they are still the version
it read; otherwise it reads again and decides on the new state, and after a few lost
races it takes the locks first. These tests make the race happen at the worst moment:
another person's change is committed, from another connection, right after the
decision read its rows and before it writes (a hook on the read; every read and
write is real PostgreSQL).
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django_scopes import scopes_disabled

from mdf import ledger, services
from mdf.models import Allocation, Claim, FundRequest, LedgerEntry, MDFEvent
from mdf.reconcile import reconcile
from mdf.services import steps
from mdf.writes import RowWrites, StaleRow
from tests.mdf.conftest import (
    after_activity,
    approved_request,
    draft_request,
    fresh,
    submitted_claim,
    thirds_allocation,
)

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def elsewhere(work) -> None:
    """Run `work` on another connection (another person), committed when it returns."""
    failure: list[BaseException] = []

    def target():
        try:
            with scopes_disabled():  # a scope does not follow into another thread
                work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    if failure:
        raise failure[0]


@pytest.fixture
def submitted(alice, allocation, event_type):
    fund_request = draft_request(alice, allocation, event_type, amount="1000.00")
    return services.request_submit(fund_request=fund_request, actor=alice.marketer)


@pytest.fixture
def after_each_read(monkeypatch):
    """`after_each_read(work, times)`: run `work` elsewhere right after each of this
    thread's next `times` unlocked reads of a request; returns the list of this thread's
    reads (True: locked)."""

    def install(work, times, lock=steps._REQUEST_DECISION_LOCK):
        reads: list[bool] = []
        read, get = lock.read, lock.get
        ours = threading.current_thread()

        def hooked_read(pk):
            row = read(pk)
            if threading.current_thread() is ours:
                reads.append(False)
                if len(reads) <= times:
                    elsewhere(work)
            return row

        def hooked_get(pk):
            if threading.current_thread() is ours:
                reads.append(True)
            return get(pk)

        monkeypatch.setattr(lock, "read", hooked_read)
        monkeypatch.setattr(lock, "get", hooked_get)
        return reads

    return install


def test_a_write_expecting_a_changed_row_writes_nothing(is_postgres, submitted, staff_users):
    assert is_postgres, "row versions are PostgreSQL's"
    manager = staff_users["channel_manager"]
    read = steps._read_request(submitted.pk, lock=False)
    elsewhere(lambda: FundRequest.objects.filter(pk=submitted.pk).update(title="Edited meanwhile"))
    read.manager_note = "must not be written"
    writes = RowWrites()
    writes.expect(read)
    writes.update(read, ["manager_note"])

    with pytest.raises(StaleRow):
        ledger.append(
            read.allocation,
            kind=LedgerEntry.Kind.COMMIT,
            amount=Decimal("10.00"),
            actor=manager,
            request=read,
            writes=writes,
            d_committed=Decimal("10.00"),
        )

    with scopes_disabled():
        allocation = Allocation.objects.get(pk=read.allocation_id)
        assert not LedgerEntry.objects.filter(kind="commit").exists()
    assert allocation.committed == Decimal("0.00")
    assert fresh(submitted).manager_note == ""
    assert fresh(submitted).title == "Edited meanwhile"


def test_an_approval_raced_by_a_rejection_decides_again_and_moves_nothing(
    is_postgres, submitted, staff_users, after_each_read
):
    assert is_postgres, "row versions are PostgreSQL's"
    manager, other_manager = staff_users["channel_manager"], staff_users["marketing_admin"]
    reads = after_each_read(
        lambda: services.request_decide(
            fund_request=submitted, actor=other_manager, approve=False, note="Not this quarter"
        ),
        times=1,
    )

    with pytest.raises(ValidationError) as refused:
        services.request_decide(fund_request=submitted, actor=manager, approve=True, note="ok")

    assert "not awaiting a decision" in str(refused.value)
    assert reads == [False, False]  # read, lost the race, read again: now rejected
    submitted = fresh(submitted)
    assert submitted.status == FundRequest.Status.REJECTED
    assert submitted.manager_note == "Not this quarter"
    with scopes_disabled():
        assert Allocation.objects.get(pk=submitted.allocation_id).committed == Decimal("0.00")
        trail = MDFEvent.objects.filter(request=submitted).values_list("action", flat=True)
        assert list(trail) == ["created", "submitted", "rejected"]
    assert reconcile() == []


def test_an_approval_whose_funds_go_after_its_read_is_refused_by_its_write(
    is_postgres, alice, allocation, event_type, submitted, staff_users, after_each_read
):
    assert is_postgres, "row versions are PostgreSQL's"
    manager = staff_users["channel_manager"]
    others = [
        services.request_submit(
            fund_request=draft_request(alice, allocation, event_type, amount="4750.00"),
            actor=alice.marketer,
        )
        for _ in range(2)
    ]

    def colleague_approves_the_others():
        for other in others:
            services.request_decide(fund_request=other, actor=manager, approve=True, note="go")

    # Right after our read (10,000.00 available), 9,500.00 is approved elsewhere.
    reads = after_each_read(colleague_approves_the_others, times=1)

    with pytest.raises(ValidationError) as refused:
        services.request_decide(fund_request=submitted, actor=manager, approve=True, note="ok")

    assert "available: 500.00 EUR" in str(refused.value)
    assert reads == [False]  # refused by the move's own check, not a lost race
    assert fresh(submitted).status == FundRequest.Status.SUBMITTED
    with scopes_disabled():
        assert Allocation.objects.get(pk=allocation.pk).committed == Decimal("9500.00")
        assert LedgerEntry.objects.filter(kind="commit").count() == 2
    assert reconcile() == []


def test_a_decision_that_keeps_losing_races_takes_the_locks(
    is_postgres, submitted, staff_users, after_each_read
):
    assert is_postgres, "row versions are PostgreSQL's"
    edits = iter(range(100))
    reads = after_each_read(
        lambda: FundRequest.objects.filter(pk=submitted.pk).update(
            description=f"Edited by a colleague ({next(edits)})"
        ),
        times=steps.OPTIMISTIC_ATTEMPTS,
    )

    services.request_decide(
        fund_request=submitted, actor=staff_users["channel_manager"], approve=True, note="ok"
    )

    assert reads == [False] * steps.OPTIMISTIC_ATTEMPTS + [True]
    submitted = fresh(submitted)
    assert submitted.status == FundRequest.Status.APPROVED
    # The colleague's last edit stands: the decision did not write over it.
    assert submitted.description == f"Edited by a colleague ({steps.OPTIMISTIC_ATTEMPTS - 1})"
    with scopes_disabled():
        assert Allocation.objects.get(pk=submitted.allocation_id).committed == Decimal("1000.00")
        assert LedgerEntry.objects.filter(kind="commit").count() == 1
    assert reconcile() == []
    connection.close()


def test_a_claim_approval_raced_by_a_return_spends_nothing(
    is_postgres, alice, allocation, event_type, proof_kinds, staff_users, after_each_read
):
    assert is_postgres, "row versions are PostgreSQL's"
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds)
        other_finance = staff_users["marketing_admin"]
        other_finance.user_permissions.add(*finance_permissions())
        reads = after_each_read(
            lambda: services.claim_decide(
                claim=claim, actor=other_finance, decision="return", note="Add the invoice"
            ),
            times=1,
            lock=steps._CLAIM_DECISION_LOCK,
        )

        with pytest.raises(ValidationError) as refused:
            services.claim_decide(
                claim=claim, actor=staff_users["finance_approver"], decision="approve", note="ok"
            )

    assert "not awaiting a decision" in str(refused.value)
    assert reads == [False, False]
    claim = fresh(claim)
    assert (claim.status, claim.decision_note) == (Claim.Status.RETURNED, "Add the invoice")
    with scopes_disabled():
        allocation = Allocation.objects.get(pk=allocation.pk)
    assert (allocation.committed, allocation.spent) == (Decimal("1000.00"), Decimal("0.00"))
    assert fresh(fund_request).status == FundRequest.Status.APPROVED
    assert reconcile() == []


def finance_permissions():
    return Permission.objects.filter(
        content_type__app_label="mdf", codename__in=("finance_approve",)
    )


def test_a_raced_two_move_claim_approval_inside_a_callers_transaction_decides_again(
    is_postgres, alice, event_type, proof_kinds, staff_users, after_each_read
):
    """A claim that fully claims its request with a rounding remainder moves money twice
    (spend, then release the remainder); when it loses a race inside a caller's own
    transaction (as the API's idempotent calls run it), the caller's transaction must
    stay usable for the second attempt."""
    assert is_postgres, "row versions are PostgreSQL's"
    allocation = thirds_allocation(alice, staff_users)
    fund_request = approved_request(alice, allocation, event_type, staff_users, "3.00")
    assert fresh(fund_request).commitment == Decimal("1.00")  # 33.33 % of 3.00 = 0.9999
    finance = staff_users["finance_approver"]
    with after_activity(fund_request):
        claims = [submitted_claim(alice, fund_request, proof_kinds, "1.00") for _ in range(3)]
        for claim in claims[:2]:
            services.claim_decide(claim=claim, actor=finance, decision="approve", note="ok")
        reads = after_each_read(
            lambda: FundRequest.objects.filter(pk=fund_request.pk).update(
                description="Edited by a colleague"
            ),
            times=1,
            lock=steps._CLAIM_DECISION_LOCK,
        )
        with transaction.atomic():
            services.claim_decide(claim=claims[2], actor=finance, decision="approve", note="ok")

    assert reads == [False, False]
    fund_request = fresh(fund_request)
    assert fund_request.status == FundRequest.Status.CLOSED
    assert fund_request.description == "Edited by a colleague"
    with scopes_disabled():
        allocation = Allocation.objects.get(pk=allocation.pk)
        kinds = list(
            LedgerEntry.objects.filter(allocation=allocation).values_list("kind", flat=True)
        )
    # 0.33 three times is spent; the cent the rounding left over goes back to available.
    assert (allocation.spent, allocation.committed) == (Decimal("0.99"), Decimal("0.00"))
    assert kinds[-2:] == ["spend", "release"]
    assert reconcile() == []
