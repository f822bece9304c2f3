"""Celery tasks of campaigns: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import shared_task
from django_scopes import scopes_disabled

from campaigns import plan_notifications, services
from campaigns.models import Plan


@shared_task
def send_plan_event_email(event_id: int) -> int:
    """After a plan decision commits: email the side it concerns."""
    return plan_notifications.plan_event_email(event_id)


@shared_task
def send_plan_comment_email(comment_id: int) -> int:
    """After a comment commits: email the other side."""
    return plan_notifications.plan_comment_email(comment_id)


@shared_task
def close_ended_plans() -> int:
    """Daily: close the approved plans whose period has ended, freezing their
    scorecards. Safe to run twice: a closed plan is left as it is."""
    closed = 0
    for plan_id in services.plans_due_to_close():
        with scopes_disabled():
            plan = Plan.objects.filter(pk=plan_id, status=Plan.Status.APPROVED).first()
        if plan is not None:
            services.plan_close(plan=plan, actor=None)
            closed += 1
    return closed
