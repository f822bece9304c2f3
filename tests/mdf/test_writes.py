"""mdf.writes: a decision's rows written in its ledger move's statement end up as
`save()` would write them, and not at all when the move is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from mdf import ledger, services
from mdf.models import Allocation, FundRequest, LedgerEntry, MDFEvent
from mdf.writes import RowWrites
from tests.mdf.conftest import draft_request, fresh, statements

pytestmark = pytest.mark.django_db


def values(obj, skip=("id", "at")) -> dict:
    return {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.attname not in skip
    }


def event(alice, fund_request, actor, note) -> MDFEvent:
    return MDFEvent(
        partner=alice.partner,
        actor=actor,
        action="approved",
        request=fund_request,
        old_status="submitted",
        new_status="approved",
        amount=Decimal("1000.00"),
        note=note,
        email_partner=True,
    )


def test_rows_written_with_the_move_are_what_save_writes(
    alice, allocation, event_type, staff_users
):
    manager = staff_users["channel_manager"]
    fund_request = draft_request(alice, allocation, event_type)
    by_orm, with_move = event(alice, fund_request, manager, "Ünïcode ’quotes’ and ; COMMIT"), None
    with transaction.atomic():
        by_orm.save(force_insert=True)
        with_move = event(alice, fund_request, manager, by_orm.note)
        fund_request.title = "Renamed in the same statement"
        writes = RowWrites()
        writes.update(fund_request, ["title"])
        writes.insert(with_move)
        with CaptureQueriesContext(connection) as queries:
            entry = ledger.append(
                allocation,
                kind=LedgerEntry.Kind.COMMIT,
                amount=Decimal("10.00"),
                actor=manager,
                request=fund_request,
                writes=writes,
                d_committed=Decimal("10.00"),
            )

    if connection.vendor == "postgresql":
        # The move, the update and the insert: one statement.
        assert len(statements(queries)) == 1
    assert with_move.pk is not None and with_move.pk != by_orm.pk
    with scopes_disabled():
        stored = MDFEvent.objects.get(pk=with_move.pk)
    assert values(stored) == values(fresh(by_orm)) == values(with_move)
    assert stored.at is not None and stored.at >= fresh(by_orm).at  # auto_now_add applied
    assert fresh(fund_request).title == "Renamed in the same statement"
    assert fresh(entry).request_id == fund_request.pk


def test_a_refused_move_writes_none_of_its_rows(alice, allocation, event_type, staff_users):
    manager = staff_users["channel_manager"]
    fund_request = draft_request(alice, allocation, event_type)
    with scopes_disabled():
        events_before = MDFEvent.objects.count()
    fund_request.title = "Must not be written"
    writes = RowWrites()
    writes.update(fund_request, ["title"])
    writes.insert(event(alice, fund_request, manager, "refused"))

    with transaction.atomic():
        with pytest.raises(ledger.NotEnoughAvailable) as refused:
            ledger.append(
                allocation,
                kind=LedgerEntry.Kind.COMMIT,
                amount=Decimal("10000.01"),
                actor=manager,
                request=fund_request,
                require_available=Decimal("10000.01"),
                writes=writes,
                d_committed=Decimal("10000.01"),
            )
        # Still inside the transaction: not rolled back, simply never written.
        assert fresh(fund_request).title == "Partner summit booth"
        with scopes_disabled():
            assert MDFEvent.objects.count() == events_before

    assert refused.value.available == Decimal("10000.00")


def test_a_move_its_read_allows_but_the_row_no_longer_does_writes_none_of_its_rows(
    alice, allocation, event_type, staff_users
):
    manager = staff_users["channel_manager"]
    fund_request = draft_request(alice, allocation, event_type)
    with scopes_disabled():
        events_before = MDFEvent.objects.count()
        # Someone else commits 0.01 after `allocation` was read: it still shows 10,000.00.
        ledger.append(
            Allocation.objects.get(pk=allocation.pk),
            kind=LedgerEntry.Kind.COMMIT,
            amount=Decimal("0.01"),
            actor=manager,
            d_committed=Decimal("0.01"),
        )
    fund_request.title = "Must not be written"
    writes = RowWrites()
    writes.update(fund_request, ["title"])
    writes.insert(event(alice, fund_request, manager, "refused"))

    with pytest.raises(ledger.NotEnoughAvailable) as refused:
        ledger.append(
            allocation,
            kind=LedgerEntry.Kind.COMMIT,
            amount=Decimal("10000.00"),
            actor=manager,
            request=fund_request,
            require_available=Decimal("10000.00"),
            writes=writes,
            d_committed=Decimal("10000.00"),
        )

    assert refused.value.available == Decimal("9999.99")  # the row's, not the stale read's
    assert fresh(fund_request).title == "Partner summit booth"
    with scopes_disabled():
        assert MDFEvent.objects.count() == events_before


def test_an_approval_that_does_not_fit_leaves_the_request_undecided(
    alice, allocation, event_type, staff_users
):
    manager = staff_users["channel_manager"]
    requests = [
        draft_request(alice, allocation, event_type, amount=amount)
        for amount in ("4000.00", "4000.00", "3000.00")
    ]
    for fund_request in requests:
        services.request_submit(fund_request=fund_request, actor=alice.marketer)
    *fitting, other = requests
    for fund_request in fitting:
        services.request_decide(fund_request=fund_request, actor=manager, approve=True, note="ok")

    with pytest.raises(ValidationError) as refused:
        services.request_decide(fund_request=other, actor=manager, approve=True, note="ok")

    assert "2,000.00" in str(refused.value.message_dict["approved_amount"])
    other = fresh(other)
    assert other.status == FundRequest.Status.SUBMITTED
    assert other.manager_decided_by_id is None
    with scopes_disabled():
        assert not MDFEvent.objects.filter(request=other, action__startswith="approved").exists()
