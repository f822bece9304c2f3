"""The rollup as production runs it: a real Celery worker process on Redis, reading and
writing the test database.

The first test goes the whole way: results posted to the results API with a partner
key, rolled up by the worker, read back from the metrics API as a dashboard reads them.
The others insert events with the ORM (committed), as the results endpoint and the
tracking link store them: they are about the worker turning stored events into
figures, and about a worker killed in the middle of a rollup.
"""

from __future__ import annotations

import datetime
import os
import signal
import sys
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from analytics import rollup
from analytics.models import DailyMetric, EventKind, RollupState
from analytics.tasks import rollup_metrics
from tests.analytics.test_rollup import (
    DAY,
    event,
    expected_rows,
    insert,
    make_kit,
    make_launch,
    metric_rows,
)
from tests.conftest import key_client, skip_or_fail
from tests.platform.conftest import child_env, spawn, wait_until
from tests.platform.test_celery_worker import (
    celery_on_redis,
    database_url,
    queue,
    redis_url,
    start_worker,
)

# Fixtures used by name in the tests below.
__all__ = ["celery_on_redis", "queue", "redis_url", "spawn", "start_worker"]

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.slow,
    # Committed for real, so the worker process sees it; the staff role groups, made
    # by a data migration, are restored from the serialized copy.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def launch(alice):
    if connection.vendor != "postgresql":
        skip_or_fail("the worker process needs a server database shared with the test")
    return make_launch(alice, make_kit("spring-promo"))


def test_posted_results_become_the_dashboards_figures_on_the_worker(
    alice, alice_key, launch, start_worker
):
    # given: a worker, and the partner's CRM posting a batch naming the launch
    worker = start_worker(DATABASE_URL=database_url())
    now = timezone.now()
    events = [
        {"external_id": f"lead-{n}", "launch": launch.code, "kind": "lead",
         "occurred_at": (now - datetime.timedelta(hours=n)).isoformat()}
        for n in (1, 2, 3)
    ] + [
        {"external_id": "opp-1", "launch": launch.code, "kind": "opportunity",
         "occurred_at": now.isoformat(), "amount": "7300.00", "currency": "USD"}
    ]  # fmt: skip
    api = key_client(alice_key)
    answer = api.post("/api/v1/results/", {"events": events}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json() == {"created": 4, "duplicates": 0}

    # when: the beat's rollup runs on the worker
    result = rollup_metrics.delay()
    try:
        result.get(timeout=30, disable_sync_subtasks=False)
    except Exception as exc:
        pytest.fail(f"no answer from the worker ({exc!r}); its log:\n{worker.log_text()}")

    # then: the metrics API (what the dashboards read) shows them
    totals = api.get("/api/v1/metrics/", {"launch": launch.code}).json()["totals"]
    assert totals["leads"] == 3 and totals["opportunities"] == 1
    assert totals["pipeline"] == [{"currency": "USD", "value": "7300.00"}]
    # and a replay of the batch changes nothing
    again = api.post("/api/v1/results/", {"events": events}, format="json")
    assert again.json() == {"created": 0, "duplicates": 4}
    rollup_metrics.delay().get(timeout=30, disable_sync_subtasks=False)
    assert api.get("/api/v1/metrics/", {"launch": launch.code}).json()["totals"] == totals


def test_worker_rolls_stored_events_up_into_daily_figures(alice, launch, start_worker):
    # given: a day of results of alice's launch, and a late lead for the day before
    partner = alice.partner
    insert(
        [
            event(partner, EventKind.CLICK, launch=launch),
            event(partner, EventKind.CLICK, launch=launch),
            event(partner, EventKind.CLICK, launch=launch, bot_reason="user_agent"),
            event(partner, EventKind.LEAD, launch=launch),
            event(partner, EventKind.OPPORTUNITY, launch=launch, amount="5000.00", currency="USD"),
            event(partner, EventKind.WON, launch=launch, amount="1250.50", currency="USD"),
            event(partner, EventKind.LEAD, launch=launch, day=DAY - datetime.timedelta(days=1)),
        ]
    )
    worker = start_worker(DATABASE_URL=database_url())

    # when: the beat's task runs on the worker
    result = rollup_metrics.delay()
    try:
        rolled = result.get(timeout=30, disable_sync_subtasks=False)
    except Exception as exc:
        pytest.fail(f"no answer from the worker ({exc!r}); its log:\n{worker.log_text()}")

    # then: the dashboard's figures are there, late lead on its own day
    assert rolled == 7
    with scopes_disabled():
        figures = {(m.day, m.currency): m for m in DailyMetric.objects.filter(partner=partner)}
    today, usd = figures[(DAY, "")], figures[(DAY, "USD")]
    assert (today.clicks, today.bot_clicks, today.leads) == (2, 1, 1)
    assert (usd.opportunities, usd.pipeline, usd.won, usd.revenue) == (
        1,
        Decimal("5000.00"),
        1,
        Decimal("1250.50"),
    )
    assert figures[(DAY - datetime.timedelta(days=1), "")].leads == 1
    assert rollup.freshness() is not None


def _rollup_sessions(*, waiting: bool) -> int:
    """Database sessions (not this one) in the rollup's INSERT: waiting for a lock, or
    in any state (a session lingers, idle in its transaction, until it notices that its
    client is gone and rolls back)."""
    with connection.cursor() as cursor:
        # Inside a transaction the statistics views keep their first snapshot.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
            "AND datname = current_database() AND query LIKE %s "
            "AND (wait_event_type = 'Lock' OR NOT %s)",
            ["%INSERT INTO analytics_dailymetric%", waiting],
        )
        return cursor.fetchone()[0]


