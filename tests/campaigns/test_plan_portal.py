"""The partner's side of joint marketing plans in the portal: the list and starting a
plan, a plan's page (targets against actuals, activities, budget, comments, history,
revisions), adding and changing targets and activities with errors at their fields and
nothing half-saved, submitting, reading and comparing revisions; sales reps read only,
another partner's plan is not found, staff get the portal's staff notice."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from campaigns import services
from campaigns.models import Plan, PlanActivity, PlanPeriod, PlanTarget
from mdf.models import ActivityType
from tests.analytics.performance_data import funded_spend, results
from tests.campaigns.factories import make_kit, make_launch
from tests.campaigns.plan_factories import make_period

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
YEAR = TODAY.year


@pytest.fixture
def period(db) -> PlanPeriod:
    return PlanPeriod.objects.create(
        kind=PlanPeriod.Kind.YEAR,
        start=date(YEAR, 1, 1),
        end=date(YEAR, 12, 31),
        name=f"FY {YEAR}",
    )


@pytest.fixture
def webinar(db) -> ActivityType:
    return ActivityType.objects.create(slug="webinar", name="Webinar")


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice.marketer)
    return client


def make_plan(world, period, **fields) -> Plan:
    fields.setdefault("title", "Growth plan")
    fields.setdefault("objectives", "Win mid-market security deals.")
    return services.plan_create(
        partner=world.partner, period=period, actor=world.marketer, **fields
    )


def add_target(plan, world, **fields) -> PlanTarget:
    fields.setdefault("measure", PlanTarget.Measure.LEADS)
    fields.setdefault("values", [Decimal(10)] * plan.period.quarter_count)
    fields.setdefault("weight", Decimal(1))
    return services.target_add(plan=plan, actor=world.marketer, **fields)


def add_activity(plan, world, activity_type, **fields) -> PlanActivity:
    fields.setdefault("title", "Spring webinar")
    fields.setdefault("owner_side", PlanActivity.OwnerSide.PARTNER)
    fields.setdefault("start_date", TODAY)
    fields.setdefault("end_date", TODAY)
    fields.setdefault("budget", Decimal("1500.00"))
    fields.setdefault("currency", "USD")
    return services.activity_add(
        plan=plan, actor=world.marketer, activity_type=activity_type, **fields
    )


def detail_url(plan: Plan) -> str:
    return reverse("plans:detail", kwargs={"uuid": plan.uuid})


def page_text(response) -> str:
    return response.content.decode()


# --- the list and starting a plan ------------------------------------------------------


def test_the_list_says_there_is_no_plan_and_offers_the_open_period(as_alice, period):
    response = as_alice.get(reverse("plans:list"))

    assert response.status_code == 200
    text = page_text(response)
    assert "No plans yet" in text
    assert f"FY {YEAR}" in text
    assert f"{reverse('plans:create')}?period={period.pk}" in text


def test_the_list_shows_the_plan_with_its_status_and_revision(as_alice, alice, period):
    plan = make_plan(alice, period, title="FY growth plan")

    response = as_alice.get(reverse("plans:list"))

    text = page_text(response)
    assert "FY growth plan" in text
    assert "Draft" in text
    assert response.context["plans"] == [plan]
    assert response.context["periods_to_plan"] == []  # the open period has its plan


def listed_attainment(html: str, plan: Plan) -> str:
    """The weighted attainment the list shows in the plan's row."""
    row = re.search(
        rf'href="{re.escape(detail_url(plan))}".*?<td class="num pe-4">(.*?)</td>', html, re.S
    )
    assert row is not None, plan.title
    return row.group(1).strip()


def shown_attainment(html: str) -> str:
    """The weighted attainment a plan's page shows."""
    found = re.search(r"data-weighted-total>(.*?)</div>", html, re.S)
    assert found is not None
    return found.group(1).strip()


