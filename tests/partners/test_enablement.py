"""Enablement tracks: study, quiz (failed then passed), certification and its expiry,
answers of another track refused; the portal's pages; the staff completion page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from partners.models import Certification, OnboardingCompletion, OnboardingStep, QuizAttempt
from partners.selectors import certified_user_count, track_progress
from partners.services import add_months, quiz_submit
from tests.partners.enablement_data import answers, make_track, study

pytestmark = pytest.mark.django_db


@pytest.fixture
def track(alice):
    return make_track()


def test_add_months_keeps_the_day_or_takes_the_months_last():
    start = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert add_months(start, 1) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert add_months(start, 12) == datetime(2027, 1, 31, 9, 0, tzinfo=UTC)


def test_the_quiz_opens_once_every_asset_is_studied(alice, track):
    # given: one of two assets downloaded
    first = track.items.first().asset
    from assets.services import download_record

    download_record(
        partner=alice.partner, version=first.versions.get(is_current=True), user=alice.sales
    )
    progress = track_progress(partner=alice.partner, user=alice.sales, track=track)
    assert (progress.studied, progress.required, progress.quiz_open) == (1, 2, False)

    # when the quiz is submitted anyway: refused, nothing saved
    with pytest.raises(ValidationError) as refused:
        quiz_submit(partner=alice.partner, user=alice.sales, track=track, answers=answers(track))
    assert "track" in refused.value.message_dict
    with scopes_disabled():
        assert not QuizAttempt.objects.exists()

    # a colleague's download does not count for her
    study(track, alice.partner, alice.marketer)
    assert not track_progress(partner=alice.partner, user=alice.sales, track=track).quiz_open
    study(track, alice.partner, alice.sales)
    assert track_progress(partner=alice.partner, user=alice.sales, track=track).quiz_open


def test_a_failed_quiz_then_a_passed_one_certifies(alice, track):
    # given
    study(track, alice.partner, alice.sales)
    step = OnboardingStep.objects.create(
        title="Complete the basics", kind="complete_track", track=track, position=1
    )
    alice.partner.status = "onboarding"
    alice.partner.save(update_fields=["status"])

    # when: 2 of 4 right (50 % < 75 %)
    failed = quiz_submit(
        partner=alice.partner, user=alice.sales, track=track, answers=answers(track, wrong=2)
    )

    # then
    assert (failed.score, failed.passed) == (50, False)
    with scopes_disabled():
        assert not Certification.objects.exists()
        assert not OnboardingCompletion.objects.filter(step=step).exists()

    # when: retaken, 3 of 4 right (75 % = the pass mark)
    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False):
        passed = quiz_submit(
            partner=alice.partner, user=alice.sales, track=track, answers=answers(track, wrong=1)
        )

    # then: certified for 12 months, and onboarding knows
    assert (passed.score, passed.passed) == (75, True)
    with scopes_disabled():
        certification = Certification.objects.get()
        assert OnboardingCompletion.objects.filter(step=step, partner=alice.partner).exists()
    assert certification.user == alice.sales
    assert certification.attempt == passed
    assert certification.earned_at == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert certification.expires_at == datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


def test_a_certification_expires(alice, track):
    study(track, alice.partner, alice.sales)
    with time_machine.travel(datetime(2025, 1, 15, 10, 0, tzinfo=UTC), tick=False):
        quiz_submit(partner=alice.partner, user=alice.sales, track=track, answers=answers(track))
    assert (
        certified_user_count(partner=alice.partner, at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC)) == 1
    )
    assert (
        certified_user_count(partner=alice.partner, at=datetime(2026, 1, 15, 10, 0, tzinfo=UTC))
        == 0
    )
    with time_machine.travel(datetime(2026, 2, 1, 0, 0, tzinfo=UTC), tick=False):
        progress = track_progress(partner=alice.partner, user=alice.sales, track=track)
        assert progress.certification is None
        assert progress.latest_attempt.passed


def test_a_track_without_validity_never_expires(alice):
    track = make_track("forever", validity_months=None)
    study(track, alice.partner, alice.admin)
    quiz_submit(partner=alice.partner, user=alice.admin, track=track, answers=answers(track))
    with scopes_disabled():
        assert Certification.objects.get().expires_at is None
    far = timezone.now() + timedelta(days=3650)
    assert certified_user_count(partner=alice.partner, at=far) == 1


def test_answers_for_another_tracks_questions_are_refused(alice, track):
    other = make_track("other-track", assets=0)
    study(track, alice.partner, alice.sales)
    mixed = {**answers(track)}
    question, choice = next(iter(answers(other).items()))
    mixed[question] = choice

    with pytest.raises(ValidationError) as refused:
        quiz_submit(partner=alice.partner, user=alice.sales, track=track, answers=mixed)

    assert "not part of “Backup Basics”" in refused.value.message_dict["answers"][0]
    with scopes_disabled():
        assert not QuizAttempt.objects.exists()


def test_a_choice_of_another_question_and_unanswered_questions_are_refused(alice, track):
    study(track, alice.partner, alice.sales)
    given = answers(track)
    first, second = list(given)[:2]
    swapped = {**given, first: given[second]}
    with pytest.raises(ValidationError) as wrong_choice:
        quiz_submit(partner=alice.partner, user=alice.sales, track=track, answers=swapped)
    assert "is not a choice of the question" in wrong_choice.value.message_dict["answers"][0]

    del given[first]
    with pytest.raises(ValidationError) as missing:
        quiz_submit(partner=alice.partner, user=alice.sales, track=track, answers=given)
    assert "Answer every question" in missing.value.message_dict["answers"][0]


def test_an_asset_outside_the_partners_audience_is_not_required(alice, bob):
    from partners.models import TrackAsset
    from tests.assets.factories import make_asset

    track = make_track("audience", assets=1)
    bobs_only = make_asset(title="For Bob only", audience={"partners": [bob.partner]})
    TrackAsset.objects.create(track=track, asset=bobs_only, position=9)
    study_items = track_progress(partner=alice.partner, user=alice.admin, track=track)
    assert [item.available for item in study_items.items] == [True, False]
    assert study_items.required == 1


# --- portal -----------------------------------------------------------------------------


def test_portal_study_fail_retake_pass_and_see_the_certification(client, alice, track):
    client.force_login(alice.marketer)

    page = client.get(reverse("portal:enablement")).content.decode()
    assert "Backup Basics" in page and "0 of 2 studied" in page

    detail = client.get(reverse("portal:enablement_track", args=[track.slug])).content.decode()
    assert "The quiz opens once you have studied everything above." in detail
    for item in track.items.all():
        assert reverse("library:detail", args=[item.asset.uuid]) in detail

    study(track, alice.partner, alice.marketer)
    detail = client.get(reverse("portal:enablement_track", args=[track.slug])).content.decode()
    assert "Take the quiz" in detail

    quiz_url = reverse("portal:enablement_quiz", args=[track.slug])
    assert "Which backups survive ransomware?" in client.get(quiz_url).content.decode()
    response = client.post(quiz_url, {f"q{q}": c for q, c in answers(track, wrong=3).items()})
    assert response.status_code == 302
    result = client.get(response["Location"]).content.decode()
    assert "Score: 25 %" in result and "Not passed" in result
    assert "Correct: Every quarter" in result  # what was wrong
    assert "Take the quiz again" in result

    response = client.post(quiz_url, {f"q{q}": c for q, c in answers(track).items()})
    result = client.get(response["Location"]).content.decode()
    assert "Score: 100 %" in result and "You earned the Backup Basics certification" in result

    client.force_login(alice.admin)  # the team's page, for a colleague
    team = client.get(reverse("portal:enablement_certifications")).content.decode()
    assert "Alice" in team and "Backup Basics" in team and "Valid" in team


def test_portal_quiz_with_another_tracks_answer_says_why(client, alice, track):
    other = make_track("other-track", assets=0)
    study(track, alice.partner, alice.sales)
    client.force_login(alice.sales)
    data = {f"q{q}": c for q, c in answers(track).items()}
    foreign_q, foreign_c = next(iter(answers(other).items()))
    data[f"q{foreign_q}"] = foreign_c

    response = client.post(reverse("portal:enablement_quiz", args=[track.slug]), data)

    assert response.status_code == 400
    assert "not part of “Backup Basics”" in response.content.decode()
    with scopes_disabled():
        assert not QuizAttempt.objects.exists()


def test_team_certifications_show_expired_and_only_the_partners_own(client, alice, bob, track):
    study(track, alice.partner, alice.sales)
    study(track, bob.partner, bob.sales)
    with time_machine.travel(datetime(2024, 1, 1, 0, 0, tzinfo=UTC), tick=False):
        quiz_submit(partner=alice.partner, user=alice.sales, track=track, answers=answers(track))
    quiz_submit(partner=bob.partner, user=bob.sales, track=track, answers=answers(track))

    client.force_login(alice.marketer)
    page = client.get(reverse("portal:enablement_certifications")).content.decode()

    assert "Expired" in page
    assert bob.sales.username not in page and "Bob" not in page


def test_inactive_and_unknown_tracks_are_not_found(client, alice, track):
    track.active = False
    track.save(update_fields=["active"])
    client.force_login(alice.admin)
    assert client.get(reverse("portal:enablement_track", args=[track.slug])).status_code == 404
    assert client.get(reverse("portal:enablement_track", args=["nope"])).status_code == 404
    assert client.get(reverse("portal:enablement_result", args=[track.slug])).status_code == 404


# --- staff ------------------------------------------------------------------------------


def test_staff_completion_page_and_csv(client, alice, bob, track, staff_users):
    study(track, alice.partner, alice.sales)
    quiz_submit(
        partner=alice.partner, user=alice.sales, track=track, answers=answers(track, wrong=4)
    )
    quiz_submit(partner=alice.partner, user=alice.sales, track=track, answers=answers(track))
    client.force_login(staff_users["analyst"])

    assert reverse("admin:partners_enablement_completion") in client.get("/admin/").content.decode()
    page = client.get(reverse("admin:partners_enablement_completion")).content.decode()
    assert "Alice Corp" in page and "Bob Corp" not in page

    response = client.get(reverse("admin:partners_enablement_completion"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        {
            "partner": "alice",
            "track": "backup-basics",
            "took_quiz": "1",
            "passed": "1",
            "certified_now": "1",
        }
    ]


def test_finance_cannot_open_the_completion_page(client, staff_users):
    client.force_login(staff_users["finance_approver"])
    assert client.get(reverse("admin:partners_enablement_completion")).status_code == 403


def test_admin_builds_a_track_and_a_question_needs_a_correct_answer(client, staff_users, alice):
    from tests.assets.factories import make_asset

    asset = make_asset(title="Intro deck")
    client.force_login(staff_users["marketing_admin"])
    base = {
        "title": "Intro",
        "slug": "intro",
        "description": "",
        "pass_mark": "80",
        "validity_months": "",
        "active": "on",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-position": "1",
        "items-0-asset": str(asset.pk),
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-0-position": "1",
        "questions-0-text": "What is PartnerHub?",
        "questions-0-answer_1": "A platform",
        "questions-0-answer_2": "A fruit",
    }
    url = reverse("admin:partners_enablementtrack_add")

    response = client.post(url, base)  # no answer ticked correct
    assert response.status_code == 200
    assert "needs at least one correct answer" in response.content.decode()

    response = client.post(url, {**base, "questions-0-correct_1": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    from partners.models import EnablementTrack

    track = EnablementTrack.objects.get(slug="intro")
    question = track.questions.get()
    assert [(c.text, c.correct) for c in question.choices.all()] == [
        ("A platform", True),
        ("A fruit", False),
    ]
    assert [item.asset for item in track.items.all()] == [asset]
