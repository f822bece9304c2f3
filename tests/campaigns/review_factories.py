"""Plans with reviews for the review tests: a plan of the current quarter (so results
synced now count), made through the services, and reviews scheduled on it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled

from campaigns import services
from campaigns.models import BusinessReview, Plan, PlanPeriod, PlanTarget
from tests.campaigns.plan_factories import add_target, make_period, make_plan


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def current_plan(world: Any, *, custom: bool = True) -> Plan:
    """`world`'s plan of the quarter we are in, with a leads target (its actual from the
    rollups) and, `custom`, a custom target with an actual entered."""
    period = make_period(start=quarter_start(timezone.localdate()), kind=PlanPeriod.Kind.QUARTER)
    plan = make_plan(world, period, title=f"{world.partner.name} joint plan")
    add_target(plan, world, measure=PlanTarget.Measure.LEADS, values=["10"], weight="2")
    if custom:
        target = add_target(
            plan,
            world,
            measure=PlanTarget.Measure.CUSTOM,
            name="Certified engineers",
            values=["4"],
        )
        services.custom_actual_set(target=target, quarter=1, actual="1", actor=world.admin)
    return plan


def soon(days: float = 10, hour: int = 15) -> datetime:
    moment = timezone.localtime() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def schedule(
    plan: Plan, actor: Any, *, when: datetime | None = None, **fields: Any
) -> BusinessReview:
    fields.setdefault("title", "Q review")
    return services.review_schedule(plan=plan, actor=actor, scheduled_at=when or soon(), **fields)


def close(plan: Plan) -> Plan:
    """The plan closed (as the period-end job leaves it), without waiting for the end."""
    with scopes_disabled():
        Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.CLOSED)
        return Plan.objects.get(pk=plan.pk)
