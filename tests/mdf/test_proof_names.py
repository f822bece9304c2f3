"""Proof names stored before uploaded names were cleaned read as people now see them."""

from __future__ import annotations

import importlib

from django.apps import apps
from django_scopes import scopes_disabled

from mdf import services
from mdf.models import ClaimProof
from tests.mdf.conftest import after_activity, approved_request, full_proof

cleaning = importlib.import_module("mdf.migrations.0010_proof_names_cleaned")


def test_proof_names_stored_with_a_path_are_cleaned(
    alice, allocation, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="500.00", actor=alice.marketer, actual_leads=3
        )
        full_proof(claim, proof_kinds, alice.marketer)
    with scopes_disabled():
        # As the old code stored them: the uploaded name as the browser sent it.
        ClaimProof.objects.filter(claim=claim, proof_kind__slug="invoice").update(
            original_name="..%2f..%2fetc%2finvoice.pdf"
        )
        ClaimProof.objects.filter(claim=claim, proof_kind__slug="attendees").update(
            original_name="C:\\Users\\ada\\attendees.csv"
        )

    with scopes_disabled():  # the live model's manager is scoped; a migration's is not
        cleaning.clean_names(apps, None)
        names = sorted(
            ClaimProof.objects.filter(claim=claim).values_list("original_name", flat=True)
        )
    assert names == ["attendees.csv", "booth.png", "invoice.pdf"]
