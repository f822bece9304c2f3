"""Concurrency on PostgreSQL: many approvers and claimants at once on one allocation.

Each thread has its own database connection and its own transaction, released
together by a barrier, so the row locks in mdf.services are what keeps the money
right. Every thread must finish (no deadlock left hanging) and the totals must
never exceed what was available.
"""

from __future__ import annotations

import fcntl
import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import services
from mdf.models import ActivityType, Allocation, Claim, FundRequest, LedgerEntry
from mdf.reconcile import reconcile
from tests.mdf.conftest import make_pool

CLIENTS = 50
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def one_at_a_time(tmp_path_factory):
    """Each test opens CLIENTS connections: two at once, on two xdist workers, would
    exceed PostgreSQL's default of 100 ("too many clients already"), so they take
    turns (a lock file in the directory the workers share)."""
    shared = tmp_path_factory.getbasetemp().parent
    with open(shared / "fifty-connections.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def run_together(work, items):
    """Run work(item) in one thread per item, all released at once; return outcomes."""
    barrier = threading.Barrier(len(items))
    outcomes: list[str] = []
    lock = threading.Lock()

    def target(item):
        try:
            barrier.wait(timeout=30)
            work(item)
            result = "ok"
        except ValidationError as exc:
            result = "refused: " + "; ".join(exc.messages)
        except Exception as exc:  # noqa: BLE001 - reported, then asserted on
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=target, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes


@pytest.fixture
def webinar(db):
    return ActivityType.objects.create(slug="webinar", name="Webinar")


def submitted_request(alice, staff_users, webinar, *, allocated: str, cost: str, title: str):
    """A fresh allocation for alice and one request on it, submitted (setup, not raced)."""
    pool = make_pool(threshold="100000")
    allocation = services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount=allocated,
        actor=staff_users["marketing_admin"],
        reason="contention",
    )
    start = timezone.localdate() + timedelta(days=3)
    fund_request = services.request_create(
        partner=alice.partner,
        allocation=allocation,
        activity_type=webinar,
        title=title,
        description="x",
        activity_start=start,
        activity_end=start,
        requested_amount=cost,
        actor=alice.marketer,
    )
    return services.request_submit(fund_request=fund_request, actor=alice.marketer)


def test_parallel_approvals_never_commit_more_than_available(
    alice, staff_users, webinar, is_postgres
):
    assert is_postgres, "row locking is tested on PostgreSQL"
    pool = make_pool(threshold="100000")
    allocation = services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount="10000.00",
        actor=staff_users["marketing_admin"],
        reason="contention",
    )
    start = timezone.localdate() + timedelta(days=10)
    requests = []
    for number in range(CLIENTS):
        fund_request = services.request_create(
            partner=alice.partner,
            allocation=allocation,
            activity_type=webinar,
            title=f"Webinar {number}",
            description="x",
            activity_start=start,
            activity_end=start,
            requested_amount="500.00",
            actor=alice.marketer,
        )
        requests.append(services.request_submit(fund_request=fund_request, actor=alice.marketer))

    manager = staff_users["channel_manager"]
    outcomes = run_together(
        lambda r: services.request_decide(fund_request=r, actor=manager, approve=True, note="go"),
        requests,
    )

    kinds = Counter(o.split(":")[0] for o in outcomes)
    assert kinds == {"ok": 20, "refused": 30}, outcomes
    assert all("available: 0.00 EUR" in o for o in outcomes if o.startswith("refused"))
    with scopes_disabled():
        allocation = Allocation.objects.get(pk=allocation.pk)
        approved = FundRequest.objects.filter(status="approved").count()
        commits = LedgerEntry.objects.filter(allocation=allocation, kind="commit").count()
    assert allocation.committed == Decimal("10000.00")
    assert allocation.available == Decimal("0.00")
    assert approved == commits == 20
    assert reconcile() == []


def test_parallel_claims_never_exceed_the_request(alice, staff_users, webinar, is_postgres):
    assert is_postgres, "row locking is tested on PostgreSQL"
    fund_request = submitted_request(
        alice, staff_users, webinar, allocated="10000.00", cost="1000.00", title="Roadshow"
    )
    allocation = fund_request.allocation
    fund_request = services.request_decide(
        fund_request=fund_request, actor=staff_users["channel_manager"], approve=True, note="ok"
    )
    with time_machine.travel(timezone.now() + timedelta(days=5), tick=False):
        drafts = [
            services.claim_create(fund_request=fund_request, amount="100.00", actor=alice.marketer)
            for _ in range(CLIENTS)
        ]
        submitted = run_together(
            lambda claim: services.claim_submit(claim=claim, actor=alice.marketer), drafts
        )
        assert Counter(o.split(":")[0] for o in submitted) == {"ok": 10, "refused": 40}, submitted
        assert all("claimable: 0.00 EUR" in o for o in submitted if o.startswith("refused"))

        with scopes_disabled():
            pending = list(Claim.objects.filter(status="submitted"))
        finance = staff_users["finance_approver"]
        decided = run_together(
            lambda claim: services.claim_decide(
                claim=claim, actor=finance, decision="approve", note="ok"
            ),
            pending,
        )
        assert decided == ["ok"] * 10, decided

    with scopes_disabled():
        allocation = Allocation.objects.get(pk=allocation.pk)
        fund_request = FundRequest.objects.get(pk=fund_request.pk)
    assert allocation.spent == Decimal("1000.00")
    assert allocation.committed == Decimal("0.00")
    assert fund_request.status == FundRequest.Status.CLOSED
    assert reconcile() == []
    connection.close()


def test_a_double_clicked_approval_commits_once(alice, staff_users, webinar, is_postgres):
    assert is_postgres, "row locking is tested on PostgreSQL"
    fund_request = submitted_request(
        alice, staff_users, webinar, allocated="5000.00", cost="1200.00", title="Launch webinar"
    )
    allocation = fund_request.allocation
    manager = staff_users["channel_manager"]

    outcomes = run_together(
        lambda request: services.request_decide(
            fund_request=request, actor=manager, approve=True, note="ok"
        ),
        [fund_request] * 8,
    )

    assert Counter(o.split(":")[0] for o in outcomes) == {"ok": 1, "refused": 7}, outcomes
    assert all("not awaiting a decision" in o for o in outcomes if o.startswith("refused"))
    with scopes_disabled():
        allocation = Allocation.objects.get(pk=allocation.pk)
        commits = LedgerEntry.objects.filter(allocation=allocation, kind="commit").count()
    assert (allocation.committed, commits) == (Decimal("1200.00"), 1)
    assert reconcile() == []
    connection.close()
