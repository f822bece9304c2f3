"""Business reviews as partners and staff see them: the portal pages (reviews, a held
review's frozen scorecard, my action items and marking them done), another partner's
review not found, the plan page's include, the read-only API, and the admin (schedule,
hold, a closed plan's review refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from campaigns import services
from campaigns.models import ActionItem, BusinessReview
from tests.campaigns.review_factories import close, current_plan, schedule, soon
from tests.conftest import key_client

pytestmark = pytest.mark.django_db

AS = ActionItem.Status


@pytest.fixture
def carl(staff_users):
    return staff_users["channel_manager"]


@pytest.fixture
def reviews(alice, bob, carl, staff_users):
    """Alice's plan with a held review (two items, one overdue) and an upcoming one; bob's
    plan with a held review of its own."""
    plan = current_plan(alice)
    held = schedule(plan, carl, title="Q1 review", when=soon(1), attendees=[carl, alice.admin])
    today = timezone.localdate()
    overdue = services.action_item_add(
        review=held,
        actor=carl,
        title="Send the customer list",
        owner_side="partner",
        due_date=today - timedelta(days=1),
        owner=alice.marketer,
    )
    vendor = services.action_item_add(
        review=held,
        actor=carl,
        title="Share the webinar deck",
        owner_side="vendor",
        due_date=today + timedelta(days=3),
        owner=carl,
    )
    held = services.review_hold(review=held, actor=carl, notes="Leads behind plan.")
    upcoming = schedule(plan, carl, title="Q2 review", when=soon(40))
    bob_plan = current_plan(bob, custom=False)
    bobs = schedule(bob_plan, staff_users["marketing_admin"], title="Bob's secret review")
    bobs = services.review_hold(review=bobs, actor=staff_users["marketing_admin"], notes="Bob")
    bob_item = services.action_item_add(
        review=bobs,
        actor=staff_users["marketing_admin"],
        title="Bob's task",
        owner_side="partner",
        due_date=today,
    )
    return {
        "plan": plan,
        "held": held,
        "upcoming": upcoming,
        "overdue": overdue,
        "vendor": vendor,
        "bobs": bobs,
        "bob_item": bob_item,
    }


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fresh(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


# --- portal --------------------------------------------------------------------------------


def test_the_partner_sees_its_upcoming_and_held_reviews(alice, reviews):
    html = login(alice.sales).get(reverse("plans:reviews")).content.decode()
    assert "Q1 review" in html and "Q2 review" in html
    assert "Bob&#x27;s secret review" not in html and "Bob's secret review" not in html
    assert "1 open action item" not in html  # two are open
    assert "2 open action items" in html and "1 overdue" in html


def test_a_held_review_shows_its_notes_and_the_scorecard_as_it_was(alice, reviews, alice_key):
    url = reverse("plans:review_detail", kwargs={"uuid": reviews["held"].uuid})
    response = login(alice.marketer).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Leads behind plan." in html
    assert "Targets against actuals, as discussed" in html
    assert "Certified engineers" in html  # the custom target's row, 1 of 4 then
    assert "25.0 %" in html
    assert "Overdue" in html  # the overdue item's badge
    # the partner marks its own side's item; the vendor's has no button
    assert html.count('aria-label="Mark done: ') == 1


def test_another_partners_review_and_item_are_not_found(alice, bob, reviews):
    client = login(alice.admin)
    url = reverse("plans:review_detail", kwargs={"uuid": reviews["bobs"].uuid})
    assert client.get(url).status_code == 404
    status_url = reverse("plans:action_item_status", kwargs={"uuid": reviews["bob_item"].uuid})
    assert client.post(status_url, {"status": "done"}).status_code == 404
    assert fresh(reviews["bob_item"]).status == AS.OPEN
    assert client.get("/portal/plans/reviews/not-a-uuid/").status_code == 404


def test_my_action_items_lists_them_across_plans_with_badges(alice, reviews):
    html = login(alice.sales).get(reverse("plans:action_items")).content.decode()
    assert "Send the customer list" in html and "Share the webinar deck" in html
    assert "Bob&#x27;s task" not in html
    assert "Overdue" in html and "Due soon" in html
    assert html.index("Send the customer list") < html.index("Share the webinar deck")


def test_a_partner_user_marks_its_sides_item_done_and_the_list_moves_on(alice, reviews):
    client = login(alice.sales)
    item = reviews["overdue"]
    url = reverse("plans:action_item_status", kwargs={"uuid": item.uuid})
    response = client.post(url, {"status": "done", "next": reverse("plans:action_items")})
    assert response.status_code == 302 and response.url == reverse("plans:action_items")
    item = fresh(item)
    assert (item.status, item.completed_by) == (AS.DONE, alice.sales)
    still_open = client.get(reverse("plans:action_items")).content.decode()
    assert f'id="item-{item.uuid}"' not in still_open
    done = client.get(reverse("plans:action_items") + "?status=done").content.decode()
    assert "Send the customer list" in done and "Reopen" in done


def test_the_vendors_item_is_not_marked_by_the_partner(alice, reviews):
    client = login(alice.admin)
    item = reviews["vendor"]
    url = reverse("plans:action_item_status", kwargs={"uuid": item.uuid})
    response = client.post(url, {"status": "done"}, follow=True)
    assert "Only the vendor marks a vendor-side action item." in response.content.decode()
    assert fresh(item).status == AS.OPEN


def test_an_offsite_next_is_not_followed(alice, reviews):
    url = reverse("plans:action_item_status", kwargs={"uuid": reviews["overdue"].uuid})
    response = login(alice.admin).post(url, {"status": "done", "next": "https://evil.example/"})
    assert response.url == reverse("plans:review_detail", kwargs={"uuid": reviews["held"].uuid})


def test_the_plan_page_include_lists_the_plans_reviews(
    alice, reviews, django_assert_max_num_queries
):
    with scope(partner=alice.partner), django_assert_max_num_queries(2):
        html = render_to_string("campaigns/plans/_reviews.html", {"plan": reviews["plan"]})
    assert "Q1 review" in html and "Q2 review" in html
    assert "2 open action items" in html and "1 overdue" in html


# --- API ---------------------------------------------------------------------------------------


def test_the_api_lists_own_reviews_with_action_items_and_snapshot(alice_key, reviews):
    client = key_client(alice_key)
    body = client.get("/api/v1/reviews/").json()
    results = body["results"] if isinstance(body, dict) else body
    assert {r["title"] for r in results} == {"Q1 review", "Q2 review"}
    held = client.get(f"/api/v1/reviews/{reviews['held'].uuid}/").json()
    assert held["status"] == "held" and held["notes"] == "Leads behind plan."
    assert held["snapshot"] == fresh(reviews["held"]).snapshot
    assert [(i["title"], i["overdue"]) for i in held["action_items"]] == [
        ("Send the customer list", True),
        ("Share the webinar deck", False),
    ]
    assert {"name": "Carl", "side": "vendor"} in held["attendees"]
    assert client.get(f"/api/v1/reviews/{reviews['bobs'].uuid}/").status_code == 404
    upcoming = client.get("/api/v1/reviews/?status=scheduled").json()
    upcoming = upcoming["results"] if isinstance(upcoming, dict) else upcoming
    assert [r["title"] for r in upcoming] == ["Q2 review"]


def test_the_api_is_read_only(alice_key, reviews):
    url = f"/api/v1/reviews/{reviews['held'].uuid}/"
    assert key_client(alice_key).patch(url, {"notes": "x"}, format="json").status_code == 405
    assert key_client(alice_key).post("/api/v1/reviews/", {}, format="json").status_code == 405


def test_staff_keys_read_every_partners_reviews(staff_key, reviews):
    body = key_client(staff_key).get("/api/v1/reviews/").json()
    results = body["results"] if isinstance(body, dict) else body
    assert "Bob's secret review" in {r["title"] for r in results}


# --- admin ---------------------------------------------------------------------------------------


def test_the_channel_manager_schedules_in_the_admin(alice, carl):
    plan = current_plan(alice, custom=False)
    when = soon(5)
    response = login(carl).post(
        reverse("admin:campaigns_businessreview_add"),
        {
            "plan": plan.pk,
            "title": "Admin-made review",
            "scheduled_at_0": when.strftime("%Y-%m-%d"),
            "scheduled_at_1": when.strftime("%H:%M:%S"),
            "attendees": [carl.pk, alice.admin.pk],
            "other_attendees": "",
            "action_items-TOTAL_FORMS": "0",
            "action_items-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with scopes_disabled():
        review = BusinessReview.objects.get(title="Admin-made review")
        assert set(review.attendees.all()) == {carl, alice.admin}


def test_the_hold_page_freezes_the_scorecard(alice, carl):
    plan = current_plan(alice)
    review = schedule(plan, carl)
    client = login(carl)
    url = reverse("admin:campaigns_businessreview_hold", args=[review.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"notes": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = client.post(url, {"notes": "We agreed on two webinars."})
    assert response.status_code == 302
    review = fresh(review)
    assert review.status == "held" and review.snapshot["rows"]
    change = client.get(reverse("admin:campaigns_businessreview_change", args=[review.pk]))
    assert "Certified engineers" in change.content.decode()


def test_a_closed_plans_review_is_refused_in_the_admin(alice, carl):
    plan = current_plan(alice, custom=False)
    review = schedule(plan, carl)
    close(plan)
    client = login(carl)
    url = reverse("admin:campaigns_businessreview_hold", args=[review.pk])
    response = client.post(url, {"notes": "Late notes"})
    assert "This plan is closed" in response.content.decode()
    response = client.post(reverse("admin:campaigns_businessreview_cancel", args=[review.pk]))
    assert "This plan is closed" in response.content.decode()
    assert fresh(review).status == "scheduled"


def test_an_analyst_reads_reviews_but_cannot_hold_them(alice, carl, staff_users):
    review = schedule(current_plan(alice, custom=False), carl)
    client = login(staff_users["analyst"])
    assert client.get(reverse("admin:campaigns_businessreview_changelist")).status_code == 200
    url = reverse("admin:campaigns_businessreview_hold", args=[review.pk])
    assert client.post(url, {"notes": "x"}).status_code == 403
    assert fresh(review).status == "scheduled"
