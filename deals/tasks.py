"""Celery tasks of deals/: thin wrappers that take ids and call services or the email
functions (each safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from deals import deal_notifications, lead_notifications, services
from deals.services import leads as lead_services

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


# --- leads ---


@shared_task
def send_lead_offer_email(offer_id: int) -> int:
    """After an offer commits: tell the partner's admins and sales reps."""
    return lead_notifications.lead_offer_email(offer_id)


@shared_task
def send_lead_lost_email(offer_id: int) -> int:
    """After an offer lapsed or was withdrawn: tell the partner it lost the lead."""
    return lead_notifications.lead_lost_email(offer_id)


@shared_task
def send_lead_returned_email(lead_id: int, entry_id: int) -> int:
    """After the rules found no partner for a lead: tell the Marketing admins."""
    return lead_notifications.lead_returned_email(lead_id, entry_id)


@shared_task
def reroute_overdue_leads() -> int:
    """Every five minutes (beat "deals-leads-sla"): expire the offers past their answer
    time and route their leads on (`leads_reroute_overdue`, safe to run twice and
    concurrently)."""
    return lead_services.leads_reroute_overdue()
