"""What people read when something is refused: every field's error at once, in the
admin and through the services the portal and the API share."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from mdf import services
from mdf.models import Claim
from tests.mdf.conftest import after_activity, approved_request, fresh, submitted_claim

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_payment_with_a_future_date_and_no_reference_shows_both_errors(
    client, allocation, alice, event_type, proof_kinds, staff_users
):
    # given: an approved claim
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    finance = staff_users["finance_approver"]
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds)
        services.claim_decide(claim=claim, actor=finance, decision="approve", note="ok")
    with after_activity(fund_request, days=2):
        client.force_login(finance)
        url = reverse("admin:mdf_claim_record_payment", args=[claim.pk])
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

        # when
        response = client.post(url, {"paid_at": tomorrow, "reference": ""})

    # then: both errors on the page, nothing paid
    text = page_text(response)
    assert "Enter the payment reference." in text
    assert "A payment date cannot be in the future." in text
    assert fresh(claim).status == Claim.Status.APPROVED
    # and with neither a date nor a reference, both are asked for
    text = page_text(client.post(url, {"paid_at": "", "reference": ""}))
    assert "Enter the payment date." in text
    assert "Enter the payment reference." in text


def test_the_payment_service_raises_every_field_error_together(
    allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    finance = staff_users["finance_approver"]
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds)
        services.claim_decide(claim=claim, actor=finance, decision="approve", note="ok")
        with pytest.raises(ValidationError) as refused:
            services.claim_record_payment(
                claim=claim,
                actor=finance,
                paid_at=timezone.localdate() + timedelta(days=1),
                reference=" ",
            )
    assert set(refused.value.message_dict) == {"reference", "paid_at"}


def test_a_request_with_several_bad_fields_hears_of_all_of_them(alice, allocation, event_type):
    start = timezone.localdate() + timedelta(days=10)
    with pytest.raises(ValidationError) as refused:
        services.request_create(
            partner=alice.partner,
            allocation=allocation,
            activity_type=event_type,
            title="",
            description="A booth",
            activity_start=start,
            activity_end=start - timedelta(days=1),
            requested_amount="12,5",
            expected_pipeline="-3",
            actor=alice.marketer,
        )
    assert set(refused.value.message_dict) == {
        "title",
        "activity_end",
        "requested_amount",
        "expected_pipeline",
    }


def test_a_claim_with_several_bad_fields_hears_of_all_of_them(
    alice, allocation, event_type, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request), pytest.raises(ValidationError) as refused:
        services.claim_create(
            fund_request=fund_request,
            amount="0",
            actual_pipeline="abc",
            actual_leads=-1,
            actor=alice.marketer,
        )
    assert set(refused.value.message_dict) == {"amount", "actual_pipeline", "actual_leads"}
