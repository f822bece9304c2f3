"""Builders for the lead distribution tests: regions, specialisations, partners that
cover them, routing rules, lead weights and leads (through the services)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django_scopes import scopes_disabled

from deals.models import Lead, LeadOffer, LeadRoutingEntry, RoutingRule, TierLeadWeight
from deals.services import LeadInput, lead_create
from partners.models import Partner, Region, Specialisation, Tier
from tests.conftest import PartnerWorld, make_partner_world


def region(code: str) -> Region:
    return Region.objects.get_or_create(code=code, defaults={"name": code.upper()})[0]


def specialisation(slug: str) -> Specialisation:
    name = slug.replace("-", " ").title()
    return Specialisation.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def lead_partner(
    slug: str,
    tier: Tier,
    *,
    regions: Iterable[Region] = (),
    specialisations: Iterable[Specialisation] = (),
    partner_type: str = Partner.Type.RESELLER,
    status: str = Partner.Status.ACTIVE,
) -> PartnerWorld:
    """A partner with its admin, marketer and sales rep, covering these regions and
    holding these specialisations."""
    world = make_partner_world(slug, tier, partner_type=partner_type, status=status)
    world.partner.regions.set(list(regions))
    world.partner.specialisations.set(list(specialisations))
    return world


def rule(
    name: str,
    *,
    position: int = 100,
    regions: Iterable[Region] = (),
    specialisations: Iterable[Specialisation] = (),
    partner_types: Iterable[str] = (),
    tiers: Iterable[Tier] = (),
    active: bool = True,
) -> RoutingRule:
    made = RoutingRule.objects.create(
        name=name, position=position, active=active, partner_types=list(partner_types)
    )
    made.regions.set(list(regions))
    made.specialisations.set(list(specialisations))
    made.tiers.set(list(tiers))
    return made


def weight(tier: Tier, value: int) -> TierLeadWeight:
    return TierLeadWeight.objects.update_or_create(tier=tier, defaults={"weight": value})[0]


def lead(
    company: str = "Initech",
    *,
    region: Region | None = None,
    specialisation: Specialisation | None = None,
    external_id: str = "",
    **fields: object,
) -> Lead:
    data = LeadInput(
        company=company,
        domain=str(fields.pop("domain", "initech.example")),
        country=str(fields.pop("country", "DE")),
        region=region,
        specialisation=specialisation,
        contact_name=str(fields.pop("contact_name", "Peter Gibbons")),
        contact_email=str(fields.pop("contact_email", "peter@initech.example")),
        description=str(fields.pop("description", "Wants a quote for 200 seats.")),
        amount=fields.pop("amount", Decimal("12000.00")),  # type: ignore[arg-type]
        currency=str(fields.pop("currency", "EUR")),
    )
    assert not fields, f"unknown fields {fields}"
    made, _created = lead_create(data=data, external_id=external_id)
    return made


def offers_of(lead_: Lead) -> list[LeadOffer]:
    """Every offer of a lead, oldest first (across partners, visibly)."""
    with scopes_disabled():
        return list(LeadOffer.objects.filter(lead=lead_).select_related("partner").order_by("id"))


def history(lead_: Lead) -> list[tuple[str, str | None]]:
    """The lead's routing history as (action, partner slug) pairs, in order."""
    return [
        (entry.action, entry.partner.slug if entry.partner else None)
        for entry in LeadRoutingEntry.objects.filter(lead=lead_)
        .select_related("partner")
        .order_by("at", "id")
    ]


def fresh(lead_: Lead) -> Lead:
    return Lead.objects.get(pk=lead_.pk)


def fresh_offer(offer: LeadOffer) -> LeadOffer:
    with scopes_disabled():
        return LeadOffer.objects.get(pk=offer.pk)
