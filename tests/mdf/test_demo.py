"""The demo funds: every request and claim state, a clean reconcile, idempotent."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import clock, reports, services
from mdf.models import Claim, FundRequest, LedgerEntry, MDFEvent
from mdf.reconcile import reconcile
from tests.mdf.conftest import draft_request, fresh

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_funds_cover_every_state_and_reconcile(demo):
    with scopes_disabled():
        request_states = set(FundRequest.objects.values_list("status", flat=True))
        claim_states = set(Claim.objects.values_list("status", flat=True))
        entries = LedgerEntry.objects.count()
    assert request_states == set(FundRequest.Status.values)
    assert claim_states == set(Claim.Status.values)
    assert reconcile() == []

    call_command("seed_demo")
    with scopes_disabled():
        assert LedgerEntry.objects.count() == entries


def test_demo_history_is_dated_and_in_time_order(demo):
    """The demo's history is spread over weeks, as a real programme's is: decisions
    days after submissions (so the reports show turnaround), and every allocation's
    ledger in time order (so a statement reads as a history)."""
    today = timezone.localdate()
    with scopes_disabled():
        decided = FundRequest.objects.exclude(manager_decided_at=None).exclude(submitted_at=None)
        waits = {(r.manager_decided_at - r.submitted_at).days for r in decided}
        entries = list(LedgerEntry.objects.order_by("allocation_id", "seq"))
        paid = Claim.objects.filter(status="paid")
        assert {c.decided_at.date() < today for c in paid} == {True}
        assert {c.created_at <= c.submitted_at <= c.decided_at for c in paid} == {True}
        assert {
            proof.uploaded_at <= claim.submitted_at
            for claim in paid
            for proof in claim.proofs.all()
        } == {True}
    assert max(waits) >= 2  # approved two days after submission
    assert min(entry.created_at.date() for entry in entries) < today - timedelta(days=30)
    for earlier, later in zip(entries, entries[1:], strict=False):
        if earlier.allocation_id == later.allocation_id:
            assert earlier.created_at <= later.created_at, (earlier, later)
    assert reconcile() == []
    turnaround = reports.request_turnaround()
    assert turnaround[-1].median_days > 0


def test_as_of_dates_what_the_services_record(alice, allocation, event_type):
    day = timezone.localdate() - timedelta(days=3)
    with clock.as_of(day):
        assert clock.today() == day
        assert timezone.localtime(clock.now()).date() == day
        fund_request = draft_request(alice, allocation, event_type, starts_in=5)
        services.request_submit(fund_request=fund_request, actor=alice.marketer)
    stored = fresh(fund_request)
    assert timezone.localtime(stored.created_at).date() == day
    assert timezone.localtime(stored.submitted_at).date() == day
    with scopes_disabled():
        events = MDFEvent.objects.filter(request=stored)
        assert {timezone.localtime(e.at).date() for e in events} == {day}
    assert clock.today() == timezone.localdate()  # only inside the block
