"""Reads on partners that are reused or scoped."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Avg, Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django_scopes import scope, scopes_disabled

from assets.models import Asset, DownloadRecord
from campaigns.models import CampaignKit
from partners.models import (
    ContentRating,
    Membership,
    Partner,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
    Tier,
)


def membership_for_user(*, user: User | AnonymousUser) -> Membership | None:
    """The user's membership with its partner, or None (anonymous, staff, unattached)."""
    if not user.is_authenticated or user.is_staff:
        return None
    # Resolving the scope itself cannot happen inside a scope.
    with scopes_disabled():
        return (
            Membership.objects.select_related(
                "partner", "partner__tier", "partner__channel_manager"
            )
            .filter(user=user)
            .first()
        )


def partners_visible(*, partner: Partner | None) -> QuerySet[Partner]:
    """Staff (partner=None) see every partner; a partner sees only itself."""
    qs = Partner.objects.select_related("tier", "channel_manager").prefetch_related(
        "regions", "languages"
    )
    if partner is not None:
        qs = qs.filter(pk=partner.pk)
    return qs


def partners_named(*, names: Iterable[str], own: Partner | None) -> dict[str, Partner]:
    """The partners a caller names (each name a slug or a UUID, as it was sent) among
    those it may name: a partner's caller (`own`: its key or its people) only its own
    partner, a staff caller (`own` None) any partner. A name left out of the answer is
    unknown or another partner's, alike, so an error about it cannot tell which.

    How a name is read, the same for every caller: a name `uuid.UUID` reads (in upper
    or lower case, with or without its hyphens) is a UUID and names the partner with
    that UUID, never a slug; any other name is a slug, compared regardless of case
    ("ALICE" names the partner "alice"). Should two slugs differ only in case, a staff
    caller gets the one spelt as sent (none if neither is), while a partner's caller is
    still read against its own slug alone: what it may name never depends on another
    partner. Whitespace is the entry point's to strip: a name is read as given.

    The one definition for every API that names a partner: the results sync, a deal
    registration, the serializers' `PartnerRefField`, the list filters and the
    metrics' `?partner=`. At most one query."""
    values = {name for name in names if name}
    if own is not None:
        return {value: own for value in values if _names(value, own)}
    uuids = {parsed for value in values if (parsed := _as_uuid(value)) is not None}
    # NUL is in no slug, and PostgreSQL refuses it in a query: never asked for.
    slugs = {value.lower() for value in values if _as_uuid(value) is None and "\x00" not in value}
    if not uuids and not slugs:
        return {}
    by_uuid: dict[uuid.UUID, Partner] = {}
    by_slug: dict[str, list[Partner]] = {}
    found = Partner.objects.alias(slug_lower=Lower("slug")).filter(
        Q(slug_lower__in=slugs) | Q(uuid__in=uuids)
    )
    for each in found:
        by_uuid[each.uuid] = each
        by_slug.setdefault(each.slug.lower(), []).append(each)
    named: dict[str, Partner] = {}
    for value in values:
        parsed = _as_uuid(value)
        partner = (
            by_uuid.get(parsed)
            if parsed is not None
            else _one_slug(value, by_slug.get(value.lower(), []))
        )
        if partner is not None:
            named[value] = partner
    return named


def partner_named(*, name: str, own: Partner | None) -> Partner | None:
    """The one partner `name` names for the caller (`partners_named`), or None."""
    return partners_named(names=[name], own=own).get(name)


def _names(value: str, partner: Partner) -> bool:
    parsed = _as_uuid(value)
    if parsed is not None:
        return parsed == partner.uuid
    return _one_slug(value, [partner]) is partner


