"""Reads of lead distribution: the offers a partner may see, and the leads with staff.

A partner sees a lead only through its own `LeadOffer` (partner-scoped); the lead's
routing history and the other partners it was offered to are staff-only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django_scopes import scope

from deals.models import Lead, LeadOffer, LeadRoutingEntry
from partners.models import Partner

__all__ = ["leads_with_staff", "offer_for_partner", "offers_for_partner"]


def offers_for_partner(
    *, partner: Partner, status: str | None = None, search: str = ""
) -> QuerySet[LeadOffer]:
    """The partner's offers, newest first, with their leads: all of them, or those of
    one status (`LeadOffer.Status`; an unknown status gives none); `search` matches the
    lead's company, web domain or contact. Evaluate inside the partner's scope."""
    offers = LeadOffer.objects.filter(partner=partner).select_related("lead", "deal")
    if status is not None:
        offers = offers.filter(status=status)
    text = search.strip()
    if text:
        offers = offers.filter(
            Q(lead__company__icontains=text)
            | Q(lead__domain__icontains=text)
            | Q(lead__contact_name__icontains=text)
        )
    return offers.order_by("-offered_at", "-id")


def offer_for_partner(*, partner: Partner, uuid: Any) -> LeadOffer:
    """One of the partner's offers by its UUID, whatever its status (an offer that
    lapsed still opens, so an answer to it gets "no longer offered to you"); another
    partner's, a missing one or a malformed UUID: the same 404."""
    try:
        with scope(partner=partner):
            return offers_for_partner(partner=partner).get(uuid=uuid)
    except (LeadOffer.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


def leads_with_staff() -> QuerySet[Lead]:
    """Staff: the leads not with a partner (new, or back with staff), oldest first,
    with their routing history (entries in time order, with partner and actor) for the
    staff pages. Lead rows are not partner-scoped; the history names partners, so this
    is for staff only."""
    history = LeadRoutingEntry.objects.select_related("partner", "actor", "rule").order_by(
        "at", "id"
    )
    return (
        Lead.objects.filter(status__in=[Lead.Status.NEW, Lead.Status.RETURNED])
        .select_related("region", "specialisation")
        .prefetch_related(Prefetch("routing", queryset=history))
        .order_by("created_at", "id")
    )
