"""Helpers of the performance tests: kits, launches, daily metric rows written directly
(as the rollup writes them: counts in the ''-currency row, opportunities/won with their
amounts in the currency rows), fund requests that name a launch and their spend."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from analytics.models import DailyMetric, RollupState
from campaigns.models import CampaignKit, Channel, Launch
from mdf import ledger, services
from mdf.models import ActivityType, FundPool, FundRequest, LedgerEntry

D = Decimal


def today() -> date:
    return timezone.localdate()


def make_kit(slug: str = "spring-promo", name: str = "Spring promo", **extra) -> CampaignKit:
    return CampaignKit.objects.create(
        name=name,
        slug=slug,
        objective=CampaignKit.Objective.LEAD_GENERATION,
        channels=[Channel.EMAIL],
        start_date=today() - timedelta(days=400),
        end_date=today() + timedelta(days=60),
        landing_url="https://vendor.example.com/spring",
        status=extra.pop("status", CampaignKit.Status.PUBLISHED),
        **extra,
    )


def make_launch(world, kit: CampaignKit, name: str = "") -> Launch:
    with scopes_disabled():
        return Launch.objects.create(
            partner=world.partner,
            kit=kit,
            name=name,
            channel=Channel.EMAIL,
            start_date=today() - timedelta(days=90),
            end_date=today() + timedelta(days=30),
            status=Launch.Status.ACTIVE,
            created_by=world.admin,
        )


def metric(partner, day: date, *, kit=None, launch=None, currency: str = "", **figures):
    if launch is not None and kit is None:
        kit = launch.kit
    with scopes_disabled():
        return DailyMetric.objects.create(
            partner=partner, kit=kit, launch=launch, day=day, currency=currency, **figures
        )


def results(
    partner,
    day: date,
    *,
    launch=None,
    kit=None,
    clicks=0,
    leads=0,
    opps=0,
    won=0,
    pipeline="0",
    revenue="0",
    currency="EUR",
    downloads=0,
    mqls=0,
):
    """One day of results as the rollup stores them: counts in the '' row, the
    opportunities and won deals with their amounts in the currency row."""
    if clicks or leads or downloads or mqls:
        metric(
            partner,
            day,
            launch=launch,
            kit=kit,
            clicks=clicks,
            leads=leads,
            downloads=downloads,
            mqls=mqls,
        )
    if opps or won or D(pipeline) or D(revenue):
        metric(
            partner,
            day,
            launch=launch,
            kit=kit,
            currency=currency,
            opportunities=opps,
            won=won,
            pipeline=D(pipeline),
            revenue=D(revenue),
        )


def rolled_up(seconds_ago: int = 40) -> RollupState:
    state, _ = RollupState.objects.update_or_create(
        name="daily_metrics",
        defaults={"watermark": 1, "rolled_up_at": timezone.now() - timedelta(seconds=seconds_ago)},
    )
    return state


_pools: dict[str, FundPool] = {}


def funded_spend(world, staff_users, *, launch=None, amount: str = "1000.00", currency="EUR"):
    """A fund request of `world` (naming `launch`), approved and spent: the spend entry is
    appended through the ledger, as a claim approval appends it."""
    actor = staff_users["marketing_admin"]
    with scopes_disabled():
        pool = FundPool.objects.filter(currency=currency).first() or FundPool.objects.create(
            name=f"Pool {currency}",
            currency=currency,
            total=D("1000000.00"),
            period_start=today() - timedelta(days=200),
            period_end=today() + timedelta(days=150),
            request_deadline=today() + timedelta(days=90),
            claim_deadline=today() + timedelta(days=180),
            reimbursement_percentage=D("100.00"),
            finance_threshold=D("500000.00"),
        )
        allocation = pool.allocations.filter(partner=world.partner).first()
        if allocation is None:
            allocation = services.allocation_create(
                pool=pool, partner=world.partner, amount="100000.00", actor=actor, reason="plan"
            )
        activity, _ = ActivityType.objects.get_or_create(
            slug="webinar", defaults={"name": "Webinar"}
        )
        start = today() + timedelta(days=10)
        fund_request = services.request_create(
            partner=world.partner,
            allocation=allocation,
            activity_type=activity,
            title="Campaign",
            description="Funds a launch",
            activity_start=start,
            activity_end=start,
            requested_amount=amount,
            expected_leads=10,
            actor=world.marketer,
        )
        services.request_submit(fund_request=fund_request, actor=world.marketer)
        fund_request = services.request_decide(
            fund_request=fund_request,
            actor=staff_users["channel_manager"],
            approve=True,
            approved_amount=None,
            note="ok",
        )
        if launch is not None:
            FundRequest.objects.filter(pk=fund_request.pk).update(launch=launch)
        value = D(amount)
        with transaction.atomic():
            allocation.refresh_from_db()
            return ledger.append(
                allocation,
                kind=LedgerEntry.Kind.SPEND,
                amount=value,
                actor=actor,
                request=fund_request,
                memo="claim approved",
                d_committed=-value,
                d_spent=value,
            )
