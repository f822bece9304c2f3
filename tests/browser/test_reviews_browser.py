"""Business reviews in a real browser: a partner marketer opens a held review, reads
the scorecard frozen when it was held, marks the partner's action item done, and finds
it done in "My action items". axe-core finds no serious or critical problem on these
pages. Screenshots at 1280 px land in test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from campaigns import services
from campaigns.models import ActionItem
from tests.browser.conftest import DESKTOP
from tests.browser.test_portal_browser import assert_accessible, log_in
from tests.campaigns.review_factories import current_plan, schedule, soon

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def held_review(alice, staff_users):
    carl = staff_users["channel_manager"]
    plan = current_plan(alice)
    review = schedule(
        plan, carl, title="Q1 business review", when=soon(1), attendees=[carl, alice.marketer]
    )
    today = timezone.localdate()
    services.action_item_add(
        review=review,
        actor=carl,
        title="Send the target account list",
        owner_side="partner",
        due_date=today - timedelta(days=2),
        owner=alice.marketer,
    )
    services.action_item_add(
        review=review,
        actor=carl,
        title="Share the webinar deck",
        owner_side="vendor",
        due_date=today + timedelta(days=5),
        owner=carl,
    )
    return services.review_hold(
        review=review, actor=carl, notes="Pipeline behind; ABM pilot agreed."
    )


def test_a_partner_opens_a_held_review_and_marks_its_action_item_done(
    live_server, alice, held_review, new_page, screenshot
):
    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.marketer.username)
    page.goto(f"{live_server.url}/portal/plans/reviews/")
    page.get_by_role("link", name="Q1 business review").click()
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Q1 business review")).to_be_visible()
    expect(main.get_by_text("Pipeline behind; ABM pilot agreed.")).to_be_visible()
    table = main.get_by_role("table")
    expect(table.get_by_role("rowheader", name="Certified engineers")).to_be_visible()
    expect(main.get_by_text("Overdue")).to_be_visible()
    screenshot(page, "review-held-desktop")
    assert_accessible(page, "held review")

    main.get_by_role("button", name="Mark done: Send the target account list").click()
    expect(page.get_by_text("“Send the target account list” is done.")).to_be_visible()
    # the vendor's item has no button for the partner
    expect(main.get_by_role("button", name="Mark done: Share the webinar deck")).to_have_count(0)
    with scopes_disabled():
        item = ActionItem.objects.get(title="Send the target account list")
    assert (item.status, item.completed_by) == ("done", alice.marketer)

    main.get_by_role("link", name="My action items, across plans").click()
    expect(main.get_by_text("Share the webinar deck")).to_be_visible()
    expect(main.get_by_text("Send the target account list")).to_have_count(0)
    screenshot(page, "review-action-items-desktop")
    assert_accessible(page, "my action items")
    page.get_by_role("link", name="Done").click()
    expect(main.get_by_text("Send the target account list")).to_be_visible()
