"""The funds pages of the portal (/portal/funds/) through Django's test client:
requests and claims through their forms, bad input, the figures of the overview,
proof uploads and downloads, the statement and its CSV, who may act, and that
nothing of alice's funds is found by bob."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import selectors, services
from mdf.models import Claim, ClaimProof, FundRequest, LedgerEntry
from mdf.money import format_money
from partners.services import user_language_choose
from tests.mdf.conftest import (
    D,
    after_activity,
    approved_request,
    draft_request,
    fresh,
    full_proof,
    make_pool,
    pdf_bytes,
    png_bytes,
    submitted_claim,
    upload,
)

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("funds:overview")
REQUESTS = reverse("funds:request_list")
NEW_REQUEST = reverse("funds:request_create")
CLAIMS = reverse("funds:claim_list")
STATEMENT = reverse("funds:statement")
STATEMENT_CSV = reverse("funds:statement_csv")


def text(response) -> str:
    """The body of a page or of a streamed download."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def squash(html: str) -> str:
    """The page's text with whitespace collapsed, for phrases that wrap in templates."""
    return re.sub(r"\s+", " ", html)


def count(model) -> int:
    with scopes_disabled():
        return model.objects.count()


def request_url(name: str, fund_request) -> str:
    return reverse(f"funds:{name}", kwargs={"uuid": fund_request.uuid})


def request_form(allocation, event_type, **overrides) -> dict:
    start = timezone.localdate() + timedelta(days=20)
    data = {
        "allocation": allocation.pk,
        "activity_type": event_type.pk,
        "title": "Cloud roadshow Berlin",
        "description": "Half-day roadshow with a partner demo",
        "activity_start": start.isoformat(),
        "activity_end": (start + timedelta(days=1)).isoformat(),
        "requested_amount": "2500.00",
        "expected_leads": "60",
        "expected_pipeline": "80000",
    }
    data.update(overrides)
    return data


# --- requests -----------------------------------------------------------------------


def test_marketer_creates_and_submits_a_request_through_the_form(
    client, alice, allocation, event_type
):
    # given
    client.force_login(alice.marketer)
    page = client.get(NEW_REQUEST)
    assert page.status_code == 200
    assert "FY27 H1 (10,000.00 EUR available)" in text(page)

    # when
    response = client.post(NEW_REQUEST, {**request_form(allocation, event_type), "submit": "1"})

    # then
    with scopes_disabled():
        fund_request = FundRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/funds/requests/{fund_request.uuid}/"
    assert fund_request.status == FundRequest.Status.SUBMITTED
    assert fund_request.requested_amount == D("2500.00")
    assert fund_request.expected_pipeline == D("80000.00")
    assert fund_request.created_by == alice.marketer
    detail = client.get(response["Location"])
    body = text(detail)
    assert "Your request was submitted." in body
    assert "Waiting for your channel manager" in body
    assert "Submitted for a decision" in body  # the history


