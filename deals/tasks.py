"""Celery tasks of deals: thin wrappers that take ids and call services or the email
functions (each safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from deals import lead_notifications
from deals.services import leads as lead_services

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
