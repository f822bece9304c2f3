"""Plans for tests, made through the services: periods, plans, targets, activities."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from campaigns import services
from campaigns.models import Plan, PlanActivity, PlanPeriod, PlanTarget
from mdf.models import ActivityType

D = Decimal


def make_period(
    start: date = date(2026, 1, 1), kind: str = PlanPeriod.Kind.HALF, **fields: Any
) -> PlanPeriod:
    """A period (a half year by default) with its end computed from its quarters."""
    quarters = PlanPeriod.QUARTERS[kind]
    month = start.month - 1 + 3 * quarters
    following = date(start.year + month // 12, month % 12 + 1, 1)
    fields.setdefault("name", f"{start.year} {kind} {start.month}")
    period, _ = PlanPeriod.objects.get_or_create(
        kind=kind,
        start=start,
        defaults={"end": date.fromordinal(following.toordinal() - 1), **fields},
    )
    return period


def activity_type(slug: str = "webinar") -> ActivityType:
    found, _ = ActivityType.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    return found


def make_plan(world: Any, period: PlanPeriod, **fields: Any) -> Plan:
    fields.setdefault("title", f"{world.partner.name} plan")
    fields.setdefault("objectives", "Grow pipeline in the mid-market.")
    return services.plan_create(
        partner=world.partner, period=period, actor=world.marketer, **fields
    )


def add_target(plan: Plan, world: Any, **fields: Any) -> PlanTarget:
    fields.setdefault("measure", PlanTarget.Measure.LEADS)
    fields.setdefault("values", ["100"] * plan.period.quarter_count)
    fields.setdefault("weight", "1")
    return services.target_add(plan=plan, actor=world.marketer, **fields)


def add_activity(plan: Plan, world: Any, **fields: Any) -> PlanActivity:
    fields.setdefault("title", "Cloud webinar series")
    fields.setdefault("activity_type", activity_type())
    fields.setdefault("owner_side", PlanActivity.OwnerSide.PARTNER)
    fields.setdefault("start_date", plan.period.start)
    fields.setdefault("end_date", plan.period.start.replace(day=28))
    fields.setdefault("budget", "2500.00")
    fields.setdefault("currency", "EUR")
    return services.activity_add(plan=plan, actor=world.marketer, **fields)


def submitted_plan(world: Any, period: PlanPeriod) -> Plan:
    plan = make_plan(world, period)
    add_target(plan, world)
    return services.plan_submit(plan=plan, actor=world.admin)


def make_fund_request(world: Any, staff_users: Any, *, currency: str = "EUR", **fields: Any):
    """A draft fund request of `world` on a pool of `currency` (made if missing)."""
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from mdf import services as mdf_services
    from mdf.models import FundPool

    today = timezone.localdate()
    with scopes_disabled():
        pool = FundPool.objects.filter(currency=currency).first() or FundPool.objects.create(
            name=f"Plan pool {currency}",
            currency=currency,
            total=D("1000000.00"),
            period_start=today - timedelta(days=200),
            period_end=today + timedelta(days=150),
            request_deadline=today + timedelta(days=90),
            claim_deadline=today + timedelta(days=180),
        )
        allocation = pool.allocations.filter(partner=world.partner).first()
        if allocation is None:
            allocation = mdf_services.allocation_create(
                pool=pool,
                partner=world.partner,
                amount="20000.00",
                actor=staff_users["marketing_admin"],
                reason="plan",
            )
        start = today + timedelta(days=10)
        fields.setdefault("title", "Webinar series")
        fields.setdefault("requested_amount", "3000.00")
        return mdf_services.request_create(
            partner=world.partner,
            allocation=allocation,
            activity_type=activity_type(),
            description="Funds a plan activity",
            activity_start=start,
            activity_end=start,
            actor=world.marketer,
            **fields,
        )
