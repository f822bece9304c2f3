"""mdf.locks.RowLock loads what the equivalent queryset loads (same values, same related
objects, no extra queries afterwards) and names a missing row as the ORM does."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from mdf import services
from mdf.locks import RowLock
from mdf.models import Claim, FundRequest
from mdf.reconcile import reconcile
from tests.mdf.conftest import (
    after_activity,
    approved_request,
    draft_request,
    fresh,
    statements,
    submitted_claim,
)

pytestmark = pytest.mark.django_db


def values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_a_locked_claim_carries_the_same_rows_as_the_queryset(
    allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "800.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "700.00")
    paths = ("request__allocation__pool", "partner")

    with transaction.atomic(), scopes_disabled():
        expected = Claim.objects.select_related(*paths).get(pk=claim.pk)
        with CaptureQueriesContext(connection) as queries:
            locked = RowLock(Claim, *paths).get(claim.pk)
            loaded = [
                values(locked),
                values(locked.request),
                values(locked.request.allocation),
                values(locked.request.allocation.pool),
                values(locked.partner),
            ]

    sent = statements(queries)
    assert len(sent) == 1  # the related rows came with the lock
    if connection.features.has_select_for_update_of:
        assert "FOR UPDATE OF" in sent[0]
    assert loaded == [
        values(expected),
        values(expected.request),
        values(expected.request.allocation),
        values(expected.request.allocation.pool),
        values(expected.partner),
    ]
    assert locked.request.allocation.available == expected.request.allocation.available
    for obj in (locked, locked.request, locked.request.allocation.pool, locked.partner):
        assert (obj._state.adding, obj._state.db) == (False, "default")  # as loaded by the ORM


def test_a_missing_row_is_does_not_exist():
    with pytest.raises(FundRequest.DoesNotExist), transaction.atomic():
        RowLock(FundRequest, "allocation__pool").get(987654321)


def test_only_required_foreign_keys_can_be_joined():
    with pytest.raises(ValueError, match="required foreign keys"):
        RowLock(Claim, "decided_by").get(1)


def test_a_claim_and_its_request_are_locked_in_one_statement(
    allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "800.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "700.00")
    lock = RowLock(
        Claim, "request__allocation__pool", "request__partner", "partner", also_lock=("request",)
    )

    with transaction.atomic(), scopes_disabled():
        expected = Claim.objects.select_related("request__allocation__pool", "partner").get(
            pk=claim.pk
        )
        with CaptureQueriesContext(connection) as queries:
            locked = lock.get(claim.pk)
            loaded = [values(locked), values(locked.request), values(locked.request.partner)]

    sent = statements(queries)
    assert len(sent) == 1
    if connection.features.has_select_for_update_of:
        assert sent[0].endswith("FOR UPDATE OF t0, t1")
    assert loaded == [values(expected), values(expected.request), values(alice.partner)]


def test_only_joined_rows_can_be_locked_too():
    with pytest.raises(ValueError, match="only rows joined"):
        RowLock(Claim, "partner", also_lock=("request",)).get(1)


def test_only_joined_rows_can_be_narrowed():
    with pytest.raises(ValueError, match="only rows joined by the paths can be narrowed"):
        RowLock(Claim, "partner", only={"request": ("status",)}).get(1)


def prepared_plans(sql: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of each statement this connection has prepared with
    the text psycopg sends for `sql` (its placeholders numbered)."""
    numbers = iter(range(1, sql.count("%s") + 1))
    text = re.sub("%s", lambda _match: f"${next(numbers)}", sql)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = %s",
            [text],
        )
        return cursor.fetchall()


