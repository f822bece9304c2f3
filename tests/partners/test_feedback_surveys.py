"""Partner surveys: NPS from known answers (none: "—"), per round, tier and partner;
one answer per user and round; rounds opened, invitations and reminders sent by the
daily job on a frozen clock, once however often it runs; the staff pages that show it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from partners import selectors, services, tasks
from partners.models import (
    Partner,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
    SurveySend,
)
from partners.services import api_key_create, partner_decide
from tests.conftest import make_partner_world

pytestmark = pytest.mark.django_db
START = date(2026, 3, 2)


def at(day: date):
    """Freeze the clock at 09:00 on `day` (the daily job runs in the morning)."""
    return time_machine.travel(
        datetime(day.year, day.month, day.day, 9, 0, tzinfo=timezone.get_current_timezone()),
        tick=False,
    )


@pytest.fixture
def survey(db) -> Survey:
    survey = Survey.objects.create(
        title="Partner pulse",
        intro="Twice a year we ask how we are doing.",
        interval_months=6,
        next_send_on=START,
        open_days=14,
        reminder_days=3,
    )
    survey.questions.create(position=1, text="What should we do better?")
    survey.questions.create(position=2, text="What helps you most?")
    return survey


def open_round(survey: Survey, opens_on: date = START, days: int = 14) -> SurveyRound:
    number = survey.rounds.count() + 1
    return SurveyRound.objects.create(
        survey=survey,
        number=number,
        opens_on=opens_on,
        closes_on=opens_on + timedelta(days=days - 1),
    )


def answer(survey_round, user, score, **texts):
    questions = {q.text: q.pk for q in survey_round.survey.questions.all()}
    with at(survey_round.opens_on):
        return services.survey_response_submit(
            survey_round=survey_round,
            actor=user,
            score=score,
            answers={questions[k]: v for k, v in texts.items()},
        )


# --- NPS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], "—"),
        ([10, 9, 8, 7], "+50"),
        ([10, 9, 8, 7, 6, 0], "0"),
        ([0, 3, 6, 8], "-75"),
        ([9, 9, 6], "+33"),
        ([9, 6, 6], "-33"),
        ([10], "+100"),
        ([7, 8], "0"),
    ],
)
def test_nps_is_promoters_minus_detractors_in_points(scores, expected):
    result = selectors.nps_of(scores)
    assert result.display == expected
    assert result.score is None if not scores else isinstance(result.score, int)


def test_nps_per_round_per_tier_and_per_partner(survey, alice, bob, tiers):
    # given: alice (gold) and bob (silver) answer the first round; nobody the second
    first = open_round(survey)
    second = open_round(survey, START + timedelta(days=180))
    answer(first, alice.admin, 10)
    answer(first, alice.marketer, 9)
    answer(first, bob.admin, 3)
    answer(first, bob.marketer, 8)
    # when
    trend = selectors.nps_by_round(survey=survey)
    by_tier = {tier.slug: nps.display for tier, nps in selectors.nps_by_tier(survey_round=first)}
    by_partner = [(p.slug, n.display) for p, n in selectors.nps_by_partner(survey_round=first)]
    # then: 2 promoters, 1 detractor of 4 answers = +25; the empty round shows "—"
    assert [(r.number, nps.display, nps.answers) for r, nps in trend] == [
        (1, "+25", 4),
        (2, "—", 0),
    ]
    assert by_tier == {"registered": "—", "silver": "-50", "gold": "+100", "platinum": "—"}
    assert by_partner == [("bob", "-50"), ("alice", "+100")]
    assert selectors.nps_by_tier(survey_round=second)[0][1].display == "—"
    only_alice = selectors.nps_by_round(survey=survey, partner=alice.partner)
    assert [nps.display for _r, nps in only_alice] == ["+100", "—"]


def test_a_partners_latest_nps_is_of_the_latest_round_it_answered(survey, alice, bob):
    first = open_round(survey)
    second = open_round(survey, START + timedelta(days=180))
    answer(first, alice.admin, 0)
    answer(second, alice.admin, 10)
    answer(second, alice.marketer, 7)
    answer(first, bob.admin, 9)

    latest = selectors.latest_nps(partner_ids=[alice.partner.pk, bob.partner.pk, 999])

    assert {pid: nps.display for pid, nps in latest.items()} == {
        alice.partner.pk: "+50",
        bob.partner.pk: "+100",
    }


# --- answering -----------------------------------------------------------------------------


def test_one_answer_per_user_and_round_a_second_changes_nothing(survey, alice):
    survey_round = open_round(survey)
    first = answer(survey_round, alice.admin, 8, **{"What should we do better?": "Faster MDF"})

    with pytest.raises(ValidationError) as caught:
        answer(survey_round, alice.admin, 2, **{"What should we do better?": "Everything"})

    assert "already answered" in caught.value.messages[0]
    with scopes_disabled():
        assert list(SurveyResponse.objects.values_list("pk", "score")) == [(first.pk, 8)]
        assert list(SurveyAnswer.objects.values_list("text", flat=True)) == ["Faster MDF"]


def test_the_database_refuses_a_second_answer_too(survey, alice):
    from django.db import IntegrityError, transaction

    survey_round = open_round(survey)
    answer(survey_round, alice.admin, 8)
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        SurveyResponse.objects.create(
            round=survey_round,
            partner=alice.partner,
            user=alice.admin,
            tier=alice.partner.tier,
            score=3,
        )


@pytest.mark.parametrize("score", [-1, 11, "x", "", None, 7.5])
def test_a_score_out_of_range_is_refused_naming_the_field(survey, alice, score):
    survey_round = open_round(survey)
    with pytest.raises(ValidationError) as caught:
        answer(survey_round, alice.admin, score)
    assert "score" in caught.value.message_dict
    with scopes_disabled():
        assert not SurveyResponse.objects.exists()


def test_a_closed_round_and_sales_reps_are_refused(survey, alice):
    survey_round = open_round(survey)
    with at(survey_round.closes_on + timedelta(days=1)), pytest.raises(ValidationError):
        services.survey_response_submit(survey_round=survey_round, actor=alice.admin, score=9)
    with at(survey_round.opens_on), pytest.raises(ValidationError):
        services.survey_response_submit(survey_round=survey_round, actor=alice.sales, score=9)
    with scopes_disabled():
        assert not SurveyResponse.objects.exists()


def test_the_portal_lists_open_rounds_and_takes_one_answer(client, survey, alice):
    survey_round = open_round(survey)
    question = survey.questions.get(position=1)
    client.force_login(alice.marketer)
    url = reverse("portal:survey_answer", kwargs={"uuid": survey_round.uuid})
    with at(START + timedelta(days=1)):
        listing = client.get(reverse("portal:survey_list")).content.decode()
        assert "Partner pulse" in listing and url in listing

        form = client.get(url)
        assert form.status_code == 200
        assert str(survey.nps_question) in form.content.decode()

        sent = client.post(url, {"score": "9", f"q_{question.pk}": "More webinars"})
        assert sent.status_code == 302
        assert "Answered" in client.get(reverse("portal:survey_list")).content.decode()

        again = client.post(url, {"score": "1", f"q_{question.pk}": "Changed my mind"})
        assert again.status_code == 400
        assert "You have already answered this survey round" in again.content.decode()
    with scopes_disabled():
        assert list(SurveyResponse.objects.values_list("score", flat=True)) == [9]
        assert list(SurveyAnswer.objects.values_list("text", flat=True)) == ["More webinars"]


@pytest.mark.parametrize("score", ["-1", "11", "x", ""])
def test_the_portal_refuses_a_bad_score_at_the_field(client, survey, alice, score):
    survey_round = open_round(survey)
    client.force_login(alice.admin)
    with at(START):
        response = client.post(
            reverse("portal:survey_answer", kwargs={"uuid": survey_round.uuid}), {"score": score}
        )
    assert response.status_code == 400
    assert response.context["form"].errors["score"] == ["Choose a score from 0 to 10."]
    with scopes_disabled():
        assert not SurveyResponse.objects.exists()


def test_a_round_not_open_yet_is_not_found_and_a_closed_one_says_so(client, survey, alice):
    survey_round = open_round(survey)
    client.force_login(alice.admin)
    url = reverse("portal:survey_answer", kwargs={"uuid": survey_round.uuid})
    with at(START - timedelta(days=1)):
        assert client.get(url).status_code == 404
    with at(survey_round.closes_on + timedelta(days=1)):
        page = client.get(url)
        assert page.status_code == 200
        assert "This survey round has closed." in page.content.decode()
        assert client.post(url, {"score": "9"}).status_code == 400
    with scopes_disabled():
        assert not SurveyResponse.objects.exists()


# --- sending, on a frozen clock --------------------------------------------------------------


def emailed(kind):
    with scopes_disabled():
        return sorted(
            SurveySend.objects.filter(kind=kind, sent_at__isnull=False).values_list(
                "email", flat=True
            )
        )


def test_the_daily_job_opens_a_round_emails_admins_and_marketers_once(
    survey, alice, bob, tiers, staff_users, django_capture_on_commit_callbacks
):
    # given: a suspended partner, a sales rep, an API key and an inactive user are not asked
    carol = make_partner_world("carol", tiers["silver"])
    partner_decide(
        partner=carol.partner,
        actor=staff_users["marketing_admin"],
        reason="Unpaid",
        status=Partner.Status.SUSPENDED,
    )
    api_key_create(name="sync", partner=alice.partner, created_by=alice.admin, role="marketer")
    bob.marketer.is_active = False
    bob.marketer.save()

    with at(START - timedelta(days=1)):
        assert tasks.run_partner_surveys() == {"opened": 0, "reminded": 0, "sent": 0}
    with at(START):
        with django_capture_on_commit_callbacks(execute=True) as after_commit:
            opened = services.survey_rounds_open_due()
        # The invitations go after commit, by the task (send_survey_emails).
        assert (len(opened), len(after_commit), len(mail.outbox)) == (1, 1, 3)
        second_run = tasks.run_partner_surveys()
        third_run = tasks.run_partner_surveys()

    assert second_run == third_run == {"opened": 0, "reminded": 0, "sent": 0}
    survey_round = SurveyRound.objects.get()
    assert (survey_round.number, survey_round.opens_on, survey_round.closes_on) == (
        1,
        START,
        START + timedelta(days=13),
    )
    invited = ["alice_admin@example.com", "alice_marketer@example.com", "bob_admin@example.com"]
    assert emailed("invitation") == invited
    assert sorted(address for m in mail.outbox for address in m.to) == invited
    link = reverse("portal:survey_answer", kwargs={"uuid": survey_round.uuid})
    assert all(link in m.body for m in mail.outbox)
    assert mail.outbox[0].subject == "Partner pulse: two minutes for your partner program"
    survey.refresh_from_db()
    assert survey.next_send_on == date(2026, 9, 2)  # six months on


def test_a_reminder_goes_before_closing_to_those_who_have_not_answered_once(survey, alice, bob):
    with at(START):
        tasks.run_partner_surveys()
    survey_round = SurveyRound.objects.get()
    answer(survey_round, alice.admin, 9)
    mail.outbox.clear()
    reminder_day = survey_round.closes_on - timedelta(days=3)

    with at(reminder_day - timedelta(days=1)):
        assert tasks.run_partner_surveys()["reminded"] == 0
    with at(reminder_day):
        assert tasks.run_partner_surveys()["reminded"] == 1
    with at(reminder_day + timedelta(days=1)):
        assert tasks.run_partner_surveys()["reminded"] == 0

    reminded = ["alice_marketer@example.com", "bob_admin@example.com", "bob_marketer@example.com"]
    assert emailed("reminder") == reminded
    assert sorted(address for m in mail.outbox for address in m.to) == reminded
    assert all("closes soon" in m.subject for m in mail.outbox)
    with scopes_disabled():
        sends = SurveySend.objects.filter(kind="reminder")
        assert {s.sent_at.date() for s in sends} == {reminder_day}


def test_a_send_that_failed_is_sent_by_the_next_run(survey, alice, monkeypatch):
    from partners import notifications

    real = notifications._send_one
    monkeypatch.setattr(notifications, "_send_one", lambda send: 1 / 0)
    with at(START):
        tasks.run_partner_surveys()
    assert emailed("invitation") == []
    monkeypatch.setattr(notifications, "_send_one", real)
    with at(START + timedelta(days=1)):
        assert tasks.run_partner_surveys()["sent"] == 2
    assert emailed("invitation") == ["alice_admin@example.com", "alice_marketer@example.com"]


# --- staff ------------------------------------------------------------------------------------


def test_the_nps_page_shows_the_trend_tiers_partners_and_comments(
    client, survey, alice, bob, staff_users
):
    first = open_round(survey)
    second = open_round(survey, START + timedelta(days=180))
    open_round(survey, START + timedelta(days=360))  # nobody answered yet
    answer(first, alice.admin, 10, **{"What should we do better?": "Quicker claims"})
    answer(first, bob.admin, 2)
    answer(second, alice.admin, 9)
    client.force_login(staff_users["analyst"])

    page = client.get(reverse("admin:voice_nps"), {"survey": survey.pk, "round": first.pk})

    assert page.status_code == 200
    assert [row["nps"].display for row in page.context["trend"]] == ["0", "+100", "—"]
    assert page.context["chart"]["datasets"][0]["data"] == [0, 100]
    html = page.content.decode()
    assert "Quicker claims" in html
    assert 'data-chart-source="chart-nps-data"' in html
    assert [(p.slug, n.display) for p, n in page.context["by_partner"]] == [
        ("bob", "-100"),
        ("alice", "+100"),
    ]
    one = client.get(reverse("admin:voice_nps"), {"partner": "bob", "round": first.pk})
    assert [row["partner_nps"].display for row in one.context["trend"]] == ["-100", "—", "—"]
    assert "Quicker claims" not in one.content.decode()


def test_the_nps_page_without_any_survey_or_permission(client, staff_users):
    client.force_login(staff_users["marketing_admin"])
    assert "No partner survey yet." in client.get(reverse("admin:voice_nps")).content.decode()
    client.force_login(staff_users["finance_approver"])
    assert client.get(reverse("admin:voice_nps")).status_code == 403


def test_a_partners_latest_nps_on_its_admin_page_and_in_the_leaderboard(
    client, survey, alice, bob, staff_users
):
    answer(open_round(survey), alice.admin, 10)
    client.force_login(staff_users["channel_manager"])

    alice_page = client.get(reverse("admin:partners_partner_change", args=[alice.partner.pk]))
    bob_page = client.get(reverse("admin:partners_partner_change", args=[bob.partner.pk]))
    board = client.get(reverse("admin:performance_leaderboard"))

    assert alice_page.context["panels"]["nps"].display == "+100"
    assert "Latest NPS" in alice_page.content.decode()
    assert bob_page.context["panels"]["nps"].display == "—"
    nps = {item["row"].slug: item["nps"] for item in board.context["rows"]}
    assert nps == {"alice": "+100", "bob": "—"}


def test_survey_admin_defines_a_survey_and_shows_rounds_and_emails(
    client, survey, alice, staff_users
):
    with at(START):
        tasks.run_partner_surveys()
    client.force_login(staff_users["marketing_admin"])
    assert client.get(reverse("admin:partners_survey_change", args=[survey.pk])).status_code == 200
    survey_round = SurveyRound.objects.get()
    page = client.get(reverse("admin:partners_surveyround_change", args=[survey_round.pk]))
    assert page.status_code == 200
    assert "alice_admin@example.com" in page.content.decode()
    assert client.get(reverse("admin:partners_survey_add")).status_code == 200
