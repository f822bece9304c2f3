"""A channel manager reviews a partner's joint marketing plan in a real browser: the
desk counts it, the plan's page shows the scorecard with actuals from the results, the
approval goes through its confirmation page. axe-core finds no serious or critical
problem on the plan's page or the decision page. Screenshots land in test-artifacts/."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from campaigns import services
from campaigns.models import Plan, PlanTarget
from tests.analytics.performance_data import metric
from tests.browser.conftest import DESKTOP
from tests.browser.test_admin_browser import admin_log_in
from tests.browser.test_portal_browser import assert_accessible
from tests.campaigns.plan_factories import add_activity, add_target, make_period, make_plan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def plan(alice, staff_users) -> Plan:
    manager = staff_users["channel_manager"]
    manager.first_name, manager.last_name = "Carlos", "Channel"
    manager.save()
    period = make_period(date(2026, 1, 1), name="2026 H1")
    draft = make_plan(alice, period, title="Mid-market growth plan")
    add_target(draft, alice, values=["100", "120"], weight="2")
    add_target(
        draft,
        alice,
        measure=PlanTarget.Measure.REVENUE,
        currency="EUR",
        values=["40000", "60000"],
    )
    add_target(
        draft,
        alice,
        measure=PlanTarget.Measure.CUSTOM,
        name="Certified engineers",
        values=["4", "6"],
    )
    add_activity(draft, alice, title="Cloud webinar series", budget="2500.00")
    metric(alice.partner, date(2026, 2, 10), leads=80)
    metric(alice.partner, date(2026, 5, 3), leads=150)
    plan = services.plan_submit(plan=draft, actor=alice.admin)
    services.comment_add(plan=plan, actor=alice.marketer, body="Webinars start in January.")
    return plan


def test_a_channel_manager_reviews_and_approves_a_plan(
    live_server, plan, staff_users, new_page, screenshot
):
    page = new_page(DESKTOP)
    base = live_server.url
    admin_log_in(page, base, staff_users["channel_manager"].username)

    row = page.locator("#desk-queues").get_by_role("row", name="Plans awaiting review")
    assert row.get_by_role("cell").first.inner_text() == "1"
    row.get_by_role("link", name="Plans awaiting review").click()
    page.get_by_role("link", name="Alice Corp").click()

    scorecard = page.locator("#scorecard")
    leads = scorecard.get_by_role("row", name="Leads")
    assert "104.5 %" in leads.inner_text()
    expect(page.locator("#comments").get_by_text("Webinars start in January.")).to_be_visible()
    screenshot(page, "admin-plan-page-desktop")
    assert_accessible(page, "plan admin")

    page.get_by_role("link", name="Approve revision").click()
    page.get_by_label("Note to the partner").fill("Agreed. Good luck with the webinars.")
    screenshot(page, "admin-plan-approve-desktop")
    assert_accessible(page, "plan decision")
    page.get_by_role("button", name="Approve revision").click()
    # `expect` waits for the page the approval redirects to; is_visible() would look at
    # whichever page is there the moment the click returns.
    expect(page.get_by_text("Plan approved; the partner has been told.")).to_be_visible()
    assert "Agreed. Good luck" in page.locator("#revisions").inner_text()
