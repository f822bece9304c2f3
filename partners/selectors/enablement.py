"""Reads of enablement (tracks, progress, certifications) and tier compliance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from assets.models import Asset, DownloadRecord
from mdf.money import format_money, format_number
from partners.models import (
    Certification,
    EnablementTrack,
    Partner,
    QuizAttempt,
    TierAssessment,
    TrackAsset,
)

# --- Tracks and progress ----------------------------------------------------------------


def tracks_offered() -> QuerySet[EnablementTrack]:
    """The tracks partners see (active), with how many assets and questions each has."""
    return EnablementTrack.objects.filter(active=True).annotate(
        asset_count=Count("items", distinct=True),
        question_count=Count("questions", distinct=True),
    )


@dataclass
class TrackItem:
    position: int
    asset: Asset
    available: bool  # in the partner's audience: it can be opened and downloaded
    studied: bool  # this user downloaded it


@dataclass
class TrackProgress:
    track: EnablementTrack
    items: list[TrackItem]
    latest_attempt: QuizAttempt | None
    certification: Certification | None  # the user's current (unexpired) one
    has_quiz: bool = False
    studied: int = field(init=False)
    required: int = field(init=False)

    def __post_init__(self) -> None:
        required = [item for item in self.items if item.available]
        self.required = len(required)
        self.studied = sum(1 for item in required if item.studied)

    @property
    def percent(self) -> int:
        return 100 if not self.required else self.studied * 100 // self.required

    @property
    def quiz_open(self) -> bool:
        """The quiz opens once every asset the partner can open has been studied."""
        return self.has_quiz and self.studied == self.required


def track_progress(*, partner: Partner, user: User, track: EnablementTrack) -> TrackProgress:
    """The user's progress on a track: each asset (available to the partner? studied,
    i.e. downloaded by this user?), the latest quiz attempt and the current
    certification. An asset outside the partner's audience cannot be studied and is
    not required."""
    items = list(TrackAsset.objects.filter(track=track).select_related("asset"))
    asset_ids = [item.asset_id for item in items]
    available = set(
        Asset.objects.available_to(partner).filter(pk__in=asset_ids).values_list("pk", flat=True)
    )
    with scopes_disabled():
        studied = set(
            DownloadRecord.objects.filter(partner=partner, user=user, asset_id__in=asset_ids)
            .values_list("asset_id", flat=True)
            .distinct()
        )
        latest = (
            QuizAttempt.objects.filter(partner=partner, user=user, track=track)
            .order_by("-at", "-pk")
            .first()
        )
    return TrackProgress(
        track=track,
        items=[
            TrackItem(
                position=index,
                asset=item.asset,
                available=item.asset_id in available,
                studied=item.asset_id in studied,
            )
            for index, item in enumerate(items, start=1)
        ],
        latest_attempt=latest,
        certification=certification_current(partner=partner, user=user, track=track),
        has_quiz=track.questions.exists(),
    )


def _unexpired(at: datetime) -> Q:
    return Q(earned_at__lte=at) & (Q(expires_at__isnull=True) | Q(expires_at__gt=at))


def certification_current(
    *, partner: Partner, user: User, track: EnablementTrack, at: datetime | None = None
) -> Certification | None:
    at = at or timezone.now()
    with scopes_disabled():
        return (
            Certification.objects.filter(partner=partner, user=user, track=track)
            .filter(_unexpired(at))
            .order_by("-earned_at")
            .first()
        )


@dataclass
class AnswerReview:
    question: str
    given: str
    correct_answers: list[str]
    right: bool


def attempt_review(*, attempt: QuizAttempt) -> list[AnswerReview]:
    """Each question of the attempt's quiz with the answer given and, where it was
    wrong, the correct answer(s)."""
    given = {int(q): int(c) for q, c in attempt.answers.items()}
    review = []
    for question in attempt.track.questions.prefetch_related("choices"):
        choices = list(question.choices.all())
        chosen = next((c for c in choices if c.pk == given.get(question.pk)), None)
        review.append(
            AnswerReview(
                question=question.text,
                given=chosen.text if chosen else "—",
                correct_answers=[c.text for c in choices if c.correct],
                right=bool(chosen and chosen.correct),
            )
        )
    return review


def certifications_of_partner(*, partner: Partner) -> list[Certification]:
    """The partner's certifications, latest per user and track, newest first; the
    caller shows which have expired."""
    with scopes_disabled():
        latest = Certification.objects.filter(
            partner=partner, user=OuterRef("user"), track=OuterRef("track")
        ).order_by("-earned_at", "-pk")
        return list(
            Certification.objects.filter(partner=partner)
            .filter(pk=Subquery(latest.values("pk")[:1]))
            .select_related("user", "track")
            .order_by("track__title", "user__last_name", "user__username")
        )


def certified_user_count(*, partner: Partner, at: datetime) -> int:
    """How many of the partner's active members hold an unexpired certification (of
    any track) at `at`."""
    with scopes_disabled():
        return (
            Certification.objects.filter(
                partner=partner,
                user__is_active=True,
                user__membership__partner=partner,
            )
            .filter(_unexpired(at))
            .values("user")
            .distinct()
            .count()
        )


def track_completion(*, at: datetime | None = None) -> list[dict[str, Any]]:
    """Staff: per partner and track, how many users took the quiz, passed, and hold an
    unexpired certification now. Spans partners (scopes disabled, visibly)."""
    at = at or timezone.now()
    with scopes_disabled():
        attempts = {
            (row["partner"], row["track"]): row
            for row in QuizAttempt.objects.values("partner", "track").annotate(
                takers=Count("user", distinct=True),
                passed=Count("user", distinct=True, filter=Q(passed=True)),
            )
        }
        current = {
            (row["partner"], row["track"]): row["n"]
            for row in Certification.objects.filter(_unexpired(at))
            .values("partner", "track")
            .annotate(n=Count("user", distinct=True))
        }
        partners = {p.pk: p for p in Partner.objects.filter(pk__in={k[0] for k in attempts})}
    tracks = {t.pk: t for t in EnablementTrack.objects.filter(pk__in={k[1] for k in attempts})}
    rows = [
        {
            "partner": partners[partner_id],
            "track": tracks[track_id],
            "takers": row["takers"],
            "passed": row["passed"],
            "certified": current.get((partner_id, track_id), 0),
        }
        for (partner_id, track_id), row in attempts.items()
    ]
    return sorted(rows, key=lambda r: (r["partner"].name, r["track"].title))


# --- Tier compliance --------------------------------------------------------------------


def tier_assessment_latest(partner: Partner) -> TierAssessment | None:
    """The partner's current assessment (the latest), with its tiers."""
    with scopes_disabled():
        return (
            TierAssessment.objects.filter(partner=partner)
            .select_related("current_tier", "recommended_tier", "next_tier")
            .order_by("-assessed_at", "-pk")
            .first()
        )


