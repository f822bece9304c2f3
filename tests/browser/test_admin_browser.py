"""The staff side in a real browser: a channel manager logs in to the admin, finds their
desk (what awaits their decision, what is due, the programme at a glance) above the
list of models, follows it to the queue, and opens a partner's page with its funds,
decisions, downloads and people. axe-core finds no serious or critical problem on
either page. Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assets import services as asset_services
from mdf import services
from mdf.models import ActivityType
from tests.assets.factories import make_asset
from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_portal_browser import assert_accessible
from tests.conftest import PASSWORD
from tests.mdf.conftest import draft_request, make_pool

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def programme(alice, bob, staff_users):
    """Carlos Channel manages alice's company: two of its requests await him, one he
    approved; bob has funds too; alice's marketer downloaded a brochure."""
    manager = staff_users["channel_manager"]
    manager.first_name, manager.last_name = "Carlos", "Channel"
    manager.save()
    admin = staff_users["marketing_admin"]
    pool = make_pool(name="FY27 H1 Europe", percentage="50.00", total="500000.00")
    allocation = services.allocation_create(
        pool=pool, partner=alice.partner, amount="20000.00", actor=admin, reason="Gold tier H1"
    )
    services.allocation_create(
        pool=pool, partner=bob.partner, amount="12000.00", actor=admin, reason="Silver tier H1"
    )
    event = ActivityType.objects.create(slug="event", name="Event")
    for amount in ("1500.00", "3000.00", "4200.00"):
        fund_request = draft_request(alice, allocation, event, amount)
        services.request_submit(fund_request=fund_request, actor=alice.marketer)
    services.request_decide(
        fund_request=fund_request, actor=manager, approve=True, note="Good plan"
    )
    asset = make_asset(title="Edge Security Brochure", actor=admin)
    asset_services.download_record(
        partner=alice.partner, version=asset.versions.get(), user=alice.marketer
    )
    return {"manager": manager}


def admin_log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/admin/")


def test_staff_desk_and_a_partners_page(live_server, alice, programme, new_page, screenshot):
    page = new_page(DESKTOP)
    base = live_server.url
    admin_log_in(page, base, programme["manager"].username)

    # the desk: my queue with its count, the programme, then every model
    expect(page.get_by_role("heading", name="Your desk")).to_be_visible()
    queues = page.locator("#desk-queues")
    row = queues.get_by_role("row", name="Fund requests")
    assert row.get_by_role("cell").first.inner_text() == "2"
    glance = page.locator("#desk-programme")
    assert (
        glance.get_by_role("row", name="Funds allocated this period")
        .get_by_role("cell")
        .inner_text()
        == "32,000.00 EUR"
    )
    assert (
        glance.get_by_role("row", name="Downloads this month").get_by_role("cell").inner_text()
        == "1"
    )
    expect(page.get_by_role("heading", name="Everything in the admin")).to_be_visible()
    screenshot(page, "admin-staff-desk-desktop")
    assert_accessible(page, "staff desk")

    # the queue it links to lists what awaits me
    queues.get_by_role("link", name="Fund requests").click()
    page.wait_for_url(f"{base}/admin/mdf/fundrequest/?queue=mine")
    assert page.locator("#result_list tbody tr").count() == 2

    # a partner's page: funds, decisions, downloads, people, then its fields
    page.goto(f"{base}/admin/partners/partner/{alice.partner.pk}/change/")
    funds = page.locator("#partner-funds")
    expect(funds.get_by_role("row", name="FY27 H1 Europe (EUR)")).to_be_visible()
    expect(funds.get_by_text("20,000.00 EUR")).to_be_visible()
    decisions = page.locator("#partner-decisions")
    expect(decisions.get_by_text("Carlos Channel")).to_be_visible()
    expect(page.locator("#partner-downloads").get_by_text("Edge Security Brochure")).to_be_visible()
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    screenshot(page, "admin-partner-page-desktop")
    assert_accessible(page, "partner admin")


def test_staff_desk_on_a_phone(live_server, programme, new_page, screenshot):
    page = new_page(MOBILE)
    admin_log_in(page, live_server.url, programme["manager"].username)
    row = page.locator("#desk-queues").get_by_role("row", name="Fund requests")
    assert row.get_by_role("cell").first.inner_text() == "2"
    screenshot(page, "admin-staff-desk-mobile")
    # the queue's figures stay on the screen, no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    assert_accessible(page, "staff desk (phone)")
