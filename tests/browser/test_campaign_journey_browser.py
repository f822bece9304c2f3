"""The whole through-channel loop in a real browser, as the issue tells it: marketing
staff publish a kit in the admin → a partner marketer launches it in the portal → a
prospect opens the tracking link → the partner's CRM posts results naming the launch
code → after the rollup, the partner's dashboard and launch page show them. axe-core
finds no serious or critical problem on the portal pages on the way.

The vendor's website, which this machine cannot reach, is played by our own server's
health page: the kit's landing URL points there, so the browser follows the real
redirect and lands on a real page."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from analytics.models import ResultEvent
from analytics.rollup import rollup_metrics
from campaigns import services
from campaigns.models import CampaignKit, Launch
from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP  # noqa: F401 (same browser)
from tests.browser.test_portal_browser import assert_accessible, log_in
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A prospect's ordinary browser: headless Chromium's own user agent is on the crawler
# list, and rightly so, so its clicks would not count.
PROSPECT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture
def draft_kit(staff_users, live_server):
    today = timezone.localdate()
    return services.kit_create(
        actor=staff_users["marketing_admin"],
        name="Zero trust in a week",
        slug="zero-trust-week",
        objective=CampaignKit.Objective.LEAD_GENERATION,
        description="Emails and posts that explain zero trust, with a free assessment.",
        channels=["email", "social"],
        start_date=today - timedelta(days=1),
        end_date=today + timedelta(days=60),
        landing_url=f"{live_server.url}/healthz?lang=en",
        suggested_budget="2500.00",
        currency="USD",
        mdf_eligible=True,
    )


def test_publish_launch_click_sync_and_see_the_results(
    live_server, alice, alice_key, staff_users, draft_kit, browser, new_page, screenshot
):
    # Staff publish the draft kit in the admin.
    page = new_page(DESKTOP)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(staff_users["marketing_admin"].username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/campaigns/campaignkit/")
    page.get_by_role("row", name=re.compile("Zero trust in a week")).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(label="Publish the selected kits")
    page.get_by_role("button", name="Go").click()
    row = page.get_by_role("row", name=re.compile("Zero trust in a week"))
    assert "Published" in row.inner_text()
    draft_kit.refresh_from_db()
    assert draft_kit.status == CampaignKit.Status.PUBLISHED

    # The partner's marketer launches it.
    portal = new_page(DESKTOP)
    log_in(portal, live_server.url, alice.marketer.username)
    portal.wait_for_url(f"{live_server.url}/portal/")
    portal.get_by_role("link", name="Campaigns").first.click()
    main = portal.get_by_role("main")
    main.get_by_role("link", name="Zero trust in a week").click()
    portal.wait_for_url(re.compile(r".*/kits/zero-trust-week/$"))
    assert_accessible(portal, "kit page")
    main.get_by_label("Channel").select_option("email")
    main.get_by_label("Name").fill("December newsletter")
    main.get_by_role("button", name="Launch this campaign").click()
    portal.wait_for_url(re.compile(r".*/launches/[0-9A-Za-z]{10}/$"))
    link = main.get_by_role("textbox", name="Your tracking link").input_value()
    with scopes_disabled():
        launch = Launch.objects.get(name="December newsletter")
    assert link == f"{live_server.url}/t/{launch.code}"
    main.get_by_role("button", name="Start (active)").click()
    assert_accessible(portal, "launch page")

    # A prospect opens the link: redirected to the landing page with the UTMs.
    prospect = browser.new_context(viewport=DESKTOP, user_agent=PROSPECT)
    visit = prospect.new_page()
    visit.goto(link)
    target = urlsplit(visit.url)
    prospect.close()
    assert target.path == "/healthz"
    assert parse_qs(target.query) == {
        "lang": ["en"],
        "utm_source": [alice.partner.slug],
        "utm_medium": ["email"],
        "utm_campaign": ["zero-trust-week"],
        "utm_content": [launch.code],
    }
    with scopes_disabled():
        click = ResultEvent.objects.get(launch=launch, kind="click")
    assert click.counted

    # The partner's CRM syncs two leads and an opportunity for the launch.
    now = timezone.now()
    events = [
        {"external_id": f"lead-{n}", "launch": launch.code, "kind": "lead",
         "occurred_at": (now - timedelta(minutes=10 - n)).isoformat()}
        for n in (1, 2)
    ] + [
        {"external_id": "opp-1", "launch": launch.code, "kind": "opportunity",
         "occurred_at": now.isoformat(), "amount": "18500.00", "currency": "USD"}
    ]  # fmt: skip
    answer = requests.post(
        f"{live_server.url}/api/v1/results/",
        json={"events": events},
        headers={"Authorization": f"Api-Key {alice_key}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"created": 3, "duplicates": 0}

    # The beat job's rollup; then the dashboard shows them.
    rollup_metrics()
    portal.goto(f"{live_server.url}/portal/performance/")
    tiles = {
        name: portal.locator(f'[data-kpi="{name}"] .kpi-value').first.inner_text()
        for name in ("clicks", "leads", "opportunities", "pipeline")
    }
    assert tiles == {
        "clicks": "1",
        "leads": "2",
        "opportunities": "1",
        "pipeline": "18,500.00 USD",
    }
    assert portal.locator("[data-freshness]").inner_text().startswith("Updated")
    screenshot(portal, "journey-performance")
    assert_accessible(portal, "performance after the sync")

    portal.goto(f"{live_server.url}/portal/campaigns/launches/{launch.code}/")
    results = portal.get_by_role("main")
    expect(results.get_by_text("18,500.00 USD").first).to_be_visible()
    screenshot(portal, "journey-launch")
