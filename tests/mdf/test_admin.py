"""The MDF staff admin: queues per approver, SLA badges, decisions and payments through
the services, bulk allocation, proof files, CSV exports and who may do what."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import selectors, services
from mdf.models import Allocation, Claim, FundPool, FundRequest, LedgerEntry
from mdf.reconcile import reconcile
from tests.conftest import make_partner_world, make_user
from tests.mdf.conftest import (
    D,
    after_activity,
    approved_request,
    draft_request,
    fresh,
    full_proof,
    make_pool,
    pdf_bytes,
    submitted_claim,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate().isoformat()


def buckets(allocation):
    a = fresh(allocation)
    return {
        "allocated": a.allocated,
        "committed": a.committed,
        "spent": a.spent,
        "paid": a.paid,
        "available": a.available,
    }


def submitted_request(alice, allocation, activity_type, amount="1000.00", actor=None):
    fund_request = draft_request(alice, allocation, activity_type, amount, actor=actor)
    return services.request_submit(fund_request=fund_request, actor=actor or alice.marketer)


def queue(client, model, **params):
    response = client.get(reverse(f"admin:mdf_{model}_changelist"), params)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def csv_rows(response):
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def bob_allocation(pool, bob, staff_users):
    return services.allocation_create(
        pool=pool,
        partner=bob.partner,
        amount="5000.00",
        actor=staff_users["marketing_admin"],
        reason="H1 plan",
    )


# --- queues --------------------------------------------------------------------------


def test_request_queue_shows_only_what_awaits_me(
    client, allocation, bob_allocation, alice, bob, event_type, staff_users
):
    # given: alice (managed by carl) and bob (no manager) each submit a request, and a
    # large request of alice's passed carl and awaits finance
    mine = submitted_request(alice, allocation, event_type)
    others = submitted_request(bob, bob_allocation, event_type)
    large = submitted_request(alice, allocation, event_type, "6000.00")
    services.request_decide(
        fund_request=large, actor=staff_users["channel_manager"], approve=True, note="Strategic"
    )

    # when / then: each approver's default queue
    client.force_login(staff_users["channel_manager"])
    assert queue(client, "fundrequest") == {mine.pk}
    assert queue(client, "fundrequest", queue="all") == {mine.pk, others.pk, large.pk}
    client.force_login(staff_users["finance_approver"])
    assert queue(client, "fundrequest") == {large.pk}
    client.force_login(staff_users["marketing_admin"])
    assert queue(client, "fundrequest") == {mine.pk, others.pk}
    # an analyst decides nothing: the first view is every request, not an empty queue
    client.force_login(staff_users["analyst"])
    assert queue(client, "fundrequest") == {mine.pk, others.pk, large.pk}
    assert queue(client, "fundrequest", queue="mine") == set()
    body = client.get(reverse("admin:mdf_fundrequest_changelist")).content.decode()
    assert "Awaiting my decision" in body


def test_claim_queue_is_finances(client, allocation, alice, event_type, proof_kinds, staff_users):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "400.00")
        client.force_login(staff_users["finance_approver"])
        assert queue(client, "claim") == {claim.pk}
        row = client.get(reverse("admin:mdf_claim_changelist")).content.decode()
        assert "400.00 EUR" in row and "Decide" in row  # amounts in the one money format
        # channel managers decide no claim: their first view is every claim
        client.force_login(staff_users["channel_manager"])
        assert queue(client, "claim", queue="mine") == set()
        assert queue(client, "claim") == {claim.pk}


def test_items_past_the_decision_sla_are_marked(client, allocation, alice, event_type, staff_users):
    old = submitted_request(alice, allocation, event_type)
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        new = submitted_request(alice, allocation, event_type, "500.00")
        client.force_login(staff_users["channel_manager"])
        response = client.get(reverse("admin:mdf_fundrequest_changelist"))
        days = selectors.business_days_between(
            timezone.localdate(old.submitted_at), timezone.localdate()
        )
        body = response.content.decode()
        assert f"Overdue ({days} business days)" in body
        assert body.count("Overdue (") == 1
        assert "0 of 5 business days" in body
        page = client.get(reverse("admin:mdf_fundrequest_decide", args=[old.pk])).content
        assert b"Overdue (" in page
        assert (
            b"Overdue ("
            not in client.get(reverse("admin:mdf_fundrequest_decide", args=[new.pk])).content
        )


def test_queue_queries_do_not_grow_with_rows(client, allocation, alice, event_type, staff_users):
    client.force_login(staff_users["marketing_admin"])
    submitted_request(alice, allocation, event_type, "100.00")

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = [
        reverse("admin:mdf_fundrequest_changelist"),
        reverse("admin:mdf_fundpool_changelist"),
        reverse("admin:mdf_allocation_changelist"),
    ]
    before = [count(url) for url in urls]
    for index in range(4):
        submitted_request(alice, allocation, event_type, "100.00")
        make_pool(name=f"Pool {index}")
    assert [count(url) for url in urls] == before


def full_record(page: str) -> dict[str, str]:
    """The read-only fields of an admin record page, label → shown value."""
    return dict(re.findall(r'<label>([^<]*):</label>\s*<div class="readonly">([^<]*)</div>', page))


# --- request decisions ------------------------------------------------------------------


def test_partial_approval_in_the_admin_commits_money_and_keeps_the_note(
    client, allocation, alice, event_type, staff_users
):
    fund_request = submitted_request(alice, allocation, event_type, "1000.00")
    client.force_login(staff_users["channel_manager"])
    url = reverse("admin:mdf_fundrequest_decide", args=[fund_request.pk])
    page = client.get(url).content.decode()
    assert "10,000.00 EUR" in page  # the allocation's available money
    assert "allocated 10,000.00 EUR" in page  # every amount in the one money format
    assert "Requested (activity cost)</th><td>1,000.00 EUR" in page
    assert "Draft → Awaiting channel manager" in page  # the history, by status names
    assert '<td class="num">1,000.00 EUR</td>' in page and "1000.00" not in page

    response = client.post(
        url, {"decision": "partly", "approved_amount": "800.00", "note": "Booth only"}
    )

    assert response.status_code == 302
    decided = fresh(fund_request)
    assert (decided.status, decided.approved_amount) == (FundRequest.Status.APPROVED, D("800"))
    assert decided.manager_note == "Booth only"
    assert buckets(allocation)["committed"] == D("800.00")
    assert buckets(allocation)["available"] == D("9200.00")
    history = client.get(reverse("admin:mdf_fundrequest_change", args=[fund_request.pk]))
    assert "Booth only" in history.content.decode()
    amounts = re.findall(r'field-amount_shown">\s*<p>([^<]*)</p>', history.content.decode())
    assert "800.00 EUR" in amounts  # the history's amounts in the one money format
    record = full_record(history.content.decode())
    assert record["Requested amount"] == "1,000.00 EUR"  # the record's amounts too
    assert (record["Approved amount"], record["Commitment"]) == ("800.00 EUR", "800.00 EUR")
    assert reconcile() == []


def test_a_decision_without_a_note_shows_the_error_and_moves_nothing(
    client, allocation, alice, event_type, staff_users
):
    fund_request = submitted_request(alice, allocation, event_type)
    client.force_login(staff_users["channel_manager"])
    url = reverse("admin:mdf_fundrequest_decide", args=[fund_request.pk])

    response = client.post(url, {"decision": "approve", "note": "  "})
    assert response.status_code == 200
    assert "Write a note" in str(response.context["form"].errors["note"])

    response = client.post(url, {"decision": "partly", "approved_amount": "", "note": "x"})
    assert "Enter the amount to approve" in response.content.decode()
    response = client.post(url, {"decision": "partly", "approved_amount": "5000", "note": "x"})
    assert "At most 1,000.00 EUR" in str(response.context["form"].errors["approved_amount"])

    assert fresh(fund_request).status == FundRequest.Status.SUBMITTED
    assert buckets(allocation)["committed"] == D("0.00")


def test_who_submitted_cannot_decide(client, allocation, alice, event_type, staff_users):
    maya = staff_users["marketing_admin"]  # may decide any request, but submitted this one
    fund_request = submitted_request(alice, allocation, event_type, actor=maya)
    client.force_login(maya)
    url = reverse("admin:mdf_fundrequest_decide", args=[fund_request.pk])

    page = client.get(url)
    assert "another person must decide" in page.content.decode()
    assert "Record decision" not in page.content.decode()
    response = client.post(url, {"decision": "approve", "note": "Looks fine"})

    assert response.status_code == 200
    assert "another person must decide" in response.content.decode()
    assert fresh(fund_request).status == FundRequest.Status.SUBMITTED
    assert buckets(allocation)["committed"] == D("0.00")
    # …and another channel manager is told whose decision it is
    client.force_login(make_user("cora_channel", staff=True, role="Channel manager"))
    response = client.post(url, {"decision": "approve", "note": "ok"})
    assert "awaits the partner&#x27;s channel manager" in response.content.decode()


def test_finance_step_and_rejection_in_the_admin(
    client, allocation, alice, event_type, staff_users
):
    large = submitted_request(alice, allocation, event_type, "6000.00")
    client.force_login(staff_users["channel_manager"])
    url = reverse("admin:mdf_fundrequest_decide", args=[large.pk])
    response = client.post(url, {"decision": "approve", "note": "Strategic"}, follow=True)
    assert "awaits a finance approver" in response.content.decode()
    assert buckets(allocation)["committed"] == D("0.00")

    client.force_login(staff_users["finance_approver"])
    assert client.post(url, {"decision": "reject", "note": "Over budget"}).status_code == 302
    assert (fresh(large).status, fresh(large).finance_note) == ("rejected", "Over budget")
    assert buckets(allocation)["committed"] == D("0.00")


# --- claims -----------------------------------------------------------------------------


def test_claim_decisions_in_the_admin(
    client, allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "2000.00")
    with after_activity(fund_request):
        first = submitted_claim(alice, fund_request, proof_kinds, "1500.00")
        second = submitted_claim(alice, fund_request, proof_kinds, "300.00")
        client.force_login(staff_users["finance_approver"])

        url = reverse("admin:mdf_claim_decide", args=[first.pk])
        page = client.get(url).content.decode()
        assert "invoice.pdf" in page and "booth.png" in page  # the proof, listed
        response = client.post(url, {"decision": "approve", "note": ""})
        assert "Write a note" in response.content.decode()
        assert buckets(allocation)["spent"] == D("0.00")

        response = client.post(
            url, {"decision": "partly", "approved_amount": "1200.00", "note": "One invoice short"}
        )
        assert response.status_code == 302
        claim = fresh(first)
        assert (claim.status, claim.approved_amount, claim.decision_note) == (
            Claim.Status.APPROVED,
            D("1200.00"),
            "One invoice short",
        )
        assert buckets(allocation) == {
            "allocated": D("10000.00"),
            "committed": D("800.00"),
            "spent": D("1200.00"),
            "paid": D("0.00"),
            "available": D("8000.00"),
        }
        page = client.get(reverse("admin:mdf_claim_change", args=[first.pk])).content.decode()
        shown = full_record(page).values()
        assert {"1,500.00 EUR", "1,200.00 EUR"} <= set(shown)  # claimed; approved, reimbursed
        assert not {"1500.00", "1200.00"} & set(shown)

        url = reverse("admin:mdf_claim_decide", args=[second.pk])
        response = client.post(url, {"decision": "return", "note": "Photo is blurry"})
        assert response.status_code == 302
        assert (fresh(second).status, fresh(second).times_returned) == ("returned", 1)
    assert reconcile() == []


def test_finance_cannot_decide_a_claim_it_submitted(
    client, allocation, alice, event_type, proof_kinds, staff_users
):
    finance = staff_users["finance_approver"]
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(fund_request=fund_request, amount="100", actor=finance)
        full_proof(claim, proof_kinds, finance)
        services.claim_submit(claim=claim, actor=finance)
        client.force_login(finance)
        url = reverse("admin:mdf_claim_decide", args=[claim.pk])
        assert "another person must decide" in client.get(url).content.decode()
        response = client.post(url, {"decision": "approve", "note": "ok"})
        assert response.status_code == 200
        assert "another person must decide" in response.content.decode()
        assert fresh(claim).status == Claim.Status.SUBMITTED


def test_proof_files_stream_to_staff_only(
    client, allocation, alice, bob, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "400.00")
    with scopes_disabled():
        proofs = {p.proof_kind.slug: p for p in claim.proofs.select_related("proof_kind")}
    invoice_url = reverse("admin:mdf_claimproof_file", args=[proofs["invoice"].uuid])
    attendees_url = reverse("admin:mdf_claimproof_file", args=[proofs["attendees"].uuid])
    assert invoice_url.startswith("/admin/")

    client.force_login(staff_users["analyst"])
    response = client.get(invoice_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    response = client.get(attendees_url)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"

    for partner_user in (alice.admin, alice.marketer, bob.admin):
        client.force_login(partner_user)
        assert client.get(invoice_url).status_code == 404
    client.force_login(make_user("sam_staff", staff=True))  # staff without MDF permissions
    assert client.get(invoice_url).status_code == 403
    client.logout()
    response = client.get(invoice_url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- payments ----------------------------------------------------------------------------


def test_record_payment_and_the_payments_csv(
    client, pool, allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "2000.00")
    finance = staff_users["finance_approver"]
    with after_activity(fund_request):
        first = submitted_claim(alice, fund_request, proof_kinds, "1000.00")
        second = submitted_claim(alice, fund_request, proof_kinds, "500.00")
        for claim in (first, second):
            services.claim_decide(claim=claim, actor=finance, decision="approve", note="ok")
    # Finance pays later: today is after the approvals (payments are never dated earlier).
    with after_activity(fund_request, days=3):
        TODAY = timezone.localdate().isoformat()  # noqa: N806
        client.force_login(finance)
        payments = client.get(reverse("admin:mdf_claim_payments"))
        assert payments.status_code == 200
        assert {c.pk for c in payments.context["claims"]} == {first.pk, second.pk}

        url = reverse("admin:mdf_claim_record_payment", args=[first.pk])
        assert client.get(url).status_code == 200
        response = client.post(url, {"paid_at": TODAY, "reference": ""})
        assert "Enter the payment reference" in response.content.decode()
        assert fresh(first).status == Claim.Status.APPROVED
        response = client.post(url, {"paid_at": TODAY, "reference": "PAY-778"})
        assert response.status_code == 302
        paid = fresh(first)
        assert (paid.status, str(paid.paid_at), paid.payment_reference) == (
            "paid",
            TODAY,
            "PAY-778",
        )
        assert buckets(allocation)["paid"] == D("1000.00")
        response = client.post(url, {"paid_at": TODAY, "reference": "PAY-779"})
        assert "Only an approved, unpaid claim" in response.content.decode()
        assert buckets(allocation)["paid"] == D("1000.00")

        export = reverse("admin:mdf_claim_payments_export")
        rows = csv_rows(client.get(export, {"state": "all"}))
        assert sorted(rows, key=lambda row: row["status"]) == [
            {
                "claim_id": str(second.uuid),
                "partner": "Alice Corp",
                "pool": "FY27 H1",
                "currency": "EUR",
                "approved_amount": "500.00",
                "reimbursement": "500.00",
                "status": "approved",
                "paid_date": "",
                "reference": "",
            },
            {
                "claim_id": str(first.uuid),
                "partner": "Alice Corp",
                "pool": "FY27 H1",
                "currency": "EUR",
                "approved_amount": "1000.00",
                "reimbursement": "1000.00",
                "status": "paid",
                "paid_date": TODAY,
                "reference": "PAY-778",
            },
        ]
        assert [r["claim_id"] for r in csv_rows(client.get(export))] == [str(second.uuid)]
        paid_rows = csv_rows(
            client.get(export, {"state": "paid", "date_from": TODAY, "date_to": "2030-01-31"})
        )
        assert [r["reference"] for r in paid_rows] == ["PAY-778"]
        assert csv_rows(client.get(export, {"state": "paid", "date_from": "2030-02-01"})) == []
        other = make_pool(name="FY27 H2")
        assert csv_rows(client.get(export, {"state": "all", "pool": other.pk})) == []
        assert reconcile() == []

    # --- pools and allocations ----------------------------------------------------------------


def test_bulk_allocation_preview_then_confirm(client, pool, alice, bob, tiers, staff_users):
    make_partner_world("carol", tiers["gold"])
    make_partner_world("dave", tiers["gold"], status="suspended")  # not active: left out
    client.force_login(staff_users["marketing_admin"])
    url = reverse("admin:mdf_fundpool_bulk")
    assert client.get(url, {"pool": pool.pk}).status_code == 200
    data = {"pool": pool.pk, "tier_gold": "1000.00", "tier_silver": "500", "reason": "H1 by tier"}

    preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200
    summary = preview.context["preview"]
    assert {row["tier"].slug: row["partners"] for row in summary["rows"]} == {
        "gold": 2,
        "silver": 1,
    }
    assert (summary["needed"], summary["unallocated"]) == ("2,500.00 EUR", "100,000.00 EUR")
    assert "Confirm and allocate" in preview.content.decode()
    with scopes_disabled():
        assert not Allocation.objects.exists()

    response = client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302
    with scopes_disabled():
        allocated = dict(Allocation.objects.values_list("partner__slug", "allocated"))
    assert allocated == {"alice": D("1000.00"), "carol": D("1000.00"), "bob": D("500.00")}
    assert fresh(pool).allocated == D("2500.00")
    assert reconcile() == []


def test_bulk_allocation_over_budget_allocates_nothing(client, pool, alice, bob, staff_users):
    client.force_login(staff_users["marketing_admin"])
    url = reverse("admin:mdf_fundpool_bulk")
    data = {"pool": pool.pk, "tier_gold": "99000", "tier_silver": "2000", "reason": "Too much"}

    preview = client.post(url, {**data, "preview": "1"})
    assert not preview.context["preview"]["fits"]
    assert "Confirm and allocate" not in preview.content.decode()
    response = client.post(url, {**data, "confirm": "1"})  # forced anyway

    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was allocated" in body
    assert "need 101,000.00 EUR; the pool has 100,000.00 EUR left" in body
    with scopes_disabled():
        assert not Allocation.objects.exists()
    response = client.post(url, {**data, "tier_gold": "1.001", "preview": "1"})
    assert "at most two decimals" in str(response.context["form"].errors["tier_gold"])


def test_add_allocation_goes_through_the_service(client, pool, alice, staff_users):
    client.force_login(staff_users["marketing_admin"])
    url = reverse("admin:mdf_allocation_add")
    assert client.get(url).status_code == 200
    data = {"pool": pool.pk, "partner": alice.partner.pk, "amount": "2500.00", "reason": "Launch"}

    response = client.post(url, {**data, "amount": "100000.01"})
    assert "unallocated: 100,000.00 EUR" in str(response.context["form"].errors["amount"])
    response = client.post(url, {**data, "reason": ""})
    assert "reason" in response.context["form"].errors
    with scopes_disabled():
        assert not Allocation.objects.exists()

    response = client.post(url, data)
    assert response.status_code == 302
    with scopes_disabled():
        allocation = Allocation.objects.get()
        entry = LedgerEntry.objects.get()
    assert (allocation.allocated, entry.memo, entry.actor) == (
        D("2500.00"),
        "Launch",
        staff_users["marketing_admin"],
    )
    page = client.get(reverse("admin:mdf_allocation_change", args=[allocation.pk]))
    assert entry.entry_hash[:12] in page.content.decode()  # the ledger inline
    assert "2,500.00 EUR" in page.content.decode()  # available


def test_pool_form_validates(client, pool, allocation, staff_users):
    client.force_login(staff_users["marketing_admin"])
    dollars = make_pool(name="FY27 USD", currency="USD")
    url = reverse("admin:mdf_fundpool_change", args=[pool.pk])
    data = {
        "name": pool.name,
        "total": "100000.00",
        "period_start": pool.period_start,
        "period_end": pool.period_end,
        "request_deadline": pool.request_deadline,
        "claim_deadline": pool.claim_deadline,
        "reimbursement_percentage": "100.00",
        "finance_threshold": "5000.00",
        "decision_sla_days": "5",
        "rollover_policy": "carry_over",
        "rollover_pool": dollars.pk,
    }
    page = client.get(url).content.decode()
    assert "10,000.00 EUR" in page and "90,000.00 EUR" in page  # allocated, unallocated

    response = client.post(url, data)
    assert "same currency" in str(response.context["adminform"].form.errors["rollover_pool"])
    response = client.post(url, {**data, "rollover_policy": "expire", "total": "9999.99"})
    assert "Already allocated: 10,000.00 EUR" in str(
        response.context["adminform"].form.errors["total"]
    )
    response = client.post(url, {**data, "rollover_policy": "expire", "total": "150000"})
    assert response.status_code == 302
    pool = fresh(pool)
    assert (pool.total, pool.allocated, pool.currency) == (D("150000"), D("10000"), "EUR")

    # a new pool; its currency stays editable until money is given in it
    response = client.post(
        reverse("admin:mdf_fundpool_add"),
        {
            **data,
            "name": "FY28",
            "currency": "EUR",
            "rollover_policy": "expire",
            "rollover_pool": "",
        },
    )
    assert response.status_code == 302
    fy28 = FundPool.objects.get(name="FY28")
    assert (fy28.total, fy28.allocated) == (D("100000"), D("0"))
    assert (
        'name="currency"'
        in client.get(reverse("admin:mdf_fundpool_change", args=[fy28.pk])).content.decode()
    )
    assert 'name="currency"' not in client.get(url).content.decode()


def test_the_ledger_is_read_only_in_the_admin(client, allocation, staff_users):
    client.force_login(staff_users["marketing_admin"])
    with scopes_disabled():
        entry = LedgerEntry.objects.get()
    assert client.get(reverse("admin:mdf_ledgerentry_changelist")).status_code == 200
    assert client.get(reverse("admin:mdf_ledgerentry_add")).status_code == 403
    change = reverse("admin:mdf_ledgerentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200  # view only
    assert client.post(change, {"amount": "1"}).status_code == 403
    assert client.get(reverse("admin:mdf_ledgerentry_delete", args=[entry.pk])).status_code == 403
    assert (
        client.post(reverse("admin:mdf_allocation_change", args=[allocation.pk]), {}).status_code
        == 403
    )


# --- roles ---------------------------------------------------------------------------------


@pytest.fixture
def world(client, allocation, alice, event_type, proof_kinds, staff_users):
    """A submitted request, a submitted claim and an approved claim."""
    fund_request = approved_request(alice, allocation, event_type, staff_users, "2000.00")
    waiting = submitted_request(alice, allocation, event_type, "300.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "500.00")
        approved = submitted_claim(alice, fund_request, proof_kinds, "600.00")
        services.claim_decide(
            claim=approved, actor=staff_users["finance_approver"], decision="approve", note="ok"
        )
    return {"request": waiting, "claim": claim, "approved": approved, "allocation": allocation}


def page_urls(world):
    pool = world["allocation"].pool_id
    return {
        "pools": reverse("admin:mdf_fundpool_changelist"),
        "pool": reverse("admin:mdf_fundpool_change", args=[pool]),
        "allocations": reverse("admin:mdf_allocation_changelist"),
        "allocation": reverse("admin:mdf_allocation_change", args=[world["allocation"].pk]),
        "requests": reverse("admin:mdf_fundrequest_changelist") + "?queue=all",
        "request": reverse("admin:mdf_fundrequest_change", args=[world["request"].pk]),
        "request_decide": reverse("admin:mdf_fundrequest_decide", args=[world["request"].pk]),
        "claims": reverse("admin:mdf_claim_changelist") + "?queue=all",
        "claim": reverse("admin:mdf_claim_change", args=[world["claim"].pk]),
        "claim_decide": reverse("admin:mdf_claim_decide", args=[world["claim"].pk]),
        "payments": reverse("admin:mdf_claim_payments"),
        "payments_csv": reverse("admin:mdf_claim_payments_export"),
        "ledger": reverse("admin:mdf_ledgerentry_changelist"),
        "events": reverse("admin:mdf_mdfevent_changelist"),
        "activity_types": reverse("admin:mdf_activitytype_changelist"),
        "reports": reverse("admin:mdf_reports"),
        "bulk": reverse("admin:mdf_fundpool_bulk"),
        "allocation_add": reverse("admin:mdf_allocation_add"),
        "record_payment": reverse("admin:mdf_claim_record_payment", args=[world["approved"].pk]),
    }


EVERYONE = {
    "pools",
    "pool",
    "allocations",
    "allocation",
    "requests",
    "request",
    "request_decide",
    "claims",
    "claim",
    "claim_decide",
    "payments",
    "payments_csv",
    "ledger",
    "events",
    "activity_types",
    "reports",
}


@pytest.mark.parametrize(
    ("role", "also"),
    [
        ("marketing_admin", {"bulk", "allocation_add"}),
        ("channel_manager", set()),
        ("finance_approver", {"bulk", "allocation_add", "record_payment"}),
        ("analyst", set()),
    ],
)
def test_pages_render_for_the_roles_that_see_them(client, world, staff_users, role, also):
    client.force_login(staff_users[role])
    for name, url in page_urls(world).items():
        expected = 200 if name in EVERYONE | also else 403
        assert client.get(url).status_code == expected, (role, name)


def test_analyst_reads_but_every_decision_post_is_refused(client, world, pool, staff_users):
    client.force_login(staff_users["analyst"])
    allocation = world["allocation"]
    before = buckets(allocation)
    posts = {
        reverse("admin:mdf_fundrequest_decide", args=[world["request"].pk]): {
            "decision": "approve",
            "note": "ok",
        },
        reverse("admin:mdf_claim_decide", args=[world["claim"].pk]): {
            "decision": "approve",
            "note": "ok",
        },
        reverse("admin:mdf_claim_record_payment", args=[world["approved"].pk]): {
            "paid_at": TODAY,
            "reference": "X",
        },
        reverse("admin:mdf_fundpool_bulk"): {
            "pool": pool.pk,
            "tier_gold": "1",
            "reason": "x",
            "confirm": "1",
        },
        reverse("admin:mdf_allocation_add"): {
            "pool": pool.pk,
            "partner": allocation.partner_id,
            "amount": "1",
            "reason": "x",
        },
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert buckets(allocation) == before
    assert fresh(world["request"]).status == FundRequest.Status.SUBMITTED
    assert fresh(world["claim"]).status == Claim.Status.SUBMITTED
    # the channel manager decides requests, not claims or payments
    client.force_login(staff_users["channel_manager"])
    claim_url = reverse("admin:mdf_claim_decide", args=[world["claim"].pk])
    assert client.post(claim_url, {"decision": "approve", "note": "ok"}).status_code == 403


def test_partners_do_not_get_into_the_mdf_admin(client, world, alice):
    client.force_login(alice.admin)
    for name in ("pools", "claims", "reports", "payments_csv"):
        response = client.get(page_urls(world)[name])
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- the staff desk (the admin's home page) -------------------------------------------


def desk(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.context["desk"], response.content.decode()


def queue_counts(desk_context):
    return {
        card.title: (card.count, card.overdue, card.due_this_week) if card.has_sla else card.count
        for card in desk_context["queues"]
    }


def test_desk_counts_what_awaits_each_approver(
    client, allocation, bob_allocation, alice, bob, event_type, proof_kinds, staff_users
):
    # given, today: alice (managed by carl) and bob (no manager) each submit a request;
    # a large request of alice's passed carl and awaits finance; two approved requests
    manager, finance = staff_users["channel_manager"], staff_users["finance_approver"]
    submitted_request(alice, allocation, event_type)
    submitted_request(bob, bob_allocation, event_type)
    large = submitted_request(alice, allocation, event_type, "6000.00")
    services.request_decide(fund_request=large, actor=manager, approve=True, note="Strategic")
    to_claim = approved_request(alice, allocation, event_type, staff_users)
    to_pay = approved_request(alice, allocation, event_type, staff_users)

    # and, twelve days later (past every 5-business-day SLA of what waits since today):
    # a fresh request, a claim awaiting finance, and an approved claim to pay
    with after_activity(to_claim):
        submitted_request(alice, allocation, event_type, "700.00")
        submitted_claim(alice, to_claim, proof_kinds, "400.00")
        approved = submitted_claim(alice, to_pay, proof_kinds, "900.00")
        services.claim_decide(claim=approved, actor=finance, decision="approve", note="Fine")

        # when / then: each sees the queues they decide in, with their own counts
        carl, page = desk(client, manager)
        # (reviewers of joint marketing plans and deciders of deals and leads see those
        # queues too, empty here)
        deals_and_leads = {"Deals to decide": 0, "Leads with staff": 0}
        assert queue_counts(carl) == {
            "Fund requests": (2, 1, 0),
            "Plans awaiting review": 0,
            **deals_and_leads,
        }
        assert 'href="/admin/mdf/fundrequest/?queue=mine"' in page

        fiona, page = desk(client, finance)
        assert queue_counts(fiona) == {
            "Fund requests": (1, 1, 0),
            "Claims": (1, 0, 0),
            "Payments to record": 1,
        }
        assert fiona["queues"][2].notes == ["900.00 EUR owed"]
        assert 'href="/admin/mdf/claim/?queue=mine"' in page
        assert f'href="{reverse("admin:mdf_claim_payments")}"' in page

        maya, _page = desk(client, staff_users["marketing_admin"])
        assert queue_counts(maya) == {
            "Fund requests": (3, 2, 0),
            "Plans awaiting review": 0,
            **deals_and_leads,
        }

        andre, page = desk(client, staff_users["analyst"])
        assert andre["decides_nothing"] and andre["queues"] == []
        assert "Your role decides no requests" in page

        # the programme at a glance: both partners active, the period's money
        figures = {str(f["label"]): f["values"] for f in fiona["programme"]}
        assert figures["Active partners"] == ["2"]
        assert figures["Funds allocated this period"] == ["15,000.00 EUR"]
        committed = fresh(allocation).committed + fresh(bob_allocation).committed
        assert figures["Committed"] == [f"{committed:,.2f} EUR"]
        assert figures["Spent"] == ["900.00 EUR"]


def test_desk_shows_this_weeks_deadlines_and_what_passes_its_sla(
    client, alice, event_type, staff_users
):
    today = timezone.localdate()
    pool = make_pool(
        name="Closing soon",
        request_deadline=today + timedelta(days=3),
        claim_deadline=today + timedelta(days=40),
        decision_sla_days=2,
    )
    make_pool(name="Far away")
    allocation = services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount="5000.00",
        actor=staff_users["marketing_admin"],
        reason="Q4",
    )
    submitted_request(alice, allocation, event_type)  # 2 business days: past it this week

    carl, page = desk(client, staff_users["channel_manager"])
    assert queue_counts(carl) == {
        "Fund requests": (1, 0, 1),
        "Plans awaiting review": 0,
        "Deals to decide": 0,
        "Leads with staff": 0,
    }
    assert [(d["pool"], str(d["label"]), d["days_left"]) for d in carl["deadlines"]] == [
        ("Closing soon", "Request deadline", 3)
    ]
    assert "1 item in your queues passes its decision SLA this week." in page
    assert reverse("admin:mdf_fundpool_change", args=[pool.pk]) in page


# --- names people read ------------------------------------------------------------------


def test_claims_are_named_by_partner_and_request(
    client, allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "400.00")
    with scopes_disabled():
        claim = Claim.objects.select_related("partner", "request").get(pk=claim.pk)
    assert str(claim) == "Alice Corp · Partner summit booth"

    client.force_login(staff_users["finance_approver"])
    page = client.get(reverse("admin:mdf_claim_changelist")).content.decode()
    assert "Alice Corp · Partner summit booth" in page
    assert str(claim.uuid)[:8] not in page


def approved_cells(client):
    page = client.get(reverse("admin:mdf_fundrequest_changelist")).content.decode()
    return re.findall(r'<td class="field-approved_amount">(.*?)</td>', page)


def test_undecided_requests_show_a_dash_not_an_approved_zero(
    client, allocation, alice, event_type, staff_users
):
    waiting = submitted_request(alice, allocation, event_type, "1234.00")
    client.force_login(staff_users["analyst"])
    assert approved_cells(client) == ["—"]

    services.request_decide(
        fund_request=waiting,
        actor=staff_users["channel_manager"],
        approve=True,
        approved_amount="1000.00",
        note="Most of it",
    )
    assert approved_cells(client) == ["1,000.00 EUR"]

    # withdrawn before anyone decided: still nothing approved, not "0.00 EUR"
    withdrawn = submitted_request(alice, allocation, event_type, "300.00")
    services.request_cancel(fund_request=withdrawn, actor=alice.marketer)
    assert sorted(approved_cells(client)) == ["1,000.00 EUR", "—"]


def test_the_decision_trail_names_statuses_as_the_portal_does(
    client, allocation, alice, event_type, staff_users
):
    approved_request(alice, allocation, event_type, staff_users)
    client.force_login(staff_users["analyst"])
    page = client.get(reverse("admin:mdf_mdfevent_changelist")).content.decode()
    assert "Awaiting channel manager → Approved" in page
    assert "submitted → approved" not in page


def test_what_is_not_decided_yet_reads_as_the_portals_dash(
    client, alice, allocation, event_type, staff_users
):
    fund_request = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    client.force_login(staff_users["channel_manager"])

    page = client.get(
        reverse("admin:mdf_fundrequest_change", args=[fund_request.pk])
    ).content.decode()

    empty = re.findall(r'<div class="readonly">(.*?)</div>', page)
    assert "-" not in empty  # Django's own "nothing" sign
    assert empty.count("—") >= 3  # not decided by the manager, nor by finance, nor at all


def test_the_decide_page_writes_the_pools_share_as_the_portal_does(
    client, alice, allocation, event_type, staff_users
):
    fund_request = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    client.force_login(staff_users["channel_manager"])

    page = client.get(reverse("admin:mdf_fundrequest_decide", args=[fund_request.pk]))

    body = re.sub(r"\s+", " ", page.content.decode())
    percentage = allocation.pool.reimbursement_percentage.normalize()
    assert f"reimburses {percentage:f} %" in body
    assert f"reimburses {allocation.pool.reimbursement_percentage} %" not in body
