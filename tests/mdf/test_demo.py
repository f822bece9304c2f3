"""The demo funds: every request and claim state, a clean reconcile, idempotent."""

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from mdf.models import Claim, FundRequest, LedgerEntry
from mdf.reconcile import reconcile

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_funds_cover_every_state_and_reconcile(settings, tmp_path):
    call_command("seed_demo")
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
