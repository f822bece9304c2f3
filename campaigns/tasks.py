"""Campaigns Celery tasks: thin wrappers that take ids and call services (each safe to
run twice: the services claim their rows before sending)."""

from __future__ import annotations

from celery import shared_task

from campaigns import review_notifications, services


@shared_task(acks_late=True)
def send_review_email(review_id: int, kind: str) -> int:
    """After commit: a review's invitation, move, cancellation or notes to its attendees."""
    return review_notifications.review_email(review_id, kind)


@shared_task
def send_review_reminders() -> int:
    """Hourly (beat): remind attendees `REVIEW_REMINDER_DAYS` days before a review, once."""
    return services.review_reminders_send()


@shared_task
def send_overdue_action_item_reminders() -> int:
    """Daily (beat): tell owners of overdue action items, once per item."""
    return services.action_item_overdue_reminders_send()
