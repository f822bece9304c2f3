"""The staff admin of campaign kits: create with an audience and publish through the
services, validation on the form, publish and close (with a confirmation) as actions,
every partner's launches and the history on a kit's page, the launches list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignKit
from tests.assets.factories import make_asset
from tests.campaigns.factories import make_kit, make_launch

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def staff(staff_users) -> Client:
    client = Client()
    client.force_login(staff_users["marketing_admin"])
    return client


def form_data(**overrides):
    data = {
        "name": "Zero trust week",
        "slug": "zero-trust-week",
        "objective": "lead_generation",
        "description": "Five days of zero trust.",
        "channels": ["email", "webinar"],
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + timedelta(days=30)).isoformat(),
        "landing_url": "https://vendor.example.com/zt",
        "suggested_budget": "1500.00",
        "currency": "USD",
        "decision": "publish",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        # The partners' ratings, read-only (partners.admin.RatingInline).
        "ratings-TOTAL_FORMS": "0",
        "ratings-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_add_with_assets_and_an_audience_and_publish(staff, staff_users, tiers, alice, bob):
    asset = make_asset(title="ZT datasheet")
    response = staff.post(
        reverse("admin:campaigns_campaignkit_add"),
        form_data(audience_tiers=[tiers["gold"].pk], assets=[asset.pk]),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    kit = CampaignKit.objects.get()
    assert kit.status == "published" and kit.published_at is not None
    assert kit.channels == ["email", "webinar"]
    assert list(kit.assets.all()) == [asset]
    assert kit.audience_scope == "rules"  # through assets.services.audience_set
    assert CampaignKit.objects.available_to(alice.partner).filter(pk=kit.pk).exists()  # gold
    assert not CampaignKit.objects.available_to(bob.partner).exists()  # silver
    actions = list(kit.events.order_by("at", "id").values_list("action", flat=True))
    assert actions[0] == "created" and actions[-1] == "published"
    assert kit.events.filter(actor=staff_users["marketing_admin"]).count() == len(actions)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"landing_url": "javascript:alert(1)"}, "landing_url"),
        ({"end_date": (TODAY - timedelta(days=1)).isoformat()}, "end_date"),
        ({"currency": "ZZZ"}, "currency"),
        ({"suggested_budget": "-5"}, "suggested_budget"),
    ],
)
def test_bad_input_is_refused_on_the_form(staff, override, field):
    response = staff.post(reverse("admin:campaigns_campaignkit_add"), form_data(**override))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not CampaignKit.objects.exists()


def test_publish_and_close_actions_go_through_the_services(staff, staff_users):
    kit = make_kit(publish=False)
    changelist = reverse("admin:campaigns_campaignkit_changelist")
    staff.post(changelist, {"action": "publish_selected", ACTION_CHECKBOX_NAME: [kit.pk]})
    kit.refresh_from_db()
    assert kit.status == "published"

    confirm = staff.post(changelist, {"action": "close_selected", ACTION_CHECKBOX_NAME: [kit.pk]})
    assert confirm.status_code == 200
    assert "Yes, close them" in confirm.content.decode()
    kit.refresh_from_db()
    assert kit.status == "published"  # asking closes nothing

    staff.post(
        changelist,
        {"action": "close_selected", ACTION_CHECKBOX_NAME: [kit.pk], "confirm": "yes"},
    )
    kit.refresh_from_db()
    assert kit.status == "closed"
    events = kit.events.filter(actor=staff_users["marketing_admin"])
    assert set(events.values_list("action", flat=True)) == {"published", "closed"}


def test_a_kits_page_shows_every_partners_launches_and_its_history(staff, alice, bob):
    kit = make_kit()
    mine = make_launch(alice, kit)
    theirs = make_launch(bob, kit)
    response = staff.get(reverse("admin:campaigns_campaignkit_change", args=[kit.pk]))
    page = response.content.decode()
    assert f"/t/{mine.code}" in page and f"/t/{theirs.code}" in page
    assert "Alice Corp" in page and "Bob Corp" in page
    assert "Published" in page  # the history inline

    changelist = staff.get(reverse("admin:campaigns_campaignkit_changelist"))
    assert changelist.context["cl"].result_list[0].n_launches == 2
    filtered = staff.get(reverse("admin:campaigns_campaignkit_changelist"), {"channel": "webinar"})
    assert not filtered.context["cl"].result_list


def test_editing_a_kit_records_the_change(staff):
    kit = make_kit()
    data = form_data(
        name="Renamed",
        slug=kit.slug,
        channels=kit.channels,
        landing_url=kit.landing_url,
        decision="",
    )
    response = staff.post(reverse("admin:campaigns_campaignkit_change", args=[kit.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    kit.refresh_from_db()
    assert kit.name == "Renamed"
    assert "name" in kit.events.get(action="changed").detail


def test_the_launches_list_filters_and_searches_by_code(staff, alice, bob):
    kit = make_kit()
    mine = make_launch(alice, kit)
    make_launch(bob, kit)
    url = reverse("admin:campaigns_launch_changelist")
    assert len(staff.get(url).context["cl"].result_list) == 2
    found = staff.get(url, {"q": mine.code}).context["cl"].result_list
    assert [launch.code for launch in found] == [mine.code]
    detail = staff.get(reverse("admin:campaigns_launch_change", args=[mine.pk]))
    assert detail.status_code == 200 and "utm_content=" + mine.code in detail.content.decode()


def test_an_analyst_reads_but_cannot_change_kits(staff_users):
    kit = make_kit()
    client = Client()
    client.force_login(staff_users["analyst"])
    assert (
        client.get(reverse("admin:campaigns_campaignkit_change", args=[kit.pk])).status_code == 200
    )
    assert client.get(reverse("admin:campaigns_campaignkit_add")).status_code == 403
