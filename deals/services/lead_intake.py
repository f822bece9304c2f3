"""A lead received and handed out in one step: what an integration (the vendor's CRM,
through the API) does when it sends a lead. The admin does the same in two steps
(add, then "offer to…" or "route by the rules"), each a service of `leads`.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from deals.models import Lead
from deals.services.leads import LeadInput, lead_create, lead_offer_to, lead_route
from partners.models import Partner

__all__ = ["lead_receive"]


def lead_receive(
    *,
    data: LeadInput,
    actor: User,
    external_id: str = "",
    partner: Partner | None = None,
    route: bool = False,
) -> tuple[Lead, bool]:
    """Receive a lead and offer it: by hand to `partner`, by the rules (`route`), or
    neither (it waits with staff). Returns (lead, created).

    Rules:
    - `lead_create`'s: by staff or a staff key; the lead's fields; an `external_id`
      already received returns that lead as it is, `created` False, and nothing else
      happens (a resend is not routed again);
    - then `lead_offer_to` (by hand) or `lead_route` (the rules; no partner left: back
      with staff); not both;
    - one transaction: a refused offer (an inactive partner, …) leaves no lead behind.
    """
    if partner is not None and route:
        raise ValueError("Offer a lead by hand or by the rules, not both.")
    with transaction.atomic():
        lead, created = lead_create(data=data, actor=actor, external_id=external_id)
        if created and partner is not None:
            lead_offer_to(lead=lead, partner=partner, actor=actor)
        elif created and route:
            lead_route(lead=lead, actor=actor)
    return lead, created
