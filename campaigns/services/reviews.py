"""Business reviews on a joint marketing plan, and the action items they decide.

Staff who may review the plan (its reviewer, else the partner's channel manager; any
marketing admin: `can_review_plan`) schedule, change, cancel and hold reviews, and
add action items. Holding a review freezes `plan_scorecard(plan).as_json()` into the
review, so results synced later do not rewrite what was discussed. A review of a
closed plan is final. Partner users mark their own side's action items done; staff
any item. Each change writes a `PlanEvent` on the plan in the same transaction;
emails go after commit, through tasks that take ids (campaigns.review_notifications).
Errors are `ValidationError`s keyed by the field they concern; nothing is stored when
one is raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from campaigns.models import ActionItem, BusinessReview, Plan, PlanActivity, PlanEvent
from campaigns.selectors.plans import plan_scorecard
from campaigns.services.plans import can_review_plan
from partners.models import Membership

RS = BusinessReview.Status
AS = ActionItem.Status
Side = PlanActivity.OwnerSide

# Fields of a review that `review_update` changes (holding and cancelling have their own).
REVIEW_FIELDS = ("title", "scheduled_at", "attendees", "other_attendees")
# Fields of an action item that `action_item_update` changes (status has its own).
ACTION_ITEM_FIELDS = ("title", "owner_side", "owner", "due_date")
TITLE_MAX = 200
ACTION_TITLE_MAX = 300
OTHER_ATTENDEES_MAX = 500


# --- checks ------------------------------------------------------------------------------


def _refuse_closed(plan: Plan) -> None:
    if plan.status == Plan.Status.CLOSED:
        raise ValidationError(
            {"plan": _("This plan is closed: its reviews and their action items are final.")}
        )


def _require_reviewer(actor: User, plan: Plan) -> None:
    if not can_review_plan(actor, plan):
        raise ValidationError(
            {
                "plan": _(
                    "Only the plan's reviewer (else the partner's channel manager) or a "
                    "marketing admin runs its business reviews."
                )
            }
        )


def _partner_member_ids(partner_id: int, user_ids: Iterable[int]) -> set[int]:
    with scopes_disabled():
        return set(
            Membership.objects.filter(partner_id=partner_id, user_id__in=list(user_ids))
            .filter(user__api_key__isnull=True)
            .values_list("user_id", flat=True)
        )


def _clean_review_fields(
    *,
    plan: Plan,
    title: object,
    scheduled_at: object,
    attendees: Iterable[Any],
    other_attendees: object,
) -> dict[str, Any]:
    """The checks a review's own fields pass when it is scheduled and on every edit.

    Rules: a title (at most 200 characters); a date and time (timezone-aware); the
    attendees active people of either side, staff or users of the plan's partner (a
    user of another partner reads as one that is not allowed); other attendees as
    free text of at most 500 characters. Returns the cleaned values by field name.
    """
    errors: dict[str, Any] = {}
    title = str(title or "").strip()
    if not title:
        errors["title"] = _("Give the review a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("The title is at most %(max)d characters.") % {"max": TITLE_MAX}
    if not isinstance(scheduled_at, datetime):
        errors["scheduled_at"] = _("Enter the date and time of the review.")
    elif timezone.is_naive(scheduled_at):
        errors["scheduled_at"] = _("Give the time with its time zone.")
    people = list(attendees or [])
    if any(not isinstance(person, User) or not person.pk for person in people):
        errors["attendees"] = _("Attendees are people with an account.")
    else:
        members = _partner_member_ids(plan.partner_id, [p.pk for p in people if not p.is_staff])
        strangers = [
            p for p in people if not p.is_active or (not p.is_staff and p.pk not in members)
        ]
        if strangers:
            errors["attendees"] = _(
                "Attendees are vendor staff or users of %(partner)s; not: %(names)s."
            ) % {
                "partner": plan.partner.name,
                "names": ", ".join(p.get_username() for p in strangers),
            }
    other = str(other_attendees or "").strip()
    if len(other) > OTHER_ATTENDEES_MAX:
        errors["other_attendees"] = _("At most %(max)d characters.") % {"max": OTHER_ATTENDEES_MAX}
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "scheduled_at": scheduled_at,
        "attendees": list(dict.fromkeys(people)),
        "other_attendees": other,
    }


def review_check(
    *,
    plan: Plan,
    title: object,
    scheduled_at: object,
    attendees: Iterable[Any] = (),
    other_attendees: object = "",
    review: BusinessReview | None = None,
) -> dict[str, Any]:
    """What `review_schedule` and `review_update` check, for forms that show the errors
    at their fields before saving (the admin). Rules: the plan is not closed; a review
    already held or cancelled is not changed; the fields as in `_clean_review_fields`."""
    _refuse_closed(plan)
    if review is not None and review.status != RS.SCHEDULED:
        raise ValidationError({"status": _held_or_cancelled(review)})
    return _clean_review_fields(
        plan=plan,
        title=title,
        scheduled_at=scheduled_at,
        attendees=attendees,
        other_attendees=other_attendees,
    )


def _held_or_cancelled(review: BusinessReview) -> str:
    if review.status == RS.HELD:
        return _("This review was held: what was discussed stays as it was.")
    return _("This review was cancelled.")


def _clean_action_item_fields(
    *, plan: Plan, title: object, owner_side: object, due_date: object, owner: object
) -> dict[str, Any]:
    """Rules: a title (at most 300 characters); a side (vendor or partner); a due date;
    the owner, when named, an active person of that side (staff for the vendor, a user of
    the plan's partner for the partner)."""
    errors: dict[str, Any] = {}
    title = str(title or "").strip()
    if not title:
        errors["title"] = _("Say what is to be done.")
    elif len(title) > ACTION_TITLE_MAX:
        errors["title"] = _("At most %(max)d characters.") % {"max": ACTION_TITLE_MAX}
    if owner_side not in Side.values:
        errors["owner_side"] = _("Choose the vendor's side or the partner's.")
    if not isinstance(due_date, date) or isinstance(due_date, datetime):
        errors["due_date"] = _("Enter the date it is due.")
    if owner is not None and "owner_side" not in errors:
        if not isinstance(owner, User) or not owner.pk or not owner.is_active:
            errors["owner"] = _("The owner is a person with an active account.")
        elif owner_side == Side.VENDOR and not owner.is_staff:
            errors["owner"] = _("A vendor-side action item is owned by vendor staff.")
        elif owner_side == Side.PARTNER and (
            owner.is_staff or not _partner_member_ids(plan.partner_id, [owner.pk])
        ):
            errors["owner"] = _("A partner-side action item is owned by a user of %(partner)s.") % {
                "partner": plan.partner.name
            }
    if errors:
        raise ValidationError(errors)
    return {"title": title, "owner_side": owner_side, "due_date": due_date, "owner": owner}


def action_item_check(
    *,
    review: BusinessReview,
    title: object,
    owner_side: object,
    due_date: object,
    owner: object = None,
) -> dict[str, Any]:
    """What `action_item_add` and `action_item_update` check (for forms). Rules: the plan
    is not closed; the review not cancelled; the fields as in `_clean_action_item_fields`."""
    _refuse_closed(review.plan)
    if review.status == RS.CANCELLED:
        raise ValidationError({"review": _("This review was cancelled.")})
    return _clean_action_item_fields(
        plan=review.plan, title=title, owner_side=owner_side, due_date=due_date, owner=owner
    )


# --- trail and emails ------------------------------------------------------------------------


def _trail(plan: Plan, actor: User, detail: str) -> None:
    # Reviews belong to the plan's story: they are told in its trail, by the same row
    # type as its other changes.
    PlanEvent.objects.create(
        plan=plan,
        partner_id=plan.partner_id,
        actor=actor,
        action=PlanEvent.Action.CHANGED,
        revision=plan.revision,
        detail=detail[:500],
    )


def _email_after_commit(kind: str, review_id: int) -> None:
    from campaigns.tasks import send_review_email

    transaction.on_commit(lambda: send_review_email.delay(review_id, kind))


def _lock_review(review: BusinessReview) -> BusinessReview:
    with scopes_disabled():
        return (
            BusinessReview.objects.select_for_update(of=("self",))
            .select_related("plan", "plan__partner")
            .get(pk=review.pk)
        )


def _lock_item(item: ActionItem) -> ActionItem:
    with scopes_disabled():
        return (
            ActionItem.objects.select_for_update(of=("self",))
            .select_related("review", "review__plan", "review__plan__partner")
            .get(pk=item.pk)
        )


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- reviews ----------------------------------------------------------------------------------


def review_schedule(
    *,
    plan: Plan,
    actor: User,
    title: str,
    scheduled_at: datetime,
    attendees: Iterable[User] = (),
    other_attendees: str = "",
) -> BusinessReview:
    """Schedule a business review on a plan.

    Rules: staff who may review the plan; the plan not closed; the fields as in
    `_clean_review_fields`. The plan's trail records it; the attendees get an
    invitation by email after commit.
    """
    with transaction.atomic(), scope(partner=plan.partner_id):
        locked_plan = Plan.objects.select_for_update(of=("self",)).get(pk=plan.pk)
        _require_reviewer(actor, locked_plan)
        values = review_check(
            plan=locked_plan,
            title=title,
            scheduled_at=scheduled_at,
            attendees=attendees,
            other_attendees=other_attendees,
        )
        people = values.pop("attendees")
        review = BusinessReview.objects.create(
            plan=locked_plan, partner_id=locked_plan.partner_id, created_by=actor, **values
        )
        review.attendees.set(people)
        _trail(
            locked_plan,
            actor,
            _("Business review “%(title)s” scheduled for %(when)s.")
            % {"title": review.title, "when": _when(review.scheduled_at)},
        )
        _email_after_commit("scheduled", review.pk)
    return review


def review_update(*, review: BusinessReview, actor: User, **changes: Any) -> BusinessReview:
    """Change a scheduled review's title, date and time, attendees or other attendees.

    Rules: staff who may review the plan; the plan not closed; the review neither held
    (what was discussed stays) nor cancelled; only `REVIEW_FIELDS`. A new date and
    time means a new reminder is due, and the attendees hear of it.
    """
    unknown = sorted(set(changes) - set(REVIEW_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    with transaction.atomic(), scope(partner=review.partner_id):
        locked = _lock_review(review)
        _require_reviewer(actor, locked.plan)
        current: dict[str, Any] = {
            "title": locked.title,
            "scheduled_at": locked.scheduled_at,
            "attendees": list(locked.attendees.all()),
            "other_attendees": locked.other_attendees,
        }
        values = review_check(plan=locked.plan, review=locked, **{**current, **changes})
        people = values.pop("attendees")
        moved = values["scheduled_at"] != locked.scheduled_at
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, values[name])
        if moved:
            locked.reminder_sent_at = None
        locked.save(update_fields=[*changed, "reminder_sent_at"])
        if {p.pk for p in people} != {p.pk for p in current["attendees"]}:
            locked.attendees.set(people)
            changed.append("attendees")
        if changed:
            _trail(
                locked.plan,
                actor,
                _("Business review “%(title)s” changed (%(fields)s).")
                % {"title": locked.title, "fields": ", ".join(changed)},
            )
        if moved:
            _email_after_commit("moved", locked.pk)
    return locked


def review_cancel(*, review: BusinessReview, actor: User) -> BusinessReview:
    """Cancel a scheduled review. Rules: staff who may review the plan; the plan not
    closed; only a scheduled review. The attendees hear of it after commit."""
    with transaction.atomic(), scope(partner=review.partner_id):
        locked = _lock_review(review)
        _require_reviewer(actor, locked.plan)
        _refuse_closed(locked.plan)
        if locked.status != RS.SCHEDULED:
            raise ValidationError({"status": _held_or_cancelled(locked)})
        locked.status = RS.CANCELLED
        locked.save(update_fields=["status"])
        _trail(
            locked.plan,
            actor,
            _("Business review “%(title)s” cancelled.") % {"title": locked.title},
        )
        _email_after_commit("cancelled", locked.pk)
    return locked


def review_hold(*, review: BusinessReview, actor: User, notes: str) -> BusinessReview:
    """Record that a review was held, with its notes, and freeze what it looked at.

    Rules: staff who may review the plan; the plan not closed; only a scheduled review
    (once held, it stays as it was); notes are required. The snapshot is the plan's
    scorecard as it is now (`plan_scorecard(plan).as_json()`): results synced later
    change the plan's live scorecard, never the review's. The attendees get the notes
    and the action items by email after commit.
    """
    notes = str(notes or "").strip()
    with transaction.atomic(), scope(partner=review.partner_id):
        locked = _lock_review(review)
        _require_reviewer(actor, locked.plan)
        _refuse_closed(locked.plan)
        if locked.status != RS.SCHEDULED:
            raise ValidationError({"status": _held_or_cancelled(locked)})
        if not notes:
            raise ValidationError({"notes": _("Write down what was discussed and decided.")})
        locked.status = RS.HELD
        locked.notes = notes
        locked.held_at = timezone.now()
        locked.held_by = actor
        locked.snapshot = plan_scorecard(plan=locked.plan).as_json()
        locked.save(update_fields=["status", "notes", "held_at", "held_by", "snapshot"])
        _trail(
            locked.plan,
            actor,
            _("Business review “%(title)s” held; its scorecard is frozen.")
            % {"title": locked.title},
        )
        _email_after_commit("held", locked.pk)
    return locked


# --- action items --------------------------------------------------------------------------


def action_item_add(
    *,
    review: BusinessReview,
    actor: User,
    title: str,
    owner_side: str,
    due_date: date,
    owner: User | None = None,
) -> ActionItem:
    """Add an action item to a review. Rules: staff who may review the plan; the plan
    not closed; the review not cancelled; the fields as in `_clean_action_item_fields`."""
    with transaction.atomic(), scope(partner=review.partner_id):
        locked = _lock_review(review)
        _require_reviewer(actor, locked.plan)
        values = action_item_check(
            review=locked, title=title, owner_side=owner_side, due_date=due_date, owner=owner
        )
        item = ActionItem.objects.create(review=locked, partner_id=locked.partner_id, **values)
        _trail(
            locked.plan,
            actor,
            _("Action item “%(title)s” added to “%(review)s”, due %(due)s.")
            % {"title": item.title, "review": locked.title, "due": item.due_date.isoformat()},
        )
    return item


def action_item_update(*, item: ActionItem, actor: User, **changes: Any) -> ActionItem:
    """Change an action item's title, side, owner or due date. Rules: staff who may
    review the plan; the plan not closed; only `ACTION_ITEM_FIELDS`. A later due date
    makes a new overdue reminder possible."""
    unknown = sorted(set(changes) - set(ACTION_ITEM_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    with transaction.atomic(), scope(partner=item.partner_id):
        locked = _lock_item(item)
        _require_reviewer(actor, locked.review.plan)
        current = {name: getattr(locked, name) for name in ACTION_ITEM_FIELDS}
        values = action_item_check(review=locked.review, **{**current, **changes})
        changed = [name for name, value in values.items() if current[name] != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        fields = list(changed)
        if "due_date" in changed:
            locked.overdue_reminded_at = None
            fields.append("overdue_reminded_at")
        locked.save(update_fields=fields)
        _trail(
            locked.review.plan,
            actor,
            _("Action item “%(title)s” changed (%(fields)s).")
            % {"title": locked.title, "fields": ", ".join(changed)},
        )
    return locked


def can_set_action_item_status(user: User, item: ActionItem) -> bool:
    """Staff who may review the plan change any item; partner users of the item's
    partner change their own side's items."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return can_review_plan(user, item.review.plan)
    return item.owner_side == Side.PARTNER and bool(_partner_member_ids(item.partner_id, [user.pk]))


def action_item_set_status(*, item: ActionItem, status: str, actor: User) -> ActionItem:
    """Mark an action item done, open again, or cancelled.

    Rules: who `can_set_action_item_status`; partner users move their side's items
    between open and done only (cancelling is the vendor's call); the review not
    cancelled. Follow-up work outlives the period, so items of a closed plan may still
    be marked done. Done records who and when; reopening clears them.
    """
    if status not in AS.values:
        raise ValidationError({"status": _("Unknown status “%(status)s”.") % {"status": status}})
    with transaction.atomic(), scope(partner=item.partner_id):
        locked = _lock_item(item)
        if not can_set_action_item_status(actor, locked):
            raise ValidationError(
                {"status": _("Only the vendor marks a vendor-side action item.")}
                if not actor.is_staff
                else {"status": _("Only the plan's reviewers mark its action items.")}
            )
        if status == AS.CANCELLED and not actor.is_staff:
            raise ValidationError({"status": _("Only the vendor cancels an action item.")})
        if locked.review.status == RS.CANCELLED:
            raise ValidationError({"status": _("This review was cancelled.")})
        if locked.status == status:
            return locked
        old = locked.get_status_display()
        locked.status = status
        if status == AS.DONE:
            locked.completed_at, locked.completed_by = timezone.now(), actor
        else:
            locked.completed_at, locked.completed_by = None, None
        locked.save(update_fields=["status", "completed_at", "completed_by"])
        _trail(
            locked.review.plan,
            actor,
            _("Action item “%(title)s”: %(old)s → %(new)s.")
            % {"title": locked.title, "old": old, "new": locked.get_status_display()},
        )
    return locked


# --- reminders (Celery beat; each safe to run twice) -------------------------------------------


def review_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the attendees of each review scheduled within the next
    `REVIEW_REMINDER_DAYS` days, once.

    Rules: scheduled reviews of plans not closed, not yet started, not reminded; each
    review is claimed (`reminder_sent_at` set where it was empty) in the transaction
    that sends its email, so two runs never both send it and a failed send leaves it
    due. Returns the number of reviews reminded.
    """
    from campaigns import review_notifications

    now = now or timezone.now()
    horizon = now + timedelta(days=settings.REVIEW_REMINDER_DAYS)
    with scopes_disabled():
        due = list(
            BusinessReview.objects.filter(
                status=RS.SCHEDULED,
                reminder_sent_at__isnull=True,
                scheduled_at__gt=now,
                scheduled_at__lte=horizon,
            )
            .exclude(plan__status=Plan.Status.CLOSED)
            .values_list("pk", flat=True)
        )
        sent = 0
        for review_id in due:
            with transaction.atomic():
                claimed = BusinessReview.objects.filter(
                    pk=review_id, reminder_sent_at__isnull=True
                ).update(reminder_sent_at=now)
                if claimed:
                    review_notifications.review_email(review_id, "reminder")
                    sent += 1
    return sent


def action_item_overdue_reminders_send(*, today: date | None = None) -> int:
    """Tell each overdue action item's owner (or, without one, the partner's admins for
    a partner-side item and the channel manager for a vendor-side one) that it is
    overdue, once.

    Rules: open items due before today, of reviews not cancelled, not yet reminded;
    claimed (`overdue_reminded_at`) in the transaction that sends the email, so two
    runs never both send it. A new due date makes it due again (`action_item_update`).
    Returns the number of items reminded.
    """
    from campaigns import review_notifications

    today = today or timezone.localdate()
    now = timezone.now()
    with scopes_disabled():
        due = list(
            ActionItem.objects.filter(
                status=AS.OPEN, due_date__lt=today, overdue_reminded_at__isnull=True
            )
            .exclude(review__status=RS.CANCELLED)
            .values_list("pk", flat=True)
        )
        sent = 0
        for item_id in due:
            with transaction.atomic():
                claimed = ActionItem.objects.filter(
                    pk=item_id, overdue_reminded_at__isnull=True, status=AS.OPEN
                ).update(overdue_reminded_at=now)
                if claimed:
                    review_notifications.action_item_overdue_email(item_id, today=today)
                    sent += 1
    return sent
