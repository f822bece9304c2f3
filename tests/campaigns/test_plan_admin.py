"""The staff side of joint marketing plans in the admin: planning periods, the review
queue, the plan's read-only page for each staff role with the buttons that role may
use, decisions through the services (approve, request changes with a note, close),
comments and custom actuals, revisions side by side, the desk's count, and a plan page
whose queries do not grow with its targets and activities."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from campaigns import services
from campaigns.models import Plan, PlanComment, PlanEvent, PlanPeriod, PlanRevision, PlanTarget
from tests.analytics.performance_data import metric, results
from tests.campaigns.plan_factories import (
    add_activity,
    add_target,
    make_period,
    make_plan,
    submitted_plan,
)
from tests.conftest import make_partner_world, make_user

pytestmark = pytest.mark.django_db
PS = Plan.Status
D = Decimal
ROLES = ["marketing_admin", "channel_manager", "finance_approver", "analyst"]


def fresh(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(plan: Plan) -> str:
    return reverse("admin:campaigns_plan_change", args=[plan.pk])


def decide_url(plan: Plan, decision: str) -> str:
    return reverse("admin:campaigns_plan_decide", args=[plan.pk, decision])


def events(plan: Plan) -> list[str]:
    with scopes_disabled():
        return list(
            PlanEvent.objects.filter(plan=plan).order_by("id").values_list("action", flat=True)
        )


@pytest.fixture
def period(db) -> PlanPeriod:
    # The first half of 2026: ended (the clock reads December 2026 or later in CI).
    return make_period(date(2026, 1, 1), name="2026 H1")


@pytest.fixture
def plan(alice, period) -> Plan:
    """alice's submitted plan: a KPI target with results, a custom one, an activity."""
    draft = make_plan(alice, period, title="Alice grows mid-market")
    add_target(draft, alice, values=["100", "100"], weight="2")
    add_target(
        draft,
        alice,
        measure=PlanTarget.Measure.CUSTOM,
        name="Certified engineers",
        values=["5", "5"],
    )
    add_activity(draft, alice, title="Cloud webinar series", budget="2500.00")
    metric(alice.partner, date(2026, 2, 10), leads=80)
    return services.plan_submit(plan=draft, actor=alice.admin)


# --- the plan's page per staff role ----------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_role_reads_the_plan_page(client, plan, staff_users, role):
    client.force_login(staff_users[role])
    page = client.get(change_url(plan))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "Alice grows mid-market",
        "Grow pipeline in the mid-market.",
        "Certified engineers",
        "Cloud webinar series",
        "Weighted attainment",
    ):
        assert text in html
    # Q1 leads: 80 of 100 from the results; nothing to save the partner's content with.
    assert "80.0 %" in html
    assert 'name="_save"' not in html
    for url in (
        reverse("admin:campaigns_plan_changelist") + "?queue=all",
        reverse("admin:campaigns_plan_compare", args=[plan.pk]),
        reverse("admin:campaigns_plan_pdf", args=[plan.pk]),
        reverse("admin:campaigns_plan_csv", args=[plan.pk]),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "role, reviews",
    [
        ("marketing_admin", True),
        ("channel_manager", True),
        ("finance_approver", False),
        ("analyst", False),
    ],
)
def test_only_a_reviewer_sees_the_decision_buttons_and_the_comment_form(
    client, plan, staff_users, role, reviews
):
    client.force_login(staff_users[role])
    html = client.get(change_url(plan)).content.decode()
    assert (decide_url(plan, "approve") in html) is reviews
    assert (decide_url(plan, "request_changes") in html) is reviews
    assert ('id="comment-form"' in html) is reviews
    assert ('name="actual"' in html) is reviews  # the custom target's entry
    # Closing waits for the plan to be approved or at least decided; not offered here
    # to anyone who cannot review it.
    if not reviews:
        assert decide_url(plan, "close") not in html


def test_another_partners_channel_manager_does_not_review(client, plan, tiers):
    other = make_user("olga_channel", staff=True, role="Channel manager")
    client.force_login(other)
    html = client.get(change_url(plan)).content.decode()
    assert decide_url(plan, "approve") not in html
    page = client.post(decide_url(plan, "approve"), {"note": ""})
    assert page.status_code == 200
    assert "awaits its reviewer" in page.content.decode()
    assert fresh(plan).status == PS.SUBMITTED


@pytest.mark.parametrize("role", ["analyst", "finance_approver"])
def test_a_read_only_role_posts_nothing(client, plan, staff_users, role):
    client.force_login(staff_users[role])
    assert client.post(decide_url(plan, "approve"), {"note": "ok"}).status_code == 403
    assert (
        client.post(
            reverse("admin:campaigns_plan_comment", args=[plan.pk]), {"body": "hi"}
        ).status_code
        == 403
    )
    assert fresh(plan).status == PS.SUBMITTED
    with scopes_disabled():
        assert not PlanComment.objects.exists()


