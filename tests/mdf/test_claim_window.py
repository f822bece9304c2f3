"""The claim window is the services' rule, read by every page that shows it on the
services' clock (`mdf.clock`): the pages and the service agree on any day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from mdf import clock, selectors, services
from tests.mdf.conftest import approved_request

pytestmark = pytest.mark.django_db


def test_the_request_page_offers_a_claim_exactly_when_the_service_takes_one(
    client, alice, allocation, event_type, staff_users
):
    # given: an approved request whose activity ends in eleven days
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    client.force_login(alice.marketer)
    detail = reverse("funds:request_detail", kwargs={"uuid": fund_request.uuid})
    new_claim = reverse("funds:claim_create", kwargs={"uuid": fund_request.uuid})
    deadline = allocation.pool.claim_deadline

    # when / then: on each day the services' clock says, the page and the service agree
    for day, is_open in (
        (fund_request.activity_end - timedelta(days=1), False),
        (fund_request.activity_end, True),
        (deadline, True),
        (deadline + timedelta(days=1), False),
    ):
        with clock.as_of(day):
            assert selectors.claim_window(fund_request).is_open is is_open
            page = client.get(detail).content.decode()
            form = client.get(new_claim).content.decode()
            overview = client.get(reverse("funds:overview")).content.decode()
        assert (f'href="{new_claim}"' in page) is is_open, day
        assert ("You can claim once the activity has ended" in form) is (
            day < fund_request.activity_end
        ), day
        assert ("The claim deadline" in form) is (day > deadline), day
        if day <= deadline:
            assert (f'href="{new_claim}"' in overview) is is_open, day


def test_the_service_refuses_outside_the_window_the_page_shows(
    alice, allocation, event_type, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with (
        clock.as_of(fund_request.activity_end - timedelta(days=1)),
        pytest.raises(ValidationError) as refused,
    ):
        services.claim_create(fund_request=fund_request, amount="100", actor=alice.marketer)
    assert "once the activity has ended" in str(refused.value)
    with clock.as_of(fund_request.activity_end):
        claim = services.claim_create(fund_request=fund_request, amount="100", actor=alice.marketer)
    assert claim.amount == 100
