"""Retiring an activity type: new requests (portal, API, services) cannot choose it, a
draft that has it must change it before it is submitted, and requests already
approved with it are claimed as before."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from mdf import services
from mdf.models import FundRequest
from tests.conftest import key_client
from tests.mdf.conftest import after_activity, approved_request, draft_request, fresh
from tests.mdf.test_api import REQUESTS, errors_of, request_body
from tests.mdf.test_api_extra import ACTIVITY_TYPES
from tests.mdf.test_drafts import edit_form, url
from tests.mdf.test_portal import NEW_REQUEST, request_form

pytestmark = pytest.mark.django_db

RETIRED = "no longer offered: choose another activity type"


def retire(activity_type) -> None:
    activity_type.active = False
    activity_type.save(update_fields=["active"])


def options(page) -> list[str]:
    select = re.search(r'<select name="activity_type".*?</select>', page.content.decode(), re.S)
    assert select, "no activity type select on the page"
    return re.findall(r"<option[^>]*>([^<]+)</option>", select.group(0))


def test_a_new_request_cannot_choose_a_retired_type(alice, allocation, event_type):
    retire(event_type)

    with pytest.raises(ValidationError) as refused:
        draft_request(alice, allocation, event_type)

    assert refused.value.message_dict == {"activity_type": [f"“Event” is {RETIRED}."]}
    assert not FundRequest.objects.exists()


def test_a_draft_with_a_type_retired_since_must_change_it_to_be_submitted(
    alice, allocation, event_type, ads_type
):
    draft = draft_request(alice, allocation, event_type)
    retire(event_type)

    with pytest.raises(ValidationError) as refused:
        services.request_submit(fund_request=draft, actor=alice.marketer)
    assert "activity_type" in refused.value.message_dict
    with pytest.raises(ValidationError):  # an edit keeping it is refused the same way
        services.request_update(fund_request=draft, actor=alice.marketer, title="Booth")
    assert fresh(draft).status == "draft"

    services.request_update(
        fund_request=draft, actor=alice.marketer, activity_type=ads_type, submit=True
    )
    assert (fresh(draft).status, fresh(draft).activity_type) == ("submitted", ads_type)


def test_an_approved_request_of_a_retired_type_is_claimed_as_before(
    alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    retire(event_type)

    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="900.00", actor=alice.marketer
        )
        # The retired type still names its proof: all three are asked for.
        assert [kind.slug for kind in services.missing_proof(claim)] == [
            "attendees",
            "invoice",
            "photo",
        ]


def test_the_portal_offers_only_types_still_offered(
    client, alice, allocation, event_type, ads_type
):
    draft = draft_request(alice, allocation, event_type)
    retire(event_type)
    client.force_login(alice.marketer)

    assert options(client.get(NEW_REQUEST)) == ["Choose a type", "Digital ads"]
    refused = client.post(NEW_REQUEST, request_form(allocation, event_type))
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()

    # The draft's edit form still shows its type, and says why it must change.
    edit = client.get(url("request_edit", draft))
    assert options(edit) == ["Choose a type", "Digital ads", "Event"]
    kept = client.post(url("request_edit", draft), edit_form(draft, event_type))
    assert kept.status_code == 400
    assert f"“Event” is {RETIRED}." in kept.content.decode()
    changed = client.post(url("request_edit", draft), edit_form(draft, ads_type))
    assert changed.status_code == 302
    assert fresh(draft).activity_type == ads_type


def test_the_api_lists_retired_types_to_staff_only_and_refuses_them(
    alice_key, staff_key, allocation, event_type, ads_type
):
    retire(event_type)

    partner_view = key_client(alice_key).get(ACTIVITY_TYPES).json()
    staff_view = key_client(staff_key).get(ACTIVITY_TYPES).json()

    assert [(t["slug"], t["active"]) for t in partner_view] == [("ads", True)]
    assert [(t["slug"], t["active"]) for t in staff_view] == [("ads", True), ("event", False)]
    response = key_client(alice_key).post(
        REQUESTS, request_body(allocation, event_type), format="json"
    )
    assert errors_of(response) == {"activity_type": [("invalid", f"“Event” is {RETIRED}.")]}
    assert not FundRequest.objects.exists()
