"""Idempotency-Key on the MDF API (config.idempotency): the same request or claim sent
twice with one key is made once and moves money once; a replay returns the first
answer; the same key for another request is refused; concurrent duplicates on
PostgreSQL give one effect."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connections
from django.utils import timezone
from django_scopes import scopes_disabled

from config import idempotency
from config.idempotency import purge_idempotency_records
from mdf import services
from mdf.models import Allocation, Claim, ClaimProof, FundRequest, LedgerEntry, MDFEvent
from partners.models import IdempotencyRecord
from tests.conftest import key_client, skip_or_fail
from tests.mdf.conftest import (
    D,
    after_activity,
    approved_request,
    draft_request,
    pdf_bytes,
    png_bytes,
    upload,
)
from tests.mdf.test_api import CLAIMS, REQUESTS, request_body, request_url, session_client

pytestmark = pytest.mark.django_db

KEY = "HTTP_IDEMPOTENCY_KEY"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def rows(model, **filters) -> int:
    with scopes_disabled():
        return model.objects.filter(**filters).count()


def buckets(allocation) -> tuple:
    with scopes_disabled():
        a = Allocation.objects.get(pk=allocation.pk)
    return (a.allocated, a.committed, a.spent, a.paid, a.expired, a.available)


def by_uuid(model, value):
    with scopes_disabled():
        return model.objects.get(uuid=value)


# --- requests ---------------------------------------------------------------------------


def test_the_same_create_twice_makes_one_request_and_commits_once(
    alice, alice_key, allocation, event_type, staff_users
):
    # given
    client = key_client(alice_key)
    body = request_body(allocation, event_type, requested_amount="1500.00")
    # when
    first = client.post(REQUESTS, body, format="json", **{KEY: "create-1"})
    second = client.post(REQUESTS, body, format="json", **{KEY: "create-1"})
    # then
    assert first.status_code == second.status_code == 201, second.content
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert rows(FundRequest) == 1
    assert rows(MDFEvent, action="created") == 1

    fund_request = by_uuid(FundRequest, first.json()["id"])
    submit_url = request_url(fund_request, "submit")
    submitted = [client.post(submit_url, **{KEY: "submit-1"}) for _ in range(3)]
    assert [r.status_code for r in submitted] == [200, 200, 200]
    assert [r.has_header("Idempotent-Replayed") for r in submitted] == [False, True, True]
    assert rows(MDFEvent, request=fund_request, action="submitted") == 1

    # Money moves at approval, once: one commit entry, committed = the share.
    services.request_decide(
        fund_request=fund_request, actor=staff_users["channel_manager"], approve=True, note="ok"
    )
    client.post(REQUESTS, body, format="json", **{KEY: "create-1"})
    client.post(submit_url, **{KEY: "submit-1"})
    assert rows(FundRequest) == 1
    assert rows(LedgerEntry, kind="commit") == 1
    assert buckets(allocation) == (
        D("10000.00"),
        D("1500.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("8500.00"),
    )


def test_a_replay_returns_the_first_answer_even_when_state_changed(
    alice, alice_key, allocation, event_type
):
    fund_request = draft_request(alice, allocation, event_type)
    client = key_client(alice_key)
    first = client.post(request_url(fund_request, "submit"), **{KEY: "k"})
    assert first.json()["status"] == "submitted"
    services.request_cancel(fund_request=fund_request, actor=alice.admin)
    replay = client.post(request_url(fund_request, "submit"), **{KEY: "k"})
    assert replay.status_code == 200
    assert replay.json() == first.json()  # what the first call answered, not today's state


def test_refusals_are_stored_and_replayed_and_nothing_is_left_behind(
    alice, alice_key, allocation, event_type
):
    client = key_client(alice_key)
    too_big = draft_request(alice, allocation, event_type, amount="20000.00")
    first = client.post(request_url(too_big, "submit"), **{KEY: "big"})
    assert first.status_code == 400
    # Even if the refusal no longer applies, the key answers as it did the first time.
    services.allocation_create(
        pool=allocation.pool, partner=alice.partner, amount="20000.00", actor=None, reason="top up"
    )
    replay = client.post(request_url(too_big, "submit"), **{KEY: "big"})
    assert (replay.status_code, replay.json()) == (400, first.json())
    assert replay["Idempotent-Replayed"] == "true"
    with scopes_disabled():
        assert FundRequest.objects.get(pk=too_big.pk).status == "draft"
    # With a new key the request runs again.
    assert client.post(request_url(too_big, "submit"), **{KEY: "big-2"}).status_code == 200


def test_the_same_key_for_a_different_request_is_refused(alice_key, allocation, event_type):
    client = key_client(alice_key)
    body = request_body(allocation, event_type)
    assert client.post(REQUESTS, body, format="json", **{KEY: "one"}).status_code == 201
    other = {**body, "requested_amount": "2600.00"}
    response = client.post(REQUESTS, other, format="json", **{KEY: "one"})
    assert response.status_code == 422, response.content
    assert response.json()["type"] == "client_error"
    [error] = response.json()["errors"]
    assert error["code"] == "idempotency_key_reused"
    assert "POST /api/v1/mdf/requests/" in error["detail"]
    assert rows(FundRequest) == 1
    # Key order and spacing of the JSON do not matter: the parsed body is compared.
    reordered = dict(reversed(list(body.items())))
    assert client.post(REQUESTS, reordered, format="json", **{KEY: "one"}).status_code == 201


def test_keys_belong_to_their_caller(alice, alice_key, allocation, event_type):
    body = request_body(allocation, event_type)
    first = key_client(alice_key).post(REQUESTS, body, format="json", **{KEY: "same"})
    assert first.status_code == 201
    response = session_client(alice.marketer).post(REQUESTS, body, format="json", **{KEY: "same"})
    assert response.status_code == 201
    assert not response.has_header("Idempotent-Replayed")
    assert rows(FundRequest) == 2


@pytest.mark.parametrize("key", ["x" * 256, "has space", "é"])
def test_a_malformed_key_is_400_naming_the_header(alice_key, allocation, event_type, key):
    response = key_client(alice_key).post(
        REQUESTS, request_body(allocation, event_type), format="json", **{KEY: key}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["attr"] == "Idempotency-Key"
    assert rows(FundRequest) == 0 and rows(IdempotencyRecord) == 0


def test_the_longest_key_is_accepted(alice_key, allocation, event_type):
    response = key_client(alice_key).post(
        REQUESTS, request_body(allocation, event_type), format="json", **{KEY: "k" * 255}
    )
    assert response.status_code == 201


def test_server_errors_are_not_stored(alice_key, allocation, event_type, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    client = key_client(alice_key)
    client.raise_request_exception = False
    with monkeypatch.context() as patch:
        patch.setattr(services, "request_create", broken)
        response = client.post(
            REQUESTS, request_body(allocation, event_type), format="json", **{KEY: "retry-me"}
        )
    assert response.status_code == 500
    assert rows(IdempotencyRecord) == 0
    retried = client.post(
        REQUESTS, request_body(allocation, event_type), format="json", **{KEY: "retry-me"}
    )
    assert retried.status_code == 201
    assert not retried.has_header("Idempotent-Replayed")


def test_old_records_can_be_purged(alice_key, allocation, event_type):
    key_client(alice_key).post(
        REQUESTS, request_body(allocation, event_type), format="json", **{KEY: "old"}
    )
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_records() == 1
    assert rows(IdempotencyRecord) == 0


# --- claims --------------------------------------------------------------------------


def claim_with_files(fund_request) -> dict:
    # New upload objects each time: a retry re-sends the files (and a new boundary).
    return {
        "request": str(fund_request.uuid),
        "amount": "800.00",
        "submit": "true",
        "proof_invoice": upload("invoice.pdf", pdf_bytes()),
        "proof_attendees": upload("attendees.csv", b"name,email\nAda,ada@example.com\n"),
        "proof_photo": upload("booth.png", png_bytes()),
    }


def test_the_same_claim_twice_is_one_claim_and_spends_once(
    alice, alice_key, allocation, event_type, proof_kinds, staff_users
):
    # given
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    client = key_client(alice_key)
    with after_activity(fund_request):
        # when
        first = client.post(
            CLAIMS, claim_with_files(fund_request), format="multipart", **{KEY: "claim-1"}
        )
        second = client.post(
            CLAIMS, claim_with_files(fund_request), format="multipart", **{KEY: "claim-1"}
        )
        # then
        assert first.status_code == second.status_code == 201, second.content
        assert second.json() == first.json()
        assert second["Idempotent-Replayed"] == "true"
        assert rows(Claim) == 1 and rows(ClaimProof) == 3
        claim = by_uuid(Claim, first.json()["id"])
        services.claim_decide(
            claim=claim, actor=staff_users["finance_approver"], decision="approve", note="ok"
        )
        third = client.post(
            CLAIMS, claim_with_files(fund_request), format="multipart", **{KEY: "claim-1"}
        )
        assert third.json()["status"] == "submitted"  # the first answer, replayed
        # A different file under the same key is a different request.
        changed = claim_with_files(fund_request)
        changed["proof_invoice"] = upload("invoice.pdf", pdf_bytes("Invoice 43"))
        refused = client.post(CLAIMS, changed, format="multipart", **{KEY: "claim-1"})
        assert refused.status_code == 422
    assert rows(Claim) == 1
    assert rows(LedgerEntry, kind="spend") == 1
    assert buckets(allocation) == (
        D("10000.00"),
        D("200.00"),
        D("800.00"),
        D("0.00"),
        D("0.00"),
        D("9000.00"),
    )


# --- concurrency (PostgreSQL) -------------------------------------------------------------


def run_in_threads(calls, delay: float = 0.15):
    """Run each call in its own thread (own connection), started `delay` apart."""
    results: list = [None] * len(calls)

    def target(index, call):
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - asserted on below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
        time.sleep(delay)
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request is stuck"
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_duplicates_have_one_effect(
    alice, alice_key, allocation, event_type, staff_users, monkeypatch, is_postgres
):
    if not is_postgres:
        skip_or_fail("the wait on the unique constraint is tested on PostgreSQL")
    real_create = services.request_create
    ran: list[int] = []
    waited: list[int] = []

    class CountingKeyTaken(idempotency._KeyTaken):
        def __init__(self, *args):
            waited.append(1)
            super().__init__(*args)

    # Counts the requests that met the unique constraint after waiting for the first.
    monkeypatch.setattr(idempotency, "_KeyTaken", CountingKeyTaken)

    def slow_create(**kwargs):
        ran.append(1)
        created = real_create(**kwargs)
        time.sleep(0.6)  # the second request arrives while the first holds its key
        return created

    monkeypatch.setattr(services, "request_create", slow_create)
    body = request_body(allocation, event_type, requested_amount="1000.00")

    def post():
        return key_client(alice_key).post(REQUESTS, body, format="json", **{KEY: "race"})

    responses = run_in_threads([post, post, post])
    assert [r.status_code for r in responses] == [201, 201, 201], responses
    assert [r.has_header("Idempotent-Replayed") for r in responses] == [False, True, True]
    assert responses[1].json() == responses[2].json() == responses[0].json()
    assert rows(FundRequest) == 1
    assert rows(IdempotencyRecord) == 1
    assert len(ran) == 1  # the view ran once
    assert len(waited) == 2  # both duplicates waited on the constraint, then replayed

    # The same for a submit, raced without a delay: one submission, one commit later.
    fund_request = by_uuid(FundRequest, responses[0].json()["id"])

    def submit():
        return key_client(alice_key).post(request_url(fund_request, "submit"), **{KEY: "race-2"})

    submits = run_in_threads([submit] * 4, delay=0)
    assert sorted(r.status_code for r in submits) == [200] * 4, submits
    assert sum(not r.has_header("Idempotent-Replayed") for r in submits) == 1
    assert rows(MDFEvent, request=fund_request, action="submitted") == 1
    services.request_decide(
        fund_request=fund_request, actor=staff_users["channel_manager"], approve=True, note="ok"
    )
    assert rows(LedgerEntry, kind="commit") == 1
    assert buckets(allocation)[1] == D("1000.00")
    connections.close_all()
