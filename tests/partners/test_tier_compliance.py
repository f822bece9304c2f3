"""Tier compliance: the assessment from known KPIs (daily metrics) and certified users,
what a partner lacks for the next tier in words, the daily job on a frozen clock, the
partner's dashboard card and the staff list of partners whose tier differs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from partners.models import Certification, QuizAttempt, TierAssessment, TierRequirement
from partners.selectors import lacking_text, tier_assessment_latest
from partners.services import tier_assess
from partners.tasks import assess_tiers
from tests.analytics.performance_data import metric
from tests.partners.enablement_data import make_track

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


@pytest.fixture
def requirements(tiers):
    TierRequirement.objects.create(
        tier=tiers["silver"], window_days=90, min_leads=10, min_certified_users=1
    )
    TierRequirement.objects.create(
        tier=tiers["gold"],
        window_days=365,
        min_revenue=Decimal("100000"),
        currency="USD",
        min_won_deals=3,
        min_certified_users=3,
    )
    TierRequirement.objects.create(
        tier=tiers["platinum"], window_days=365, min_revenue=Decimal("500000"), currency="USD"
    )


def certify(world, user, *, earned=datetime(2026, 5, 1, tzinfo=UTC), expires=None):
    track = make_track(f"t-{user.username}", assets=0, quiz=[])
    with scopes_disabled():
        attempt = QuizAttempt.objects.create(
            partner=world.partner, user=user, track=track, score=100, passed=True
        )
        Certification.objects.create(
            partner=world.partner,
            user=user,
            track=track,
            earned_at=earned,
            expires_at=expires,
            attempt=attempt,
        )


def test_silver_met_gold_lacking_in_words_and_numbers(alice, requirements, tiers):
    # given: in the last 90 days 12 leads; over the year 2 wins and 60,000 USD (and EUR,
    # which does not count for a USD requirement); one certified user, one expired
    metric(alice.partner, date(2026, 6, 1), leads=12)
    metric(alice.partner, date(2025, 9, 1), currency="USD", won=2, revenue=Decimal("60000"))
    metric(alice.partner, date(2026, 2, 1), currency="EUR", won=0, revenue=Decimal("90000"))
    metric(alice.partner, date(2025, 6, 1), currency="USD", won=5, revenue=Decimal("900000"))
    certify(alice, alice.admin)
    certify(alice, alice.sales, expires=datetime(2026, 6, 1, tzinfo=UTC))

    # when
    assessment = tier_assess(partner=alice.partner, today=TODAY)

    # then
    assert assessment.current_tier == tiers["gold"]
    assert assessment.recommended_tier == tiers["silver"]
    assert assessment.next_tier == tiers["gold"]
    assert assessment.measured["won"] == 2
    assert assessment.measured["revenue"] == {"USD": "60000.00", "EUR": "90000.00"}
    assert assessment.measured["certified_users"] == 1
    assert lacking_text(assessment) == (
        "2 more certified users, 40,000 USD revenue and 1 more won deal for Gold"
    )


def test_nothing_met_is_the_lowest_tier(alice, requirements, tiers):
    assessment = tier_assess(partner=alice.partner, today=TODAY)
    assert assessment.recommended_tier == tiers["registered"]
    assert lacking_text(assessment) == "1 more certified user and 10 more leads for Silver"


def test_the_highest_tier_met_wins_and_nothing_lacks_at_the_top(alice, requirements, tiers):
    metric(alice.partner, date(2026, 1, 1), currency="USD", won=1, revenue=Decimal("600000"))
    assessment = tier_assess(partner=alice.partner, today=TODAY)
    assert assessment.recommended_tier == tiers["platinum"]
    assert assessment.next_tier is None
    assert lacking_text(assessment) == ""


def test_a_certified_user_who_left_does_not_count(alice, bob, requirements, tiers):
    metric(alice.partner, date(2026, 6, 1), leads=12)
    certify(alice, alice.admin)
    alice.admin.is_active = False
    alice.admin.save(update_fields=["is_active"])
    assert tier_assess(partner=alice.partner, today=TODAY).recommended_tier == tiers["registered"]


def test_the_daily_job_on_a_frozen_clock_is_safe_to_run_twice(alice, bob, requirements, tiers):
    metric(bob.partner, date(2026, 6, 29), leads=10)
    certify(bob, bob.marketer)
    suspended = alice.partner
    suspended.status = "suspended"
    suspended.save(update_fields=["status"])

    with time_machine.travel(datetime(2026, 6, 30, 5, 0, tzinfo=UTC), tick=False):
        assert assess_tiers.delay().get() == 1
        assert assess_tiers.delay().get() == 1

    with scopes_disabled():
        assert TierAssessment.objects.count() == 1
        assert not TierAssessment.objects.filter(partner=alice.partner).exists()
    latest = tier_assessment_latest(bob.partner)
    assert latest.recommended_tier == tiers["silver"]
    assert latest.assessed_at.date() == TODAY

    with time_machine.travel(datetime(2026, 7, 1, 5, 0, tzinfo=UTC), tick=False):
        assess_tiers.delay().get()
    with scopes_disabled():
        assert TierAssessment.objects.filter(partner=bob.partner).count() == 2  # one a day


def test_the_job_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["partners-assess-tiers"]
    assert entry["task"] == "partners.tasks.assess_tiers"


def test_the_partner_sees_its_assessment_on_the_dashboard(client, alice, requirements):
    metric(alice.partner, date(2026, 6, 1), leads=12)
    certify(alice, alice.admin)
    tier_assess(partner=alice.partner, today=TODAY)
    client.force_login(alice.sales)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "Your tier and your results" in page
    assert "You are Gold; your results currently meet the requirements of Silver." in page
    assert "2 more certified users, 100,000 USD revenue and 3 more won deals for Gold" in page


def test_no_card_before_the_first_assessment(client, alice):
    client.force_login(alice.sales)
    assert (
        "Your tier and your results" not in client.get(reverse("portal:dashboard")).content.decode()
    )


def test_staff_see_partners_whose_tier_differs(client, alice, bob, requirements, staff_users):
    # alice (gold) earns registered; bob (silver) earns silver
    metric(bob.partner, date(2026, 6, 1), leads=12)
    certify(bob, bob.admin)
    tier_assess(partner=alice.partner, today=TODAY)
    tier_assess(partner=bob.partner, today=TODAY)
    client.force_login(staff_users["channel_manager"])

    index = client.get("/admin/").content.decode()
    url = reverse("admin:partners_tierassessment_changelist")
    assert f"{url}?differs=yes" in index
    page = client.get(url, {"differs": "yes"}).content.decode()
    assert "Alice Corp" in page and "Bob Corp" not in page
    assert "for Silver" in page
    everyone = client.get(url).content.decode()
    assert "Alice Corp" in everyone and "Bob Corp" in everyone


def test_the_tier_requirement_is_edited_on_the_tier_page(client, tiers, staff_users):
    client.force_login(staff_users["marketing_admin"])
    url = reverse("admin:partners_tier_change", args=[tiers["gold"].pk])
    response = client.post(
        url,
        {
            "name": "Gold",
            "slug": "gold",
            "rank": "30",
            "benefits": "",
            "requirement-TOTAL_FORMS": "1",
            "requirement-INITIAL_FORMS": "0",
            "requirement-MIN_NUM_FORMS": "0",
            "requirement-MAX_NUM_FORMS": "1",
            "requirement-0-window_days": "180",
            "requirement-0-min_revenue": "50000",
            "requirement-0-currency": "USD",
            "requirement-0-min_certified_users": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    requirement = TierRequirement.objects.get(tier=tiers["gold"])
    assert (requirement.window_days, requirement.min_certified_users) == (180, 2)
