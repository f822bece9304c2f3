"""Business review emails: invitations, moves, cancellations, the notes of a held
review, reminders before a review, and overdue action items.

Each function re-reads its rows by id, so a task retried after a crash sends what is
true now (a review cancelled meanwhile gets no reminder). Partner people get links
to the portal, staff to the admin: one email per side.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from campaigns.models import ActionItem, BusinessReview, PlanActivity
from partners.mail import send_to_readers
from partners.models import Membership
from partners.selectors import partner_emails

KINDS = ("scheduled", "moved", "cancelled", "held", "reminder")
# A review that is no longer scheduled gets no invitation, move or reminder.
NEEDS_SCHEDULED = ("scheduled", "moved", "reminder")


def _send(template: str, context: dict, recipients: list[str]) -> int:
    return send_to_readers(f"campaigns/email/{template}", context, recipients)


def _links(review: BusinessReview) -> dict[str, str]:
    return {
        "partner": settings.SITE_URL + reverse("plans:review_detail", kwargs={"uuid": review.uuid}),
        "staff": settings.SITE_URL
        + reverse("admin:campaigns_businessreview_change", args=[review.pk]),
    }


def review_email(review_id: int, kind: str) -> int:
    """Email the review's attendees (`kind` of `KINDS`). Returns the recipients count."""
    if kind not in KINDS:
        raise ValueError(f"Unknown review email {kind!r}")
    with scopes_disabled():
        review = (
            BusinessReview.objects.select_related("plan", "partner").filter(pk=review_id).first()
        )
        if review is None:
            return 0
        if kind in NEEDS_SCHEDULED and review.status != BusinessReview.Status.SCHEDULED:
            return 0
        people = [p for p in review.attendees.all() if p.is_active and p.email]
        items = list(review.action_items.select_related("owner").order_by("due_date", "id"))
    links = _links(review)
    sent = 0
    for side, staff in (("partner", False), ("staff", True)):
        recipients = [p.email for p in people if p.is_staff == staff]
        context = {
            "review": review,
            "when": timezone.localtime(review.scheduled_at),
            "items": items,
            "link": links[side],
            "days": settings.REVIEW_REMINDER_DAYS,
        }
        sent += _send(f"review_{kind}", context, recipients)
    return sent


def action_item_overdue_email(item_id: int, *, today: date | None = None) -> int:
    """Tell the owner of an overdue action item (or, without one, the partner's admins
    for the partner's side, the channel manager — else the plan's reviewer — for the
    vendor's)."""
    with scopes_disabled():
        item = (
            ActionItem.objects.select_related(
                "owner", "review", "review__plan", "review__plan__reviewer", "partner"
            )
            .filter(pk=item_id)
            .first()
        )
        if item is None or item.status != ActionItem.Status.OPEN:
            return 0
        partner = item.partner
        manager = partner.channel_manager
    staff = item.owner_side == PlanActivity.OwnerSide.VENDOR
    if item.owner is not None and item.owner.is_active and item.owner.email:
        recipients = [item.owner.email]
    elif staff:
        fallback = manager or item.review.plan.reviewer
        recipients = [fallback.email] if fallback is not None and fallback.email else []
    else:
        recipients = partner_emails(partner_id=partner.pk, roles=[Membership.Role.ADMIN])
    context = {
        "item": item,
        "review": item.review,
        "days_late": ((today or timezone.localdate()) - item.due_date).days,
        "link": _links(item.review)["staff" if staff else "partner"],
        "items_link": settings.SITE_URL + reverse("plans:action_items"),
        "staff": staff,
    }
    return _send("action_item_overdue", context, recipients)
