"""Content library tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from assets import services


@shared_task(acks_late=True)
def make_preview(version_id: int) -> str:
    """The preview (thumbnail) of an uploaded version."""
    return services.version_make_preview(version_id=version_id)


@shared_task(acks_late=True)
def make_cobranded_copy(copy_id: int) -> str:
    """A partner's co-branded copy of a version."""
    return services.cobranded_copy_make(copy_id=copy_id)


@shared_task
def purge_cobranded_copies(days: int = 7) -> int:
    """Daily: delete co-branded copies superseded for more than `days` days."""
    return services.cobranded_copies_purge(older_than=timedelta(days=days))