def test_the_list_runs_as_many_queries_for_six_plans_as_for_two_with_their_pages_figures(
    as_alice, alice, staff_users
):
    # given: alice's results over two years, MDF spent today, and plans for periods of
    # each kind, each scored on leads, revenue and MDF utilisation (and a custom target)
    funded_spend(alice, staff_users, amount="25000.00")
    for day, leads, revenue in (
        (date(YEAR - 1, 2, 10), 30, "9000.00"),
        (date(YEAR - 1, 8, 3), 12, "0"),
        (date(YEAR - 1, 11, 5), 7, "2500.00"),
        (date(YEAR, 1, 20), 8, "4000.00"),
        (TODAY, 5, "1500.00"),
    ):
        results(alice.partner, day, leads=leads, won=1, revenue=revenue)
    kind = PlanPeriod.Kind
    periods = [
        make_period(date(YEAR - 1, 1, 1), kind.YEAR),
        make_period(date(YEAR, 1, 1), kind.HALF),
        make_period(date(YEAR - 1, 7, 1), kind.HALF),
        make_period(date(YEAR, 1, 1), kind.QUARTER),
        make_period(date(YEAR - 1, 10, 1), kind.QUARTER),
        make_period(date(YEAR, 1, 1), kind.YEAR),
    ]

    def plan_for(number: int, period: PlanPeriod) -> Plan:
        plan = make_plan(alice, period, title=f"Plan {number}")
        quarters = period.quarter_count
        add_target(plan, alice, values=[Decimal(6 + 4 * number)] * quarters, weight=Decimal(2))
        add_target(
            plan,
            alice,
            measure=PlanTarget.Measure.REVENUE,
            currency="EUR",
            values=[Decimal(2000 + 500 * number)] * quarters,
        )
        add_target(
            plan, alice, measure=PlanTarget.Measure.MDF_UTILISATION, values=[Decimal(40)] * quarters
        )
        add_target(
            plan,
            alice,
            measure=PlanTarget.Measure.CUSTOM,
            name="Events held",
            values=[Decimal(2)] * quarters,
        )
        return plan

    def the_list() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = as_alice.get(reverse("plans:list"))
        assert response.status_code == 200
        return len(queries), page_text(response)

    plans = [plan_for(number, period) for number, period in enumerate(periods[:2])]
    as_alice.get(reverse("plans:list"))  # warm the session and caches
    two, _html = the_list()

    # when: four more plans
    plans += [plan_for(number, period) for number, period in enumerate(periods[2:], start=2)]
    six, html = the_list()

    # then: as many queries, and each plan's figure is the one its own page shows
    assert six == two
    shown = {}
    for plan in plans:
        shown[plan.title] = listed_attainment(html, plan)
        assert shown[plan.title] == shown_attainment(page_text(as_alice.get(detail_url(plan))))
    assert shown["Plan 0"] != "—"  # a period ended: every quarter scored
    assert len(set(shown.values())) > 1


def test_a_sales_rep_reads_plans_but_is_offered_no_action(client, alice, period):
    plan = make_plan(alice, period)
    client.force_login(alice.sales)

    listing = page_text(client.get(reverse("plans:list")))
    page = client.get(detail_url(plan))

    assert "Start a plan" not in listing
    assert page.status_code == 200
    assert reverse("plans:edit", kwargs={"uuid": plan.uuid}) not in page_text(page)
    assert reverse("plans:target_add", kwargs={"uuid": plan.uuid}) not in page_text(page)
    assert client.get(reverse("plans:create")).status_code == 403
    response = client.post(reverse("plans:edit", kwargs={"uuid": plan.uuid}), {"title": "X"})
    assert response.status_code == 403


def test_starting_a_plan_opens_its_page(as_alice, alice, period):
    response = as_alice.post(
        reverse("plans:create"),
        {"period": period.pk, "title": "FY growth plan", "objectives": "More pipeline."},
    )

    with scopes_disabled():
        plan = Plan.objects.get(partner=alice.partner)
    assert response.status_code == 302
    assert response.url == detail_url(plan)
    page = page_text(as_alice.get(response.url))
    assert "FY growth plan" in page
    assert "More pipeline." in page
    assert "Draft: not sent yet" in page


