"""The performance dashboard in a real browser, with a year of results that tell a
story (a webinar series that grows, a newsletter that fades, a funded launch): the
charts draw from their JSON data, their numbers are in a table, and axe-core finds no
serious or critical problem on the portal page, the home page's KPI row, the staff
leaderboard and the drill-down. Screenshots at 1280 px land in test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.analytics.performance_data import (
    funded_spend,
    make_kit,
    make_launch,
    results,
    rolled_up,
    today,
)
from tests.browser.conftest import DESKTOP
from tests.browser.test_portal_browser import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def year_of_results(alice, bob, staff_users):
    spring = make_kit(name="Spring security push")
    cloud = make_kit(slug="cloud-migration", name="Cloud migration")
    webinar = make_launch(alice, spring, "Webinar series")
    newsletter = make_launch(alice, spring, "Newsletter")
    ads = make_launch(alice, cloud, "Search ads")
    for offset in range(1, 366):
        day = today() - timedelta(days=offset)
        growth = max(1, (366 - offset) // 30)
        results(
            alice.partner,
            day,
            launch=webinar,
            clicks=20 + 3 * growth + offset % 7,
            leads=2 + growth // 2,
            opps=1 if offset % 3 == 0 else 0,
            won=1 if offset % 15 == 0 else 0,
            pipeline="4200.00" if offset % 3 == 0 else "0",
            revenue="9800.00" if offset % 15 == 0 else "0",
        )
        results(
            alice.partner,
            day,
            launch=newsletter,
            clicks=max(2, 40 - growth * 3),
            leads=1 if offset % 4 == 0 else 0,
        )
        if offset % 10 == 0:
            results(
                alice.partner,
                day,
                launch=ads,
                clicks=15,
                leads=2,
                opps=1,
                pipeline="3100.00",
                currency="USD",
            )
        results(bob.partner, day, launch=None, kit=None, clicks=0, downloads=2)
    funded_spend(alice, staff_users, launch=webinar, amount="4000.00")
    funded_spend(alice, staff_users, launch=ads, amount="1500.00", currency="USD")
    rolled_up(40)


def test_the_dashboard_tells_its_story_and_is_accessible(
    live_server, alice, staff_users, year_of_results, new_page, screenshot
):
    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.marketer.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.locator('[data-kpi="leads"]').first).to_be_visible()
    screenshot(page, "performance-home")
    assert_accessible(page, "portal home with KPIs")

    page.get_by_role("link", name="See performance").click()
    page.wait_for_url(f"{live_server.url}/portal/performance/")
    assert page.get_by_role("heading", level=1).inner_text() == "Performance"
    assert "seconds ago" in page.locator("[data-freshness]").inner_text()
    # Chart.js drew both charts (a chart instance per canvas).
    page.wait_for_function(
        "window.Chart && Chart.getChart('chart-counts') && Chart.getChart('chart-money')"
    )
    screenshot(page, "performance-dashboard")
    assert_accessible(page, "performance")

    page.get_by_label("Period", exact=True).select_option("12m")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=12m**")
    page.wait_for_function("window.Chart && Chart.getChart('chart-counts')")
    page.get_by_text("Show the charts' numbers as a table").click()
    expect(page.locator("table.perf-table").first).to_be_visible()
    screenshot(page, "performance-dashboard-year")
    assert_accessible(page, "performance, a year by month")


def test_staff_see_the_leaderboard_and_drill_down(
    live_server, alice, bob, staff_users, year_of_results, new_page, screenshot
):
    page = new_page(DESKTOP)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(staff_users["analyst"].username)
    page.get_by_label("Password").fill("x")  # replaced below
    from tests.conftest import PASSWORD

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/performance/?period=12m")
    expect(page.get_by_role("link", name="Alice Corp")).to_be_visible()
    screenshot(page, "performance-leaderboard")
    assert_accessible(page, "staff leaderboard")
    page.get_by_role("link", name="Alice Corp").click()
    page.wait_for_function("window.Chart && Chart.getChart('chart-counts')")
    assert "Performance of Alice Corp" in page.get_by_role("heading", level=1).inner_text()
    screenshot(page, "performance-drilldown")
    assert_accessible(page, "staff drill-down")
    page.goto(f"{live_server.url}/admin/performance/mdf-roi/?period=12m")
    screenshot(page, "performance-roi")
    assert_accessible(page, "MDF ROI")
