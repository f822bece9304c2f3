"""The voice of the partner in a real browser: a marketer rates a library asset from
its page and answers the open partner survey; an analyst reads the NPS (chart and
table) and the lowest-rated content. axe-core finds no serious or critical problem
on these pages. Screenshots at 1280 px land in test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from partners import services
from partners.models import ContentRating, Survey, SurveyResponse, SurveyRound
from tests.assets.factories import make_asset
from tests.browser.conftest import DESKTOP
from tests.browser.test_admin_browser import admin_log_in
from tests.browser.test_portal_browser import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def voice(alice, bob, staff_users):
    today = timezone.localdate()
    asset = make_asset(title="Zero trust datasheet", kind="datasheet")
    survey = Survey.objects.create(title="Partner program pulse", interval_months=6)
    survey.questions.create(position=1, text="What should we do better?")
    past = SurveyRound.objects.create(
        survey=survey,
        number=1,
        opens_on=today - timedelta(days=180),
        closes_on=today - timedelta(days=160),
    )
    with scopes_disabled():
        for user, score in ((bob.admin, 4), (bob.marketer, 8)):
            SurveyResponse.objects.create(
                round=past, partner=bob.partner, user=user, tier=bob.partner.tier, score=score
            )
    current = SurveyRound.objects.create(
        survey=survey,
        number=2,
        opens_on=today - timedelta(days=2),
        closes_on=today + timedelta(days=12),
    )
    services.rating_save(
        actor=bob.admin, partner=bob.partner, asset=asset, rating=1, comment="Outdated figures"
    )
    return {"asset": asset, "round": current}


def test_a_marketer_rates_an_asset_and_answers_the_survey(
    live_server, alice, voice, new_page, screenshot
):
    page = new_page(DESKTOP)
    log_in(page, live_server.url, alice.marketer.username)
    main = page.get_by_role("main")

    # Rate the asset from its page.
    page.goto(f"{live_server.url}/portal/library/{voice['asset'].uuid}/")
    rating = main.locator("#rating")
    expect(rating.get_by_text("No one at your company has rated it yet.")).to_be_visible()
    assert "Outdated figures" not in page.content()  # bob's comment stays bob's
    assert_accessible(page, "asset with its rating card")
    rating.get_by_text("4 – Very good").click()
    rating.get_by_label("Comment").fill("Add a German version, please.")
    rating.get_by_role("button", name="Send my rating").click()
    page.wait_for_url(re.compile(r".*/portal/library/.*#rating$"))
    expect(page.get_by_text("Thank you for your rating.")).to_be_visible()
    expect(rating.get_by_text("Your company rates it 4.0 out of 5 (1 rating).")).to_be_visible()
    expect(rating.get_by_label("4 – Very good")).to_be_checked()
    screenshot(page, "voice-asset-rating-desktop")
    with scopes_disabled():
        assert list(
            ContentRating.objects.filter(user=alice.marketer).values_list("rating", flat=True)
        ) == [4]

    # Answer the open survey.
    page.get_by_role("link", name="Surveys").first.click()
    page.wait_for_url(f"{live_server.url}/portal/surveys/")
    assert_accessible(page, "surveys")
    main.get_by_role("link", name="Answer Partner program pulse").click()
    page.wait_for_url(re.compile(r".*/portal/surveys/[0-9a-f-]+/$"))
    group = main.get_by_role("group", name=re.compile("How likely are you to recommend"))
    expect(group).to_be_visible()
    main.get_by_role("button", name="Send my answers").click()  # no score: told at the field
    expect(main.get_by_text("Choose a score from 0 to 10.")).to_be_visible()
    assert_accessible(page, "survey with an error")
    group.get_by_text("9", exact=True).click()
    main.get_by_label("What should we do better?").fill("Faster claim payments.")
    screenshot(page, "voice-survey-desktop")
    main.get_by_role("button", name="Send my answers").click()
    page.wait_for_url(f"{live_server.url}/portal/surveys/")
    expect(page.get_by_text("Thank you: your answers are in.")).to_be_visible()
    expect(main.get_by_text("Answered — thank you")).to_be_visible()
    with scopes_disabled():
        assert SurveyResponse.objects.get(user=alice.marketer).score == 9


def test_an_analyst_reads_the_nps_and_the_lowest_rated_content(
    live_server, alice, voice, staff_users, new_page, screenshot
):
    with scopes_disabled():
        services.survey_response_submit(survey_round=voice["round"], actor=alice.admin, score=10)
    page = new_page(DESKTOP)
    admin_log_in(page, live_server.url, staff_users["analyst"].username)
    page.get_by_role("link", name="Partner NPS").click()
    page.wait_for_url(re.compile(r".*/admin/voice/nps/"))
    table = page.locator("#nps-trend")
    expect(table.get_by_role("cell", name="-50", exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="+100", exact=True)).to_be_visible()
    expect(page.locator("canvas#chart-nps")).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-nps')")
    screenshot(page, "voice-nps-desktop")
    assert_accessible(page, "NPS")

    page.get_by_role("link", name="Lowest-rated content").click()
    expect(page.get_by_role("link", name="Zero trust datasheet")).to_be_visible()
    expect(page.get_by_text("Outdated figures")).to_be_visible()
    assert_accessible(page, "lowest-rated content")
