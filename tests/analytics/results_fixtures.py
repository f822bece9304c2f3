"""Kits, launches and result events for the results-sync tests, made with the ORM
directly (the campaigns services are written alongside)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled

from assets.services import audience_set
from campaigns.models import CampaignKit, Channel, Launch
from partners.models import Partner


def make_kit(
    slug: str, *, partners: list[Partner] | None = None, published: bool = True
) -> CampaignKit:
    """A kit for every partner, or only for the `partners` listed."""
    today = timezone.localdate()
    kit = CampaignKit.objects.create(
        name=slug.replace("-", " ").title(),
        slug=slug,
        objective=CampaignKit.Objective.LEAD_GENERATION,
        channels=[Channel.EMAIL],
        start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=30),
        landing_url="https://vendor.example.com/offer",
        status=CampaignKit.Status.PUBLISHED if published else CampaignKit.Status.DRAFT,
        published_at=timezone.now() if published else None,
    )
    if partners is not None:
        audience_set(obj=kit, partners=partners)
    return kit


def make_launch(partner: Partner, kit: CampaignKit, user: Any) -> Launch:
    today = timezone.localdate()
    with scopes_disabled():
        return Launch.objects.create(
            partner=partner,
            kit=kit,
            channel=Channel.EMAIL,
            start_date=today - timedelta(days=7),
            end_date=today + timedelta(days=7),
            status=Launch.Status.ACTIVE,
            created_by=user,
        )


# One moment for every event of a test run, so that a resent event is identical.
AN_HOUR_AGO = (timezone.now() - timedelta(hours=1)).replace(microsecond=0).isoformat()


def event(*args: str, **fields: Any) -> dict[str, Any]:
    """A valid lead with the external_id given, changed by `fields` (a value of None
    drops the field, `external_id` among them)."""
    values = {
        "external_id": args[0] if args else "crm-1",
        "kind": "lead",
        "occurred_at": AN_HOUR_AGO,
        "company": "Initech",
        "email_domain": "initech.example",
    }
    values.update(fields)
    return {name: value for name, value in values.items() if value is not None}


def won(external_id: str, amount: str = "1250.00", currency: str = "EUR", **fields: Any):
    return event(external_id, kind="won", amount=amount, currency=currency, **fields)