def latest_assessments() -> QuerySet[TierAssessment]:
    """Staff: each partner's latest assessment. Callers disable scopes."""
    latest = TierAssessment.objects.filter(partner=OuterRef("partner")).order_by(
        "-assessed_at", "-pk"
    )
    return TierAssessment.objects.filter(pk=Subquery(latest.values("pk")[:1])).select_related(
        "partner", "partner__tier", "recommended_tier", "next_tier"
    )


def assessments_differing() -> QuerySet[TierAssessment]:
    """Staff: the latest assessments whose recommended tier is not the partner's tier
    today. Callers disable scopes."""
    return latest_assessments().exclude(recommended_tier=F("partner__tier"))


def whole_money(amount: Decimal, currency: str) -> str:
    """40000 → "40,000 USD"; cents only when there are any."""
    if amount == amount.to_integral_value():
        return f"{format_number(int(amount))} {currency}"
    return format_money(amount, currency)


def lacking_parts(lacking: list[dict[str, Any]]) -> list[str]:
    """Each gap of an assessment in words ("2 more certified users")."""
    parts = []
    for gap in lacking:
        what, missing = gap.get("what"), gap.get("missing") or 0
        count = int(missing) if what != "revenue" else 0
        if what == "revenue":
            parts.append(
                _("%(amount)s revenue")
                % {"amount": whole_money(Decimal(str(missing)), gap.get("currency", ""))}
            )
        elif what == "certified_users":
            parts.append(
                ngettext("%(n)d more certified user", "%(n)d more certified users", count)
                % {"n": count}
            )
        elif what == "won":
            parts.append(
                ngettext("%(n)d more won deal", "%(n)d more won deals", count) % {"n": count}
            )
        elif what == "leads":
            parts.append(ngettext("%(n)d more lead", "%(n)d more leads", count) % {"n": count})
    return parts


def lacking_text(assessment: TierAssessment) -> str:
    """What the partner lacks for the next tier, in one sentence ("2 more certified
    users and 40,000 USD revenue for Gold"); empty at the top."""
    if assessment.next_tier is None:
        return ""
    parts = lacking_parts(assessment.lacking)
    if not parts:
        return ""
    joined = (
        parts[0]
        if len(parts) == 1
        else _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}
    )
    return _("%(parts)s for %(tier)s") % {"parts": joined, "tier": assessment.next_tier.name}