def test_partners_do_not_get_into_the_plan_admin(client, plan, alice):
    client.force_login(alice.admin)
    page = client.get(change_url(plan))
    assert page.status_code == 302 and "/login/" in page["Location"]


# --- decisions ---------------------------------------------------------------------------


def test_the_channel_manager_approves_with_a_note(client, plan, staff_users):
    manager = staff_users["channel_manager"]
    client.force_login(manager)
    confirm = client.get(decide_url(plan, "approve"))
    assert confirm.status_code == 200
    assert "Approving freezes this revision" in confirm.content.decode()
    done = client.post(decide_url(plan, "approve"), {"note": "Good plan."})
    assert done.status_code == 302 and done["Location"] == change_url(plan)
    approved = fresh(plan)
    assert approved.status == PS.APPROVED and approved.approved_by == manager
    with scopes_disabled():
        revision = PlanRevision.objects.get(plan=plan)
    assert revision.decision == "approved" and revision.decided_by == manager
    assert revision.decision_note == "Good plan."
    assert events(plan)[-1] == "approved"
    html = client.get(change_url(plan)).content.decode()
    assert "Approved" in html and "Good plan." in html
    assert decide_url(plan, "approve") not in html  # decided: no more buttons


def test_requesting_changes_needs_a_note(client, plan, staff_users):
    client.force_login(staff_users["marketing_admin"])
    refused = client.post(decide_url(plan, "request_changes"), {"note": "  "})
    assert refused.status_code == 200
    form = refused.context["form"]
    assert "note" in form.errors
    assert fresh(plan).status == PS.SUBMITTED
    done = client.post(decide_url(plan, "request_changes"), {"note": "Add a revenue target."})
    assert done.status_code == 302
    assert fresh(plan).status == PS.CHANGES_REQUESTED
    with scopes_disabled():
        assert PlanRevision.objects.get(plan=plan).decision_note == "Add a revenue target."


def test_a_plan_not_awaiting_review_cannot_be_decided(client, plan, staff_users):
    client.force_login(staff_users["marketing_admin"])
    client.post(decide_url(plan, "approve"), {"note": ""})
    again = client.post(decide_url(plan, "request_changes"), {"note": "Too late"})
    assert again.status_code == 200
    assert "not awaiting review" in again.content.decode()
    assert fresh(plan).status == PS.APPROVED


def test_closing_after_the_period_freezes_the_scorecard(client, plan, staff_users):
    client.force_login(staff_users["channel_manager"])
    client.post(decide_url(plan, "approve"), {"note": ""})
    html = client.get(change_url(plan)).content.decode()
    assert decide_url(plan, "close") in html
    confirm = client.get(decide_url(plan, "close"))
    assert "Closing freezes the scorecard" in confirm.content.decode()
    assert client.post(decide_url(plan, "close"), {}).status_code == 302
    closed = fresh(plan)
    assert closed.status == PS.CLOSED and closed.scorecard is not None
    html = client.get(change_url(plan)).content.decode()
    assert "Frozen when the plan closed." in html
    assert 'id="comment-form"' not in html


def test_a_plan_of_a_running_period_is_not_closed_yet(client, alice, staff_users):
    running = make_period(date(2026, 10, 1), kind=PlanPeriod.Kind.QUARTER, name="2026 Q4")
    plan = submitted_plan(alice, running)
    client.force_login(staff_users["marketing_admin"])
    client.post(decide_url(plan, "approve"), {"note": ""})
    assert decide_url(plan, "close") not in client.get(change_url(plan)).content.decode()
    page = client.post(decide_url(plan, "close"), {})
    assert page.status_code == 200 and "after its period ends" in page.content.decode()
    assert fresh(plan).status == PS.APPROVED


# --- comments and custom actuals -------------------------------------------------------


def test_staff_comment_on_the_plan_and_on_an_activity(client, plan, staff_users):
    client.force_login(staff_users["channel_manager"])
    url = reverse("admin:campaigns_plan_comment", args=[plan.pk])
    with scopes_disabled():
        activity = plan.activities.get()
    assert client.post(url, {"body": "Looks good overall."}).status_code == 302
    assert (
        client.post(url, {"body": "Which audience?", "activity": str(activity.uuid)}).status_code
        == 302
    )
    with scopes_disabled():
        comments = list(PlanComment.objects.filter(plan=plan).order_by("id"))
    assert [c.body for c in comments] == ["Looks good overall.", "Which audience?"]
    assert comments[0].activity is None and comments[1].activity == activity
    assert comments[0].author == staff_users["channel_manager"]
    html = client.get(change_url(plan)).content.decode()
    assert "Looks good overall." in html and "Which audience?" in html

    empty = client.post(url, {"body": ""})
    assert empty.status_code == 200 and "body" in empty.context["form"].errors