def test_save_draft_then_submit_from_the_detail_page(client, alice, allocation, event_type):
    client.force_login(alice.admin)
    response = client.post(NEW_REQUEST, {**request_form(allocation, event_type), "save": "1"})
    with scopes_disabled():
        fund_request = FundRequest.objects.get()
    assert fund_request.status == FundRequest.Status.DRAFT
    body = squash(text(client.get(response["Location"])))
    assert "Draft: not sent yet" in body
    assert "Submit for approval" in body

    response = client.post(request_url("request_submit", fund_request))
    assert response.status_code == 302
    assert fresh(fund_request).status == FundRequest.Status.SUBMITTED


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "Enter an amount greater than zero"),
        ("0", "Enter an amount greater than zero"),
        ("0.00", "Enter an amount greater than zero"),
        ("0.001", "at most two decimals"),
        ("12.345", "at most two decimals"),
        ("abc", "Enter an amount like 1,250.50."),
        ("1e5000", "Enter at most"),
        ("NaN", "Enter an amount like 1,250.50."),
        ("Infinity", "Enter an amount like 1,250.50."),
        ("", "This field is required."),
        ("1000000000000", "Enter at most 999,999,999,999.99"),
        ("1800,50", "Enter an amount like 1,250.50."),  # a decimal comma, not 180,050
    ],
)
def test_bad_amounts_show_a_field_error_and_save_nothing(
    client, alice, allocation, event_type, amount, message
):
    client.force_login(alice.marketer)
    for button in ("submit", "save"):
        response = client.post(
            NEW_REQUEST,
            {**request_form(allocation, event_type, requested_amount=amount), button: "1"},
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert list(errors) == ["requested_amount"], errors
        assert message in " ".join(errors["requested_amount"])
        assert 'id="id_requested_amount_error"' in text(response)
    assert count(FundRequest) == 0
    assert fresh(allocation).committed == D("0.00")


def test_a_negative_pipeline_or_leads_is_a_field_error(client, alice, allocation, event_type):
    client.force_login(alice.marketer)
    response = client.post(
        NEW_REQUEST,
        {
            **request_form(allocation, event_type, expected_pipeline="-1", expected_leads="-3"),
            "save": "1",
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"expected_pipeline", "expected_leads"}
    assert count(FundRequest) == 0


def test_a_refused_submission_names_the_field_and_leaves_no_draft(
    client, alice, allocation, event_type
):
    client.force_login(alice.marketer)
    # more than the allocation has available: the service's error, on the amount field
    response = client.post(
        NEW_REQUEST,
        {**request_form(allocation, event_type, requested_amount="10000.01"), "submit": "1"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "available: 10,000.00 EUR" in " ".join(errors["requested_amount"])
    # an activity that already started: on the start date
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        NEW_REQUEST,
        {**request_form(allocation, event_type, activity_start=yesterday), "submit": "1"},
    )
    assert response.status_code == 400
    assert "before the activity starts" in " ".join(
        response.context["form"].errors["activity_start"]
    )
    assert count(FundRequest) == 0  # create + submit is one transaction


def test_the_end_date_cannot_precede_the_start(client, alice, allocation, event_type):
    client.force_login(alice.marketer)
    data = request_form(allocation, event_type)
    data["activity_end"] = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(NEW_REQUEST, {**data, "save": "1"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["activity_end"]


def test_only_the_partners_own_open_allocations_can_be_chosen(
    client, alice, bob, allocation, event_type, staff_users
):
    bobs = services.allocation_create(
        pool=allocation.pool,
        partner=bob.partner,
        amount="500.00",
        actor=staff_users["marketing_admin"],
        reason="Silver",
    )
    closed_pool = make_pool(
        name="FY26 H2",
        request_deadline=timezone.localdate() - timedelta(days=1),
    )
    services.allocation_create(
        pool=closed_pool,
        partner=alice.partner,
        amount="100.00",
        actor=staff_users["marketing_admin"],
        reason="Old",
    )
    client.force_login(alice.marketer)
    choices = [
        choice.instance.pk
        for choice, _label in client.get(NEW_REQUEST).context["form"].fields["allocation"].choices
    ]
    assert choices == [allocation.pk]  # not bob's, not the pool past its request deadline

    response = client.post(
        NEW_REQUEST, {**request_form(allocation, event_type), "allocation": bobs.pk, "save": "1"}
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["allocation"]
    assert count(FundRequest) == 0


def test_a_partner_without_open_funds_is_told_so(client, alice, event_type):
    client.force_login(alice.marketer)
    body = text(client.get(NEW_REQUEST))
    assert "No fund is open for requests" in body
    overview = text(client.get(OVERVIEW))
    assert "You have no marketing funds yet" in overview
    assert NEW_REQUEST not in overview


def test_a_request_can_be_copied_into_a_new_form(client, alice, allocation, event_type):
    fund_request = draft_request(alice, allocation, event_type)
    client.force_login(alice.marketer)
    form = client.get(f"{NEW_REQUEST}?copy={fund_request.uuid}").context["form"]
    assert form.initial["title"] == fund_request.title
    assert form.initial["requested_amount"] == fund_request.requested_amount


def test_cancel_asks_first_then_cancels(client, alice, allocation, event_type):
    fund_request = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    client.force_login(alice.marketer)
    url = request_url("request_cancel", fund_request)
    assert "Cancel the request" in text(client.get(url))
    assert fresh(fund_request).status == FundRequest.Status.SUBMITTED  # GET only asks

    response = client.post(url)
    assert response.status_code == 302
    assert fresh(fund_request).status == FundRequest.Status.CANCELLED
    assert "The request was cancelled." in text(client.get(response["Location"]))
    # a second try explains instead of failing
    response = client.post(url, follow=True)
    assert "Not cancelled: Only undecided requests can be cancelled." in text(response)


def test_close_releases_the_open_commitment(client, alice, allocation, event_type, staff_users):
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="1200.00")
    assert fresh(allocation).committed == D("1200.00")
    client.force_login(alice.admin)
    url = request_url("request_close", fund_request)
    body = squash(text(client.get(url)))
    assert "Released to available" in body and "1,200.00 EUR" in body

    response = client.post(url, {"note": "Event cancelled by the venue"})
    assert response.status_code == 302
    assert fresh(fund_request).status == FundRequest.Status.CLOSED
    assert fresh(allocation).committed == D("0.00")
    assert fresh(allocation).available == D("10000.00")


def test_the_request_detail_explains_amounts_history_and_notes(
    client, alice, allocation, event_type, staff_users
):
    pool = allocation.pool
    pool.reimbursement_percentage = D("50.00")
    pool.save()
    fund_request = approved_request(
        alice, allocation, event_type, staff_users, amount="3000.00", approved="2000.00"
    )
    client.force_login(alice.sales)
    body = squash(text(client.get(request_url("request_detail", fund_request))))
    assert "The fund pays 50% of the approved cost: 50% of 2,000.00 EUR = " in body
    assert "<strong>1,000.00 EUR</strong>" in body
    assert "Partly approved" in body
    manager = staff_users["channel_manager"]
    assert f"Vendor: {manager.get_full_name() or manager.username}" in body
    assert "Good plan" in body  # the decision note
    assert alice.marketer.first_name in body  # who created and submitted it


def test_request_list_filters_searches_sorts_and_pages(client, alice, allocation, event_type):
    for index in range(23):
        fund_request = draft_request(alice, allocation, event_type, amount=f"{100 + index}.00")
        with scopes_disabled():
            FundRequest.objects.filter(pk=fund_request.pk).update(title=f"Webinar {index:02}")
    submitted = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=submitted, actor=alice.marketer)
    client.force_login(alice.sales)

    first = client.get(REQUESTS)
    assert len(first.context["fund_requests"]) == 20
    assert "Page 1 of 2" in text(first)
    assert len(client.get(REQUESTS, {"page": 2}).context["fund_requests"]) == 4

    only_submitted = client.get(REQUESTS, {"status": "submitted"}).context["fund_requests"]
    assert [r.pk for r in only_submitted] == [submitted.pk]
    found = client.get(REQUESTS, {"q": "webinar 1"}).context["fund_requests"]
    assert sorted(r.title for r in found) == [f"Webinar {i}" for i in range(10, 20)]
    by_amount = client.get(REQUESTS, {"sort": "amount_desc"}).context["fund_requests"]
    assert by_amount[0].requested_amount == D("1000.00")
    empty = client.get(REQUESTS, {"q": "no such thing"})
    assert "No request matches these filters." in text(empty)
    # a filter that makes no sense is ignored, not an error
    assert client.get(REQUESTS, {"status": "bogus", "sort": "x", "page": "1"}).status_code == 200


def test_list_pages_do_not_grow_in_queries_with_rows(
    client, alice, allocation, event_type, staff_users, proof_kinds
):
    client.force_login(alice.marketer)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="100.00")
    with after_activity(fund_request):
        services.claim_create(fund_request=fund_request, amount="50.00", actor=alice.marketer)
    few = {url: queries(url) for url in (REQUESTS, CLAIMS, STATEMENT, OVERVIEW)}
    for _ in range(5):
        more = approved_request(alice, allocation, event_type, staff_users, amount="100.00")
        with after_activity(more):
            services.claim_create(fund_request=more, amount="50.00", actor=alice.marketer)
    many = {url: queries(url) for url in (REQUESTS, CLAIMS, STATEMENT, OVERVIEW)}
    assert many == few


# --- overview -----------------------------------------------------------------------


def test_the_overview_shows_the_selectors_figures_after_an_approval(
    client, alice, allocation, event_type, staff_users
):
    # given: 10,000 allocated, 2,500 committed by an approved request
    approved_request(alice, allocation, event_type, staff_users, amount="2500.00")
    with scopes_disabled():
        balance = selectors.balances_for_partner(partner=alice.partner)["EUR"]
    assert (balance.available, balance.committed) == (D("7500.00"), D("2500.00"))

    # when
    client.force_login(alice.sales)
    body = text(client.get(OVERVIEW))

    # then: the same figures, in the one money format
    for figure in ("available", "allocated", "committed", "spent", "paid"):
        expected = format_money(getattr(balance, figure), "EUR")
        assert re.search(rf'data-figure="{figure}">\s*{re.escape(expected)}<', body), figure
    assert "7,500.00 EUR" in body
    assert "Request by" in body and "Claim by" in body
    assert "Unused money expires." in body  # the roll-over policy in words
    assert "Partner summit booth" in body  # an approved request to claim later
    assert NEW_REQUEST not in body  # sales reps do not act


def test_the_overview_warns_of_money_expiring_soon(client, alice, staff_users):
    soon = timezone.localdate() + timedelta(days=12)
    pool = make_pool(name="FY27 Q1", request_deadline=soon - timedelta(days=5), claim_deadline=soon)
    services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount="800.00",
        actor=staff_users["marketing_admin"],
        reason="Q1",
    )
    client.force_login(alice.marketer)
    body = squash(text(client.get(OVERVIEW)))
    assert "Expiring soon:" in body
    assert "800.00 EUR is still unused on" in body


def test_the_overview_lists_what_needs_action(
    client, alice, allocation, event_type, staff_users, proof_kinds
):
    draft = draft_request(alice, allocation, event_type)
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="700.00")
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="300.00", actor=alice.marketer
        )
        client.force_login(alice.marketer)
        body = text(client.get(OVERVIEW))
    assert request_url("request_detail", draft) in body
    assert reverse("funds:claim_detail", kwargs={"uuid": claim.uuid}) in body
    assert request_url("claim_create", fund_request) in body  # claimable now


