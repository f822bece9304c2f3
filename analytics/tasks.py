"""Celery tasks of analytics: thin wrappers around the rollup and the visitor salts."""

from celery import shared_task

from analytics import clicks, rollup


@shared_task
def rollup_metrics() -> int:
    """Roll the events that arrived since the last run into the daily metrics."""
    return rollup.rollup_metrics()


@shared_task
def purge_visitor_salts() -> int:
    """Delete the salts of past days, so yesterday's visitors cannot be recognised."""
    return clicks.purge_visitor_salts()
