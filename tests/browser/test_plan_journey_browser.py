"""A joint marketing plan's loop in a real browser, as the issue tells it: a partner
marketer starts a plan in the portal → adds a target and an activity run by one of its
launches → submits it → the channel manager approves it → the partner's CRM posts
results naming the launch, the rollup runs → the plan's page shows the actuals against
the targets and the activity's results. On the way the partner reads the approved
revision, starts a new one and compares the two; axe-core finds no serious or critical
problem on any plan page.

The staff side approves through the service (`services.plan_approve`), as the staff
pages are built on another branch; what matters here is what the partner sees."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import requests
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from analytics.rollup import rollup_metrics
from campaigns import services
from campaigns.models import Plan, PlanPeriod
from mdf.models import ActivityType
from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_portal_browser import assert_accessible, log_in
from tests.campaigns.factories import make_kit, make_launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def year_period(db) -> PlanPeriod:
    year = timezone.localdate().year
    return PlanPeriod.objects.create(
        kind=PlanPeriod.Kind.YEAR,
        start=date(year, 1, 1),
        end=date(year, 12, 31),
        name=f"FY {year}",
    )


def test_plan_submit_approve_sync_and_see_the_actuals(
    live_server, alice, alice_key, staff_users, year_period, new_page, screenshot
):
    ActivityType.objects.create(slug="webinar", name="Webinar")
    launch = make_launch(alice, make_kit(name="Zero trust in a week"), name="Zero trust emails")
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1

    # The marketer starts a plan for the open year.
    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.marketer.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    page.get_by_role("navigation", name="Portal sections").get_by_role("link", name="Plans").click()
    page.wait_for_url(f"{live_server.url}/portal/plans/")
    main = page.get_by_role("main")
    expect(main.get_by_text("No plans yet")).to_be_visible()
    assert_accessible(page, "plans list (empty)")
    main.get_by_role("link", name=re.compile(f"Start a plan.*FY {today.year}")).click()
    assert_accessible(page, "start a plan")
    assert main.get_by_label("Period").input_value() == str(year_period.pk)
    main.get_by_label("Title").fill("FY growth plan: mid-market security")
    main.get_by_label("Objectives").fill("Double the pipeline from zero trust campaigns.")
    main.get_by_role("button", name="Start the plan").click()
    page.wait_for_url(re.compile(r".*/portal/plans/[0-9a-f-]{36}/$"))
    plan_url = page.url
    assert main.get_by_role("heading", level=1).inner_text() == (
        "FY growth plan: mid-market security"
    )
    assert_accessible(page, "new plan")

    # A target on leads, one on pipeline in USD: a bad value first, shown at its field.
    main.get_by_role("link", name="Add a target").first.click()
    assert_accessible(page, "add a target")
    main.get_by_label("Measure").select_option("leads")
    for number in range(1, 5):
        main.get_by_label(f"Target, quarter {number}").fill("4")
    main.get_by_label("Target, quarter 2").fill("-3")
    main.get_by_role("button", name="Add the target").click()
    assert main.get_by_label("Target, quarter 2").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "target form with an error")
    main.get_by_label("Target, quarter 2").fill("4")
    main.get_by_role("button", name="Add the target").click()
    page.wait_for_url(f"{plan_url}#targets")
    main.get_by_role("link", name="Add a target").first.click()
    main.get_by_label("Measure").select_option("pipeline")
    main.get_by_label("Currency").fill("USD")
    main.get_by_label("Weight").fill("2")
    for number in range(1, 5):
        main.get_by_label(f"Target, quarter {number}").fill("37000")
    main.get_by_role("button", name="Add the target").click()
    page.wait_for_url(f"{plan_url}#targets")

    # An activity run by the partner's launch.
    main.get_by_role("link", name="Add an activity").first.click()
    assert_accessible(page, "add an activity")
    main.get_by_label("Title").fill("Zero trust webinar series")
    main.get_by_label("Type").select_option(label="Webinar")
    main.get_by_label("Starts on").fill(today.isoformat())
    main.get_by_label("Ends on").fill((today + timedelta(days=1)).isoformat())
    main.get_by_label("Budget").fill("2500")
    main.get_by_label("Launch").select_option(label=f"{launch} ({launch.code})")
    main.get_by_role("button", name="Add the activity").click()
    page.wait_for_url(f"{plan_url}#activities")
    expect(main.get_by_role("heading", name="Zero trust webinar series")).to_be_visible()
    expect(main.get_by_text("2,500.00 USD").first).to_be_visible()

    # Removing asks first; the partner keeps it.
    # The link's hidden half is a box of its own: Chromium names it "Remove : …".
    main.get_by_role("link", name=re.compile(r"^Remove\W+Zero trust webinar series$")).click()
    expect(main.get_by_role("heading", name="Remove “Zero trust webinar series”?")).to_be_visible()
    assert_accessible(page, "remove confirmation")
    main.get_by_role("link", name="Keep it").click()

    # A comment posted empty shows the error at the field; then posted.
    main.get_by_role("button", name="Post the comment").click()
    assert main.get_by_label("Comment").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "comment with an error")
    main.get_by_label("Comment").fill("Can we add a partner day in Q4?")
    main.get_by_role("button", name="Post the comment").click()
    page.wait_for_url(f"{plan_url}#comments")

    # Submitted after a confirmation.
    main.get_by_role("link", name="Submit for approval").click()
    assert_accessible(page, "submit confirmation")
    main.get_by_role("button", name="Yes, submit it").click()
    page.wait_for_url(plan_url)
    expect(main.get_by_text("Waiting for the vendor's review")).to_be_visible()
    assert main.get_by_role("link", name=re.compile("^Edit")).count() == 0

    # The channel manager approves (the staff pages are another branch's).
    with scopes_disabled():
        plan = Plan.objects.get(partner=alice.partner)
    services.plan_approve(plan=plan, actor=staff_users["channel_manager"], note="Agreed.")

    # The CRM syncs two leads and an opportunity for the launch; the rollup runs.
    now = timezone.now()
    events = [
        {"external_id": f"plan-lead-{n}", "launch": launch.code, "kind": "lead",
         "occurred_at": (now - timedelta(minutes=10 - n)).isoformat()}
        for n in (1, 2)
    ] + [
        {"external_id": "plan-opp-1", "launch": launch.code, "kind": "opportunity",
         "occurred_at": now.isoformat(), "amount": "18500.00", "currency": "USD"}
    ]  # fmt: skip
    answer = requests.post(
        f"{live_server.url}/api/v1/results/",
        json={"events": events},
        headers={"Authorization": f"Api-Key {alice_key}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    rollup_metrics()

    # The plan's page shows the actuals against the targets, and the activity's results.
    page.goto(plan_url)
    expect(main.get_by_text("Approved by Carl")).to_be_visible()
    leads = main.locator('tr[data-target="Leads"]')
    assert leads.locator(f'td[data-quarter="{quarter}"] [data-actual]').inner_text() == "2"
    assert "/ 4" in leads.locator(f'td[data-quarter="{quarter}"]').inner_text()
    assert leads.locator("[data-period-actual]").inner_text() == "2"
    pipeline = main.locator('tr[data-target="Pipeline"]')
    assert pipeline.locator("[data-period-actual]").inner_text() == "18,500.00 USD"
    assert pipeline.locator("[data-attainment]").inner_text() == "12.5 %"  # 18,500 of 148,000
    assert main.locator("[data-weighted-total]").inner_text() != "—"
    activity = main.get_by_role("article").filter(has_text="Zero trust webinar series")
    expect(activity.get_by_text("18,500.00 USD")).to_be_visible()
    assert_accessible(page, "plan with actuals")
    screenshot(page, "plan-journey-plan")

    # The approved revision reads as it was; a change starts revision 2, compared.
    main.get_by_role("link", name="Revision 1").click()
    expect(main.get_by_text("Agreed.")).to_be_visible()
    assert_accessible(page, "approved revision")
    page.goto(plan_url)
    main.get_by_role("link", name=re.compile("^Edit")).first.click()
    assert_accessible(page, "edit the plan")
    main.get_by_label("Title").fill("FY growth plan: mid-market and MSPs")
    main.get_by_role("button", name="Save changes").click()
    page.wait_for_url(plan_url)
    expect(main.get_by_text("Revision 2 in progress")).to_be_visible()
    main.get_by_role("link", name="Submit for approval").click()
    main.get_by_role("button", name="Yes, submit it").click()
    page.wait_for_url(plan_url)
    main.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r".*/compare/\?.*"))
    changed = main.get_by_role("row").filter(has_text="FY growth plan: mid-market and MSPs")
    expect(changed.get_by_text("FY growth plan: mid-market security")).to_be_visible()
    assert_accessible(page, "revisions compared")

    # The plans list shows it; the plan reads on a phone too.
    page.goto(f"{live_server.url}/portal/plans/")
    expect(main.get_by_role("link", name="FY growth plan: mid-market and MSPs")).to_be_visible()
    assert_accessible(page, "plans list")
    phone = new_page(MOBILE)
    log_in(phone, live_server.url, alice.sales.username)
    phone.wait_for_url(f"{live_server.url}/portal/")
    phone.goto(plan_url)
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    assert phone.get_by_role("link", name="Add a target").count() == 0  # sales reps read
    assert_accessible(phone, "plan on a phone")
    screenshot(phone, "plan-journey-phone")
