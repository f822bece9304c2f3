"""Enablement in a real browser: a partner user studies a track (downloads its assets
from the library), passes its quiz after failing it once, and sees the certification;
no serious accessibility problem on the track, quiz and result pages."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.browser.test_portal_browser import assert_accessible, log_in
from tests.partners.enablement_data import QUIZ, make_track

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def answer(page, *, wrong: int) -> None:
    for index, (question, choices) in enumerate(QUIZ):
        pick = next(text for text, correct in choices if correct is (index >= wrong))
        page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(pick).check()
    page.get_by_role("button", name="Submit my answers").click()


def test_study_a_track_and_pass_its_quiz(live_server, alice, new_page, screenshot):
    with transaction.atomic():
        track = make_track("backup-basics", assets=2)
    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.marketer.username)
    page.wait_for_url(f"{live_server.url}/portal/")

    nav = page.get_by_role("navigation", name="Portal sections")
    nav.get_by_role("link", name=re.compile("Enablement")).click()
    page.wait_for_url(f"{live_server.url}/portal/enablement/")
    assert_accessible(page, "enablement tracks")
    page.get_by_role("link", name="Backup Basics").click()
    track_url = f"{live_server.url}/portal/enablement/tracks/{track.slug}/"
    page.wait_for_url(track_url)
    expect(
        page.get_by_text("The quiz opens once you have studied everything above.")
    ).to_be_visible()

    # study: open each asset in the library and download it
    for item in track.items.select_related("asset"):
        page.get_by_role("link", name=item.asset.title).click()
        page.wait_for_url(re.compile(r"/portal/library/[0-9a-f-]+/$"))
        downloads = page.get_by_role("region", name="Download")
        with page.expect_download():
            downloads.get_by_role("link", name=re.compile("^Download")).first.click()
        page.goto(track_url)
    expect(page.get_by_text("You studied 2 of 2.")).to_be_visible()
    screenshot(page, "enablement-track-desktop")
    assert_accessible(page, "track")

    # the quiz: failed first
    page.get_by_role("link", name="Take the quiz").click()
    page.wait_for_url(re.compile(r"/quiz/$"))
    assert_accessible(page, "quiz")
    answer(page, wrong=2)
    page.wait_for_url(re.compile(r"/result/$"))
    expect(page.get_by_text("Not passed")).to_be_visible()
    expect(page.get_by_text("Correct: Every quarter")).to_be_visible()
    assert_accessible(page, "quiz result (failed)")

    # then passed
    page.get_by_role("link", name="Take the quiz again").click()
    answer(page, wrong=0)
    page.wait_for_url(re.compile(r"/result/$"))
    expect(page.get_by_text("Score: 100 %")).to_be_visible()
    expect(page.get_by_text("You earned the Backup Basics certification.")).to_be_visible()
    screenshot(page, "enablement-result-desktop")
    assert_accessible(page, "quiz result")

    page.get_by_role("link", name="Our team's certifications").first.click()
    page.wait_for_url(f"{live_server.url}/portal/enablement/certifications/")
    expect(page.get_by_role("cell", name="Backup Basics")).to_be_visible()
    assert_accessible(page, "team certifications")
