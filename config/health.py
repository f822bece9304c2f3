"""GET /healthz: the state of the database, the broker and the storage."""

from __future__ import annotations

import logging
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


# Seconds the broker check may wait: a probe that hangs while Redis is down holds a
# web worker and can outlast the load balancer's own health check timeout.
BROKER_TIMEOUT = 1.0


def check_broker() -> None:
    """One connection attempt, bounded by BROKER_TIMEOUT: no retry (kombu would sleep
    2 s before it), and socket timeouts for a broker that does not answer at all. Then
    the default queue is declared, as a worker does at start: connecting alone opens
    nothing when the broker is a database file (the embedded default)."""
    over_network = celery_app.conf.broker_url.startswith(("redis://", "rediss://"))
    with celery_app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT,
        # The SQLAlchemy transport hands its options to create_engine, which takes no
        # socket options.
        transport_options=(
            {"socket_connect_timeout": BROKER_TIMEOUT, "socket_timeout": BROKER_TIMEOUT}
            if over_network
            else {}
        ),
    ) as conn:
        conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT)
        conn.default_channel.queue_declare(
            queue=celery_app.conf.task_default_queue, durable=True, auto_delete=False
        )


def check_storage() -> None:
    name = default_storage.save(f"healthz/{secrets.token_hex(8)}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as handle:
            if handle.read() != b"ok":
                raise OSError("storage returned different content")
    finally:
        default_storage.delete(name)


CHECKS = {"database": check_database, "broker": check_broker, "storage": check_storage}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every component answers; 503 naming those that do not.

    A failing component is logged here, once, at WARNING. The 503 itself is marked as
    logged, so django.request does not log it again as an ERROR: a dependency that
    blips is the monitor's news, not an application error (the flag is the one Django
    sets itself, in `django.utils.log.log_response`, to avoid logging twice)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "down"
            logger.warning("healthz: %s is down: %s: %s", name, type(exc).__name__, exc)
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True}
    down = [name for name, result in results.items() if not result["ok"]]
    response = JsonResponse(
        {"status": "down" if down else "ok", "down": down, "checks": results},
        status=503 if down else 200,
    )
    if down:
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response
