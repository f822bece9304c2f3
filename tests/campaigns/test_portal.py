"""The campaign pages of the portal: kits meant for the partner (search, channel,
newest first, pagination, empty state), a kit's page (its assets the partner may see,
download links marked with the kit), launching (roles, errors), the launches list with
tracking links and figures, a launch's page and its status moves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from campaigns import services
from campaigns.models import Launch
from tests.assets.factories import make_asset
from tests.campaigns.factories import make_kit, make_launch

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice.marketer)
    return client


def test_the_kit_list_shows_the_partners_kits_newest_first(as_alice, alice, bob):
    older = make_kit(name="Backup basics", slug="backup")
    newer = make_kit(name="Zero trust week", slug="zero-trust")
    make_kit(name="Bob only", slug="bob-only", audience={"partners": [bob.partner]})
    make_kit(name="Draft kit", slug="draft", publish=False)

    response = as_alice.get(reverse("campaigns:list"))

    assert response.status_code == 200
    names = [kit.name for kit in response.context["kits"]]
    assert names == [newer.name, older.name]
    assert "Bob only" not in response.content.decode()
    assert "Draft kit" not in response.content.decode()


def test_the_kit_list_searches_and_filters_by_channel(as_alice):
    make_kit(name="Backup basics", slug="backup", channels=("email",))
    make_kit(name="Zero trust webinar", slug="zt", channels=("webinar",), description="Identity")

    found = as_alice.get(reverse("campaigns:list"), {"q": "identity"}).context["kits"]
    assert [kit.slug for kit in found] == ["zt"]
    found = as_alice.get(reverse("campaigns:list"), {"channel": "email"}).context["kits"]
    assert [kit.slug for kit in found] == ["backup"]
    response = as_alice.get(reverse("campaigns:list"), {"channel": "email", "q": "trust"})
    assert not response.context["kits"]
    assert "No kit matches" in response.content.decode()


def test_the_kit_list_pages_and_says_when_there_is_nothing(as_alice):
    response = as_alice.get(reverse("campaigns:list"))
    assert "No campaign kits yet" in response.content.decode()
    for number in range(14):
        make_kit(name=f"Kit {number}", slug=f"kit-{number}")
    first = as_alice.get(reverse("campaigns:list"))
    assert len(first.context["kits"]) == 12 and "Page 1 of 2" in first.content.decode()
    second = as_alice.get(reverse("campaigns:list"), {"page": 2})
    assert len(second.context["kits"]) == 2


def test_a_kit_page_shows_only_the_bundled_assets_the_partner_may_see(as_alice, alice, bob):
    shared = make_asset(title="Shared datasheet")
    bobs = make_asset(title="Bob's battlecard", audience={"partners": [bob.partner]})
    kit = make_kit(
        assets=[shared, bobs], suggested_budget="2500.00", currency="EUR", mdf_eligible=True
    )

    response = as_alice.get(reverse("campaigns:kit_detail", kwargs={"slug": kit.slug}))

    page = response.content.decode()
    assert "Shared datasheet" in page
    assert "Bob&#x27;s battlecard" not in page and "Bob's battlecard" not in page
    version = shared.versions.get()
    download = reverse("library:download", kwargs={"uuid": shared.uuid, "version": version.uuid})
    assert f"{download}?kit={kit.slug}" in page
    assert "2,500.00 EUR" in page
    assert "MDF eligible" in page and reverse("funds:request_create") in page


def test_a_kit_outside_the_audience_or_not_published_answers_404(as_alice, bob):
    theirs = make_kit(slug="theirs", audience={"partners": [bob.partner]})
    draft = make_kit(slug="draft", publish=False)
    for kit in (theirs, draft):
        assert (
            as_alice.get(reverse("campaigns:kit_detail", kwargs={"slug": kit.slug})).status_code
            == 404
        )
        response = as_alice.post(
            reverse("campaigns:launch_create", kwargs={"slug": kit.slug}),
            {"channel": "email", "start_date": TODAY, "end_date": TODAY},
        )
        assert response.status_code == 404
    with scopes_disabled():
        assert not Launch.objects.exists()


def test_a_marketer_launches_a_kit_and_lands_on_its_page_with_the_tracking_link(as_alice, alice):
    kit = make_kit(channels=("email", "social"))
    response = as_alice.post(
        reverse("campaigns:launch_create", kwargs={"slug": kit.slug}),
        {
            "channel": "social",
            "start_date": TODAY,
            "end_date": TODAY + timedelta(days=14),
            "name": "LinkedIn push",
        },
        follow=True,
    )
    with scopes_disabled():
        launch = Launch.objects.get()
    assert (launch.partner, launch.channel, launch.name) == (
        alice.partner,
        "social",
        "LinkedIn push",
    )
    page = response.content.decode()
    assert f"http://testserver/t/{launch.code}" in page
    assert "utm_source=alice" in page and "utm_medium=social" in page
    assert "ref=kit" in page  # the landing URL's own parameter is kept


def test_a_launch_with_bad_input_shows_errors_on_the_kit_page_and_stores_nothing(as_alice):
    kit = make_kit(channels=("email",))
    response = as_alice.post(
        reverse("campaigns:launch_create", kwargs={"slug": kit.slug}),
        {"channel": "webinar", "start_date": TODAY, "end_date": TODAY - timedelta(days=2)},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "channel" in form.errors and "end_date" in form.errors
    with scopes_disabled():
        assert not Launch.objects.exists()


def test_a_sales_rep_sees_kits_but_cannot_launch(client, alice):
    kit = make_kit()
    client.force_login(alice.sales)
    page = client.get(reverse("campaigns:kit_detail", kwargs={"slug": kit.slug}))
    assert page.status_code == 200
    assert "ask one of them to launch" in page.content.decode()
    response = client.post(
        reverse("campaigns:launch_create", kwargs={"slug": kit.slug}),
        {"channel": "email", "start_date": TODAY, "end_date": TODAY},
    )
    assert response.status_code == 403


def test_my_launches_lists_own_launches_with_links_figures_and_a_status_filter(
    as_alice, alice, bob
):
    kit = make_kit()
    mine = make_launch(alice, kit, name="Mine")
    services.launch_set_status(launch=mine, status="active", actor=alice.admin)
    planned = make_launch(alice, kit, name="Later")
    theirs = make_launch(bob, kit, name="Theirs")

    response = as_alice.get(reverse("campaigns:launch_list"))
    page = response.content.decode()
    assert f"http://testserver/t/{mine.code}" in page and f"/t/{planned.code}" in page
    assert theirs.code not in page
    assert [launch.results["clicks"] for launch in response.context["launches"]] == [0, 0]

    active = as_alice.get(reverse("campaigns:launch_list"), {"status": "active"}).context[
        "launches"
    ]
    assert [launch.code for launch in active] == [mine.code]


def test_a_launchs_figures_are_its_rolled_up_results_per_currency(as_alice, alice):
    from datetime import date
    from decimal import Decimal

    from analytics.models import DailyMetric

    launch = make_launch(alice, make_kit())
    with scopes_disabled():
        for day, currency, clicks, leads, pipeline in (
            (date(2026, 11, 2), "", 7, 2, "0"),
            (date(2026, 11, 3), "", 5, 1, "0"),
            (date(2026, 11, 3), "USD", 0, 0, "5000.00"),
            (date(2026, 11, 4), "EUR", 0, 0, "1200.00"),
        ):
            DailyMetric.objects.create(
                partner=alice.partner,
                kit=launch.kit,
                launch=launch,
                day=day,
                currency=currency,
                clicks=clicks,
                leads=leads,
                pipeline=Decimal(pipeline),
            )
    page = as_alice.get(reverse("campaigns:launch_detail", kwargs={"code": launch.code}))
    assert page.context["results"]["clicks"] == 12
    assert page.context["results"]["leads"] == 3
    body = page.content.decode()
    assert "5,000.00 USD" in body
    assert "1,200.00 EUR" in body  # beside the dollars, never added to them
    listing = as_alice.get(reverse("campaigns:launch_list")).content.decode()
    assert "5,000.00 USD" in listing


def test_another_partners_launch_answers_404(as_alice, bob):
    theirs = make_launch(bob, make_kit())
    for name in ("launch_detail", "launch_status"):
        assert (
            as_alice.get(reverse(f"campaigns:{name}", kwargs={"code": theirs.code})).status_code
            == 404
        )
    response = as_alice.post(
        reverse("campaigns:launch_status", kwargs={"code": theirs.code}), {"status": "active"}
    )
    assert response.status_code == 404
    with scopes_disabled():
        assert Launch.objects.get(pk=theirs.pk).status == "planned"


def test_a_launch_moves_through_its_buttons_and_completing_asks_first(as_alice, alice):
    launch = make_launch(alice, make_kit())
    url = reverse("campaigns:launch_status", kwargs={"code": launch.code})
    detail = as_alice.get(reverse("campaigns:launch_detail", kwargs={"code": launch.code}))
    assert [value for value, _label in detail.context["moves"]] == ["active", "completed"]

    as_alice.post(url, {"status": "active"})
    as_alice.post(url, {"status": "paused"})
    confirm = as_alice.get(url, {"status": "completed"})
    assert "cannot be started again" in confirm.content.decode()
    with scopes_disabled():
        assert Launch.objects.get(pk=launch.pk).status == "paused"  # asking changes nothing
    as_alice.post(url, {"status": "completed"})
    refused = as_alice.post(url, {"status": "active"}, follow=True)
    assert "Not changed" in refused.content.decode()
    detail = as_alice.get(reverse("campaigns:launch_detail", kwargs={"code": launch.code}))
    history = [(c.old_status, c.new_status) for c in detail.context["history"]]
    assert history == [
        ("", "planned"),
        ("planned", "active"),
        ("active", "paused"),
        ("paused", "completed"),
    ]


def test_a_sales_rep_cannot_move_a_launch(client, alice):
    launch = make_launch(alice, make_kit())
    client.force_login(alice.sales)
    url = reverse("campaigns:launch_status", kwargs={"code": launch.code})
    assert client.post(url, {"status": "active"}).status_code == 403
