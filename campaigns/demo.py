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


# --- Joint marketing plans ----------------------------------------------------------------
#
# Planning periods around today (the previous quarter, now closed for new plans; the
# current and next quarter and year, open), and one plan per story, in every state:
# draft, submitted, changes requested, approved (one with a later draft revision) and
# closed with its scorecard. KPI targets are set a little above what the partner
# achieved the quarter before, so their actuals (read from the demo's rolled-up
# results) land around the target; custom targets carry actuals entered by the partner.


@dataclass(frozen=True)
class DemoPlan:
    partner: str
    period: str  # "previous", "current", "next" (quarters) or "year"
    state: str  # draft, submitted, changes_requested, approved, revised, closed
    title: str
    objectives: str


PLANS = [
    DemoPlan(
        "fabrikam",
        "previous",
        "closed",
        "DACH pipeline push",
        "Open the mid-market in Germany and Austria with the Zero Trust roadshow and "
        "turn its attendees into pipeline within the quarter.",
    ),
    DemoPlan(
        "northwind",
        "current",
        "revised",
        "Backup and cloud migration, this quarter",
        "Double qualified leads from the cloud migration campaign, certify two more "
        "sales engineers, and spend the quarter's MDF on work that shows up in pipeline.",
    ),
    DemoPlan(
        "fabrikam",
        "current",
        "approved",
        "Secure Edge launch in EMEA",
        "Launch Secure Edge 2027 with our reseller network: webinars first, then a "
        "partner roadshow; every launch tracked, every euro of MDF tied to a launch.",
    ),
    DemoPlan(
        "contoso",
        "year",
        "submitted",
        "Contoso and the vendor: the managed-services year",
        "Grow managed-services revenue on the vendor's stack by a third: quarterly "
        "campaigns, a certified team, and a business review each quarter.",
    ),
    DemoPlan(
        "tailspin",
        "current",
        "changes_requested",
        "Ransomware readiness for small business",
        "Bring ransomware readiness to small businesses in our region through social and "
        "email, and grow our MQLs.",
    ),
    DemoPlan(
        "wingtip",
        "next",
        "draft",
        "APAC webinars, next quarter",
        "A Zero Trust webinar series in English and Japanese, feeding the next quarter's pipeline.",
    ),
]


def _quarter_start(day: Any) -> Any:
    from datetime import date

    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _months_later(day: Any, months: int) -> Any:
    from datetime import date

    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _period(kind: str, start: Any, *, is_open: bool = True) -> Any:
    from campaigns.models import PlanPeriod

    quarters = PlanPeriod.QUARTERS[kind]
    end = _months_later(start, 3 * quarters) - timedelta(days=1)
    if kind == PlanPeriod.Kind.QUARTER:
        name = f"{start.year} Q{(start.month - 1) // 3 + 1}"
    elif kind == PlanPeriod.Kind.HALF:
        name = f"{start.year} H{(start.month - 1) // 6 + 1}"
    else:
        name = f"FY {start.year}"
    period, _created = PlanPeriod.objects.get_or_create(
        kind=kind, start=start, defaults={"end": end, "name": name, "is_open": is_open}
    )
    return period


def seed_plan_periods(today: Any) -> dict[str, Any]:
    """The previous quarter (closed for new plans), the current and next quarters and
    the current and next years (open)."""
    from datetime import date

    from campaigns.models import PlanPeriod

    K = PlanPeriod.Kind
    current = _quarter_start(today)
    return {
        "previous": _period(K.QUARTER, _months_later(current, -3), is_open=False),
        "current": _period(K.QUARTER, current),
        "next": _period(K.QUARTER, _months_later(current, 3)),
        "year": _period(K.YEAR, date(today.year, 1, 1)),
        "next_year": _period(K.YEAR, date(today.year + 1, 1, 1)),
    }


def _target_value(achieved: Decimal, floor: int) -> str:
    """A little above what was achieved, rounded to a number people would plan with."""
    value = max(Decimal(floor), achieved * Decimal("1.15"))
    step = Decimal(10) ** max(0, len(str(int(value))) - 2)
    return str((value / step).quantize(Decimal(1)) * step)


