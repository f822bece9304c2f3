"""Enablement tracks (quizzes and certifications) and tier compliance.

A partner user studies a track's assets (downloads them from the library) and takes
its quiz; passing earns the track's certification. Every day `tier_assess_all` says,
for each active partner, which tier its results earn and what it lacks for the next.
Changing a partner's tier stays a staff decision (`partner_decide`, with a reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from analytics.selectors import partner_totals
from partners.models import (
    Certification,
    EnablementTrack,
    Membership,
    Partner,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    Tier,
    TierAssessment,
    TierRequirement,
)
from partners.selectors.enablement import certified_user_count, track_progress
from partners.services.core import add_months
from partners.services.onboarding import onboarding_record

# --- Quizzes and certifications ---------------------------------------------------------


def _parse_answers(
    *, track: EnablementTrack, answers: Mapping[Any, Any]
) -> dict[QuizQuestion, QuizChoice]:
    """Map the submitted {question id: choice id} onto the track's own questions and
    choices; anything else is refused with a message naming the `answers` field."""
    questions = {q.pk: q for q in track.questions.prefetch_related("choices")}
    chosen: dict[QuizQuestion, QuizChoice] = {}
    for raw_question, raw_choice in answers.items():
        try:
            question_id, choice_id = int(raw_question), int(raw_choice)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                {"answers": _("The answers could not be read; take the quiz again.")}
            ) from exc
        question = questions.get(question_id)
        if question is None:
            raise ValidationError(
                {
                    "answers": _(
                        "These answers are for questions that are not part of “%(track)s”."
                    )
                    % {"track": track.title}
                }
            )
        choice = next((c for c in question.choices.all() if c.pk == choice_id), None)
        if choice is None:
            raise ValidationError(
                {
                    "answers": _("“%(answer)s” is not a choice of the question “%(question)s”.")
                    % {"answer": raw_choice, "question": question.text}
                }
            )
        chosen[question] = choice
    missing = [q for q in questions.values() if q not in chosen]
    if missing:
        raise ValidationError(
            {
                "answers": _("Answer every question; still open: %(questions)s.")
                % {"questions": "; ".join(q.text for q in missing)}
            }
        )
    return chosen


@transaction.atomic
def quiz_submit(
    *, partner: Partner, user: User, track: EnablementTrack, answers: Mapping[Any, Any]
) -> QuizAttempt:
    """Score a partner user's answers to a track's quiz; passing certifies the user.

    Rules:
    - the user is a member of `partner` and the track is offered (active) and has a quiz;
    - the quiz opens once the user has studied (downloaded) every asset of the track
      available to the partner;
    - `answers` maps each of the track's questions to one of its own choices: a
      question of another track, a choice of another question or an unanswered
      question is refused (ValidationError on `answers`), and nothing is saved;
    - score = correct answers ÷ questions, in whole percent rounded down; passed when
      score ≥ the track's pass mark. A failed quiz can be retaken; every try is kept;
    - passing writes a Certification (earned now; expires after the track's validity
      months, if it has one) and tells onboarding (`complete_track`) in the same
      transaction.
    """
    with scopes_disabled():
        is_member = Membership.objects.filter(partner=partner, user=user).exists()
    if not is_member:
        raise ValidationError({"user": _("This user is not a member of %(p)s.") % {"p": partner}})
    if not track.active:
        raise ValidationError({"track": _("This track is no longer offered.")})
    if not track.questions.exists():
        raise ValidationError({"track": _("This track has no quiz yet.")})
    progress = track_progress(partner=partner, user=user, track=track)
    if not progress.quiz_open:
        raise ValidationError(
            {"track": _("Study every asset of the track before you take its quiz.")}
        )
    chosen = _parse_answers(track=track, answers=answers)
    correct = sum(1 for choice in chosen.values() if choice.correct)
    score = correct * 100 // len(chosen)
    passed = score >= track.pass_mark
    with scopes_disabled():
        attempt = QuizAttempt.objects.create(
            partner=partner,
            user=user,
            track=track,
            answers={str(q.pk): c.pk for q, c in chosen.items()},
            score=score,
            passed=passed,
        )
        if passed:
            now = timezone.now()
            Certification.objects.create(
                partner=partner,
                user=user,
                track=track,
                earned_at=now,
                expires_at=add_months(now, track.validity_months)
                if track.validity_months
                else None,
                attempt=attempt,
            )
    if passed:
        onboarding_record(partner=partner, kind="complete_track", track=track, actor=user)
    return attempt


def quiz_questions_check(questions: list[tuple[str, list[bool]]]) -> None:
    """The admin's rule for a quiz: each question (its text, and whether each of its
    choices is correct) has at least two choices and at least one correct one."""
    errors = []
    for text, choices in questions:
        if len(choices) < 2:
            errors.append(_("“%(q)s” needs at least two answers.") % {"q": text})
        elif not any(choices):
            errors.append(_("“%(q)s” needs at least one correct answer.") % {"q": text})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def quiz_choices_set(*, question: QuizQuestion, choices: list[tuple[str, bool]]) -> None:
    """Set a question's answers (text, correct?) in order.

    Rules: `quiz_questions_check` (two answers at least, one correct at least); the
    existing answers are updated in place, in order, so the answers recorded in past
    attempts keep pointing at the same answer; answers beyond the new list are removed
    only when no attempt chose them (otherwise kept, as wrong answers at the end).
    """
    quiz_questions_check([(question.text, [correct for _text, correct in choices])])
    existing = list(question.choices.order_by("position", "pk"))
    for position, (text, correct) in enumerate(choices, start=1):
        if position <= len(existing):
            choice = existing[position - 1]
            choice.text, choice.correct, choice.position = text, correct, position
            choice.save(update_fields=["text", "correct", "position"])
        else:
            QuizChoice.objects.create(
                question=question, text=text, correct=correct, position=position
            )
    extra = existing[len(choices) :]
    if extra:
        with scopes_disabled():
            chosen = {
                int(choice_id)
                for answers in QuizAttempt.objects.filter(track_id=question.track_id).values_list(
                    "answers", flat=True
                )
                for choice_id in answers.values()
            }
        for choice in extra:
            if choice.pk in chosen:
                choice.correct = False
                choice.save(update_fields=["correct"])
            else:
                choice.delete()


# --- Tier compliance ----------------------------------------------------------------------


@dataclass
class Measured:
    """What a partner achieved over one trailing window."""

    window_days: int
    revenue: dict[str, Decimal]
    won: int
    leads: int
    certified_users: int

    def as_json(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days,
            "revenue": {currency: str(amount) for currency, amount in self.revenue.items()},
            "won": self.won,
            "leads": self.leads,
            "certified_users": self.certified_users,
        }


def _measure(*, partner: Partner, window_days: int, today: date, certified: int) -> Measured:
    start = today - timedelta(days=window_days - 1)
    with scopes_disabled():  # the daily job has no partner scope open
        totals = partner_totals(partner=partner, start=start, end=today)
    return Measured(
        window_days=window_days,
        revenue=dict(totals.revenue),
        won=totals.won,
        leads=totals.leads,
        certified_users=certified,
    )


def requirement_gaps(requirement: TierRequirement, measured: Measured) -> list[dict[str, Any]]:
    """What `measured` lacks to meet `requirement`: one entry per unmet minimum, with
    the number missing ({"what": "revenue", "missing": "40000.00", "currency": "USD"})."""
    gaps: list[dict[str, Any]] = []
    if requirement.min_certified_users:
        missing = requirement.min_certified_users - measured.certified_users
        if missing > 0:
            gaps.append({"what": "certified_users", "missing": missing})
    if requirement.min_revenue:
        have = measured.revenue.get(requirement.currency, Decimal("0"))
        if have < requirement.min_revenue:
            gaps.append(
                {
                    "what": "revenue",
                    "missing": str(requirement.min_revenue - have),
                    "currency": requirement.currency,
                }
            )
    if requirement.min_won_deals:
        missing = requirement.min_won_deals - measured.won
        if missing > 0:
            gaps.append({"what": "won", "missing": missing})
    if requirement.min_leads:
        missing = requirement.min_leads - measured.leads
        if missing > 0:
            gaps.append({"what": "leads", "missing": missing})
    return gaps


@transaction.atomic
def tier_assess(
    *, partner: Partner, today: date, tiers: list[Tier] | None = None
) -> TierAssessment:
    """Assess which tier the partner's results earn, as of the end of `today`.

    Rules:
    - a tier with a requirement is earned when every minimum it sets is met over its
      trailing window (the days up to and including `today`): revenue in the
      requirement's currency, won deals and leads from the KPIs
      (`analytics.selectors.partner_totals`), and certified users (members with an
      unexpired certification of any track);
    - the lowest tier is earned by everyone; a tier without a requirement is never
      recommended above it (staff assign such tiers by hand);
    - the recommended tier is the highest earned tier; the next tier is the lowest
      tier above it that has a requirement, with what the partner lacks for it;
    - one assessment per partner and day: assessing again the same day replaces it
      (the daily job is safe to run twice). The partner's tier is never changed here.
    """
    tiers = tiers if tiers is not None else list(Tier.objects.select_related("requirement"))
    tiers = sorted(tiers, key=lambda tier: tier.rank)
    end_of_day = timezone.make_aware(datetime.combine(today, time.max))
    certified = certified_user_count(partner=partner, at=end_of_day)
    measured_by_window: dict[int, Measured] = {}

    def measured_for(window_days: int) -> Measured:
        if window_days not in measured_by_window:
            measured_by_window[window_days] = _measure(
                partner=partner, window_days=window_days, today=today, certified=certified
            )
        return measured_by_window[window_days]

    requirements = {
        tier.pk: requirement
        for tier in tiers
        if (requirement := getattr(tier, "requirement", None)) is not None
    }
    recommended = tiers[0]
    for tier in tiers[1:]:
        requirement = requirements.get(tier.pk)
        if requirement is None:
            continue
        if not requirement_gaps(requirement, measured_for(requirement.window_days)):
            recommended = tier
    next_tier = next((t for t in tiers if t.rank > recommended.rank and t.pk in requirements), None)
    lacking: list[dict[str, Any]] = []
    if next_tier is not None:
        requirement = requirements[next_tier.pk]
        measured = measured_for(requirement.window_days)
        lacking = requirement_gaps(requirement, measured)
    else:
        own = requirements.get(recommended.pk)
        measured = measured_for(own.window_days if own else 365)

    with scopes_disabled():
        # Lock the partner row: two runs of the job on the same day write one row.
        Partner.objects.select_for_update(of=("self",)).filter(pk=partner.pk).first()
        TierAssessment.objects.filter(partner=partner, assessed_at=end_of_day).delete()
        return TierAssessment.objects.create(
            partner=partner,
            assessed_at=end_of_day,
            current_tier_id=partner.tier_id,
            recommended_tier=recommended,
            next_tier=next_tier,
            measured=measured.as_json(),
            lacking=lacking,
        )


def tier_assess_all(*, today: date) -> int:
    """Assess every active partner (`tier_assess`); return how many were assessed.
    Each partner is its own transaction, so one failure does not undo the others."""
    tiers = list(Tier.objects.select_related("requirement"))
    if not tiers:
        return 0
    with scopes_disabled():
        partners = list(Partner.objects.filter(status=Partner.Status.ACTIVE).order_by("pk"))
    for partner in partners:
        tier_assess(partner=partner, today=today, tiers=tiers)
    return len(partners)