def test_a_second_plan_for_the_period_is_refused_at_the_period(as_alice, alice, period):
    make_plan(alice, period)

    response = as_alice.post(
        reverse("plans:create"), {"period": period.pk, "title": "Another plan"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["period"]
    with scopes_disabled():
        assert Plan.objects.filter(partner=alice.partner).count() == 1


def test_a_plan_needs_a_title_and_an_open_period(as_alice, alice, period):
    closed = PlanPeriod.objects.create(
        kind=PlanPeriod.Kind.QUARTER,
        start=date(YEAR - 1, 1, 1),
        end=date(YEAR - 1, 3, 31),
        name="Old quarter",
        is_open=False,
    )

    response = as_alice.post(reverse("plans:create"), {"period": closed.pk, "title": ""})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"period", "title"}
    with scopes_disabled():
        assert not Plan.objects.exists()


# --- a plan's page ------------------------------------------------------------------------


def test_the_page_shows_targets_activities_budget_and_history(as_alice, alice, period, webinar):
    plan = make_plan(alice, period)
    add_target(plan, alice, values=[Decimal(10), Decimal(20), Decimal(30), Decimal(40)])
    add_target(
        plan,
        alice,
        measure=PlanTarget.Measure.PIPELINE,
        values=[Decimal("50000")] * 4,
        currency="EUR",
        weight=Decimal(2),
    )
    add_activity(plan, alice, webinar, title="Zero trust webinar", budget=Decimal("2500.00"))

    response = as_alice.get(detail_url(plan))

    assert response.status_code == 200
    text = page_text(response)
    assert "Leads" in text and "Pipeline" in text
    assert "/ 40" in text  # Q4's leads target
    assert "/ 200,000.00 EUR" in text  # the period's pipeline target, in its currency
    assert "Zero trust webinar" in text
    assert "2,500.00 USD" in text  # the activity's budget, and the budget table
    assert "Created" in text  # the history


def test_the_page_runs_as_many_queries_with_many_targets_and_activities(
    as_alice, alice, period, webinar
):
    plan = make_plan(alice, period)
    add_target(plan, alice)
    add_activity(plan, alice, webinar)
    services.comment_add(plan=plan, actor=alice.marketer, body="First")
    as_alice.get(detail_url(plan))  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        as_alice.get(detail_url(plan))

    for number in range(4):
        add_target(plan, alice, measure=PlanTarget.Measure.CUSTOM, name=f"Custom {number}")
        activity = add_activity(plan, alice, webinar, title=f"Activity {number}")
        services.comment_add(plan=plan, actor=alice.marketer, body="More", activity=activity)
    with CaptureQueriesContext(connection) as many:
        response = as_alice.get(detail_url(plan))

    assert "Activity 3" in page_text(response)
    assert len(many) == len(few)


def test_another_partners_plan_is_not_found(as_alice, bob, period):
    plan = make_plan(bob, period)

    for url in (
        detail_url(plan),
        reverse("plans:edit", kwargs={"uuid": plan.uuid}),
        reverse("plans:compare", kwargs={"uuid": plan.uuid}),
    ):
        assert as_alice.get(url).status_code == 404
    assert as_alice.post(reverse("plans:submit", kwargs={"uuid": plan.uuid})).status_code == 404


def test_staff_get_the_portals_staff_notice(client, staff_users, alice, period):
    plan = make_plan(alice, period)
    client.force_login(staff_users["channel_manager"])

    response = client.get(detail_url(plan))

    assert response.status_code == 200
    assert "portal/staff_notice.html" in [t.name for t in response.templates]


# --- targets -------------------------------------------------------------------------------


def test_a_target_is_added_with_a_value_per_quarter(as_alice, alice, period):
    plan = make_plan(alice, period)
    url = reverse("plans:target_add", kwargs={"uuid": plan.uuid})

    form_page = as_alice.get(url)
    response = as_alice.post(
        url,
        {
            "measure": "revenue",
            "currency": "usd",
            "weight": "2",
            "value_1": "1000",
            "value_2": "2000",
            "value_3": "3000",
            "value_4": "4000.50",
        },
    )

    assert form_page.status_code == 200
    assert "Target, quarter 4" in page_text(form_page)
    assert response.status_code == 302
    with scopes_disabled():
        target = PlanTarget.objects.get(plan=plan)
        values = [q.value for q in target.quarters.order_by("quarter")]
    assert target.currency == "USD"
    assert values == [Decimal("1000"), Decimal("2000"), Decimal("3000"), Decimal("4000.50")]


@pytest.mark.parametrize(
    ("field", "value"),
    [("value_2", "-5"), ("value_3", "lots"), ("weight", "0"), ("weight", "-1")],
)
def test_a_bad_target_shows_the_error_at_its_field_and_saves_nothing(
    as_alice, alice, period, field, value
):
    plan = make_plan(alice, period)
    data = {"measure": "leads", "weight": "1", "value_1": "1", "value_2": "2", "value_3": "3"}
    data["value_4"] = "4"
    data[field] = value

    response = as_alice.post(reverse("plans:target_add", kwargs={"uuid": plan.uuid}), data)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    with scopes_disabled():
        assert not PlanTarget.objects.exists()


def test_a_custom_target_needs_a_name_and_money_a_currency(as_alice, alice, period):
    plan = make_plan(alice, period)
    values = {f"value_{n}": "1" for n in range(1, 5)}
    url = reverse("plans:target_add", kwargs={"uuid": plan.uuid})

    custom = as_alice.post(url, {"measure": "custom", "weight": "1", **values})
    money = as_alice.post(url, {"measure": "pipeline", "weight": "1", **values})

    assert custom.status_code == 400 and "name" in custom.context["form"].errors
    assert money.status_code == 400 and "currency" in money.context["form"].errors
    with scopes_disabled():
        assert not PlanTarget.objects.exists()


def test_a_target_is_changed_and_removed_after_confirmation(as_alice, alice, period):
    plan = make_plan(alice, period)
    target = add_target(plan, alice)
    edit = reverse("plans:target_edit", kwargs={"uuid": plan.uuid, "target": target.pk})
    remove = reverse("plans:target_remove", kwargs={"uuid": plan.uuid, "target": target.pk})

    assert as_alice.get(edit).context["form"].initial["value_1"] == Decimal(10)
    changed = as_alice.post(
        edit, {"measure": "leads", "weight": "3", **{f"value_{n}": "7" for n in range(1, 5)}}
    )
    confirm = as_alice.get(remove)
    removed = as_alice.post(remove)

    assert changed.status_code == 302
    assert "Remove “Leads”?" in page_text(confirm)
    assert removed.status_code == 302
    with scopes_disabled():
        assert not PlanTarget.objects.filter(plan=plan).exists()


def test_a_custom_actual_is_recorded_with_who_entered_it(as_alice, alice, period):
    plan = make_plan(alice, period)
    target = add_target(plan, alice, measure=PlanTarget.Measure.CUSTOM, name="Certified reps")
    url = reverse("plans:target_actual", kwargs={"uuid": plan.uuid, "target": target.pk})

    bad = as_alice.post(url, {"quarter": "1", "actual": "many"})
    good = as_alice.post(url, {"quarter": "1", "actual": "6"})

    assert bad.status_code == 400 and list(bad.context["form"].errors) == ["actual"]
    assert good.status_code == 302
    page = page_text(as_alice.get(detail_url(plan)))
    assert "by Alice" in page  # alice_marketer's first name
    with scopes_disabled():
        quarter = target.quarters.get(quarter=1)
    assert quarter.actual == Decimal(6)
    assert quarter.actual_entered_by == alice.marketer


def test_a_kpi_targets_actual_cannot_be_typed_in(as_alice, alice, period):
    plan = make_plan(alice, period)
    target = add_target(plan, alice)
    url = reverse("plans:target_actual", kwargs={"uuid": plan.uuid, "target": target.pk})

    assert as_alice.post(url, {"quarter": "1", "actual": "6"}).status_code == 404


# --- activities -------------------------------------------------------------------------------


def activity_form(activity_type, **fields):
    data = {
        "title": "Roadshow",
        "activity_type": activity_type.pk,
        "owner_side": "partner",
        "start_date": TODAY.isoformat(),
        "end_date": TODAY.isoformat(),
        "budget": "1200.00",
        "currency": "EUR",
        "status": "planned",
    }
    data.update(fields)
    return data


def test_an_activity_is_added_with_its_launch(as_alice, alice, period, webinar):
    plan = make_plan(alice, period)
    launch = make_launch(alice, make_kit())

    response = as_alice.post(
        reverse("plans:activity_add", kwargs={"uuid": plan.uuid}),
        activity_form(webinar, launch=launch.pk),
    )

    assert response.status_code == 302
    with scopes_disabled():
        activity = PlanActivity.objects.get(plan=plan)
    assert (activity.title, activity.launch, activity.budget) == (
        "Roadshow",
        launch,
        Decimal("1200.00"),
    )
    page = page_text(as_alice.get(detail_url(plan)))
    assert reverse("campaigns:launch_detail", kwargs={"code": launch.code}) in page


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start_date": f"{YEAR + 1}-01-10", "end_date": f"{YEAR + 1}-01-11"}, "start_date"),
        ({"end_date": "2000-01-01"}, "end_date"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "12.345"}, "budget"),
        ({"currency": "XX"}, "currency"),
    ],
)
def test_a_bad_activity_shows_the_error_at_its_field_and_saves_nothing(
    as_alice, alice, period, webinar, fields, field
):
    plan = make_plan(alice, period)

    response = as_alice.post(
        reverse("plans:activity_add", kwargs={"uuid": plan.uuid}),
        activity_form(webinar, **fields),
    )

    assert response.status_code == 400
    assert field in response.context["form"].errors
    with scopes_disabled():
        assert not PlanActivity.objects.exists()


