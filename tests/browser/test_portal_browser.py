"""The portal in a real browser: log in, see the dashboard, log out; axe-core finds
no serious or critical accessibility problem; keyboard users reach the skip link
first; the navigation works on a phone. Screenshots land in test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, MOBILE
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    # Flushed after each test: restore the roles' groups the data migration made.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_accessible(page, what: str) -> None:
    """axe-core on the current page: no violation of serious or critical impact."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    report = "\n".join(
        f"- [{v['impact']}] {v['id']}: {v['help']}\n"
        + "\n".join(f"    {node['target']}: {node['failureSummary']}" for node in v["nodes"])
        for v in bad
    )
    assert not bad, f"axe found serious/critical problems on the {what} page:\n{report}"


def assert_skip_link_first(page) -> None:
    """The first Tab from the top of the page lands on the skip link, which shows."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/portal/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_log_in_see_dashboard_log_out(live_server, alice, new_page, screenshot):
    page = new_page(DESKTOP)
    page.goto(f"{live_server.url}/portal/login/")
    assert page.title().startswith("Log in")
    screenshot(page, "login-desktop")
    assert_accessible(page, "login")

    assert_skip_link_first(page)

    page.get_by_label("Username").fill(alice.admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")

    page.wait_for_url(f"{live_server.url}/portal/")
    main = page.get_by_role("main")
    assert main.get_by_role("heading", level=1).inner_text() == "Alice Corp"
    expect(main.get_by_text("Gold tier")).to_be_visible()
    expect(main.get_by_text("Active", exact=True)).to_be_visible()
    manager = alice.partner.channel_manager
    mail_link = main.get_by_role("link", name=manager.email)
    assert mail_link.get_attribute("href") == f"mailto:{manager.email}"
    expect(main.get_by_text(manager.get_full_name()).first).to_be_visible()
    nav = page.get_by_role("navigation", name="Portal sections")
    for section in ("Library", "Campaigns", "Funds (MDF)", "Results"):
        expect(nav.get_by_role("link", name=section)).to_be_visible()
    screenshot(page, "dashboard-desktop")
    assert_accessible(page, "dashboard")
    assert_skip_link_first(page)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.get_by_role("button", name=re.compile(alice.admin.first_name)).click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/portal/logout/")
    assert page.get_by_role("heading", level=1).inner_text() == "You are logged out"
    # The session is gone: the dashboard asks for a login again.
    page.goto(f"{live_server.url}/portal/")
    assert page.url.startswith(f"{live_server.url}/portal/login/")


def test_phone_navigation_opens_from_the_menu_button(live_server, alice, new_page, screenshot):
    page = new_page(MOBILE)
    log_in(page, live_server.url, alice.admin.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    nav = page.get_by_role("navigation", name="Portal sections")
    profile_link = nav.get_by_role("link", name="Company profile", exact=True)
    expect(profile_link).not_to_be_visible()  # the sidebar is folded away on a phone

    page.get_by_role("button", name="Open the menu").click()
    profile_link.wait_for(state="visible")
    page.locator("#portal-nav.show:not(.showing)").wait_for()  # the slide-in is done
    screenshot(page, "navigation-open-mobile", full_page=False)
    profile_link.click()
    page.wait_for_url(f"{live_server.url}/portal/profile/")
    assert page.get_by_role("heading", level=1).inner_text() == "Company profile"


@pytest.mark.parametrize("viewport_name", ["desktop", "mobile"])
def test_screenshots_of_the_main_pages(
    live_server, alice, staff_users, new_page, screenshot, viewport_name
):
    """Pictures for a human reviewer; each page is also checked to be the right one."""
    viewport = DESKTOP if viewport_name == "desktop" else MOBILE
    page = new_page(viewport)
    page.goto(f"{live_server.url}/portal/login/")
    screenshot(page, f"login-{viewport_name}")

    log_in(page, live_server.url, alice.admin.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    screenshot(page, f"dashboard-{viewport_name}")

    page.goto(f"{live_server.url}/portal/profile/")
    expect(page.get_by_label("Display name")).to_be_visible()
    screenshot(page, f"profile-{viewport_name}")
    assert_accessible(page, "profile")

    page.goto(f"{live_server.url}/portal/api-keys/")
    page.get_by_label("Key name").fill("HubSpot sync")
    page.get_by_role("button", name="Create the key").click()
    assert (
        page.get_by_label("API key", exact=True)
        .input_value()
        .startswith(page.locator("table code").first.inner_text())
    )
    screenshot(page, f"api-keys-{viewport_name}")
    assert_accessible(page, "API keys")

    page.goto(f"{live_server.url}/portal/company/sign-in/")
    expect(page.get_by_role("heading", name="No company sign-in yet")).to_be_visible()
    expect(page.get_by_label("Issuer URL")).to_be_visible()
    screenshot(page, f"company-sign-in-{viewport_name}")
    assert_accessible(page, "company sign-in")

    page.goto(f"{live_server.url}/portal/no-such-page/")
    assert page.get_by_role("heading", level=1).inner_text() == "We could not find that page"
    screenshot(page, f"404-{viewport_name}")

    staff_page = new_page(viewport)
    log_in(staff_page, live_server.url, staff_users["marketing_admin"].username)
    staff_page.wait_for_url(f"{live_server.url}/portal/")
    heading = staff_page.get_by_role("heading", level=1).inner_text()
    assert heading == "The partner portal is for partner companies"
    screenshot(staff_page, f"staff-notice-{viewport_name}")
    assert_accessible(staff_page, "staff notice")


def test_an_old_logout_link_offers_a_log_out_button(live_server, alice, new_page, screenshot):
    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.admin.username)
    page.wait_for_url(f"{live_server.url}/portal/")

    page.goto(f"{live_server.url}/portal/logout/")  # typed, or an old bookmark

    assert page.get_by_role("heading", level=1).inner_text() == "Log out?"
    screenshot(page, "logout-confirm-desktop")
    assert_accessible(page, "log out")
    page.get_by_role("main").get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/portal/logout/")
    assert page.get_by_role("heading", level=1).inner_text() == "You are logged out"
    page.goto(f"{live_server.url}/portal/")
    assert page.url.startswith(f"{live_server.url}/portal/login/")


def test_a_rejected_profile_keeps_the_saved_name_around_the_form(
    live_server, alice, new_page, screenshot
):
    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.admin.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    page.goto(f"{live_server.url}/portal/profile/")

    page.get_by_label("Display name").fill("Renamed Ltd")
    page.get_by_label("Email").fill("not-an-email")
    # The server's check, not the browser's: turn off the form's built-in validation.
    page.locator("main form").evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the profile").click()

    expect(page.get_by_role("main").get_by_role("alert")).to_be_visible()
    expect(page.locator("#id_contact_email_error")).to_be_visible()
    assert page.get_by_label("Display name").input_value() == "Renamed Ltd"
    assert page.locator(".partner-name").inner_text() == "Alice Corp"
    screenshot(page, "profile-rejected-desktop")
    assert_accessible(page, "profile with errors")
