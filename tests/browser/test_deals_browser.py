"""A deal registration's loop in a real browser, as the issue tells it: a partner sales
rep registers a deal in the portal (a bad amount first, shown at its field) → the
channel manager approves it on the registration's staff page → the rep moves its stage
and closes it as won, through the confirmation page → after the rollup, the partner's
performance dashboard counts the won deal and its revenue. Then a lead the vendor
offered (through the service) is accepted, worked and converted into a registration.
axe-core finds no serious or critical problem on any new portal page, at desktop and
phone sizes; what matters here is what the partner sees."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from analytics.rollup import rollup_metrics
from deals import services
from deals.models import Deal, Lead, Product
from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_admin_browser import admin_log_in
from tests.browser.test_portal_browser import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_register_approve_win_and_see_it_in_the_dashboard(
    live_server, alice, staff_users, new_page, screenshot
):
    Product.objects.create(name="Next-gen firewall", slug="firewall")
    Product.objects.create(name="Endpoint detection", slug="edr")
    close_on = timezone.localdate() + timedelta(days=40)

    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.sales.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    page.get_by_role("navigation", name="Portal sections").get_by_role(
        "link", name="Deals", exact=True
    ).click()
    page.wait_for_url(f"{live_server.url}/portal/deals/")
    main = page.get_by_role("main")
    expect(main.get_by_text("No deals registered yet")).to_be_visible()
    assert_accessible(page, "deals list (empty)")

    main.get_by_role("link", name="Register a deal").first.click()
    page.wait_for_url(f"{live_server.url}/portal/deals/new/")
    assert_accessible(page, "register a deal")
    main.get_by_label("Customer company").fill("Acme Robotics")
    main.get_by_label("Customer web domain").fill("https://www.acme-robotics.example/")
    main.get_by_label("Customer country").select_option("DE")
    main.get_by_label("Next-gen firewall").check()
    main.get_by_label("Estimated amount").fill("-10")
    main.get_by_label("Currency").fill("EUR")
    main.get_by_label("Expected close date").fill(close_on.isoformat())
    main.get_by_label("Stage").select_option("qualification")
    main.get_by_role("button", name="Register the deal").click()
    amount = main.get_by_label("Estimated amount")
    assert amount.get_attribute("aria-invalid") == "true"
    expect(main.locator("#id_amount_error")).to_be_visible()
    assert_accessible(page, "register a deal (errors)")
    with scopes_disabled():
        assert not Deal.objects.exists()

    amount.fill("25000")
    main.get_by_role("button", name="Register the deal").click()
    page.wait_for_url(re.compile(r".*/portal/deals/[0-9a-f-]{36}/$"))
    assert main.get_by_role("heading", level=1).inner_text() == "Acme Robotics"
    expect(main.get_by_text("Under review", exact=True)).to_be_visible()
    assert_accessible(page, "a registration under review")
    with scopes_disabled():
        deal = Deal.objects.get()
    assert deal.domain == "acme-robotics.example"

    # The channel manager approves it on the registration's staff page.
    staff = new_page(DESKTOP)
    admin_log_in(staff, live_server.url, staff_users["channel_manager"].username)
    change_url = f"{live_server.url}/admin/deals/deal/{deal.pk}/change/"
    staff.goto(change_url)
    staff.get_by_role("link", name="Approve registration").click()
    staff.get_by_role("button", name="Approve registration").click()
    staff.wait_for_url(change_url)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.APPROVED
    page.reload()
    expect(main.get_by_text("Approved", exact=True).first).to_be_visible()
    expect(main.get_by_text(re.compile(r"protected for you until"))).to_be_visible()
    screenshot(page, "deal-approved")
    assert_accessible(page, "an approved registration")

    main.get_by_label("Stage").select_option("negotiation")
    main.get_by_role("button", name="Save the stage").click()
    expect(main.get_by_text("The deal is now at the stage “Negotiation”.")).to_be_visible()

    main.get_by_role("link", name="Won…").click()
    expect(main.get_by_text("cannot be reopened")).to_be_visible()
    assert_accessible(page, "close as won")
    main.get_by_label("Won amount").fill("24000")
    main.get_by_role("button", name="Close as won").click()
    page.wait_for_url(re.compile(r".*/portal/deals/[0-9a-f-]{36}/$"))
    expect(main.get_by_text("Won", exact=True).first).to_be_visible()
    expect(main.get_by_text("24,000.00 EUR")).to_be_visible()

    # The list: the won deal, its amount; the CSV link keeps the filter.
    page.goto(f"{live_server.url}/portal/deals/?status=won")
    expect(main.get_by_role("link", name="Acme Robotics")).to_be_visible()
    assert "status=won" in main.get_by_role("link", name="Download as CSV").get_attribute("href")
    assert_accessible(page, "deals list")

    # The beat job's rollup; then the performance dashboard counts the win.
    rollup_metrics()
    page.goto(f"{live_server.url}/portal/performance/")
    tiles = {
        name: page.locator(f'[data-kpi="{name}"] .kpi-value').first.inner_text()
        for name in ("won", "revenue")
    }
    assert tiles == {"won": "1", "revenue": "24,000.00 EUR"}
    screenshot(page, "deal-won-performance")

    # A phone-sized screen: the list and the deal read without errors.
    phone = new_page(MOBILE)
    log_in(phone, live_server.url, alice.sales.username)
    phone.wait_for_url(f"{live_server.url}/portal/")
    phone.goto(f"{live_server.url}/portal/deals/")
    assert_accessible(phone, "deals list (phone)")


def test_accept_work_and_convert_a_lead(live_server, alice, staff_users, new_page):
    Product.objects.create(name="Endpoint detection", slug="edr")
    lead = Lead.objects.create(
        company="Wayne Logistics",
        domain="wayne-logistics.example",
        country="US",
        contact_name="Lucius Fox",
        contact_email="lucius@wayne-logistics.example",
        description="Wants EDR for 400 laptops.",
        amount=Decimal("40000.00"),
        currency="USD",
        created_at=timezone.now(),
    )
    services.lead_offer_to(lead=lead, partner=alice.partner, actor=staff_users["marketing_admin"])

    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.sales.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    page.get_by_role("navigation", name="Portal sections").get_by_role(
        "link", name="Leads", exact=True
    ).click()
    page.wait_for_url(f"{live_server.url}/portal/deals/leads/")
    main = page.get_by_role("main")
    expect(main.get_by_text("1 lead is waiting for your answer.")).to_be_visible()
    expect(main.get_by_text(re.compile(r"left$")).first).to_be_visible()
    assert_accessible(page, "leads list")

    main.get_by_role("link", name="Wayne Logistics").click()
    page.wait_for_url(re.compile(r".*/portal/deals/leads/[0-9a-f-]{36}/$"))
    assert re.search(r"Answer by .+ left\)", main.get_by_role("status").first.inner_text())
    assert_accessible(page, "an offered lead")
    main.get_by_role("button", name="Accept the lead").click()
    expect(main.get_by_text("The lead is yours.")).to_be_visible()
    expect(main.get_by_role("link", name="lucius@wayne-logistics.example")).to_be_visible()
    assert_accessible(page, "an accepted lead")

    main.get_by_label("Progress").select_option("contacted")
    main.locator("#id_next_step").fill("Demo on Tuesday")
    main.get_by_role("button", name="Save the progress").click()
    expect(main.get_by_text("The progress is saved.")).to_be_visible()

    main.get_by_role("link", name="Register as a deal").click()
    page.wait_for_url(re.compile(r".*/convert/$"))
    assert main.get_by_label("Customer company").input_value() == "Wayne Logistics"
    assert main.get_by_label("Customer web domain").input_value() == "wayne-logistics.example"
    assert_accessible(page, "convert a lead")
    main.get_by_label("Endpoint detection").check()
    main.get_by_label("Expected close date").fill(
        (timezone.localdate() + timedelta(days=30)).isoformat()
    )
    main.get_by_role("button", name="Register the deal").click()
    page.wait_for_url(re.compile(r".*/portal/deals/[0-9a-f-]{36}/$"))
    assert main.get_by_role("heading", level=1).inner_text() == "Wayne Logistics"
    expect(main.get_by_text("Under review", exact=True)).to_be_visible()
