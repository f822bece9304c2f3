"""Demo campaigns: kits the vendor published over the past year, and the partners'
launches of them, in every status.

`seed_campaigns` is idempotent: kits are found by slug and only created when missing;
a partner's launches are created once, with its first kit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from assets.models import Asset
from campaigns import services
from campaigns.models import CampaignKit, Channel, Launch
from partners.models import Membership, Partner, Tier

C = Channel
O = CampaignKit.Objective  # noqa: E741 (the kit objectives, as a short alias)


@dataclass(frozen=True)
class DemoKit:
    slug: str
    name: str
    objective: str
    description: str
    channels: tuple[str, ...]
    assets: tuple[str, ...]
    # Days from today: when it was published, when it starts and ends.
    published: int
    start: int
    end: int
    landing_url: str
    budget: str
    mdf_eligible: bool = True
    status: str = "published"
    tiers: tuple[str, ...] = ()


KITS = [
    DemoKit(
        "fy26-backup-blitz",
        "FY26 Backup Awareness Blitz",
        O.AWARENESS,
        "Last year's spring push on backups for small businesses: social posts, a "
        "brochure and a landing page with a backup checklist.",
        (C.SOCIAL, C.EMAIL, C.WEB),
        ("Cloud Backup for small businesses", "World Backup Day square post"),
        published=-365,
        start=-360,
        end=-200,
        landing_url="https://www.example.com/backup-checklist",
        budget="3000.00",
        status="closed",
    ),
    DemoKit(
        "cloud-migration-accelerator",
        "Cloud Migration Accelerator",
        O.LEAD_GENERATION,
        "Generate leads among mid-sized companies planning a move to the cloud: an "
        "email sequence, a webinar invitation and a customer story that proves it works.",
        (C.EMAIL, C.SOCIAL, C.WEBINAR),
        (
            "Cloud Backup for small businesses",
            "Case study: City of Lakeside cuts recovery time by 80%",
            "Webinar invitation email template",
        ),
        published=-330,
        start=-330,
        end=35,
        landing_url="https://www.example.com/cloud-migration?lang=en&offer=assessment",
        budget="5000.00",
    ),
    DemoKit(
        "zero-trust-webinars",
        "Zero Trust Webinar Series",
        O.PIPELINE,
        "A three-part webinar series for IT directors, run with your own customers, "
        "to turn Zero Trust interest into qualified opportunities. Gold and Platinum.",
        (C.WEBINAR, C.EMAIL, C.EVENT),
        ("Zero Trust in five steps: partner pitch deck", "Secure Edge Platform datasheet"),
        published=-240,
        start=-240,
        end=60,
        landing_url="https://www.example.com/zero-trust/webinars",
        budget="8000.00",
        tiers=("gold", "platinum"),
    ),
    DemoKit(
        "ransomware-readiness",
        "Ransomware Readiness Month",
        O.AWARENESS,
        "Social posts and paid search around a free ransomware readiness check.",
        (C.SOCIAL, C.PAID_SEARCH, C.WEB),
        ("LinkedIn post: Are you ready for ransomware?", "World Backup Day square post"),
        published=-150,
        start=-150,
        end=20,
        landing_url="https://www.example.com/ransomware-check",
        budget="2500.00",
    ),
    DemoKit(
        "secure-edge-2027-launch",
        "Secure Edge 2027 launch",
        O.PRODUCT_LAUNCH,
        "Launch the 2027 Secure Edge appliances with your customers: announcement "
        "email, datasheet, social posts and a paid search ad group.",
        (C.EMAIL, C.SOCIAL, C.WEB, C.PAID_SEARCH),
        ("Secure Edge Platform datasheet", "Q1 campaign brochure"),
        published=-45,
        start=-45,
        end=90,
        landing_url="https://www.example.com/secure-edge-2027",
        budget="6000.00",
    ),
    DemoKit(
        "holiday-2027-promotion",
        "Holiday 2027 promotion",
        O.CROSS_SELL,
        "Being prepared: year-end bundles for existing customers.",
        (C.EMAIL,),
        (),
        published=0,
        start=20,
        end=50,
        landing_url="https://www.example.com/holiday",
        budget="2000.00",
        status="draft",
    ),
]


@dataclass(frozen=True)
class DemoLaunch:
    partner: str
    kit: str
    channel: str
    start: int  # days from today
    end: int
    status: str
    name: str = ""
    notes: str = ""
    statuses: tuple[str, ...] = field(default=())


L = Launch.Status
LAUNCHES = [
    DemoLaunch("northwind", "fy26-backup-blitz", C.SOCIAL, -355, -210, L.COMPLETED),
    DemoLaunch(
        "northwind",
        "cloud-migration-accelerator",
        C.EMAIL,
        -320,
        30,
        L.ACTIVE,
        name="Cloud migration nurture (email)",
    ),
    DemoLaunch(
        "northwind",
        "cloud-migration-accelerator",
        C.WEBINAR,
        -200,
        30,
        L.ACTIVE,
        name="Monthly migration webinar",
    ),
    DemoLaunch("northwind", "secure-edge-2027-launch", C.EMAIL, -40, 60, L.ACTIVE),
    DemoLaunch(
        "contoso",
        "zero-trust-webinars",
        C.WEBINAR,
        -230,
        50,
        L.ACTIVE,
        name="Zero Trust for MSP customers",
    ),
    DemoLaunch("contoso", "cloud-migration-accelerator", C.SOCIAL, -300, 20, L.ACTIVE),
    DemoLaunch(
        "contoso",
        "ransomware-readiness",
        C.PAID_SEARCH,
        -140,
        10,
        L.PAUSED,
        notes="Paused while we rework the ad copy.",
    ),
    DemoLaunch(
        "fabrikam",
        "zero-trust-webinars",
        C.EVENT,
        -220,
        40,
        L.ACTIVE,
        name="Zero Trust roadshow DACH",
    ),
    DemoLaunch("fabrikam", "secure-edge-2027-launch", C.WEB, -42, 80, L.ACTIVE),
    DemoLaunch("tailspin", "cloud-migration-accelerator", C.EMAIL, -250, -60, L.COMPLETED),
    DemoLaunch("tailspin", "ransomware-readiness", C.SOCIAL, -120, 15, L.ACTIVE),
    DemoLaunch("wingtip", "zero-trust-webinars", C.WEBINAR, -180, 40, L.ACTIVE),
    DemoLaunch("wingtip", "secure-edge-2027-launch", C.SOCIAL, 5, 60, L.PLANNED),
    DemoLaunch("adventure", "cloud-migration-accelerator", C.SOCIAL, -160, 30, L.ACTIVE),
    DemoLaunch("litware", "ransomware-readiness", C.WEB, -100, 20, L.ACTIVE),
]

# The moves from "planned" that reach each status (services.launch_set_status).
PATH_TO = {
    L.PLANNED: (),
    L.ACTIVE: (L.ACTIVE,),
    L.PAUSED: (L.ACTIVE, L.PAUSED),
    L.COMPLETED: (L.ACTIVE, L.COMPLETED),
}


@transaction.atomic
def seed_campaigns(*, actor: Any) -> int:
    """Create the demo kits and launches that are missing; return the kits created."""
    today = timezone.localdate()
    created = 0
    with scopes_disabled():
        for demo in KITS:
            if CampaignKit.objects.filter(slug=demo.slug).exists():
                continue
            kit = services.kit_create(
                actor=actor,
                name=demo.name,
                slug=demo.slug,
                objective=demo.objective,
                description=demo.description,
                channels=list(demo.channels),
                start_date=today + timedelta(days=demo.start),
                end_date=today + timedelta(days=demo.end),
                landing_url=demo.landing_url,
                suggested_budget=Decimal(demo.budget),
                currency="USD",
                mdf_eligible=demo.mdf_eligible,
                assets=list(Asset.objects.filter(title__in=demo.assets)),
                audience={"tiers": list(Tier.objects.filter(slug__in=demo.tiers))},
            )
            if demo.status != "draft":
                services.kit_publish(kit=kit, actor=actor)
            if demo.status == "closed":
                services.kit_close(kit=kit, actor=actor)
            # The kit's place in the story: published months ago.
            CampaignKit.objects.filter(pk=kit.pk).update(
                published_at=timezone.now() + timedelta(days=demo.published)
                if demo.status != "draft"
                else None
            )
            created += 1
        _seed_launches(today)
    return created


def _seed_launches(today) -> None:
    for demo in LAUNCHES:
        partner = Partner.objects.filter(slug=demo.partner).first()
        kit = CampaignKit.objects.filter(slug=demo.kit).first()
        if partner is None or kit is None:
            continue
        if Launch.objects.filter(partner=partner, kit=kit, channel=demo.channel).exists():
            continue
        marketer = Membership.objects.get(partner=partner, role=Membership.Role.MARKETER).user
        was_closed = kit.status == CampaignKit.Status.CLOSED
        if was_closed:
            # The launch was made while the kit ran; the kit closed afterwards.
            CampaignKit.objects.filter(pk=kit.pk).update(status=CampaignKit.Status.PUBLISHED)
            kit.refresh_from_db()
        launch = services.launch_create(
            partner=partner,
            kit=kit,
            actor=marketer,
            channel=demo.channel,
            start_date=today + timedelta(days=demo.start),
            end_date=today + timedelta(days=demo.end),
            name=demo.name,
            notes=demo.notes,
        )
        for status in PATH_TO[demo.status]:
            launch = services.launch_set_status(launch=launch, status=status, actor=marketer)
        if was_closed:
            CampaignKit.objects.filter(pk=kit.pk).update(status=CampaignKit.Status.CLOSED)
        Launch.objects.filter(pk=launch.pk).update(
            created_at=timezone.now() + timedelta(days=demo.start - 3)
        )


# --- business reviews ---------------------------------------------------------------------
#
# On the demo plans (seeded by `seed_plans`): for each of the first plans that are not
# closed, a review held three weeks ago (its scorecard frozen, its notes, action items
# from both sides, one of them overdue and one done) and the next review, scheduled.

REVIEW_PLANS = 2


def seed_reviews() -> int:
    """Create the demo reviews that are missing; return the reviews created."""
    from campaigns.models import BusinessReview, Plan, PlanActivity
    from campaigns.selectors.plans import is_marketing_admin

    Side = PlanActivity.OwnerSide
    created = 0
    now = timezone.now()
    today = timezone.localdate()
    with scopes_disabled():
        plans = list(
            Plan.objects.exclude(status__in=[Plan.Status.CLOSED, Plan.Status.DRAFT])
            .select_related("partner", "partner__channel_manager", "reviewer")
            .order_by("partner__name", "-period__start")
        )
        seen: set[int] = set()
        for plan in plans:
            if plan.partner_id in seen or len(seen) >= REVIEW_PLANS:
                continue
            seen.add(plan.partner_id)
            if BusinessReview.objects.filter(plan=plan).exists():
                continue
            staff = plan.reviewer or plan.partner.channel_manager
            if staff is None or not staff.is_staff:
                staff = next((u for u in _staff_users() if is_marketing_admin(u)), None)
            if staff is None:
                continue
            people = {
                m.role: m.user
                for m in Membership.objects.filter(
                    partner=plan.partner, user__api_key__isnull=True
                ).select_related("user")
            }
            admin = people.get(Membership.Role.ADMIN)
            marketer = people.get(Membership.Role.MARKETER) or admin
            attendees = [staff, *(u for u in (admin, marketer) if u is not None)]
            with transaction.atomic():
                held = services.review_schedule(
                    plan=plan,
                    actor=staff,
                    title="Quarterly business review",
                    scheduled_at=(now - timedelta(days=21)).replace(
                        hour=15, minute=0, second=0, microsecond=0
                    ),
                    attendees=attendees,
                    other_attendees="Regional sales lead (vendor)",
                )
                items = [
                    (
                        "Send the list of 20 target accounts for the ABM pilot",
                        Side.PARTNER,
                        marketer,
                        today - timedelta(days=5),
                    ),
                    (
                        "Share the webinar deck and the speaker notes",
                        Side.VENDOR,
                        staff,
                        today - timedelta(days=10),
                    ),
                    (
                        "Certify two more engineers on the new platform",
                        Side.PARTNER,
                        admin,
                        today + timedelta(days=20),
                    ),
                    (
                        "Propose the Q+1 event calendar",
                        Side.VENDOR,
                        None,
                        today + timedelta(days=4),
                    ),
                ]
                added = [
                    services.action_item_add(
                        review=held,
                        actor=staff,
                        title=title,
                        owner_side=side,
                        due_date=due,
                        owner=owner,
                    )
                    for title, side, owner, due in items
                ]
                services.review_hold(
                    review=held,
                    actor=staff,
                    notes=(
                        "Leads are ahead of plan, pipeline behind: the webinar series brings "
                        "leads that sales do not follow up fast enough.\n"
                        "Agreed: an account-based pilot on 20 named accounts, and sales "
                        "follow-up within two days of each webinar."
                    ),
                )
                services.action_item_set_status(item=added[1], status="done", actor=staff)
                # Its place in the story: held on the day it was scheduled.
                held.refresh_from_db()
                held_on = held.scheduled_at + timedelta(hours=1)
                BusinessReview.objects.filter(pk=held.pk).update(
                    held_at=held_on,
                    snapshot={**held.snapshot, "as_of": timezone.localdate(held_on).isoformat()},
                )
                services.review_schedule(
                    plan=plan,
                    actor=staff,
                    title="Next quarterly business review",
                    scheduled_at=(now + timedelta(days=10)).replace(
                        hour=15, minute=0, second=0, microsecond=0
                    ),
                    attendees=attendees,
                )
            created += 2
    return created


def _staff_users() -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(is_staff=True, is_active=True).order_by("pk"))
