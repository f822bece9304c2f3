"""Ratings of shared content: a partner user rates a library asset or a campaign kit
1–5 with a comment, one rating per user and item (a second submit changes it), only
items its partner may see; another partner's ratings stay invisible; staff read them
on the item's admin page and on the lowest-rated content page; the API rates too."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from partners import selectors, services
from partners.models import ContentRating
from tests.assets.factories import make_asset
from tests.campaigns.factories import make_kit
from tests.conftest import key_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(alice, bob):
    return make_asset(title="Zero trust datasheet")


@pytest.fixture
def kit(alice, bob):
    return make_kit(name="Backup week", slug="backup-week")


def ratings_of(user):
    with scopes_disabled():
        return list(ContentRating.objects.filter(user=user).values_list("rating", "comment"))


def rate_url(item):
    if hasattr(item, "slug") and not hasattr(item, "versions"):
        return reverse("portal:rate_kit", kwargs={"slug": item.slug})
    return reverse("portal:rate_asset", kwargs={"uuid": item.uuid})


# --- the service -------------------------------------------------------------------------


def test_a_second_rating_of_the_same_item_changes_the_first(alice, asset):
    # given / when
    first, created = services.rating_save(
        actor=alice.marketer, partner=alice.partner, asset=asset, rating=2, comment="Too long"
    )
    again, created_again = services.rating_save(
        actor=alice.marketer, partner=alice.partner, asset=asset, rating=4, comment="Better now"
    )
    # then
    assert created and not created_again
    assert again.pk == first.pk
    assert ratings_of(alice.marketer) == [(4, "Better now")]
    assert again.user == alice.marketer and again.created_at <= again.updated_at


def test_each_user_rates_once_per_item_and_kits_apart_from_assets(alice, asset, kit):
    services.rating_save(actor=alice.admin, partner=alice.partner, asset=asset, rating=5)
    services.rating_save(actor=alice.marketer, partner=alice.partner, asset=asset, rating=3)
    services.rating_save(actor=alice.marketer, partner=alice.partner, kit=kit, rating=1)

    summary = selectors.rating_summary(partner=alice.partner, user=alice.marketer, asset=asset)
    assert (str(summary.average), summary.count, summary.own.rating) == ("4.0", 2, 3)
    kit_summary = selectors.rating_summary(partner=alice.partner, user=alice.admin, kit=kit)
    assert (kit_summary.count, kit_summary.own) == (1, None)


@pytest.mark.parametrize("value", [0, 6, "x", "", None, 2.5, True])
def test_a_rating_out_of_range_is_refused_naming_the_field(alice, asset, value):
    with pytest.raises(Exception) as caught:
        services.rating_save(actor=alice.admin, partner=alice.partner, asset=asset, rating=value)
    assert "rating" in caught.value.message_dict
    assert ratings_of(alice.admin) == []


def test_an_item_outside_the_partners_audience_cannot_be_rated(alice, bob):
    bobs = make_asset(title="Bob only", audience={"partners": [bob.partner]})
    with pytest.raises(Exception) as caught:
        services.rating_save(actor=alice.admin, partner=alice.partner, asset=bobs, rating=5)
    assert "asset" in caught.value.message_dict
    assert ratings_of(alice.admin) == []


# --- the portal --------------------------------------------------------------------------


def test_the_asset_page_shows_the_rating_card_and_a_rating_is_given_there(client, alice, asset):
    client.force_login(alice.marketer)
    page = client.get(reverse("library:detail", kwargs={"uuid": asset.uuid}))
    assert page.status_code == 200
    assert "No one at your company has rated it yet." in page.content.decode()

    response = client.post(rate_url(asset), {"rating": "2", "comment": "Needs a German version"})

    assert response.status_code == 302
    assert response["Location"].endswith(f"/portal/library/{asset.uuid}/#rating")
    page = client.get(response["Location"]).content.decode()
    assert "Thank you for your rating." in page
    assert "Your company rates it 2.0 out of 5 (1 rating)." in page
    assert "Change my rating" in page
    # Submitting again changes the one rating.
    client.post(rate_url(asset), {"rating": "4", "comment": ""})
    assert ratings_of(alice.marketer) == [(4, "")]


def test_the_kit_page_shows_the_rating_card_and_takes_a_rating(client, alice, kit):
    client.force_login(alice.sales)  # every partner role may rate
    page = client.get(reverse("campaigns:kit_detail", kwargs={"slug": kit.slug}))
    assert 'id="rating"' in page.content.decode()
    response = client.post(rate_url(kit), {"rating": "5"})
    assert response.status_code == 302
    assert ratings_of(alice.sales) == [(5, "")]


@pytest.mark.parametrize("value", ["0", "6", "x", ""])
def test_the_portal_refuses_a_bad_rating_at_the_field(client, alice, asset, value):
    client.force_login(alice.admin)
    response = client.post(rate_url(asset), {"rating": value, "comment": "kept?"})
    assert response.status_code == 400
    assert response.context["rating_form"].errors["rating"] == ["Choose a rating from 1 to 5."]
    assert 'id="id_rating_error"' in response.content.decode()
    assert ratings_of(alice.admin) == []


def test_a_comment_too_long_is_refused_at_the_field(client, alice, asset):
    client.force_login(alice.admin)
    response = client.post(rate_url(asset), {"rating": "3", "comment": "x" * 2001})
    assert response.status_code == 400
    assert "comment" in response.context["rating_form"].errors
    assert ratings_of(alice.admin) == []


def test_rating_an_item_outside_the_partners_audience_answers_404(client, alice, bob):
    bobs_asset = make_asset(title="Bob only", audience={"partners": [bob.partner]})
    bobs_kit = make_kit(name="Bob kit", slug="bob-kit", audience={"partners": [bob.partner]})
    draft = make_kit(name="Draft", slug="draft-kit", publish=False)
    client.force_login(alice.admin)
    for item in (bobs_asset, bobs_kit, draft):
        assert client.get(rate_url(item)).status_code == 404
        assert client.post(rate_url(item), {"rating": "5"}).status_code == 404
    assert ratings_of(alice.admin) == []


def test_another_partners_ratings_are_invisible(client, alice, bob, asset):
    services.rating_save(
        actor=bob.admin, partner=bob.partner, asset=asset, rating=1, comment="Bob hates it"
    )
    client.force_login(alice.admin)
    page = client.get(reverse("library:detail", kwargs={"uuid": asset.uuid})).content.decode()
    assert "No one at your company has rated it yet." in page
    assert "Bob hates it" not in page
    body = client.get(reverse("api:feedback-list")).json()
    assert body["count"] == 0


# --- staff --------------------------------------------------------------------------------


def test_staff_see_ratings_and_comments_on_the_items_admin_pages(
    client, alice, bob, staff_users, asset, kit
):
    services.rating_save(
        actor=alice.admin, partner=alice.partner, asset=asset, rating=2, comment="Outdated"
    )
    services.rating_save(actor=bob.admin, partner=bob.partner, kit=kit, rating=1, comment="Dull")
    client.force_login(staff_users["channel_manager"])

    asset_page = client.get(reverse("admin:assets_asset_change", args=[asset.pk]))
    kit_page = client.get(reverse("admin:campaigns_campaignkit_change", args=[kit.pk]))

    assert asset_page.status_code == 200 and kit_page.status_code == 200
    assert "Outdated" in asset_page.content.decode()
    assert "Alice Corp" in asset_page.content.decode()
    assert "Dull" in kit_page.content.decode()


def test_the_lowest_rated_page_lists_the_worst_first_with_comments_and_exports_csv(
    client, alice, bob, staff_users, asset, kit
):
    good = make_asset(title="Great deck")
    services.rating_save(actor=alice.admin, partner=alice.partner, asset=good, rating=5)
    services.rating_save(actor=alice.admin, partner=alice.partner, asset=asset, rating=2)
    services.rating_save(
        actor=bob.admin, partner=bob.partner, asset=asset, rating=1, comment="=HYPERLINK()"
    )
    services.rating_save(
        actor=alice.marketer, partner=alice.partner, kit=kit, rating=3, comment="OK"
    )
    client.force_login(staff_users["analyst"])
    url = reverse("admin:voice_lowest_rated")

    page = client.get(url)
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(str(r.item), str(r.average), r.count) for r in rows] == [
        ("Zero trust datasheet", "1.50", 2),
        ("Backup week", "3.00", 1),
        ("Great deck", "5.00", 1),
    ]
    assert [r.item.title for r in client.get(url, {"kind": "asset"}).context["rows"]] == [
        "Zero trust datasheet",
        "Great deck",
    ]
    assert [str(r.item) for r in client.get(url, {"kind": "kit"}).context["rows"]] == [
        "Backup week"
    ]

    exported = client.get(url, {"format": "csv"})
    table = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert table[0][:5] == ["kind", "item", "identifier", "average", "ratings"]
    assert table[1][:5] == ["asset", "Zero trust datasheet", str(asset.uuid), "1.50", "2"]
    # The comments follow the figures (a cell never starts with a partner's "=").
    assert table[1][6] == "1/5 Bob Corp: =HYPERLINK()"


def test_the_lowest_rated_page_is_for_staff_who_read_ratings(client, staff_users):
    client.force_login(staff_users["finance_approver"])
    assert client.get(reverse("admin:voice_lowest_rated")).status_code == 403
    client.force_login(staff_users["marketing_admin"])
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:voice_lowest_rated") in index
    assert reverse("admin:voice_nps") in index


# --- the API -------------------------------------------------------------------------------

FEEDBACK = "/api/v1/feedback/"


def test_the_api_rates_changes_and_lists_the_callers_own_ratings(alice, alice_key, asset, kit):
    api = key_client(alice_key)

    created = api.post(FEEDBACK, {"asset": str(asset.uuid), "rating": 2}, format="json")
    again = api.post(
        FEEDBACK, {"asset": str(asset.uuid), "rating": 3, "comment": "ok"}, format="json"
    )
    on_kit = api.post(FEEDBACK, {"kit": kit.slug, "rating": 5}, format="json")

    assert created.status_code == 201, created.json()
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
    assert again.json() | {"created_at": None, "updated_at": None} == {
        "id": created.json()["id"],
        "partner": "alice",
        "asset": str(asset.uuid),
        "kit": None,
        "rating": 3,
        "comment": "ok",
        "created_at": None,
        "updated_at": None,
    }
    assert on_kit.status_code == 201
    listed = api.get(FEEDBACK).json()
    assert listed["count"] == 2
    assert [r["kit"] for r in api.get(FEEDBACK, {"kind": "kit"}).json()["results"]] == [kit.slug]

    changed = api.patch(f"{FEEDBACK}{created.json()['id']}/", {"rating": 1}, format="json")
    assert changed.status_code == 200
    assert changed.json()["rating"] == 1 and changed.json()["comment"] == "ok"


@pytest.mark.parametrize("value", [0, 6, "x", None, 2.5])
def test_the_api_refuses_a_rating_out_of_range_naming_the_field(alice_key, asset, value):
    response = key_client(alice_key).post(
        FEEDBACK, {"asset": str(asset.uuid), "rating": value}, format="json"
    )
    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} == {"rating"}
    with scopes_disabled():
        assert not ContentRating.objects.exists()


def test_the_api_refuses_an_item_outside_the_audience_and_both_or_neither(
    alice_key, bob, asset, kit
):
    api = key_client(alice_key)
    bobs = make_asset(title="Bob only", audience={"partners": [bob.partner]})
    outside = api.post(FEEDBACK, {"asset": str(bobs.uuid), "rating": 4}, format="json")
    assert outside.status_code == 400
    assert outside.json()["errors"][0]["attr"] == "asset"
    both = api.post(
        FEEDBACK, {"asset": str(asset.uuid), "kit": kit.slug, "rating": 4}, format="json"
    )
    assert both.status_code == 400
    assert {e["attr"] for e in both.json()["errors"]} == {"asset", "kit"}
    neither = api.post(FEEDBACK, {"rating": 4}, format="json")
    assert neither.status_code == 400
    with scopes_disabled():
        assert not ContentRating.objects.exists()


def test_a_staff_key_must_name_the_partner(staff_key, alice, asset):
    api = key_client(staff_key)
    refused = api.post(FEEDBACK, {"asset": str(asset.uuid), "rating": 4}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0] == {
        "code": "required",
        "detail": "Staff act for a partner: name it (its slug or UUID).",
        "attr": "partner",
    }
    named = api.post(
        FEEDBACK, {"partner": "alice", "asset": str(asset.uuid), "rating": 4}, format="json"
    )
    assert named.status_code == 201
    assert named.json()["partner"] == "alice"


def test_another_users_rating_is_not_found_through_the_api(alice, alice_key, bob_key, asset):
    rating, _created = services.rating_save(
        actor=alice.admin, partner=alice.partner, asset=asset, rating=3
    )
    for raw in (alice_key, bob_key):  # a colleague's key, another partner's key
        api = key_client(raw)
        assert api.get(f"{FEEDBACK}{rating.uuid}/").status_code == 404
        assert (
            api.patch(f"{FEEDBACK}{rating.uuid}/", {"rating": 1}, format="json").status_code == 404
        )
    assert ratings_of(alice.admin) == [(3, "")]
