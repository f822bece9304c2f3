"""Rows the deals API tests and the authorization matrix start from: a registration in
a given state, a conflict flagged on it, a lead offered to a partner. Written with the
ORM (the services' own tests prove the services); the API tests drive the services
through the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled

from deals.models import Deal, DealConflict, DealEvent, Lead, LeadOffer, Product, ProtectedAccount

_numbers = count(1)


def make_product(slug: str = "backup-suite", name: str = "Backup Suite") -> Product:
    product, _created = Product.objects.get_or_create(slug=slug, defaults={"name": name})
    return product


def deal_body(**extra: Any) -> dict[str, Any]:
    """A registration as an integration sends it."""
    make_product()
    return {
        "company": "Acme Industries",
        "domain": "acme.example",
        "country": "DE",
        "products": ["backup-suite"],
        "amount": "25000.00",
        "currency": "EUR",
        "expected_close_date": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "stage": "qualification",
        "notes": "Replacing their tape backups.",
        "contact_name": "Ann Buyer",
        "contact_email": "ann@acme.example",
        **extra,
    }


def make_deal(
    side: Any,
    *,
    status: str = Deal.Status.SUBMITTED,
    domain: str | None = None,
    company: str = "Acme Industries",
    **fields: Any,
) -> Deal:
    """A registration of `side` (a PartnerWorld) in `status`, with its first event."""
    now = timezone.now()
    today = timezone.localdate()
    decided = status not in Deal.UNDECIDED_STATUSES
    with scopes_disabled():
        deal = Deal.objects.create(
            partner=side.partner,
            registered_by=side.sales,
            company=company,
            domain=domain or f"customer-{next(_numbers)}.example",
            country="DE",
            amount=Decimal(fields.pop("amount", "25000.00")),
            currency="EUR",
            expected_close_date=today + timedelta(days=60),
            stage=Deal.Stage.QUALIFICATION,
            status=status,
            submitted_at=now,
            decided_at=now if decided else None,
            expires_on=today + timedelta(days=90) if status == Deal.Status.APPROVED else None,
            **fields,
        )
        deal.products.add(make_product())
        DealEvent.objects.create(
            deal=deal, partner=side.partner, actor=side.sales, at=now, action="registered"
        )
    return deal


def flag_conflict(deal: Deal, other: Deal | None = None, account: ProtectedAccount | None = None):
    """What the registration service writes on a conflict: the staff-only row and a
    non-shared event naming the other side."""
    with scopes_disabled():
        DealConflict.objects.create(
            deal=deal,
            kind=DealConflict.Kind.OTHER_PARTNER if other else DealConflict.Kind.PROTECTED_ACCOUNT,
            other_deal=other,
            protected_account=account,
        )
        named = other.partner.name if other else account.company  # type: ignore[union-attr]
        DealEvent.objects.create(
            deal=deal,
            partner=deal.partner,
            at=timezone.now(),
            action=DealEvent.Action.CONFLICT_FLAGGED,
            detail=f"Also claimed by {named}",
            shared=False,
        )


def make_protected_account(domain: str = "vip.example", company: str = "VIP Holdings"):
    return ProtectedAccount.objects.create(domain=domain, company=company, country="DE")


def make_lead(**fields: Any) -> Lead:
    return Lead.objects.create(
        company=fields.pop("company", "Lead Co"),
        domain=fields.pop("domain", f"lead-{next(_numbers)}.example"),
        country="DE",
        contact_name="Lee Lead",
        contact_email="lee@lead.example",
        description="Wants a backup quote.",
        created_at=timezone.now(),
        **fields,
    )


def make_offer(side: Any, *, lead: Lead | None = None, status: str = LeadOffer.Status.PENDING):
    """`lead` (a new one unless given) offered to `side`'s partner, in `status`."""
    lead = lead or make_lead()
    now = timezone.now()
    with scopes_disabled():
        offer = LeadOffer.objects.create(
            lead=lead,
            partner=side.partner,
            offered_at=now,
            due_at=now + timedelta(days=2),
            status=status,
            responded_at=None if status == LeadOffer.Status.PENDING else now,
        )
        if status in (LeadOffer.Status.PENDING, LeadOffer.Status.ACCEPTED):
            lead.status = (
                Lead.Status.OFFERED if status == LeadOffer.Status.PENDING else Lead.Status.ACCEPTED
            )
            lead.current_offer = offer
            lead.save(update_fields=["status", "current_offer"])
    return offer
