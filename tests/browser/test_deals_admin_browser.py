"""A channel manager decides a registration in conflict, in a real browser: the desk
counts it, the registration's page shows the other partner's registration beside it,
the conflict is marked reviewed and the deal approved through their confirmation pages
(the approval page shows the end of the exclusivity). axe-core finds no serious or
critical problem on the registration's page or the decision pages. Screenshots land in
test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from deals.models import Deal, DealProgram
from mdf import clock
from tests.browser.conftest import DESKTOP
from tests.browser.test_admin_browser import admin_log_in
from tests.browser.test_portal_browser import assert_accessible
from tests.deals.deal_factories import register_deal
from tests.deals.lead_factories import lead as make_lead

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def conflict(alice, bob, staff_users) -> Deal:
    """bob registered the customer first; alice's registration is flagged."""
    manager = staff_users["channel_manager"]
    manager.first_name, manager.last_name = "Carlos", "Channel"
    manager.save()
    register_deal(bob, domain="acme.example", company="Acme Inc (Bob's)")
    return register_deal(alice, domain="www.acme.example", company="Acme Inc")


def test_a_channel_manager_reviews_a_conflict_and_approves(
    live_server, conflict, staff_users, new_page, screenshot
):
    page = new_page(DESKTOP)
    base = live_server.url
    admin_log_in(page, base, staff_users["channel_manager"].username)

    # the desk counts the registration and opens the queue
    row = page.locator("#desk-queues").get_by_role("row", name="Deals to decide")
    assert row.get_by_role("cell").first.inner_text() == "1"
    row.get_by_role("link", name="Deals to decide").click()
    page.get_by_role("link", name="Acme Inc", exact=True).click()
    page.wait_for_url(f"**/admin/deals/deal/{conflict.pk}/change/**")

    # the other partner's registration beside this one
    conflicts = page.locator("#conflicts")
    expect(conflicts.get_by_role("heading", name="Registered by another partner")).to_be_visible()
    expect(conflicts.get_by_role("link", name="Bob Corp")).to_be_visible()
    assert "Acme Inc (Bob's)" in conflicts.inner_text()
    expect(page.locator("#history").get_by_text("Conflict flagged")).to_be_visible()
    screenshot(page, "admin-deal-conflict-desktop")
    assert_accessible(page, "deal registration admin")

    page.get_by_role("link", name="Mark conflicts reviewed").click()
    page.wait_for_url("**/decide/clear_conflict/")
    assert "Acme Inc (Bob's)" in page.locator("#content-main").inner_text()
    page.get_by_label("Note (staff only)").fill("Bob's registration is a year old.")
    assert_accessible(page, "conflict review")
    page.get_by_role("button", name="Mark conflicts reviewed").click()
    assert "Conflicts marked reviewed" in page.locator(".messagelist").inner_text()

    page.get_by_role("link", name="Approve registration").click()
    page.wait_for_url("**/decide/approve/")
    end = clock.today() + timedelta(days=DealProgram.current().exclusivity_days)
    assert page.locator("#protected-until").inner_text() == f"{end:%Y-%m-%d}"
    screenshot(page, "admin-deal-approve-desktop")
    assert_accessible(page, "deal approval")
    page.get_by_role("button", name="Approve registration").click()
    assert "Registration approved; the partner has been told." in (
        page.locator(".messagelist").inner_text()
    )

    with scopes_disabled():
        deal = Deal.objects.get(pk=conflict.pk)
    assert deal.status == Deal.Status.APPROVED
    assert deal.decided_by == staff_users["channel_manager"]
    assert deal.expires_on == end


def test_a_channel_manager_offers_a_lead_by_hand(
    live_server, alice, staff_users, new_page, screenshot
):
    lead = make_lead(company="Kramerica Industries")
    page = new_page(DESKTOP)
    base = live_server.url
    admin_log_in(page, base, staff_users["channel_manager"].username)

    row = page.locator("#desk-queues").get_by_role("row", name="Leads with staff")
    assert row.get_by_role("cell").first.inner_text() == "1"
    row.get_by_role("link", name="Leads with staff").click()
    page.get_by_role("link", name="Kramerica Industries").click()
    page.wait_for_url(f"**/admin/deals/lead/{lead.pk}/change/**")
    assert "Received" in page.locator("#routing").inner_text()
    assert_accessible(page, "lead admin")

    page.get_by_role("link", name="Offer to partner").click()
    page.wait_for_url("**/act/offer/")
    page.get_by_label("Partner").select_option(label="Alice Corp")
    screenshot(page, "admin-lead-offer-desktop")
    assert_accessible(page, "lead offer")
    page.get_by_role("button", name="Offer to partner").click()

    assert "Lead offered to Alice Corp." in page.locator(".messagelist").inner_text()
    assert "Alice Corp" in page.locator("#current-offer").inner_text()
    assert "Offered" in page.locator("#routing").inner_text()
    screenshot(page, "admin-lead-offered-desktop")