def _one_slug(value: str, candidates: list[Partner]) -> Partner | None:
    """The candidate whose slug `value` names: the only one equal regardless of case, or,
    among several, the one spelt exactly as sent."""
    matching = [partner for partner in candidates if partner.slug.lower() == value.lower()]
    if len(matching) == 1:
        return matching[0]
    return next((partner for partner in matching if partner.slug == value), None)


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def partner_emails(*, partner_id: int, roles: Iterable[str]) -> list[str]:
    """The email addresses of the partner's active users in these roles (for notices)."""
    with scopes_disabled():
        return list(
            Membership.objects.filter(partner_id=partner_id, role__in=roles, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )


def partner_admin_emails(*, partner: Partner) -> list[str]:
    return partner_emails(partner_id=partner.pk, roles=[Membership.Role.ADMIN])


# --- staff pages (the admin's home and a partner's page; callers disable scopes) ---


def active_partner_count() -> int:
    return Partner.objects.filter(status=Partner.Status.ACTIVE).count()


def partner_people(*, partner: Partner) -> QuerySet[Membership]:
    """The partner's people, admins first, then by name: its members without its API
    keys' own users (a key acts as a user of its own, with a membership for its role,
    but is not a person: it is not listed on a team nor counted as a member)."""
    role_order = [Membership.Role.ADMIN, Membership.Role.MARKETER, Membership.Role.SALES]
    with scopes_disabled():
        return (
            Membership.objects.filter(partner=partner, user__api_key__isnull=True)
            .select_related("user")
            .annotate(
                role_rank=Case(
                    *(When(role=role, then=Value(rank)) for rank, role in enumerate(role_order)),
                    output_field=IntegerField(),
                )
            )
            .order_by("role_rank", "user__first_name", "user__last_name", "user__username")
        )


def downloads_since(*, since: datetime) -> int:
    """Library downloads by every partner since a moment."""
    return DownloadRecord.objects.filter(at__gte=since).count()


def recent_downloads(*, partner: Partner, limit: int = 10) -> list[DownloadRecord]:
    """A partner's latest library downloads, newest first."""
    return list(
        DownloadRecord.objects.filter(partner=partner)
        .select_related("user", "asset", "version__language")
        .order_by("-at", "-id")[:limit]
    )


# --- The voice of the partner -----------------------------------------------------------


@dataclass(frozen=True)
class RatingSummary:
    """What a partner user sees beside an item: their company's average and count
    (never other partners': their opinions are theirs) and their own rating."""

    average: Decimal | None
    count: int
    own: ContentRating | None


def rating_summary(
    *, partner: Partner, user: User, asset: Any = None, kit: Any = None
) -> RatingSummary:
    item = {"asset": asset} if asset is not None else {"kit": kit}
    with scope(partner=partner):
        ratings = ContentRating.objects.filter(partner=partner, **item)
        totals = ratings.aggregate(average=Avg("rating"), count=Count("id"))
        own = ratings.filter(user=user).first()
    average = totals["average"]
    return RatingSummary(
        average=None if average is None else Decimal(str(average)).quantize(Decimal("0.1")),
        count=totals["count"],
        own=own,
    )


def ratings_of(*, partner: Partner | None, user: User) -> QuerySet[ContentRating]:
    """The user's own ratings (for a staff key: those it made, for any partner)."""
    queryset = ContentRating.objects.filter(user=user)
    if partner is not None:
        queryset = queryset.filter(partner=partner)
    return queryset.select_related("partner", "asset", "kit")


@dataclass
class LowRatedItem:
    kind: str  # "asset" or "kit"
    item: Any
    average: Decimal
    count: int
    latest: datetime
    comments: list[ContentRating] = field(default_factory=list)
    admin_url: str = ""  # the item's admin page, filled in by the staff page


def lowest_rated(*, kind: str = "", limit: int = 50, comments: int = 3) -> list[LowRatedItem]:
    """Staff: the rated assets and kits with the lowest average first (more ratings
    first among equals), with their latest comments. Spans partners."""
    with scopes_disabled():
        ratings = ContentRating.objects.all()
        if kind == "asset":
            ratings = ratings.filter(asset__isnull=False)
        elif kind == "kit":
            ratings = ratings.filter(kit__isnull=False)
        rows = list(
            ratings.values("asset_id", "kit_id")
            .annotate(average=Avg("rating"), count=Count("id"), latest=Max("updated_at"))
            .order_by("average", "-count", "-latest")[:limit]
        )
        asset_ids = [row["asset_id"] for row in rows if row["asset_id"]]
        kit_ids = [row["kit_id"] for row in rows if row["kit_id"]]
        assets = Asset.objects.in_bulk(asset_ids)
        kits = CampaignKit.objects.in_bulk(kit_ids)
        latest: dict[tuple[str, int], list[ContentRating]] = {}
        with_comments = (
            ContentRating.objects.filter(Q(asset_id__in=asset_ids) | Q(kit_id__in=kit_ids))
            .exclude(comment="")
            .select_related("partner", "user")
            .order_by("-updated_at", "-id")
        )
        for rating in with_comments:
            key = ("asset", rating.asset_id) if rating.asset_id else ("kit", rating.kit_id)
            bucket = latest.setdefault(key, [])  # type: ignore[arg-type]
            if len(bucket) < comments:
                bucket.append(rating)
    result = []
    for row in rows:
        key = ("asset", row["asset_id"]) if row["asset_id"] else ("kit", row["kit_id"])
        item = assets.get(row["asset_id"]) if key[0] == "asset" else kits.get(row["kit_id"])
        result.append(
            LowRatedItem(
                kind=key[0],
                item=item,
                average=Decimal(str(row["average"])).quantize(Decimal("0.01")),
                count=row["count"],
                latest=row["latest"],
                comments=latest.get(key, []),
            )
        )
    return result


@dataclass(frozen=True)
class NPS:
    """Net Promoter Score of a set of answers: promoters (9–10) minus detractors
    (0–6), as a share of all answers, in points from -100 to +100; None without answers."""

    answers: int = 0
    promoters: int = 0
    detractors: int = 0

    @property
    def passives(self) -> int:
        return self.answers - self.promoters - self.detractors

    @property
    def score(self) -> int | None:
        if not self.answers:
            return None
        points = Decimal(100 * (self.promoters - self.detractors)) / self.answers
        return int(points.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def display(self) -> str:
        score = self.score
        if score is None:
            return "—"
        return f"+{score}" if score > 0 else str(score)

    def __str__(self) -> str:
        return self.display


PROMOTER_MIN, DETRACTOR_MAX = 9, 6


def nps_of(scores: Iterable[int]) -> NPS:
    values = list(scores)
    return NPS(
        answers=len(values),
        promoters=sum(1 for s in values if s >= PROMOTER_MIN),
        detractors=sum(1 for s in values if s <= DETRACTOR_MAX),
    )


def _nps_counts() -> dict[str, Any]:
    return {
        "answers": Count("id"),
        "promoters": Count("id", filter=Q(score__gte=PROMOTER_MIN)),
        "detractors": Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
    }


def _nps(row: Any) -> NPS:
    return NPS(answers=row["answers"], promoters=row["promoters"], detractors=row["detractors"])


def nps_by_round(
    *, survey: Survey, partner: Partner | None = None
) -> list[tuple[SurveyRound, NPS]]:
    """Staff: the NPS of each round of a survey (of one partner's answers, if given),
    oldest first (the trend)."""
    with scopes_disabled():
        rounds = list(survey.rounds.order_by("opens_on", "number"))
        responses = SurveyResponse.objects.filter(round__survey=survey)
        if partner is not None:
            responses = responses.filter(partner=partner)
        counts = {
            row["round_id"]: _nps(row)
            for row in responses.values("round_id").annotate(**_nps_counts()).order_by()
        }
    return [(survey_round, counts.get(survey_round.pk, NPS())) for survey_round in rounds]


def nps_by_tier(*, survey_round: SurveyRound) -> list[tuple[Tier, NPS]]:
    """Staff: a round's NPS per tier (the partner's tier when it answered), every tier
    listed, lowest tier first."""
    with scopes_disabled():
        counts = {
            row["tier_id"]: _nps(row)
            for row in SurveyResponse.objects.filter(round=survey_round)
            .values("tier_id")
            .annotate(**_nps_counts())
            .order_by()
        }
    return [(tier, counts.get(tier.pk, NPS())) for tier in Tier.objects.order_by("rank")]


def nps_by_partner(*, survey_round: SurveyRound) -> list[tuple[Partner, NPS]]:
    """Staff: a round's NPS per partner that answered, lowest first."""
    with scopes_disabled():
        rows = list(
            SurveyResponse.objects.filter(round=survey_round)
            .values("partner_id")
            .annotate(**_nps_counts())
            .order_by()
        )
        partners = Partner.objects.in_bulk([row["partner_id"] for row in rows])
    result = [(partners[row["partner_id"]], _nps(row)) for row in rows]
    return sorted(result, key=lambda pair: (pair[1].score or 0, pair[0].name.lower()))


def latest_nps(*, partner_ids: Iterable[int]) -> dict[int, NPS]:
    """Staff: each partner's NPS in the latest round it answered (one query);
    partners that never answered are absent (shown as "—")."""
    ids = list(partner_ids)
    if not ids:
        return {}
    with scopes_disabled():
        rows = (
            SurveyResponse.objects.filter(partner_id__in=ids)
            .order_by("partner_id", "-round__opens_on", "-round_id")
            .values_list("partner_id", "round_id", "score")
        )
        latest_round: dict[int, int] = {}
        scores: dict[int, list[int]] = {}
        for partner_id, round_id, score in rows:
            if latest_round.setdefault(partner_id, round_id) == round_id:
                scores.setdefault(partner_id, []).append(score)
    return {partner_id: nps_of(values) for partner_id, values in scores.items()}


def survey_comments(
    *, survey_round: SurveyRound, partner: Partner | None = None
) -> list[SurveyAnswer]:
    """Staff: the free-text answers of a round (of one partner, if given), by question,
    newest first."""
    with scopes_disabled():
        answers = SurveyAnswer.objects.filter(response__round=survey_round)
        if partner is not None:
            answers = answers.filter(partner=partner)
        return list(
            answers.select_related("question", "response__partner", "response__user").order_by(
                "question__position", "question_id", "-response__answered_at"
            )
        )


def survey_rounds_for(*, user: User, today: date) -> list[SurveyRound]:
    """Portal: the rounds open today, newest first, each marked `answered` (whether
    this user has answered it)."""
    rounds = list(
        SurveyRound.objects.filter(opens_on__lte=today, closes_on__gte=today)
        .select_related("survey")
        .order_by("-opens_on", "-id")
    )
    with scopes_disabled():
        answered = set(
            SurveyResponse.objects.filter(user=user, round__in=rounds).values_list(
                "round_id", flat=True
            )
        )
    for survey_round in rounds:
        survey_round.answered = survey_round.pk in answered  # type: ignore[attr-defined]
    return rounds


def survey_response_of(*, user: User, survey_round: SurveyRound) -> SurveyResponse | None:
    with scopes_disabled():
        return SurveyResponse.objects.filter(user=user, round=survey_round).first()
