"""A real Celery worker process on Redis: a round trip, and a task that reads the
test database and sends an email, as production runs them.

Each test has its own queue (and worker node name), so it never takes tasks meant for
another worker on the same Redis, nor leaves its own to one.
"""

from __future__ import annotations

import email
import os
import sys
import uuid
from collections.abc import Iterator
from email import policy
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from config.celery import app
from partners.models import Partner
from partners.services import partner_decide
from partners.tasks import ping
from tests.conftest import skip_or_fail
from tests.platform.conftest import child_env, wait_until

pytestmark = [pytest.mark.celery_worker, pytest.mark.slow]

_APP_SETTINGS = (
    "broker_url",
    "result_backend",
    "broker_transport_options",
    "task_default_queue",
    "task_always_eager",
)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        skip_or_fail("no Redis: TEST_REDIS_URL is not set (`make test` finds or starts one)")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError):
        skip_or_fail(f"Redis at {url} does not answer")
    return url


@pytest.fixture
def queue(redis_url) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    # Leave nothing of this queue behind on a Redis that outlives the test run.
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)


def _forget_connections() -> None:
    """Celery caches its producer pool, routing and result backend on first use: drop
    them so that changed settings take effect (and the old ones come back afterwards)."""
    app._pool = None  # kombu keeps the pool itself, per broker URL, for reuse
    app.__dict__.pop("amqp", None)
    app._backend_cache = None
    vars(app._local).pop("backend", None)


@pytest.fixture
def celery_on_redis(redis_url, queue):
    """This process's Celery app sends to Redis, on the test's queue, not eagerly.

    (tests/conftest.py makes tasks eager for every other test.)
    """
    saved = {name: app.conf[name] for name in _APP_SETTINGS}
    app.conf.update(
        broker_url=redis_url,
        result_backend=redis_url,
        broker_transport_options={},
        task_default_queue=queue,
        task_always_eager=False,
    )
    _forget_connections()
    yield app
    app.conf.update(saved)
    _forget_connections()


@pytest.fixture
def start_worker(celery_on_redis, redis_url, queue, spawn, tmp_path):
    """Start `celery worker` on the test's queue; extra environment as keyword arguments."""

    def start(**env: str):
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        command += ["--queues", queue, "--hostname", f"{queue}@%h", "--loglevel=INFO"]
        command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        # The worker's own default queue is the test's, so what its tasks queue in turn
        # (an email after a decision, the rollup after results) comes back to it.
        environment = child_env(
            tmp_path / "var", REDIS_URL=redis_url, CELERY_TASK_DEFAULT_QUEUE=queue, **env
        )
        return spawn("worker", command, environment)

    return start


def database_url() -> str:
    """A URL for the database this test runs on (the test database, not the main one)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}{port}/{quote(db['NAME'], safe='')}"


def test_round_trip_on_a_real_worker(start_worker):
    worker = start_worker()

    result = ping.delay("x")

    try:
        # The test process is not a worker: joining here cannot deadlock one.
        answer = result.get(timeout=20, disable_sync_subtasks=False)
    except Exception as exc:
        pytest.fail(f"no answer from the worker ({exc!r}); its log:\n{worker.log_text()}")
    assert answer == "pong:x"


# Committed for real, so the worker process sees it; the staff role groups, made by a
# data migration, are restored from the serialized copy.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_emails_partner_admins_about_a_decision(alice, staff_users, start_worker, tmp_path):
    if connection.vendor != "postgresql":
        skip_or_fail("the worker process needs a server database shared with the test")
    # given: a worker that reads the test database and writes emails to files
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    worker = start_worker(DATABASE_URL=database_url(), EMAIL_URL=f"filemail:///{outbox}")
    reason = "Co-op invoices unpaid since March"

    # when: staff suspend the partner (the service queues the email after commit)
    partner_decide(
        partner=alice.partner,
        actor=staff_users["marketing_admin"],
        status=Partner.Status.SUSPENDED,
        reason=reason,
    )

    # then: the worker sent it to the partner's admin, naming the partner and the reason
    if not wait_until(lambda: any(outbox.iterdir()), timeout=20):
        pytest.fail(f"the worker sent no email within 20 s; its log:\n{worker.log_text()}")
    messages = [_read_message(path) for path in outbox.iterdir()]
    assert len(messages) == 1
    message = messages[0]
    body = message.get_body().get_content()
    assert alice.partner.name in message["subject"]
    assert alice.partner.name in body
    assert reason in body
    assert message["to"] == alice.admin.email


def _read_message(path: Path) -> email.message.EmailMessage:
    """Django's file backend writes each message followed by a line of 79 dashes."""
    raw = path.read_bytes().split(b"\n" + b"-" * 79)[0]
    return email.message_from_bytes(raw, policy=policy.default)
