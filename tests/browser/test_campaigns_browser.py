"""The campaign pages in a real browser: a marketer opens the campaign kits, searches,
opens a kit, launches it, sees the tracking link (and copies it), finds the launch in
"My launches" and starts it. axe-core finds no serious or critical problem on any of
these pages. Screenshots at 1280 px land in test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from campaigns import services
from campaigns.models import Launch
from tests.assets.factories import make_asset
from tests.browser.conftest import DESKTOP
from tests.browser.test_portal_browser import assert_accessible, log_in
from tests.campaigns.factories import make_kit, make_launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def kits(alice, bob, staff_users):
    maya = staff_users["marketing_admin"]
    today = timezone.localdate()
    datasheet = make_asset(title="Zero trust datasheet", kind="datasheet")
    post = make_asset(title="LinkedIn post: zero trust in 5 steps", kind="social_post")
    make_asset(title="Bob's battlecard", audience={"partners": [bob.partner]})
    zero_trust = make_kit(
        actor=maya,
        name="Zero trust week",
        slug="zero-trust-week",
        description="A week of emails, posts and a webinar that explain zero trust to "
        "mid-sized companies, with a free assessment as the call to action.",
        channels=("email", "social", "webinar"),
        assets=[datasheet, post],
        suggested_budget="2500.00",
        currency="EUR",
        mdf_eligible=True,
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=45),
    )
    backup = make_kit(
        actor=maya,
        name="Backup you can trust",
        slug="backup-trust",
        objective="awareness",
        description="Ransomware-proof backup for small businesses.",
        channels=("email", "event"),
    )
    make_kit(actor=maya, name="Bob only", slug="bob-only", audience={"partners": [bob.partner]})
    earlier = make_launch(alice, backup, name="Autumn newsletter", channel="email")
    services.launch_set_status(launch=earlier, status="active", actor=alice.admin)
    return zero_trust


def test_a_marketer_launches_a_kit_and_gets_its_tracking_link(
    live_server, alice, kits, new_page, screenshot
):
    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.marketer.username)
    page.get_by_role("link", name="Campaigns").first.click()
    page.wait_for_url(f"{live_server.url}/portal/campaigns/")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Zero trust week")).to_be_visible()
    assert main.get_by_text("Bob only").count() == 0
    screenshot(page, "campaigns-kits-desktop")
    assert_accessible(page, "campaign kits")

    page.get_by_role("searchbox", name="Search").fill("ransomware")
    page.get_by_role("button", name="Apply").click()
    expect(main.get_by_role("heading", name="Backup you can trust")).to_be_visible()
    assert main.get_by_role("heading", name="Zero trust week").count() == 0
    page.goto(f"{live_server.url}/portal/campaigns/")

    main.get_by_role("link", name="Zero trust week").click()
    page.wait_for_url(re.compile(r".*/kits/zero-trust-week/$"))
    expect(main.get_by_text("2,500.00 EUR")).to_be_visible()
    expect(main.get_by_role("link", name="Zero trust datasheet", exact=True)).to_be_visible()
    assert main.get_by_text("Bob's battlecard").count() == 0
    download = main.get_by_role("link", name=re.compile("Download Zero trust datasheet"))
    assert download.get_attribute("href").endswith("?kit=zero-trust-week")
    screenshot(page, "campaigns-kit-desktop")
    assert_accessible(page, "campaign kit")

    main.get_by_label("Channel").select_option("social")
    main.get_by_label("Name").fill("LinkedIn zero trust push")
    main.get_by_role("button", name="Launch this campaign").click()
    page.wait_for_url(re.compile(r".*/launches/[0-9A-Za-z]{10}/$"))
    with scopes_disabled():
        launch = Launch.objects.get(name="LinkedIn zero trust push")
    link = main.get_by_role("textbox", name="Your tracking link")
    assert link.input_value() == f"{live_server.url}/t/{launch.code}"
    expect(main.get_by_text(f"utm_content={launch.code}")).to_be_visible()
    main.get_by_role("button", name="Copy").click()
    expect(main.get_by_text("Copied to the clipboard.")).to_be_visible()  # written async
    screenshot(page, "campaigns-launch-desktop")
    assert_accessible(page, "launch")

    main.get_by_role("button", name="Start (active)").click()
    expect(page.get_by_text("The launch is now active.").first).to_be_visible()
    with scopes_disabled():
        assert Launch.objects.get(pk=launch.pk).status == "active"

    page.get_by_role("link", name="My launches").click()
    page.wait_for_url(f"{live_server.url}/portal/campaigns/launches/")
    expect(main.get_by_role("link", name="LinkedIn zero trust push")).to_be_visible()
    expect(main.get_by_role("link", name="Autumn newsletter")).to_be_visible()
    assert (
        page.locator(f"#link-{launch.code}").input_value() == f"{live_server.url}/t/{launch.code}"
    )
    screenshot(page, "campaigns-launches-desktop")
    assert_accessible(page, "my launches")
