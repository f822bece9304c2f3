"""Celery tasks of deals/: thin wrappers that take ids and call services (each safe to
run twice)."""

from __future__ import annotations

from celery import shared_task

from deals import deal_notifications, services

# --- deal registration ---


@shared_task(acks_late=True)
def send_deal_event_email(event_id: int) -> int:
    """After a registration's event commits: email whom it concerns (once)."""
    return deal_notifications.deal_event_email(event_id)


@shared_task
def send_pending_deal_emails() -> int:
    """Every few minutes (beat): the emails whose task never ran."""
    return deal_notifications.send_pending_deal_emails()


@shared_task
def expire_deals() -> int:
    """Daily (beat): expire approved deals whose protection has ended."""
    return services.deals_expire()


@shared_task
def send_deal_expiry_reminders() -> int:
    """Daily (beat): remind partners 14 and 3 days before a deal's protection ends."""
    return services.deal_expiry_reminders()
