"""The demo's enablement: two tracks with quizzes, certified users (some expired),
tier requirements and assessments where some partners' recommended tier differs;
a second run adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled

from partners.models import Certification, EnablementTrack, TierAssessment, TierRequirement
from partners.selectors import assessments_differing

pytestmark = pytest.mark.django_db


def test_demo_enablement_and_tier_compliance(demo):

    assert EnablementTrack.objects.count() == 2
    assert all(
        track.items.exists() and track.questions.exists() for track in EnablementTrack.objects.all()
    )
    now = timezone.now()
    with scopes_disabled():
        certifications = list(Certification.objects.all())
        assert any(c.expires_at and c.expires_at <= now for c in certifications)
        assert any(c.expires_at and c.expires_at > now for c in certifications)
        assessed = TierAssessment.objects.count()
        assert assessed > 0
        assert assessments_differing().exists()
    assert TierRequirement.objects.count() == 3

    call_command("seed_demo")
    with scopes_disabled():
        assert Certification.objects.count() == len(certifications)
        assert TierAssessment.objects.count() == assessed  # same day: replaced
