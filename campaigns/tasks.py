"""Celery tasks of campaigns: thin wrappers that take ids and call services (each safe to
run twice)."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from campaigns import plan_notifications, review_notifications, services
from campaigns.models import Plan


@shared_task
def send_plan_event_email(event_id: int) -> int:
    """After a plan decision commits: email the side it concerns."""
    return plan_notifications.plan_event_email(event_id)


@shared_task
def send_plan_comment_email(comment_id: int) -> int:
    """After a comment commits: email the other side."""
    return plan_notifications.plan_comment_email(comment_id)


@shared_task
def close_ended_plans() -> int:
    """Daily: close the approved plans whose period has ended, freezing their
    scorecards. Safe to run twice: a closed plan is left as it is."""
    closed = 0
    for plan_id in services.plans_due_to_close():
        with scopes_disabled():
            plan = Plan.objects.filter(pk=plan_id, status=Plan.Status.APPROVED).first()
        if plan is not None:
            services.plan_close(plan=plan, actor=None)
            closed += 1
    return closed


@shared_task(acks_late=True)
def send_review_email(review_id: int, kind: str) -> int:
    """After commit: a review's invitation, move, cancellation or notes to its attendees."""
    return review_notifications.review_email(review_id, kind)


@shared_task
def send_review_reminders() -> int:
    """Hourly (beat): remind attendees `REVIEW_REMINDER_DAYS` days before a review, once
    (the service claims each review before sending)."""
    return services.review_reminders_send()


@shared_task
def send_overdue_action_item_reminders() -> int:
    """Daily (beat): tell owners of overdue action items, once per item."""
    return services.action_item_overdue_reminders_send()