def test_worker_killed_mid_rollup_and_the_task_redelivered_equals_a_rebuild(
    alice, launch, start_worker, spawn, redis_url, queue, tmp_path
):
    partner = alice.partner
    insert([event(partner, EventKind.LEAD, launch=launch)])
    rollup.rollup_metrics()
    insert(
        [
            event(partner, EventKind.LEAD, launch=launch),
            event(partner, EventKind.CLICK, launch=launch),
            event(partner, EventKind.WON, launch=launch, amount="10.00", currency="EUR"),
        ]
    )
    before_rows = metric_rows()
    mark = RollupState.objects.get(name=rollup.STATE_NAME).watermark
    worker = start_worker(DATABASE_URL=database_url())

    # given: the rollup on the worker is stuck in its INSERT, on a metric row this test
    # holds locked
    with transaction.atomic():
        with scopes_disabled():
            DailyMetric.objects.select_for_update().get(partner=partner, currency="")
        rollup_metrics.delay()
        stuck = wait_until(lambda: _rollup_sessions(waiting=True) > 0, timeout=30)
        if not stuck:
            pytest.fail(f"the rollup never reached its INSERT; worker log:\n{worker.log_text()}")
        # when: the worker dies (SIGKILL: no cleanup, no ack)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    # (the lock is released; the dead worker's session finds its client gone and rolls
    # back)
    assert wait_until(lambda: _rollup_sessions(waiting=False) == 0, timeout=20)

    # then: nothing of the killed run is left
    assert metric_rows() == before_rows
    assert RollupState.objects.get(name=rollup.STATE_NAME).watermark == mark

    # and a new worker gets the unacknowledged task back (acks_late) and rolls up
    app_module = tmp_path / "redelivering_app.py"
    app_module.write_text(
        "from config.celery import app\n"
        "# Hand back unacknowledged messages after one second, not an hour.\n"
        "app.conf.broker_transport_options = {'visibility_timeout': 1}\n"
    )
    command = [sys.executable, "-m", "celery", "-A", "redelivering_app", "worker"]
    command += ["--pool=solo", "--queues", queue, "--hostname", f"again-{queue}@%h"]
    command += ["--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"]
    env = child_env(tmp_path / "var", REDIS_URL=redis_url, DATABASE_URL=database_url())
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    again = spawn("worker-again", command, env)

    def rolled_up() -> bool:
        return RollupState.objects.get(name=rollup.STATE_NAME).watermark > mark

    if not wait_until(rolled_up, timeout=60, interval=0.5):
        pytest.fail(f"the task was not redelivered; new worker's log:\n{again.log_text()}")
    assert metric_rows() == expected_rows()
    rollup.rebuild_metrics()
    assert metric_rows() == expected_rows()
