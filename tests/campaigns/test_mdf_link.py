"""A fund request names the campaign launch it funds: through the services, the portal
form and the API (by tracking code); another partner's launch is refused on `launch`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import services
from mdf.models import ActivityType, FundRequest
from tests.authz.matrix import funds_allocation
from tests.campaigns.factories import make_kit, make_launch
from tests.conftest import key_client

pytestmark = pytest.mark.django_db
START = timezone.localdate() + timedelta(days=10)


class World:
    def __init__(self, alice, bob, staff):
        self.alice, self.bob, self.staff = alice, bob, staff


@pytest.fixture
def world(alice, bob, staff_users):
    return World(alice, bob, staff_users)


@pytest.fixture
def activity(db):
    return ActivityType.objects.get_or_create(slug="webinar", defaults={"name": "Webinar"})[0]


def draft(world, activity, **extra):
    return services.request_create(
        partner=world.alice.partner,
        allocation=funds_allocation(world, world.alice),
        activity_type=activity,
        title="Webinar",
        description="Zero trust webinar",
        activity_start=START,
        activity_end=START,
        requested_amount="800.00",
        actor=world.alice.marketer,
        **extra,
    )


def test_a_request_names_its_partners_own_launch(world, activity):
    launch = make_launch(world.alice, make_kit())
    fund_request = draft(world, activity, launch=launch)
    assert fund_request.launch == launch


def test_another_partners_launch_is_refused_on_create_and_update(world, activity):
    kit = make_kit()
    theirs = make_launch(world.bob, kit)
    with pytest.raises(ValidationError) as excinfo:
        draft(world, activity, launch=theirs)
    assert "launch" in excinfo.value.message_dict
    with scopes_disabled():
        assert not FundRequest.objects.exists()

    fund_request = draft(world, activity)
    with pytest.raises(ValidationError) as excinfo:
        services.request_update(
            fund_request=fund_request, actor=world.alice.marketer, launch=theirs
        )
    assert "launch" in excinfo.value.message_dict
    mine = make_launch(world.alice, kit)
    updated = services.request_update(
        fund_request=fund_request, actor=world.alice.marketer, launch=mine
    )
    assert updated.launch == mine
    with scopes_disabled():
        note = fund_request.events.filter(action="edited").get().note_text
    assert "Campaign launch" in note


def test_the_portal_form_offers_only_the_partners_own_launches(client, world, activity):
    kit = make_kit()
    mine = make_launch(world.alice, kit, name="Own run")
    theirs = make_launch(world.bob, kit, name="Their run")
    funds_allocation(world, world.alice)
    client.force_login(world.alice.marketer)
    page = client.get(reverse("funds:request_create"), {"launch": mine.code})
    form = page.context["form"]
    assert list(form.fields["launch"].queryset) == [mine]
    assert form.initial["launch"] == mine.pk
    assert "Their run" not in page.content.decode()

    allocation = funds_allocation(world, world.alice)
    body = {
        "allocation": allocation.pk,
        "activity_type": activity.pk,
        "title": "Webinar",
        "description": "Zero trust",
        "activity_start": START,
        "activity_end": START,
        "requested_amount": "800.00",
        "save": "1",
    }
    refused = client.post(reverse("funds:request_create"), {**body, "launch": theirs.pk})
    assert refused.status_code == 400 and "launch" in refused.context["form"].errors
    client.post(reverse("funds:request_create"), {**body, "launch": mine.pk})
    with scopes_disabled():
        assert FundRequest.objects.get().launch == mine


def request_body(world, **extra):
    return {
        "allocation": str(funds_allocation(world, world.alice).uuid),
        "activity_type": "webinar",
        "title": "Webinar",
        "description": "Zero trust",
        "activity_start": START.isoformat(),
        "activity_end": START.isoformat(),
        "requested_amount": "800.00",
        **extra,
    }


def test_the_api_takes_and_returns_the_launch_code(world, activity, alice_key, staff_key):
    kit = make_kit()
    mine = make_launch(world.alice, kit)
    theirs = make_launch(world.bob, kit)
    client = key_client(alice_key)

    created = client.post(
        "/api/v1/mdf/requests/", request_body(world, launch=mine.code), format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["launch"] == mine.code

    refused = client.post(
        "/api/v1/mdf/requests/", request_body(world, launch=theirs.code), format="json"
    )
    assert refused.status_code == 400
    assert [error["attr"] for error in refused.json()["errors"]] == ["launch"]
    assert theirs.code in refused.json()["errors"][0]["detail"]  # its own input, echoed

    staff = key_client(staff_key).post(
        "/api/v1/mdf/requests/",
        request_body(world, partner=str(world.alice.partner.uuid), launch=theirs.code),
        format="json",
    )
    assert staff.status_code == 400
    assert [error["attr"] for error in staff.json()["errors"]] == ["launch"]

    request_id = created.json()["id"]
    patched = client.patch(f"/api/v1/mdf/requests/{request_id}/", {"launch": None}, format="json")
    assert patched.status_code == 200 and patched.json()["launch"] is None
    patched = key_client(staff_key).patch(
        f"/api/v1/mdf/requests/{request_id}/", {"launch": theirs.code}, format="json"
    )
    assert patched.status_code == 400
    assert [error["attr"] for error in patched.json()["errors"]] == ["launch"]