def test_staff_enter_a_custom_actual_with_who_and_when(client, plan, staff_users):
    manager = staff_users["channel_manager"]
    client.force_login(manager)
    with scopes_disabled():
        target = PlanTarget.objects.get(plan=plan, measure="custom")
    url = reverse("admin:campaigns_plan_actual", args=[plan.pk])
    assert client.post(url, {"target": target.pk, "quarter": 1, "actual": "4"}).status_code == 302
    with scopes_disabled():
        quarter = target.quarters.get(quarter=1)
    assert quarter.actual == D("4") and quarter.actual_entered_by == manager
    assert quarter.actual_entered_at is not None
    bad = client.post(url, {"target": target.pk, "quarter": 1, "actual": "-3"})
    assert bad.status_code == 200 and "actual" in bad.context["form"].errors
    with scopes_disabled():
        assert target.quarters.get(quarter=1).actual == D("4")


# --- revisions side by side --------------------------------------------------------------


def test_two_revisions_side_by_side(client, plan, alice, staff_users):
    client.force_login(staff_users["marketing_admin"])
    client.post(decide_url(plan, "approve"), {"note": ""})
    services.plan_update(plan=fresh(plan), actor=alice.marketer, title="Alice grows faster")
    services.plan_submit(plan=fresh(plan), actor=alice.admin)
    html = client.get(change_url(plan)).content.decode()
    compare = reverse("admin:campaigns_plan_compare", args=[plan.pk])
    assert f"{compare}?older=1&amp;newer=2" in html
    page = client.get(compare, {"older": 1, "newer": 2})
    text = page.content.decode()
    assert page.status_code == 200
    changed = re.findall(r'<tr class="plan-changed">(.*?)</tr>', text, re.S)
    assert len(changed) == 1
    assert "Alice grows mid-market" in changed[0] and "Alice grows faster" in changed[0]
    assert "maya_marketing" in text or "Maya" in text  # who approved revision 1


# --- the queue and the desk --------------------------------------------------------------


def listed(client, **params) -> list[str]:
    page = client.get(reverse("admin:campaigns_plan_changelist"), params)
    assert page.status_code == 200
    return [str(plan) for plan in page.context["cl"].result_list]


def test_the_queue_shows_what_awaits_my_review(client, plan, bob, period, staff_users):
    make_plan(bob, period, title="Bob draft")
    client.force_login(staff_users["channel_manager"])
    assert listed(client) == ["Alice grows mid-market"]
    assert sorted(listed(client, queue="all")) == ["Alice grows mid-market", "Bob draft"]
    assert listed(client, queue="all", q="Bob") == ["Bob draft"]
    assert listed(client, queue="all", status__exact="draft") == ["Bob draft"]
    manager = staff_users["channel_manager"]
    assert listed(client, queue="all", manager=manager.pk) == ["Alice grows mid-market"]
    client.force_login(staff_users["analyst"])
    assert len(listed(client)) == 2  # an analyst reviews nothing: all by default


def listed_attainment(html: str, plan: Plan) -> str:
    """The weighted attainment the list shows in the plan's row."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        if f'href="{change_url(plan)}' in row:
            found = re.search(r'class="field-attainment">(.*?)</td>', row, re.S)
            assert found is not None
            return found.group(1).strip()
    raise AssertionError(f"{plan} is not listed")


def shown_attainment(html: str) -> str:
    """The weighted attainment the plan's page shows."""
    found = re.search(r'id="weighted-total">(.*?)</td>', html, re.S)
    assert found is not None
    return found.group(1).strip()