def test_the_nav_links_to_funds_and_the_dashboard_shows_the_available_money(
    client, alice, allocation
):
    client.force_login(alice.marketer)
    body = text(client.get(reverse("portal:dashboard")))
    assert 'href="/portal/funds/"' in body
    assert "Available now: 10,000.00 EUR." in body
    funds = text(client.get(REQUESTS))
    assert re.search(r'class="nav-link active" href="/portal/funds/"', funds)


# --- claims -------------------------------------------------------------------------


def test_a_claim_cannot_be_submitted_until_every_proof_kind_has_a_file(
    client, alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    client.force_login(alice.marketer)
    with after_activity(fund_request):
        # the claim form says what is claimable
        form_page = client.get(request_url("claim_create", fund_request))
        assert "claimable: 1,000.00 EUR" in text(form_page)
        response = client.post(
            request_url("claim_create", fund_request),
            {"amount": "900.00", "actual_leads": "41", "results_note": "Great turnout"},
        )
        with scopes_disabled():
            claim = Claim.objects.get()
        detail_url = f"/portal/funds/claims/{claim.uuid}/"
        assert response["Location"] == detail_url

        body = squash(text(client.get(detail_url)))
        assert body.count('class="proof-state is-missing"') == 3
        assert 'disabled aria-describedby="submit-blocked"' in body
        assert "Attendee list, Invoice, Photo" in body  # what is missing, by name

        upload_url = reverse("funds:claim_proof_upload", kwargs={"uuid": claim.uuid})
        for slug, name, content in (
            ("invoice", "invoice.pdf", pdf_bytes()),
            ("photo", "booth.png", png_bytes()),
        ):
            response = client.post(
                upload_url, {"kind": slug, f"proof-{slug}-file": upload(name, content)}
            )
            assert response.status_code == 302, response.content[:500]
        body = squash(text(client.get(detail_url)))
        assert "You can submit once this is uploaded: <strong>Attendee list</strong>" in body
        # the service refuses too, whatever the page shows
        client.post(reverse("funds:claim_submit", kwargs={"uuid": claim.uuid}))
        assert fresh(claim).status == Claim.Status.DRAFT

        client.post(
            upload_url,
            {
                "kind": "attendees",
                "proof-attendees-file": upload("list.csv", b"name,email\nAda,ada@example.com\n"),
            },
        )
        body = text(client.get(detail_url))
        assert "disabled aria-describedby" not in body
        response = client.post(reverse("funds:claim_submit", kwargs={"uuid": claim.uuid}))
    assert response.status_code == 302
    claim = fresh(claim)
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.amount == D("900.00")
    assert claim.actual_leads == 41


def test_a_claim_above_what_is_claimable_is_a_field_error(
    client, alice, allocation, event_type, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="400.00")
    client.force_login(alice.marketer)
    with after_activity(fund_request):
        for amount, message in (
            ("400.01", "claimable: 400.00 EUR"),
            ("0.001", "at most two decimals"),
            ("-1", "greater than zero"),
            ("lots", "Enter an amount like"),
        ):
            response = client.post(request_url("claim_create", fund_request), {"amount": amount})
            assert response.status_code == 400
            assert message in " ".join(response.context["form"].errors["amount"])
    assert count(Claim) == 0


def test_a_claim_before_the_activity_ended_is_explained(
    client, alice, allocation, event_type, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    client.force_login(alice.marketer)
    body = text(client.get(request_url("claim_create", fund_request)))
    assert "You can claim once the activity has ended" in body
    response = client.post(request_url("claim_create", fund_request), {"amount": "10.00"})
    assert response.status_code == 400
    assert "once the activity has ended" in " ".join(response.context["form"].errors["amount"])
    assert count(Claim) == 0


def test_a_renamed_executable_as_proof_is_a_field_error(
    client, alice, allocation, event_type, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    client.force_login(alice.marketer)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        response = client.post(
            reverse("funds:claim_proof_upload", kwargs={"uuid": claim.uuid}),
            {
                "kind": "invoice",
                "proof-invoice-file": upload(
                    "invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf"
                ),
            },
        )
    assert response.status_code == 400
    body = text(response)
    assert 'id="id_proof-invoice-file_error"' in body
    assert "This file is an executable program, which is not accepted." in body
    assert count(ClaimProof) == 0


def test_proof_for_a_submitted_claim_is_refused_with_the_reason(
    client, alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    client.force_login(alice.marketer)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds)
        response = client.post(
            reverse("funds:claim_proof_upload", kwargs={"uuid": claim.uuid}),
            {"kind": "photo", "proof-photo-file": upload("more.png", png_bytes())},
        )
    assert response.status_code == 400
    assert "Proof can only be added to a draft or returned claim." in text(response)
    assert count(ClaimProof) == 3


def test_the_claim_detail_shows_decision_payment_and_history(
    client, alice, allocation, event_type, staff_users, proof_kinds
):
    pool = allocation.pool
    pool.reimbursement_percentage = D("50.00")
    pool.save()
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    finance = staff_users["finance_approver"]
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, amount="800.00")
        services.claim_decide(
            claim=claim,
            actor=finance,
            decision="approve",
            note="Proof complete",
            approved_amount="700.00",
        )
        services.claim_record_payment(
            claim=claim, actor=finance, paid_at=timezone.localdate(), reference="PAY-2026-0042"
        )
        client.force_login(alice.sales)
        body = squash(text(client.get(f"/portal/funds/claims/{claim.uuid}/")))
    assert "350.00 EUR was paid on" in body
    assert "PAY-2026-0042" in body
    assert "Proof complete" in body
    assert f"Vendor: {finance.get_full_name()}" in body
    assert "The fund reimburses 50% of the approved cost" in body
    assert body.count('class="proof-state is-done"') == 3
    assert "funds-upload" not in body  # a paid claim takes no more proof


def test_the_proof_download_is_an_attachment_with_the_stored_type(
    client, alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        full_proof(claim, proof_kinds, alice.marketer)
    with scopes_disabled():
        proof = ClaimProof.objects.get(proof_kind__slug="invoice")
    client.force_login(alice.sales)
    response = client.get(reverse("funds:proof_download", kwargs={"uuid": proof.uuid}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


# --- statement ----------------------------------------------------------------------


def test_the_statement_csv_has_one_row_per_ledger_entry(
    client, alice, allocation, event_type, staff_users, proof_kinds
):
    # given: allocate 10,000; commit 1,000; a claim of 600 approved (spent) and paid;
    # the request closed, releasing the 400 not claimed
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    finance = staff_users["finance_approver"]
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, amount="600.00")
        services.claim_decide(claim=claim, actor=finance, decision="approve", note="OK")
        services.claim_record_payment(
            claim=claim, actor=finance, paid_at=timezone.localdate(), reference="PAY-1"
        )
        services.request_release(fund_request=fresh(fund_request), actor=alice.admin)
    with scopes_disabled():
        ledger = list(LedgerEntry.objects.order_by("seq"))
    assert [e.kind for e in ledger] == ["allocate", "commit", "spend", "pay", "release"]

    # when
    client.force_login(alice.marketer)
    response = client.get(STATEMENT_CSV)

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(text(response))))
    assert len(rows) == len(ledger) == 5
    assert [(row["Movement"], row["Amount"]) for row in rows] == [
        ("Allocated", "10000.00"),
        ("Committed (request approved)", "1000.00"),
        ("Spent (claim approved)", "600.00"),
        ("Paid", "600.00"),
        ("Released", "400.00"),
    ]
    assert [row["Effect on available"] for row in rows] == [
        "10000.00",
        "-1000.00",
        "0.00",
        "0.00",
        "400.00",
    ]
    assert [row["Available after"] for row in rows] == [
        "10000.00",
        "9000.00",
        "9000.00",
        "9000.00",
        "9400.00",
    ]
    assert rows[-1]["Available after"] == f"{fresh(allocation).available:.2f}"
    assert rows[2]["Claim ID"] == str(claim.uuid)
    assert rows[1]["Request ID"] == str(fund_request.uuid)

    page = text(client.get(STATEMENT))
    assert page.count("<tr>") == 1 + 5  # header + one per entry
    assert "−1,000.00 EUR" in page


def test_the_statement_says_why_money_moved_at_the_deadline(
    client, pool, alice, allocation, event_type, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "1000.00")
    services.pool_roll_over(pool=pool, today=pool.claim_deadline + timedelta(days=1))

    client.force_login(alice.marketer)
    rows = squash(text(client.get(STATEMENT))).split("<tr>")[2:]

    # Newest first: the money left expired; before it, the unclaimed commitment came back.
    assert "Expired" in rows[0] and "Claim deadline passed" in rows[0]
    assert "Released" in rows[1] and fund_request.title in rows[1]
    assert "· <span" in rows[1] and "Claim deadline passed" in rows[1]
    # A commitment's memo is only the request's title: not repeated.
    assert "Committed" in rows[2] and rows[2].count(fund_request.title) == 1


def test_the_statement_filters_by_fund(client, alice, allocation, staff_users):
    other = make_pool(name="FY27 H2")
    second = services.allocation_create(
        pool=other,
        partner=alice.partner,
        amount="300.00",
        actor=staff_users["marketing_admin"],
        reason="H2",
    )
    client.force_login(alice.marketer)
    assert len(client.get(STATEMENT).context["entries"]) == 2
    filtered = client.get(STATEMENT, {"allocation": str(second.uuid)})
    assert [e.allocation_id for e in filtered.context["entries"]] == [second.pk]
    rows = list(
        csv.DictReader(
            io.StringIO(text(client.get(STATEMENT_CSV, {"allocation": str(second.uuid)})))
        )
    )
    assert [(r["Pool"], r["Amount"]) for r in rows] == [("FY27 H2", "300.00")]
    assert client.get(STATEMENT, {"allocation": "not-a-uuid"}).status_code == 404


def test_text_in_the_csv_cannot_become_a_formula(client, alice, allocation, event_type):
    fund_request = draft_request(alice, allocation, event_type)
    assert fund_request  # drafts move no money; give the allocation a formula-like name
    pool = allocation.pool
    pool.name = "=HYPERLINK(1)"
    pool.save()
    client.force_login(alice.marketer)
    rows = list(csv.DictReader(io.StringIO(text(client.get(STATEMENT_CSV)))))
    assert rows[0]["Pool"] == "'=HYPERLINK(1)"


# --- who may do what ----------------------------------------------------------------


def test_sales_reps_see_but_cannot_act(client, alice, allocation, event_type, staff_users):
    draft = draft_request(alice, allocation, event_type)
    approved = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(approved):
        claim = services.claim_create(fund_request=approved, amount="10.00", actor=alice.marketer)
    client.force_login(alice.sales)

    body = text(client.get(request_url("request_detail", draft)))
    assert request_url("request_submit", draft) not in body
    assert request_url("request_cancel", draft) not in body
    with after_activity(approved):
        claim_page = text(client.get(f"/portal/funds/claims/{claim.uuid}/"))
    assert reverse("funds:claim_proof_upload", kwargs={"uuid": claim.uuid}) not in claim_page
    assert "Submit the claim" not in claim_page

    posts = [
        (NEW_REQUEST, {"save": "1"}),
        (request_url("request_submit", draft), {}),
        (request_url("request_cancel", draft), {}),
        (request_url("request_close", approved), {}),
        (request_url("claim_create", approved), {"amount": "1.00"}),
        (reverse("funds:claim_proof_upload", kwargs={"uuid": claim.uuid}), {"kind": "invoice"}),
        (reverse("funds:claim_submit", kwargs={"uuid": claim.uuid}), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert fresh(draft).status == FundRequest.Status.DRAFT
    assert fresh(approved).status == FundRequest.Status.APPROVED
    assert count(Claim) == 1


def test_bobs_admin_finds_none_of_alices_funds(
    client, alice, bob, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        full_proof(claim, proof_kinds, alice.marketer)
    with scopes_disabled():
        proof = ClaimProof.objects.first()
    client.force_login(bob.admin)

    gets = [
        request_url("request_detail", fund_request),
        request_url("request_cancel", fund_request),
        request_url("request_close", fund_request),
        request_url("claim_create", fund_request),
        f"/portal/funds/claims/{claim.uuid}/",
        reverse("funds:proof_download", kwargs={"uuid": proof.uuid}),
        f"{STATEMENT}?allocation={allocation.uuid}",
        f"{STATEMENT_CSV}?allocation={allocation.uuid}",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        request_url("request_submit", fund_request),
        request_url("request_cancel", fund_request),
        request_url("request_close", fund_request),
        request_url("claim_create", fund_request),
        reverse("funds:claim_proof_upload", kwargs={"uuid": claim.uuid}),
        reverse("funds:claim_submit", kwargs={"uuid": claim.uuid}),
    ]
    for url in posts:
        assert client.post(url, {"amount": "1.00"}).status_code == 404, url
    # and his own pages show nothing of alice's
    for url in (OVERVIEW, REQUESTS, CLAIMS, STATEMENT, STATEMENT_CSV):
        body = text(client.get(url))
        assert fund_request.title not in body and "FY27 H1" not in body, url
    assert fresh(fund_request).status == FundRequest.Status.APPROVED


def test_staff_get_the_staff_notice(client, staff_users):
    client.force_login(staff_users["finance_approver"])
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert "portal/staff_notice.html" in [t.name for t in response.templates]


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(OVERVIEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


# --- amounts as the reader's language writes them -----------------------------------------


@pytest.mark.parametrize(
    ("language", "typed", "stored"),
    [
        ("en", "1,250.50", "1250.50"),
        ("en", "1250.5", "1250.50"),
        ("de", "1.250,50", "1250.50"),
        ("de", "1250,5", "1250.50"),
        ("fr", "1 250,50", "1250.50"),
        ("es", "1.250,50", "1250.50"),
        ("pt-br", "1.250,50", "1250.50"),
    ],
)
def test_amounts_are_read_as_the_readers_language_writes_them(
    client, alice, allocation, event_type, language, typed, stored
):
    user_language_choose(user=alice.marketer, language=language)
    client.force_login(alice.marketer)

    response = client.post(
        NEW_REQUEST, {**request_form(allocation, event_type, requested_amount=typed), "save": "1"}
    )

    assert response.status_code == 302, response.context["form"].errors
    with scopes_disabled():
        assert str(FundRequest.objects.get().requested_amount) == stored


def test_a_separator_in_the_wrong_place_for_the_language_is_refused_with_its_example(
    client, alice, allocation, event_type
):
    # In German "." separates thousands: "1250.50" is no amount, never 125,050.
    user_language_choose(user=alice.marketer, language="de")
    client.force_login(alice.marketer)

    response = client.post(
        NEW_REQUEST,
        {**request_form(allocation, event_type, requested_amount="1250.50"), "save": "1"},
    )

    assert response.status_code == 400
    [message] = response.context["form"].errors["requested_amount"]
    assert "1.250,50" in message
    assert count(FundRequest) == 0


def test_a_stored_amount_comes_back_in_the_input_as_the_reader_writes_it(
    client, alice, allocation, event_type
):
    user_language_choose(user=alice.marketer, language="de")
    client.force_login(alice.marketer)
    client.post(
        NEW_REQUEST,
        {**request_form(allocation, event_type, requested_amount="1.250,50"), "save": "1"},
    )
    with scopes_disabled():
        fund_request = FundRequest.objects.get()

    page = text(client.get(request_url("request_edit", fund_request)))

    assert fund_request.requested_amount == Decimal("1250.50")
    assert 'name="requested_amount" value="1250,50"' in page
