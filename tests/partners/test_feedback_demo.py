"""The demo's voice of the partner: low ratings with comments on assets and kits, a
survey with two answered past rounds (a trend) and an open round; seeded once."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from partners import selectors
from partners.models import ContentRating, Survey, SurveySend

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_has_ratings_and_a_survey_with_a_trend_and_an_open_round(demo):
    today = timezone.localdate()
    with scopes_disabled():
        ratings = ContentRating.objects.count()
        assert ContentRating.objects.filter(asset__isnull=False, rating__lte=2).exclude(comment="")
        assert ContentRating.objects.filter(kit__isnull=False, rating__lte=2).exclude(comment="")
        assert SurveySend.objects.filter(sent_at__isnull=False).exists()
    survey = Survey.objects.get()
    trend = selectors.nps_by_round(survey=survey)
    assert len(trend) == 3
    assert all(nps.answers for _round, nps in trend[:2])
    assert trend[-1][0].opens_on <= today <= trend[-1][0].closes_on
    assert survey.next_send_on > today
    lowest = selectors.lowest_rated()
    assert lowest[0].average <= 2 and lowest[0].comments

    call_command("seed_demo")
    with scopes_disabled():
        assert ContentRating.objects.count() == ratings
    assert Survey.objects.count() == 1
