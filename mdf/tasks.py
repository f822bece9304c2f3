"""MDF Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from mdf import notifications, services
from mdf.models import FundPool


@shared_task(acks_late=True)
def send_decision_email(kind: str, object_id: int) -> int:
    """Tell the partner about a decision on its request or claim."""
    return notifications.decision_email(kind, object_id)


@shared_task
def roll_over_pools() -> dict:
    """Daily: pools past their claim deadline release, expire or carry over."""
    moved = {}
    with scopes_disabled():
        pools = list(FundPool.objects.filter(rolled_over_at__isnull=True))
    for pool in pools:
        result = services.pool_roll_over(pool=pool)
        moved[pool.name] = {key: str(value) for key, value in result.items()}
    return moved


@shared_task
def send_deadline_reminders() -> int:
    """Daily: remind partners 14 and 3 days before request and claim deadlines."""
    return notifications.deadline_reminders()


@shared_task
def send_sla_reminders() -> int:
    """Daily: remind approvers of requests and claims past the pool's decision SLA."""
    return notifications.sla_reminders()