def test_the_list_and_queue_run_as_many_queries_for_six_plans_as_for_two(
    client, alice, bob, tiers, staff_users
):
    # given: partners with results in plans of different periods, each scored on leads,
    # revenue and MDF utilisation (and a custom target), submitted for review
    kind = PlanPeriod.Kind
    starts = [
        (date(2026, 1, 1), kind.HALF),
        (date(2025, 1, 1), kind.YEAR),
        (date(2026, 7, 1), kind.QUARTER),
        (date(2025, 7, 1), kind.HALF),
        (date(2026, 1, 1), kind.QUARTER),
        (date(2025, 10, 1), kind.QUARTER),
    ]
    manager = staff_users["channel_manager"]
    worlds = [alice, bob] + [
        make_partner_world(slug, tiers["gold"], manager=manager)
        for slug in ("carol", "dave", "erin", "frank")
    ]

    def plan_for(number: int) -> Plan:
        world, (start, period_kind) = worlds[number], starts[number]
        period = make_period(start, period_kind)
        quarters = period.quarter_count
        results(world.partner, start.replace(day=10), leads=5 + 7 * number, won=1, revenue="3000")
        draft = make_plan(world, period, title=f"Plan {number}")
        add_target(draft, world, values=[str(10 + number)] * quarters, weight="2")
        add_target(draft, world, measure="revenue", currency="EUR", values=[str(2500)] * quarters)
        add_target(draft, world, measure="mdf_utilisation", values=["40"] * quarters)
        add_target(draft, world, measure="custom", name="Events held", values=["2"] * quarters)
        return services.plan_submit(plan=draft, actor=world.admin)

    def the_list(**params) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("admin:campaigns_plan_changelist"), params)
        assert page.status_code == 200
        return len(queries), page.content.decode()

    client.force_login(staff_users["marketing_admin"])
    plans = [plan_for(number) for number in range(2)]
    the_list()  # warm the session and caches
    two_queued, _html = the_list()
    two_listed, _html = the_list(queue="all")

    # when: four more plans
    plans += [plan_for(number) for number in range(2, 6)]
    six_queued, queue = the_list()
    six_listed, html = the_list(queue="all")

    # then: as many queries, and each plan's figure is the one its own page shows
    assert (six_queued, six_listed) == (two_queued, two_listed)
    shown = {}
    for plan in plans:
        shown[plan.title] = listed_attainment(html, plan)
        assert listed_attainment(queue, plan) == shown[plan.title]
        assert shown[plan.title] == shown_attainment(client.get(change_url(plan)).content.decode())
    assert "—" not in shown.values()
    assert len(set(shown.values())) > 1


def test_the_desk_counts_plans_awaiting_my_review(client, plan, staff_users):
    client.force_login(staff_users["channel_manager"])
    desk = client.get(reverse("admin:index")).context["desk"]
    card = next(card for card in desk["queues"] if card.title == "Plans awaiting review")
    assert card.count == 1 and card.url.endswith("?queue=mine")
    client.force_login(staff_users["analyst"])
    desk = client.get(reverse("admin:index")).context["desk"]
    assert all(card.title != "Plans awaiting review" for card in desk["queues"])


# --- planning periods --------------------------------------------------------------------


def test_a_marketing_admin_opens_a_period_starting_on_a_quarter(client, staff_users):
    client.force_login(staff_users["marketing_admin"])
    url = reverse("admin:campaigns_planperiod_add")
    bad = client.post(url, {"kind": "half", "start": "2027-02-01", "name": "", "is_open": "on"})
    assert bad.status_code == 200
    assert "start" in bad.context["adminform"].form.errors
    good = client.post(url, {"kind": "half", "start": "2027-07-01", "name": "", "is_open": "on"})
    assert good.status_code == 302
    period = PlanPeriod.objects.get()
    assert (period.end, period.name) == (date(2027, 12, 31), "2027 H2")
    year = client.post(url, {"kind": "year", "start": "2027-04-01", "name": "", "is_open": "on"})
    assert year.status_code == 302
    assert PlanPeriod.objects.get(kind="year").end == date(2028, 3, 31)
    again = client.post(url, {"kind": "half", "start": "2027-07-01", "name": "x"})
    assert again.status_code == 200  # one period of a kind per start


def test_a_periods_quarters_are_fixed_once_it_has_plans(client, plan, period, staff_users):
    client.force_login(staff_users["marketing_admin"])
    page = client.get(reverse("admin:campaigns_planperiod_change", args=[period.pk]))
    form = page.context["adminform"].form
    assert "kind" not in form.fields and "start" not in form.fields
    client.force_login(staff_users["channel_manager"])
    assert client.get(reverse("admin:campaigns_planperiod_add")).status_code == 403


# --- queries -----------------------------------------------------------------------------


def page_queries(client, plan) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(change_url(plan)).status_code == 200
    return len(queries)


def test_the_plan_page_queries_do_not_grow_with_targets_and_activities(
    client, alice, bob, period, staff_users
):
    measures = ["leads", "mqls", "clicks", "downloads", "opportunities", "won"]

    def build(world, size):
        draft = make_plan(world, period)
        for n in range(size):
            add_target(draft, world, measure=measures[n], values=[str(10 + n), "10"])
            add_target(
                draft,
                world,
                measure=PlanTarget.Measure.CUSTOM,
                name=f"Custom {n}",
                values=["1", "1"],
            )
            add_activity(draft, world, title=f"Activity {n}")
        submitted = services.plan_submit(plan=draft, actor=world.admin)
        services.comment_add(plan=submitted, actor=world.marketer, body=f"{size} things")
        return submitted

    small, large = build(alice, 1), build(bob, 6)
    client.force_login(staff_users["marketing_admin"])
    page_queries(client, small)  # warm caches (content types, sessions)
    assert page_queries(client, large) == page_queries(client, small)
