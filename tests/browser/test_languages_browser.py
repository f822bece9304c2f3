"""The portal in German in a real browser (issue 22): on the login page a partner
admin switches to "Deutsch" with the switcher under the card, logs in, and works in
German: the dashboard, the content library (an asset), a campaign kit (launched),
the marketing funds (a request with a bad amount first, then a good one), a deal
registration; then switches back to English through the user menu. Each page says
`<html lang="de">`, shows the German words of the shipped catalogue (read from
locale/de/LC_MESSAGES/django.po, so the test follows what ships) and no serious or
critical axe-core problem; money on the funds pages reads as German writes it."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import timezone, translation
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from deals.models import Deal, Product
from mdf import services as mdf_services
from mdf.models import ActivityType, FundRequest
from tests.assets.factories import make_asset
from tests.browser.conftest import DESKTOP
from tests.browser.test_portal_browser import assert_accessible
from tests.campaigns.factories import make_kit
from tests.conftest import PASSWORD
from tests.mdf.conftest import make_pool

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

GERMAN_CATALOGUE = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"
# German money: thousands with ".", cents after ",", the sign after a (no-break) space.
GERMAN_MONEY = re.compile(r"^\d{1,3}(\.\d{3})*,\d{2}\s€$")


@cache
def _german() -> dict[str, str]:
    with GERMAN_CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    return {
        message.id: message.string
        for message in catalogue
        if isinstance(message.id, str) and message.string and not message.fuzzy
    }


def de(english: str) -> str:
    """The German the catalogue ships for `english` (a translated, non-fuzzy entry);
    for Django's own words (the login form's "Password"), Django's German."""
    german = _german().get(english)
    if not german:
        with translation.override("de"):
            german = translation.gettext(english)
        assert german != english, f"no German translation of {english!r}"
    return german


def assert_page_in(page, language: str, what: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page, what)


@pytest.fixture
def world(alice, staff_users):
    """What alice's people find in the portal: an asset, a kit, a fund with money
    (12,345.67 EUR allocated), a product to register a deal for."""
    maya = staff_users["marketing_admin"]
    asset = make_asset(
        title="Secure Edge Platform datasheet",
        kind="datasheet",
        description="Features and specifications on two pages.",
    )
    make_kit(
        actor=maya,
        name="Zero trust week",
        slug="zero-trust-week",
        description="A week of emails and posts that explain zero trust.",
        channels=("email", "social"),
        assets=[asset],
        suggested_budget="2500.00",
        currency="EUR",
    )
    ActivityType.objects.create(slug="webinar", name="Webinar")
    pool = make_pool(name="FY27 H1 Europe", percentage="50.00", total="500000.00")
    mdf_services.allocation_create(
        pool=pool, partner=alice.partner, amount="12345.67", actor=maya, reason="Gold tier H1"
    )
    Product.objects.create(name="Next-gen firewall", slug="firewall")
    return {"asset": asset}


