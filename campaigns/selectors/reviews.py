"""Reads of business reviews and action items: a partner's own (portal, API), a
plan's (the plan page), the people who may attend one, and a held review's frozen
snapshot as table rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django_scopes import scopes_disabled

from campaigns.models import ActionItem, BusinessReview, Plan
from campaigns.selectors.plans import Scorecard
from partners.models import Membership, Partner

RS = BusinessReview.Status
AS = ActionItem.Status


def reviews_for_partner(*, partner: Partner) -> QuerySet[BusinessReview]:
    """The partner's reviews of every plan, with their plan and attendees, newest first."""
    return (
        BusinessReview.objects.filter(partner=partner)
        .select_related("plan", "plan__period")
        .prefetch_related(
            Prefetch("attendees", get_user_model().objects.order_by("-is_staff", "first_name"))
        )
        .order_by("-scheduled_at", "-id")
    )


def review_for_partner(*, partner: Partner, uuid: Any) -> BusinessReview:
    """One of the partner's reviews by its UUID; another partner's, a malformed or a
    missing one: Http404 alike."""
    try:
        return reviews_for_partner(partner=partner).select_related("held_by").get(uuid=uuid)
    except (BusinessReview.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class PlanReviews:
    """A plan's reviews for its page: upcoming (scheduled) soonest first, held newest
    first, and how many of its action items are open and overdue."""

    upcoming: list[BusinessReview]
    held: list[BusinessReview]
    open_items: int
    overdue_items: int


def reviews_for_plan(*, plan: Plan) -> PlanReviews:
    """Two queries whatever the number of reviews (the plan page's count stays flat)."""
    today = timezone.localdate()
    reviews = list(
        BusinessReview.objects.filter(plan=plan, partner_id=plan.partner_id)
        .exclude(status=RS.CANCELLED)
        .order_by("scheduled_at", "id")
    )
    counts = ActionItem.objects.filter(
        review__plan=plan, partner_id=plan.partner_id, status=AS.OPEN
    ).exclude(review__status=RS.CANCELLED)
    open_items = overdue_items = 0
    for due in counts.values_list("due_date", flat=True):
        open_items += 1
        overdue_items += due < today
    return PlanReviews(
        upcoming=[r for r in reviews if r.status == RS.SCHEDULED],
        held=sorted(
            (r for r in reviews if r.status == RS.HELD),
            key=lambda r: r.held_at or r.scheduled_at,
            reverse=True,
        ),
        open_items=open_items,
        overdue_items=overdue_items,
    )


def action_items_for_partner(
    *, partner: Partner, status: str | None = AS.OPEN
) -> QuerySet[ActionItem]:
    """The partner's action items across plans (of reviews not cancelled), soonest due
    first; `status` None for every status."""
    items = (
        ActionItem.objects.filter(partner=partner)
        .exclude(review__status=RS.CANCELLED)
        .select_related("review", "review__plan", "owner", "completed_by")
        .order_by("due_date", "id")
    )
    if status is not None:
        items = items.filter(status=status)
    return items


def action_item_for_partner(*, partner: Partner, uuid: Any) -> ActionItem:
    """One of the partner's action items by UUID; anything else is Http404."""
    try:
        return action_items_for_partner(partner=partner, status=None).get(uuid=uuid)
    except (ActionItem.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


def is_overdue(item: ActionItem, today: date | None = None) -> bool:
    return item.status == AS.OPEN and item.due_date < (today or timezone.localdate())


def attendee_candidates(*, plan: Plan) -> QuerySet[User]:
    """Who may attend a review of the plan: active staff and the active users of the
    plan's partner (API keys' own users are not people)."""
    with scopes_disabled():
        members = Membership.objects.filter(
            partner_id=plan.partner_id, user__api_key__isnull=True
        ).values("user_id")
        return (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(Q(is_staff=True, api_key__isnull=True) | Q(pk__in=members))
            .order_by("-is_staff", "first_name", "last_name", "username")
        )


def review_snapshot(review: BusinessReview) -> Scorecard | None:
    """The scorecard as it was when the review was held (None before): read from the
    frozen JSON, never recomputed."""
    if not review.snapshot:
        return None
    return Scorecard.from_json(review.snapshot)
