"""Campaign kits and launches for tests, made through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from campaigns import services
from campaigns.models import CampaignKit, Launch


def make_kit(
    *,
    name: str = "Ransomware readiness",
    actor: Any = None,
    publish: bool = True,
    channels: tuple[str, ...] = ("email", "social"),
    audience: dict[str, Any] | None = None,
    **fields: Any,
) -> CampaignKit:
    today = timezone.localdate()
    fields.setdefault("objective", CampaignKit.Objective.LEAD_GENERATION)
    fields.setdefault("start_date", today - timedelta(days=5))
    fields.setdefault("end_date", today + timedelta(days=60))
    fields.setdefault("landing_url", "https://vendor.example.com/ransomware?ref=kit")
    kit = services.kit_create(
        actor=actor, name=name, channels=channels, audience=audience, **fields
    )
    if publish:
        kit = services.kit_publish(kit=kit, actor=actor)
    return kit


def make_launch(world: Any, kit: CampaignKit, **fields: Any) -> Launch:
    today = timezone.localdate()
    fields.setdefault("channel", kit.channels[0])
    fields.setdefault("start_date", today)
    fields.setdefault("end_date", today + timedelta(days=30))
    return services.launch_create(partner=world.partner, kit=kit, actor=world.marketer, **fields)