def test_another_partners_launch_cannot_be_linked(as_alice, alice, bob, period, webinar):
    plan = make_plan(alice, period)
    bobs_launch = make_launch(bob, make_kit())

    response = as_alice.post(
        reverse("plans:activity_add", kwargs={"uuid": plan.uuid}),
        activity_form(webinar, launch=bobs_launch.pk),
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["launch"]
    assert bobs_launch.code not in page_text(response)
    with scopes_disabled():
        assert not PlanActivity.objects.exists()


def test_an_activitys_status_moves_without_a_new_revision(as_alice, alice, period, webinar):
    plan = make_plan(alice, period)
    activity = add_activity(plan, alice, webinar)
    url = reverse("plans:activity_status", kwargs={"uuid": plan.uuid, "activity": activity.uuid})

    response = as_alice.post(url, {"status": "in_progress"})

    assert response.status_code == 302
    activity.refresh_from_db()
    plan.refresh_from_db()
    assert activity.status == PlanActivity.Status.IN_PROGRESS
    assert plan.revision == 1


def test_an_activity_is_removed_after_confirmation(as_alice, alice, period, webinar):
    plan = make_plan(alice, period)
    activity = add_activity(plan, alice, webinar, title="Trade show")
    url = reverse("plans:activity_remove", kwargs={"uuid": plan.uuid, "activity": activity.uuid})

    confirm = as_alice.get(url)
    with scopes_disabled():
        assert PlanActivity.objects.filter(pk=activity.pk).exists()
    removed = as_alice.post(url)

    assert "Remove “Trade show”?" in page_text(confirm)
    assert removed.status_code == 302
    with scopes_disabled():
        assert not PlanActivity.objects.filter(pk=activity.pk).exists()


# --- comments ----------------------------------------------------------------------------------


def test_comments_on_the_plan_and_on_an_activity(as_alice, alice, period, webinar):
    plan = make_plan(alice, period)
    activity = add_activity(plan, alice, webinar)
    url = reverse("plans:comment", kwargs={"uuid": plan.uuid})

    empty = as_alice.post(url, {"body": ""})
    on_plan = as_alice.post(url, {"body": "Can we add a Q3 event?"})
    on_activity = as_alice.post(url, {"body": "Venue booked.", "activity": str(activity.uuid)})

    assert empty.status_code == 400 and list(empty.context["form"].errors) == ["body"]
    assert on_plan.status_code == 302 and on_activity.status_code == 302
    page = page_text(as_alice.get(detail_url(plan)))
    assert "Can we add a Q3 event?" in page
    assert "Venue booked." in page


# --- submitting, revisions ---------------------------------------------------------------------


def test_submitting_asks_first_then_locks_the_plan(as_alice, alice, period, staff_users):
    plan = make_plan(alice, period)
    add_target(plan, alice)
    url = reverse("plans:submit", kwargs={"uuid": plan.uuid})

    confirm = as_alice.get(url)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT
    submitted = as_alice.post(url)

    assert "Submit “Growth plan” for approval?" in page_text(confirm)
    assert submitted.status_code == 302
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SUBMITTED
    page = page_text(as_alice.get(detail_url(plan)))
    assert "Waiting for the vendor" in page
    assert reverse("plans:edit", kwargs={"uuid": plan.uuid}) not in page
    edit = as_alice.get(reverse("plans:edit", kwargs={"uuid": plan.uuid}))
    assert "cannot be changed now" in page_text(edit)


def test_a_plan_without_targets_is_not_submitted(as_alice, alice, period):
    plan = make_plan(alice, period)

    response = as_alice.post(reverse("plans:submit", kwargs={"uuid": plan.uuid}), follow=True)

    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT
    assert "Not submitted" in page_text(response)


def test_approved_revisions_stay_readable_and_compare_side_by_side(
    as_alice, alice, period, staff_users
):
    manager = staff_users["channel_manager"]
    plan = make_plan(alice, period, title="First title")
    add_target(plan, alice)
    services.plan_submit(plan=plan, actor=alice.marketer)
    services.plan_approve(plan=plan, actor=manager, note="Good start.")

    # Editing the approved plan starts revision 2.
    response = as_alice.post(
        reverse("plans:edit", kwargs={"uuid": plan.uuid}),
        {"title": "Second title", "objectives": "Sharper."},
    )
    plan.refresh_from_db()
    assert response.status_code == 302
    assert (plan.status, plan.revision) == (Plan.Status.DRAFT, 2)
    services.plan_submit(plan=plan, actor=alice.marketer)

    first = as_alice.get(reverse("plans:revision", kwargs={"uuid": plan.uuid, "number": 1}))
    compare = as_alice.get(
        reverse("plans:compare", kwargs={"uuid": plan.uuid}), {"older": 1, "newer": 2}
    )
    missing = as_alice.get(reverse("plans:revision", kwargs={"uuid": plan.uuid, "number": 9}))

    assert "First title, revision 1" in page_text(first)
    assert "Good start." in page_text(first)
    assert first.context["content"]["title"] == "First title"  # the working copy moved on
    rows = compare.context["rows"]
    assert [(r.field, r.older, r.newer) for r in rows if r.field == "title"] == [
        ("title", "First title", "Second title")
    ]
    assert missing.status_code == 404


# --- actuals ---------------------------------------------------------------------------------


def test_actuals_appear_after_results_are_synced_and_rolled_up(
    as_alice, alice, alice_key, period, webinar
):
    """The browser journey's last step without a browser: results posted with the
    partner's key, rolled up, then read on the plan's page in the current quarter."""
    from analytics.rollup import rollup_metrics
    from tests.conftest import key_client

    plan = make_plan(alice, period)
    add_target(plan, alice, values=[Decimal(4)] * 4)
    add_target(
        plan,
        alice,
        measure=PlanTarget.Measure.PIPELINE,
        values=[Decimal(37000)] * 4,
        currency="USD",
        weight=Decimal(2),
    )
    launch = make_launch(alice, make_kit())
    add_activity(plan, alice, webinar, launch=launch)
    now = timezone.now()
    events = [
        {"external_id": f"lead-{n}", "launch": launch.code, "kind": "lead",
         "occurred_at": now.isoformat()}
        for n in (1, 2)
    ] + [
        {"external_id": "opp-1", "launch": launch.code, "kind": "opportunity",
         "occurred_at": now.isoformat(), "amount": "18500.00", "currency": "USD"}
    ]  # fmt: skip
    answer = key_client(alice_key).post("/api/v1/results/", {"events": events}, format="json")
    assert answer.status_code == 201
    rollup_metrics()

    response = as_alice.get(detail_url(plan))

    quarter = (TODAY.month - 1) // 3 + 1
    leads, pipeline = response.context["scorecard"].rows
    assert leads.quarters[quarter - 1].actual == 2
    assert (leads.actual, pipeline.actual) == (2, Decimal("18500.00"))
    text = page_text(response)
    assert "18,500.00 USD" in text  # the pipeline's actual and the activity's results
    assert pipeline.attainment == Decimal("12.5")  # 18,500 of 148,000
    assert "12.5 %" in text
