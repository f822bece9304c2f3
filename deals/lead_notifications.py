"""Lead emails: a new offer and a lost offer (lapsed or taken back) to the partner's
admins and sales reps; a lead back with staff to the Marketing admins.

Each function re-reads its rows by id (the tasks pass ids, after commit), so a task
retried later sends what is true now: an offer no longer pending is not announced, a
lead routed on since it came back is not reported. An email to a partner names its
own lead and nothing of any other partner (not who had it before, nor who has it now).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from deals.models import Lead, LeadOffer, LeadRoutingEntry
from deals.services.leads import LEAD_ROLES
from partners import roles
from partners.mail import send_to_readers
from partners.selectors import partner_emails


def partner_recipients(partner_id: int) -> list[str]:
    """The people who answer and work the partner's leads."""
    return partner_emails(partner_id=partner_id, roles=LEAD_ROLES)


def staff_recipients() -> list[str]:
    User = get_user_model()
    return list(
        User.objects.filter(groups__name=roles.MARKETING_ADMIN, is_active=True, is_staff=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def _send(template: str, context: dict, recipients: list[str]) -> int:
    context = {**context, "time_zone": settings.TIME_ZONE}
    return send_to_readers(f"deals/email/{template}", context, recipients)


def _offer(offer_id: int) -> LeadOffer | None:
    with scopes_disabled():  # a task: the row says whose offer it is
        return (
            LeadOffer.objects.select_related("lead__region", "lead__specialisation")
            .filter(pk=offer_id)
            .first()
        )


def lead_offer_email(offer_id: int) -> int:
    """A new offer, while it is still pending; returns the number of recipients."""
    offer = _offer(offer_id)
    if offer is None or offer.status != LeadOffer.Status.PENDING:
        return 0
    context = {"offer": offer, "lead": offer.lead, "due_at": offer.due_at}
    return _send("lead_offered", context, partner_recipients(offer.partner_id))


def lead_lost_email(offer_id: int) -> int:
    """The partner lost the lead: its offer lapsed or staff took it back."""
    offer = _offer(offer_id)
    if offer is None or offer.status not in (LeadOffer.Status.EXPIRED, LeadOffer.Status.WITHDRAWN):
        return 0
    return _send(
        "lead_lost", {"offer": offer, "lead": offer.lead}, partner_recipients(offer.partner_id)
    )


def lead_returned_email(lead_id: int, entry_id: int) -> int:
    """Staff: a lead the rules could place with no partner, with its history."""
    lead = Lead.objects.filter(pk=lead_id, status=Lead.Status.RETURNED).first()
    entry = LeadRoutingEntry.objects.filter(pk=entry_id, lead_id=lead_id).first()
    if lead is None or entry is None:
        return 0
    history = list(
        LeadRoutingEntry.objects.filter(lead=lead).select_related("partner").order_by("at", "id")
    )
    context = {"lead": lead, "entry": entry, "history": history}
    return _send("lead_returned", context, staff_recipients())
