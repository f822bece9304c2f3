"""MDF Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from mdf import notifications, services
from mdf.models import FundPool


@shared_task
def send_decision_emails() -> int:
    """Every few seconds (beat): email partners about decisions not emailed yet."""
    return notifications.send_pending_decision_emails()


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


@shared_task
def sweep_orphan_proof_files() -> int:
    """Daily: delete proof files left in storage by uploads whose transaction rolled back."""
    return len(services.proof_files_sweep())