def test_the_read_is_prepared_once_per_connection_and_again_after_a_rollback(
    allocation, alice, event_type, proof_kinds, staff_users, is_postgres
):
    assert is_postgres, "prepared statements are PostgreSQL's"
    fund_request = approved_request(alice, allocation, event_type, staff_users, "800.00")
    lock = RowLock(Claim, "request__allocation", "partner")  # a shape no other code reads
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "700.00")
    sql = lock._compile(False).sql

    with scopes_disabled():
        lock.read(claim.pk)
        lock.read(claim.pk)
    assert prepared_plans(sql) == [(2, 0)]  # one statement, run twice

    with scopes_disabled(), pytest.raises(RuntimeError), transaction.atomic():
        lock.read(claim.pk)
        raise RuntimeError("rolled back: psycopg lets its prepared statements go")
    with scopes_disabled():
        again = lock.read(claim.pk)
    assert len(prepared_plans(sql)) == 1
    assert again.pk == claim.pk and again.request.allocation.pool_id == allocation.pool_id


def test_a_decisions_statements_stay_within_psycopgs_parse_cache(
    allocation, alice, event_type, proof_kinds, staff_users, monkeypatch
):
    """psycopg parses a statement's placeholders again on every call when it has more
    than 50 values or 4,096 bytes (mdf/prepared.py): the approvals of a request and of a
    claim, the moves every partner makes, stay within that."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

    from mdf import prepared

    sent: list[tuple[int, int]] = []
    fetchone = prepared.fetchone

    def recording(sql, params):
        sent.append((len(params), len(sql.encode())))
        return fetchone(sql, params)

    monkeypatch.setattr(prepared, "fetchone", recording)
    fund_request = approved_request(alice, allocation, event_type, staff_users, "800.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "800.00")
        services.claim_decide(
            claim=claim, actor=staff_users["finance_approver"], decision="approve", note="ok"
        )

    assert fresh(claim).status == Claim.Status.APPROVED
    assert len(sent) >= 4  # the request's read and write, the claim's read and write
    for values, length in sent:
        assert values <= MAX_CACHED_STATEMENT_PARAMS and length <= MAX_CACHED_STATEMENT_LENGTH


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_decisions_go_on_when_the_connection_is_replaced(
    allocation, alice, event_type, staff_users, is_postgres
):
    """The money path keeps its cursors per connection (mdf.prepared.fetchone): after
    the connection is closed (as CONN_MAX_AGE closes it) the next decision gets a new
    connection, cursors of its own and its statements prepared again."""
    assert is_postgres, "the cursors are kept on PostgreSQL"
    first = approved_request(alice, allocation, event_type, staff_users, "800.00")
    connection.close()
    second = approved_request(alice, allocation, event_type, staff_users, "700.00")

    assert fresh(first).status == fresh(second).status == FundRequest.Status.APPROVED
    # the kept cursors are the new connection's (the closed one's are let go)
    kept = connection.mdf_kept_cursors
    assert kept and kept.connection is connection.connection
    assert all(cursor.connection is connection.connection for cursor in kept.values())
    assert fresh(allocation).committed == first.commitment + second.commitment
    assert reconcile() == []


def test_the_read_gives_the_same_aware_datetimes_as_the_orm(
    allocation, alice, event_type, staff_users
):
    """The money path reads timestamps with psycopg's own loader (mdf.prepared): the
    same instants, in the same time zone object, as Django's queries give."""
    fund_request = approved_request(alice, allocation, event_type, staff_users, "800.00")
    with scopes_disabled():
        read = RowLock(FundRequest, "allocation__pool", "partner").read(fund_request.pk)
        orm = FundRequest.objects.select_related("allocation", "partner").get(pk=fund_request.pk)
    pairs = [
        (getattr(read, name), getattr(orm, name))
        for name in ("created_at", "submitted_at", "manager_decided_at", "decided_at")
    ]
    pairs.append((read.allocation.created_at, orm.allocation.created_at))
    pairs.append((read.partner.updated_at, orm.partner.updated_at))
    for ours, django in pairs:
        assert ours == django
        assert ours.tzinfo == django.tzinfo