def test_a_partner_works_in_german_and_switches_back(live_server, alice, world, new_page):
    page = new_page(DESKTOP)
    base = live_server.url
    main = page.get_by_role("main")

    # The login page, switched to German with the row of languages under the card.
    page.goto(f"{base}/portal/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Deutsch", exact=True).click()
    expect(page.get_by_role("button", name=de("Log in"), exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Deutsch", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    assert_page_in(page, "de", "login (German)")

    page.get_by_label(de("Username")).fill(alice.admin.username)
    page.get_by_label(de("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=de("Log in"), exact=True).click()
    page.wait_for_url(f"{base}/portal/")

    # The dashboard, in German after the login too.
    expect(main.get_by_role("heading", level=1)).to_have_text("Alice Corp")
    nav = page.get_by_role("navigation", name=de("Portal sections"))
    for section in ("Library", "Campaigns", "Funds (MDF)", "Deals"):
        expect(nav.get_by_role("link", name=de(section), exact=True)).to_be_visible()
    assert_page_in(page, "de", "dashboard (German)")
    page.get_by_role("button", name=re.compile(alice.admin.first_name)).click()
    expect(page.get_by_role("button", name=de("Log out"))).to_be_visible()
    page.keyboard.press("Escape")

    # The content library and an asset.
    nav.get_by_role("link", name=de("Library"), exact=True).click()
    page.wait_for_url(f"{base}/portal/library/")
    expect(main.get_by_role("heading", level=1)).to_have_text(de("Content library"))
    assert_page_in(page, "de", "library (German)")
    main.get_by_role("link", name="Secure Edge Platform datasheet").first.click()
    page.wait_for_url(re.compile(r"/portal/library/[0-9a-f-]+/$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("Secure Edge Platform datasheet")
    expect(page.get_by_role("region", name=de("Download"))).to_be_visible()
    assert_page_in(page, "de", "asset (German)")

    # Campaign kits: open one and launch it.
    nav.get_by_role("link", name=de("Campaigns"), exact=True).click()
    page.wait_for_url(f"{base}/portal/campaigns/")
    expect(main.get_by_role("heading", level=1)).to_have_text(de("Campaigns"))
    assert_page_in(page, "de", "campaign kits (German)")
    main.get_by_role("link", name="Zero trust week").click()
    page.wait_for_url(re.compile(r".*/kits/zero-trust-week/$"))
    expect(main.get_by_text("2.500,00 €")).to_be_visible()
    assert_page_in(page, "de", "campaign kit (German)")
    main.get_by_label(de("Channel")).select_option("social")
    main.get_by_label(f"{de('Name')} ({de('optional')})").fill("LinkedIn-Aktion Zero Trust")
    main.get_by_role("button", name=de("Launch this campaign")).click()
    page.wait_for_url(re.compile(r".*/launches/[0-9A-Za-z]{10}/$"))
    expect(main.get_by_role("textbox", name=de("Your tracking link"))).to_be_visible()
    assert_page_in(page, "de", "launch (German)")

    # Marketing funds: the balances in German money, a request with a bad amount, then a good one.
    nav.get_by_role("link", name=de("Funds (MDF)"), exact=True).click()
    page.wait_for_url(f"{base}/portal/funds/")
    expect(main.get_by_role("heading", level=1)).to_have_text(de("Marketing funds"))
    available = main.locator('[data-figure="available"]')
    expect(available).to_have_text("12.345,67 €")
    assert GERMAN_MONEY.match(available.inner_text())
    assert_page_in(page, "de", "funds overview (German)")

    main.get_by_role("link", name=de("New request")).first.click()
    page.wait_for_url(f"{base}/portal/funds/requests/new/")
    start = timezone.localdate() + timedelta(days=21)
    main.get_by_label(de("Activity type")).select_option(label="Webinar")
    main.get_by_label(de("Activity title")).fill("Sicherheits-Webinar für den Mittelstand")
    main.get_by_label(de("Description"), exact=True).fill("Live-Webinar mit Kundenbeispiel.")
    main.get_by_label(de("Starts on")).fill(start.isoformat())
    main.get_by_label(de("Ends on")).fill(start.isoformat())
    cost = main.get_by_label(de("Total activity cost"))
    # A decimal point where German separates thousands: refused at the field (with an
    # example as German writes it), never read as 180050.
    cost.fill("1800.50")
    main.get_by_role("button", name=de("Submit for approval")).click()
    expect(cost).to_have_attribute("aria-invalid", "true")
    # The German message, told by the field (its description) named in German.
    expect(cost).to_have_accessible_description(
        re.compile(re.escape(de("Enter an amount like %(example)s.") % {"example": "1.250,50"}))
    )
    expect(page.get_by_role("alert")).to_have_text(de("Please correct the errors below."))
    assert_page_in(page, "de", "request form with an error (German)")
    with scopes_disabled():
        assert not FundRequest.objects.exists()
    # As German writes it: a decimal comma, a point between thousands.
    cost.fill("1.800,50")
    main.get_by_role("button", name=de("Submit for approval")).click()
    page.wait_for_url(re.compile(r".*/portal/funds/requests/[0-9a-f-]{36}/$"))
    expect(main.get_by_role("heading", level=1)).to_have_text(
        "Sicherheits-Webinar für den Mittelstand"
    )
    with scopes_disabled():
        assert FundRequest.objects.get().requested_amount == Decimal("1800.50")
    expect(main.get_by_text("1.800,50 €").first).to_be_visible()
    assert_page_in(page, "de", "fund request (German)")

    # Deal registration: register one and find it in the list.
    nav.get_by_role("link", name=de("Deals"), exact=True).click()
    page.wait_for_url(f"{base}/portal/deals/")
    assert_page_in(page, "de", "deals list (German)")
    main.get_by_role("link", name=de("Register a deal")).first.click()
    page.wait_for_url(f"{base}/portal/deals/new/")
    main.get_by_label(de("Customer company")).fill("Müller Maschinenbau GmbH")
    main.get_by_label(de("Customer web domain")).fill("mueller-maschinenbau.example")
    main.get_by_label(de("Customer country")).select_option("DE")
    main.get_by_label("Next-gen firewall").check()
    main.get_by_label(de("Estimated amount")).fill("25000")
    main.get_by_label(de("Currency")).fill("EUR")
    main.get_by_label(de("Expected close date")).fill(
        (timezone.localdate() + timedelta(days=40)).isoformat()
    )
    assert_page_in(page, "de", "register a deal (German)")
    main.get_by_role("button", name=de("Register the deal")).click()
    page.wait_for_url(re.compile(r".*/portal/deals/[0-9a-f-]{36}/$"))
    expect(main.get_by_role("heading", level=1)).to_have_text("Müller Maschinenbau GmbH")
    expect(main.get_by_text(de("Under review"), exact=True).first).to_be_visible()
    assert_page_in(page, "de", "a registration (German)")
    with scopes_disabled():
        assert Deal.objects.get().company == "Müller Maschinenbau GmbH"
    nav.get_by_role("link", name=de("Deals"), exact=True).click()
    page.wait_for_url(f"{base}/portal/deals/")
    expect(main.get_by_role("link", name="Müller Maschinenbau GmbH")).to_be_visible()
    expect(main.get_by_text("25.000,00 €").first).to_be_visible()
    assert_page_in(page, "de", "deals list with the deal (German)")

    # Back to English through the user menu.
    page.get_by_role("button", name=re.compile(alice.admin.first_name)).click()
    page.get_by_role("button", name="English", exact=True).click()
    page.wait_for_url(f"{base}/portal/deals/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.get_by_role("navigation", name="Portal sections")
    expect(nav.get_by_role("link", name="Funds (MDF)", exact=True)).to_be_visible()
    expect(main.get_by_role("link", name="Register a deal").first).to_be_visible()
    expect(main.get_by_text("25,000.00 EUR").first).to_be_visible()
    page.get_by_role("button", name=re.compile(alice.admin.first_name)).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert_accessible(page, "deals list (English again)")
