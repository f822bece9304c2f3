"""The results upload in a real browser: a marketer downloads the example, uploads a
file with mistakes (the problems table names rows and columns), then a good file (the
counts). axe-core finds no serious or critical problem. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from analytics.models import ResultEvent
from tests.analytics.results_fixtures import AN_HOUR_AGO, make_kit, make_launch
from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_portal_browser import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("viewport_name", ["desktop", "mobile"])
def test_upload_results_with_mistakes_then_a_good_file(
    live_server, alice, new_page, screenshot, tmp_path, viewport_name
):
    launch = make_launch(alice.partner, make_kit("spring-promo"), alice.admin)
    page = new_page(DESKTOP if viewport_name == "desktop" else MOBILE)
    log_in(page, live_server.url, alice.marketer.username)
    page.goto(f"{live_server.url}/portal/performance/upload/")
    expect(page.get_by_role("heading", name="Upload results")).to_be_visible()
    assert_accessible(page, "results upload")
    screenshot(page, f"results-upload-{viewport_name}")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download an example CSV").click()
    assert launch.code in download.value.path().read_text()

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "external_id,kind,occurred_at,amount,currency,email_domain\n"
        f"ok-1,lead,{AN_HOUR_AGO},,,\n"
        f"bad-1,won,{AN_HOUR_AGO},-5.00,EUR,\n"
        f"bad-2,lead,2026-03-01T10:00:00,,,jane@initech.example\n"
    )
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and check").click()
    table = page.get_by_role("table", name="Problems in the file")
    expect(table).to_be_visible()
    assert table.get_by_role("row").count() == 4  # header + 3 problems
    assert_accessible(page, "results upload with problems")
    screenshot(page, f"results-upload-problems-{viewport_name}")

    page.get_by_label("CSV file").set_input_files(str(download.value.path()))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("3 new results saved; 0 were already recorded.")).to_be_visible()
    screenshot(page, f"results-upload-saved-{viewport_name}")
    with scopes_disabled():
        assert ResultEvent.objects.filter(launch=launch).count() == 3