def test_the_read_runs_on_one_plan_per_connection(
    allocation, alice, event_type, staff_users, is_postgres
):
    """PostgreSQL plans the money path's statements once per connection (a generic
    plan), not again on each execution (see config/settings.py)."""
    assert is_postgres, "prepared statements are PostgreSQL's"
    fund_request = approved_request(alice, allocation, event_type, staff_users, "800.00")
    lock = RowLock(FundRequest, "allocation__pool", "partner", "activity_type")  # its own shape
    with scopes_disabled():
        for _ in range(7):  # past the five custom plans PostgreSQL would try first
            lock.read(fund_request.pk)
    assert prepared_plans(lock._compile(False).sql) == [(7, 0)]


def test_a_claim_lock_shares_its_partner_with_its_request(
    allocation, alice, event_type, proof_kinds, staff_users
):
    from mdf.services import steps

    fund_request = approved_request(alice, allocation, event_type, staff_users, "800.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "700.00")

    with scopes_disabled(), transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked, request = steps._lock_claim_and_request(claim.pk)
        partners = (locked.partner, request.partner)

    assert len(statements(queries)) == 1  # the request's partner came with the lock
    assert partners[0] is partners[1] and partners[0].pk == alice.partner.pk
    assert request.pk == fund_request.pk


def test_a_claim_decision_reads_what_it_decides_on_in_one_statement(
    allocation, alice, event_type, proof_kinds, staff_users
):
    from mdf.services import steps

    fund_request = approved_request(alice, allocation, event_type, staff_users, "800.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "700.00")

    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        read, request = steps._read_claim_and_request(claim.pk, lock=False)
        pool = request.allocation.pool
        seen = (read.amount, request.open_commitment, pool.reimbursement_percentage)

    (sent,) = statements(queries)
    assert '"partners_partner"' not in sent and '"claim_deadline"' not in sent
    assert seen == (Decimal("700.00"), Decimal("800.00"), allocation.pool.reimbursement_percentage)
    assert read.request is request and pool.pk == allocation.pool_id
    with scopes_disabled():  # the rows left out load when asked for
        assert read.partner.pk == alice.partner.pk
        assert pool.claim_deadline == allocation.pool.claim_deadline


def test_a_decision_writes_only_the_fields_it_changed(
    allocation, alice, event_type, staff_users, is_postgres
):
    from mdf.services import steps
    from mdf.writes import RowWrites

    assert is_postgres, "the decision's write is one statement on PostgreSQL"
    fund_request = approved_request(alice, allocation, event_type, staff_users, "800.00")
    read = steps._read_request(fund_request.pk, lock=False)
    read.manager_note = "Changed after the decision"
    read.finance_note = read.finance_note  # set, but to what was read
    writes = RowWrites()
    writes.expect(read)
    writes.update(read, ["manager_note", "finance_note", "status"])

    with CaptureQueriesContext(connection) as queries:
        writes.apply()

    (sent,) = statements(queries)
    assert '"manager_note" = ' in sent
    assert '"finance_note"' not in sent and '"status"' not in sent
    assert fresh(fund_request).manager_note == "Changed after the decision"
    assert fresh(fund_request).status == "approved"

    unchanged = RowWrites()
    unchanged.expect(read)
    unchanged.update(read, ["manager_note", "status"])  # now as the row holds them
    with CaptureQueriesContext(connection) as queries:
        unchanged.apply()
    (sent,) = statements(queries)
    assert " SET " not in sent  # nothing differs: only the version is checked


def test_a_request_decision_reads_of_the_partner_only_its_channel_manager(
    alice, allocation, event_type, staff_users
):

    from mdf.services import steps

    draft = draft_request(alice, allocation, event_type, amount="1000.00")
    submitted = services.request_submit(fund_request=draft, actor=alice.marketer)
    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        read = steps._read_request(submitted.pk, lock=False)
        manager_id = read.partner.channel_manager_id

    (sent,) = statements(queries)
    assert '"channel_manager_id"' in sent and '"contact_email"' not in sent
    assert '"finance_threshold"' in sent and '"request_deadline"' not in sent  # of the pool
    assert manager_id == staff_users["channel_manager"].pk
    assert "contact_email" in read.partner.get_deferred_fields()
    with scopes_disabled():  # the rest loads when asked for, as after .only()
        assert read.partner.name == submitted.partner.name