def _seed_plan(demo: DemoPlan, period: Any, today: Any) -> bool:
    from analytics import selectors as analytics_selectors
    from analytics.models import DailyMetric
    from campaigns import selectors as plan_selectors
    from campaigns.models import Plan, PlanRevision
    from mdf.models import ActivityType, FundRequest

    partner = Partner.objects.filter(slug=demo.partner).first()
    if partner is None or Plan.objects.filter(partner=partner, period=period).exists():
        return False
    admin = Membership.objects.get(partner=partner, role=Membership.Role.ADMIN).user
    marketer = Membership.objects.get(partner=partner, role=Membership.Role.MARKETER).user
    reviewer = partner.channel_manager
    # What the partner achieved in the last full quarter before the plan (or before
    # today, for a plan of the year under way).
    current = _quarter_start(today)
    reference = period.start if period.end < today or period.start >= current else current
    achieved = analytics_selectors.partner_totals(
        partner=partner, start=_months_later(reference, -3), end=reference - timedelta(days=1)
    )
    currency = (
        DailyMetric.objects.filter(partner=partner)
        .exclude(currency="")
        .values_list("currency", flat=True)
        .first()
        or "USD"
    )
    quarters = period.quarter_count
    was_open = period.is_open
    if not was_open:  # a plan written while the period was open
        type(period).objects.filter(pk=period.pk).update(is_open=True)
        period.is_open = True
    plan = services.plan_create(
        partner=partner, period=period, actor=marketer, title=demo.title, objectives=demo.objectives
    )
    if not was_open:
        type(period).objects.filter(pk=period.pk).update(is_open=False)
    per_quarter = {
        "leads": _target_value(Decimal(achieved.leads), 20),
        "clicks": _target_value(Decimal(achieved.clicks), 200),
        "pipeline": _target_value(achieved.pipeline.get(currency, Decimal(0)), 20000),
    }
    services.target_add(
        plan=plan,
        actor=marketer,
        measure="leads",
        values=[per_quarter["leads"]] * quarters,
        weight="3",
    )
    services.target_add(
        plan=plan,
        actor=marketer,
        measure="pipeline",
        currency=currency,
        values=[per_quarter["pipeline"]] * quarters,
        weight="3",
    )
    services.target_add(
        plan=plan,
        actor=marketer,
        measure="clicks",
        values=[per_quarter["clicks"]] * quarters,
        weight="1",
    )
    services.target_add(
        plan=plan, actor=marketer, measure="mdf_utilisation", values=["20"] * quarters, weight="1"
    )
    engineers = services.target_add(
        plan=plan,
        actor=marketer,
        measure="custom",
        name="Sales engineers certified",
        values=["2"] * quarters,
        weight="2",
    )
    kind = ActivityType.objects.order_by("pk").first()
    launches = list(Launch.objects.filter(partner=partner).select_related("kit").order_by("pk"))
    requests = list(
        FundRequest.objects.filter(partner=partner)
        .select_related("allocation__pool", "launch")
        .order_by("pk")
    )
    last_day = period.end
    for index, launch in enumerate(launches[:2]):
        funded = next((r for r in requests if r.launch_id == launch.pk), None)
        start = min(max(launch.start_date, period.start), last_day)
        end = min(max(launch.end_date, start), last_day)
        services.activity_add(
            plan=plan,
            actor=marketer,
            title=launch.name or launch.kit.name,
            activity_type=funded.activity_type if funded else kind,
            owner_side="partner",
            start_date=start,
            end_date=end,
            budget=funded.requested_amount if funded else Decimal("2500.00") * (index + 1),
            currency=funded.allocation.pool.currency if funded else currency,
            kit=launch.kit
            if CampaignKit.objects.available_to(partner).filter(pk=launch.kit_id).exists()
            else None,
            launch=launch,
            fund_request=funded,
            status="in_progress" if start <= today else "planned",
        )
    services.activity_add(
        plan=plan,
        actor=marketer,
        title="Quarterly business review with the vendor",
        activity_type=kind,
        owner_side="vendor",
        start_date=min(period.start + timedelta(days=20), last_day),
        end_date=min(period.start + timedelta(days=20), last_day),
        budget="0.00",
        currency=currency,
    )
    for quarter, (start, _end) in enumerate(plan_selectors.period_quarters(period), start=1):
        if start <= today:
            services.custom_actual_set(
                target=engineers, quarter=quarter, actual=str(quarter % 2 + 1), actor=admin
            )
    if demo.state == "draft":
        return True
    plan = services.plan_submit(plan=plan, actor=admin)
    services.comment_add(
        plan=plan, actor=marketer, body="Targets are a step up from last quarter's results."
    )
    if demo.state == "submitted" or reviewer is None:
        return True
    if demo.state == "changes_requested":
        services.plan_request_changes(
            plan=plan,
            actor=reviewer,
            note="Add an MQL target and tie the roadshow to a fund request, please.",
        )
        return True
    plan = services.plan_approve(plan=plan, actor=reviewer, note="Ambitious and measurable.")
    services.comment_add(plan=plan, actor=reviewer, body="Approved: let's review it mid-quarter.")
    if demo.state == "revised":
        services.target_add(
            plan=plan,
            actor=marketer,
            measure="mqls",
            values=[_target_value(Decimal(achieved.mqls), 10)] * quarters,
            weight="2",
        )
        services.plan_update(
            plan=plan,
            actor=marketer,
            objectives=demo.objectives + " MQLs are now a target of their own.",
        )
    if demo.state == "closed":
        from datetime import datetime, time

        moment = timezone.make_aware(datetime.combine(period.start + timedelta(days=6), time(10)))
        Plan.objects.filter(pk=plan.pk).update(submitted_at=moment, approved_at=moment)
        PlanRevision.objects.filter(plan=plan).update(submitted_at=moment, decided_at=moment)
        services.plan_close(plan=plan, actor=reviewer, today=today)
    return True


@transaction.atomic
def seed_plans() -> int:
    """Roll up the demo's results (the actuals of KPI targets), open the planning
    periods and create the demo plans that are missing; return the plans created."""
    from analytics import rollup

    rollup.rollup_metrics()
    today = timezone.localdate()
    created = 0
    with scopes_disabled():
        periods = seed_plan_periods(today)
        for demo in PLANS:
            created += _seed_plan(demo, periods[demo.period], today)
    return created


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
