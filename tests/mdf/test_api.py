"""The MDF API (/api/v1/mdf/): balances, fund requests and claims, for partners (own)
and staff (all), through the services, with the API's one error format."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from mdf import selectors, services
from mdf.models import Claim, ClaimProof, FundRequest, LedgerEntry, MDFEvent
from partners.models import PartnerAPIKey
from tests.conftest import key_client, make_user
from tests.mdf.conftest import (
    D,
    after_activity,
    approved_request,
    draft_request,
    fresh,
    pdf_bytes,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

BALANCES = "/api/v1/mdf/balances/"
REQUESTS = "/api/v1/mdf/requests/"
CLAIMS = "/api/v1/mdf/claims/"


def request_url(fund_request, verb: str = "") -> str:
    return f"{REQUESTS}{fund_request.uuid}/" + (f"{verb}/" if verb else "")


def claim_url(claim, verb: str = "") -> str:
    return f"{CLAIMS}{claim.uuid}/" + (f"{verb}/" if verb else "")


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def errors_of(response, status: int = 400) -> dict[str, list[tuple[str, str]]]:
    """{attr: [(code, detail), …]} of an error response in the API's format."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    result: dict[str, list[tuple[str, str]]] = {}
    for error in body["errors"]:
        result.setdefault(error["attr"], []).append((error["code"], error["detail"]))
    return result


def counts() -> tuple[int, int, int, int]:
    with scopes_disabled():
        return (
            FundRequest.objects.count(),
            Claim.objects.count(),
            ClaimProof.objects.count(),
            LedgerEntry.objects.count(),
        )


def key_user(raw_key: str):
    """The user an API key acts as."""
    with scopes_disabled():
        return PartnerAPIKey.objects.get(prefix=raw_key.partition(".")[0]).user


def by_uuid(model, value):
    with scopes_disabled():
        return model.objects.get(uuid=value)


def stored_files() -> list[str]:
    """Every file under the test's media root."""
    found = []

    def walk(folder: str) -> None:
        dirs, files = default_storage.listdir(folder)
        found.extend(f"{folder}/{name}" for name in files)
        for name in dirs:
            walk(f"{folder}/{name}" if folder else name)

    if default_storage.exists("mdf"):
        walk("mdf")
    return found


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def bob_allocation(pool, bob, staff_users):
    return services.allocation_create(
        pool=pool,
        partner=bob.partner,
        amount="5000.00",
        actor=staff_users["marketing_admin"],
        reason="H1 plan",
    )


@pytest.fixture
def acting_staff(db):
    """A staff user allowed to act for partners (create requests and claims)."""
    user = make_user("sam_staff", staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="mdf",
            codename__in=["add_fundrequest", "add_claim", "view_fundrequest", "view_claim"],
        )
    )
    return user


def request_body(alloc, kind, **changes) -> dict:
    start = timezone.localdate() + timedelta(days=20)
    body = {
        "allocation": str(alloc.uuid),
        "activity_type": kind.slug,
        "title": "Cloud roadshow",
        "description": "Three city breakfasts",
        "activity_start": start.isoformat(),
        "activity_end": (start + timedelta(days=2)).isoformat(),
        "requested_amount": "2500.00",
        "expected_leads": 60,
        "expected_pipeline": "150000.00",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


# --- balances -------------------------------------------------------------------------


BUCKET_NAMES = ("allocated", "committed", "spent", "paid", "expired", "carried_over")


def figures(allocation) -> dict[str, str]:
    allocation = fresh(allocation)
    values = {bucket: f"{getattr(allocation, bucket):.2f}" for bucket in BUCKET_NAMES}
    values["available"] = f"{allocation.available:.2f}"
    return values


def test_partner_key_sees_only_its_own_balances(alice, alice_key, allocation, bob_allocation):
    response = key_client(alice_key).get(BALANCES)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [a["id"] for a in body["allocations"]] == [str(allocation.uuid)]
    entry = body["allocations"][0]
    assert entry["partner"] == str(alice.partner.uuid)
    assert entry["pool"]["name"] == "FY27 H1"
    assert entry["pool"]["claim_deadline"] == allocation.pool.claim_deadline.isoformat()
    assert entry["currency"] == "EUR"
    assert {k: entry[k] for k in (*BUCKET_NAMES, "available")} == figures(allocation)
    assert body["totals"] == [{"currency": "EUR", **figures(allocation)}]
    assert str(bob_allocation.uuid) not in response.text and "Bob" not in response.text


def test_staff_see_every_partners_balances_and_filter_by_partner(
    alice, bob, staff_key, staff_users, allocation, bob_allocation
):
    for client in (key_client(staff_key), session_client(staff_users["analyst"])):
        body = client.get(BALANCES).json()
        assert {a["partner_name"] for a in body["allocations"]} == {"Alice Corp", "Bob Corp"}
        assert body["totals"][0]["allocated"] == "15000.00"
        only_bob = client.get(BALANCES, {"partner": str(bob.partner.uuid)}).json()
        assert [a["id"] for a in only_bob["allocations"]] == [str(bob_allocation.uuid)]
        assert only_bob["totals"] == [{"currency": "EUR", **figures(bob_allocation)}]
    assert errors_of(key_client(staff_key).get(BALANCES, {"partner": "nope"}))["partner"]


def test_a_partner_filtering_by_another_partner_sees_nothing(alice_key, bob, bob_allocation):
    body = key_client(alice_key).get(BALANCES, {"partner": str(bob.partner.uuid)}).json()
    assert body == {"allocations": [], "totals": []}


def test_balances_equal_the_buckets_after_approvals_claims_and_payment(
    alice, alice_key, allocation, event_type, proof_kinds, staff_users, settings
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="3000.00")
    with after_activity(fund_request):
        response = key_client(alice_key).post(
            CLAIMS,
            {
                "request": str(fund_request.uuid),
                "amount": "1200.00",
                "submit": "true",
                "proof_invoice": upload("inv.pdf", pdf_bytes()),
                "proof_attendees": upload("a.csv", b"name,email\nAda,ada@example.com\n"),
                "proof_photo": upload("p.png", png_bytes()),
            },
            format="multipart",
        )
        assert response.status_code == 201, response.content
        claim = by_uuid(Claim, response.json()["id"])
        services.claim_decide(
            claim=claim, actor=staff_users["finance_approver"], decision="approve", note="ok"
        )
        services.claim_record_payment(
            claim=claim,
            actor=staff_users["finance_approver"],
            paid_at=timezone.localdate(),
            reference="PAY-1",
        )
    body = key_client(alice_key).get(BALANCES).json()
    entry = body["allocations"][0]
    assert {k: entry[k] for k in (*BUCKET_NAMES, "available")} == figures(allocation)
    assert (entry["committed"], entry["spent"], entry["paid"], entry["available"]) == (
        "1800.00",
        "1200.00",
        "1200.00",
        "7000.00",
    )
    # The one definition: the selectors' figures are the API's.
    with scopes_disabled():
        balance = selectors.balances_for_partner(partner=alice.partner)["EUR"]
    total = body["totals"][0]
    for bucket in (*BUCKET_NAMES, "available"):
        assert total[bucket] == f"{getattr(balance, bucket):.2f}"


# --- requests: create ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["partner_key", "admin", "marketer"])
def test_partner_writers_draft_a_request(who, alice, alice_key, allocation, event_type):
    client = key_client(alice_key) if who == "partner_key" else session_client(getattr(alice, who))
    response = client.post(REQUESTS, request_body(allocation, event_type), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["requested_amount"] == "2500.00"
    assert body["expected_pipeline"] == "150000.00"
    assert body["allocation"] == str(allocation.uuid)
    assert body["partner"] == str(alice.partner.uuid)
    assert body["required_proof"] == ["attendees", "invoice", "photo"]
    assert body["on_behalf"] is False
    fund_request = by_uuid(FundRequest, body["id"])
    # A key acts as itself (its own user); a session as its user.
    expected = {"partner_key": key_user(alice_key), "admin": alice.admin}.get(who, alice.marketer)
    assert fund_request.created_by == expected
    assert fresh(allocation).committed == D("0.00")  # a draft moves nothing


def test_partner_sales_cannot_write(alice, allocation, event_type):
    client = session_client(alice.sales)
    response = client.post(REQUESTS, request_body(allocation, event_type), format="json")
    assert errors_of(response, 403)[None][0][0] == "permission_denied"
    fund_request = draft_request(alice, allocation, event_type)
    assert client.post(request_url(fund_request, "submit")).status_code == 403
    assert client.get(request_url(fund_request)).status_code == 200  # reading is fine
    assert counts()[0] == 1
    assert fresh(fund_request).status == "draft"


def test_another_partners_allocation_does_not_exist(
    alice_key, allocation, bob_allocation, event_type
):
    client = key_client(alice_key)
    other = client.post(REQUESTS, request_body(bob_allocation, event_type), format="json")
    missing_id = uuid.uuid4()
    missing = client.post(
        REQUESTS, request_body(allocation, event_type, allocation=str(missing_id)), format="json"
    )
    [(code, detail)] = errors_of(other)["allocation"]
    assert code == "does_not_exist"
    assert detail == f"Allocation “{bob_allocation.uuid}” does not exist."
    assert errors_of(missing)["allocation"] == [
        ("does_not_exist", f"Allocation “{missing_id}” does not exist.")
    ]
    assert "Bob" not in other.text
    assert counts()[0] == 0


def test_a_partner_cannot_name_another_partner(alice_key, bob, allocation, event_type):
    body = request_body(allocation, event_type, partner=str(bob.partner.uuid))
    response = key_client(alice_key).post(REQUESTS, body, format="json")
    assert errors_of(response)["partner"][0][0] == "does_not_exist"
    assert counts()[0] == 0


def test_staff_key_must_name_the_partner_owning_the_allocation(
    alice, bob, staff_key, staff_users, allocation, bob_allocation, event_type
):
    client = key_client(staff_key)
    unnamed = client.post(REQUESTS, request_body(allocation, event_type), format="json")
    assert errors_of(unnamed)["partner"][0][0] == "required"
    wrong = request_body(allocation, event_type, partner=str(bob.partner.uuid))
    assert errors_of(client.post(REQUESTS, wrong, format="json"))["allocation"][0][0] == (
        "does_not_exist"
    )
    assert counts()[0] == 0
    right = request_body(allocation, event_type, partner=str(alice.partner.uuid))
    response = client.post(REQUESTS, right, format="json")
    assert response.status_code == 201, response.content
    fund_request = by_uuid(FundRequest, response.json()["id"])
    assert fund_request.partner == alice.partner
    assert fund_request.created_by == key_user(staff_key)  # the key, not its creator
    submitted = client.post(request_url(fund_request, "submit"))
    assert submitted.json()["on_behalf"] is True


def test_staff_session_acts_on_behalf_and_is_recorded(
    alice, acting_staff, allocation, event_type, staff_users
):
    client = session_client(acting_staff)
    body = request_body(allocation, event_type, partner=str(alice.partner.uuid))
    response = client.post(REQUESTS, body, format="json")
    assert response.status_code == 201, response.content
    fund_request = by_uuid(FundRequest, response.json()["id"])
    submitted = client.post(request_url(fund_request, "submit"))
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["on_behalf"] is True
    with scopes_disabled():
        assert MDFEvent.objects.filter(
            request=fund_request, action="submitted_on_behalf", actor=acting_staff
        ).exists()
    # Staff roles without the permission to act for partners only read (marketing
    # admins and channel managers have it: tests/mdf/test_api_extra.py).
    for role in ("analyst", "finance_approver"):
        refused = session_client(staff_users[role]).post(REQUESTS, body, format="json")
        assert refused.status_code == 403, role


@pytest.mark.parametrize(
    ("amount", "code", "detail"),
    [
        (12.5, "float", "not as JSON numbers with a fraction"),
        ("0.001", "max_decimal_places", "2 decimal places"),
        ("-5.00", "min_value", "greater than zero"),
        ("0", "min_value", "greater than zero"),
        ("0.00", "min_value", "greater than zero"),
        ("abc", "invalid", "A valid number is required."),
        ("", "invalid", "A valid number is required."),
        ("NaN", "invalid", "A valid number is required."),
        ("1e400", "max_digits", "no more than 14 digits in total"),
        ("1000000000000.00", "max_digits", "no more than 14 digits in total"),
        ("1000000000000", "max_whole_digits", "12 digits before the decimal point"),
        (True, "invalid", "A valid number is required."),
    ],
)
def test_bad_amounts_are_400_naming_the_field(
    alice_key, allocation, event_type, amount, code, detail
):
    body = request_body(allocation, event_type, requested_amount=amount)
    response = key_client(alice_key).post(REQUESTS, body, format="json")
    [(got_code, got_detail)] = errors_of(response)["requested_amount"]
    assert got_code == code
    assert detail in got_detail
    assert counts()[0] == 0


def test_negative_pipeline_and_reversed_dates_name_their_fields(alice_key, allocation, event_type):
    client = key_client(alice_key)
    negative = request_body(allocation, event_type, expected_pipeline="-1.00")
    assert errors_of(client.post(REQUESTS, negative, format="json"))["expected_pipeline"]
    start = timezone.localdate() + timedelta(days=20)
    reversed_dates = request_body(
        allocation,
        event_type,
        activity_start=start.isoformat(),
        activity_end=(start - timedelta(days=1)).isoformat(),
    )
    errors = errors_of(client.post(REQUESTS, reversed_dates, format="json"))
    assert errors == {"activity_end": [("invalid", "The activity cannot end before it starts.")]}
    assert counts()[0] == 0


def test_unknown_and_read_only_fields_are_400_naming_them(alice_key, allocation, event_type):
    body = request_body(allocation, event_type, status="approved", approved_amount="9999.00")
    errors = errors_of(key_client(alice_key).post(REQUESTS, body, format="json"))
    details = [detail for _code, detail in errors["non_field_errors"]]
    assert any("“status”" in d for d in details) and any("“approved_amount”" in d for d in details)
    assert {code for code, _ in errors["non_field_errors"]} == {"unknown_field"}
    assert counts()[0] == 0


def test_unknown_activity_type_and_missing_fields(alice_key, allocation, event_type):
    client = key_client(alice_key)
    body = request_body(allocation, event_type, activity_type="yachting")
    assert errors_of(client.post(REQUESTS, body, format="json"))["activity_type"] == [
        ("does_not_exist", "Activity type “yachting” does not exist.")
    ]
    errors = errors_of(client.post(REQUESTS, {}, format="json"))
    assert set(errors) >= {"allocation", "activity_type", "title", "requested_amount"}


# --- requests: read ---------------------------------------------------------------------


def test_lists_are_scoped_filtered_and_ordered(
    alice, bob, alice_key, staff_key, allocation, bob_allocation, event_type, ads_type
):
    first = draft_request(alice, allocation, event_type, amount="100.00")
    second = draft_request(alice, allocation, ads_type, amount="300.00")
    services.request_submit(fund_request=second, actor=alice.marketer)
    theirs = draft_request(bob, bob_allocation, event_type, amount="200.00")
    ids = lambda response: [r["id"] for r in response.json()["results"]]  # noqa: E731
    client = key_client(alice_key)
    assert ids(client.get(REQUESTS)) == [str(second.uuid), str(first.uuid)]
    assert ids(client.get(REQUESTS, {"status": "submitted"})) == [str(second.uuid)]
    assert ids(client.get(REQUESTS, {"ordering": "requested_amount"})) == [
        str(first.uuid),
        str(second.uuid),
    ]
    assert ids(client.get(REQUESTS, {"partner": str(bob.partner.uuid)})) == []
    assert str(theirs.uuid) not in client.get(REQUESTS).text
    staff = key_client(staff_key)
    assert len(ids(staff.get(REQUESTS))) == 3
    assert ids(staff.get(REQUESTS, {"partner": str(bob.partner.uuid)})) == [str(theirs.uuid)]
    assert ids(staff.get(REQUESTS, {"pool": str(allocation.pool.uuid), "page_size": 1})) == [
        str(theirs.uuid)
    ]
    assert errors_of(staff.get(REQUESTS, {"status": "bogus"}))["status"][0][0] == "invalid_choice"


def test_another_partners_request_is_404_like_a_missing_one(
    alice_key, bob, bob_allocation, event_type
):
    theirs = draft_request(bob, bob_allocation, event_type)
    client = key_client(alice_key)
    other = client.get(request_url(theirs))
    missing = client.get(f"{REQUESTS}{uuid.uuid4()}/")
    malformed = client.get(f"{REQUESTS}{theirs.pk}/")
    assert other.status_code == missing.status_code == malformed.status_code == 404
    assert other.content == missing.content == malformed.content
    for verb in ("submit", "cancel"):
        assert client.post(request_url(theirs, verb)).status_code == 404
    assert fresh(theirs).status == "draft"


def test_list_query_count_does_not_grow_with_rows(
    alice, alice_key, allocation, event_type, django_assert_max_num_queries
):
    client = key_client(alice_key)
    draft_request(alice, allocation, event_type)
    client.get(REQUESTS)
    with django_assert_max_num_queries(12) as few:
        client.get(REQUESTS)
    for _ in range(5):
        draft_request(alice, allocation, event_type)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(REQUESTS).json()["results"]) == 6


# --- requests: submit, cancel --------------------------------------------------------------


def test_submit_then_cancel(alice, alice_key, allocation, event_type):
    fund_request = draft_request(alice, allocation, event_type)
    client = key_client(alice_key)
    response = client.post(request_url(fund_request, "submit"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    again = errors_of(client.post(request_url(fund_request, "submit")))
    assert again == {"status": [("invalid", "Only a draft can be submitted.")]}
    cancelled = client.post(request_url(fund_request, "cancel"))
    assert cancelled.json()["status"] == "cancelled"
    assert errors_of(client.post(request_url(fund_request, "cancel")))["status"]


def test_submit_refusals_name_the_field(alice, alice_key, allocation, event_type):
    client = key_client(alice_key)
    too_big = draft_request(alice, allocation, event_type, amount="20000.00")
    [(code, detail)] = errors_of(client.post(request_url(too_big, "submit")))["requested_amount"]
    assert detail == "More than is available (available: 10,000.00 EUR)."
    started = draft_request(alice, allocation, event_type, starts_in=0)
    assert errors_of(client.post(request_url(started, "submit")))["activity_start"]
    assert (fresh(too_big).status, fresh(started).status) == ("draft", "draft")


# --- claims ----------------------------------------------------------------------------


def approved_for_bob(bob, bob_allocation, activity_type, staff_users):
    """Bob has no channel manager: a marketing admin (any request) decides."""
    fund_request = draft_request(bob, bob_allocation, activity_type)
    services.request_submit(fund_request=fund_request, actor=bob.marketer)
    return services.request_decide(
        fund_request=fund_request, actor=staff_users["marketing_admin"], approve=True, note="ok"
    )


def claim_form(fund_request, **fields) -> dict:
    form = {"request": str(fund_request.uuid), "amount": "900.00", "actual_leads": "31"}
    form.update(fields)
    return {key: value for key, value in form.items() if value is not None}


def full_proof_files() -> dict:
    return {
        "proof_invoice": upload("invoice.pdf", pdf_bytes(), "application/pdf"),
        "proof_attendees": upload("attendees.csv", b"name,email\nAda,ada@example.com\n"),
        "proof_photo": upload("booth.png", png_bytes(), "image/png"),
    }


@pytest.mark.parametrize("who", ["partner_key", "marketer"])
def test_claim_with_files_and_submit_in_one_request(
    who, alice, alice_key, allocation, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    client = key_client(alice_key) if who == "partner_key" else session_client(alice.marketer)
    with after_activity(fund_request):
        response = client.post(
            CLAIMS,
            claim_form(fund_request, submit="true", results_note="31 leads", **full_proof_files()),
            format="multipart",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert (body["amount"], body["actual_leads"], body["results_note"]) == (
        "900.00",
        31,
        "31 leads",
    )
    assert body["missing_proof"] == []
    proofs = {p["proof_kind"]: p for p in body["proofs"]}
    assert set(proofs) == {"invoice", "attendees", "photo"}
    assert proofs["invoice"]["content_type"] == "application/pdf"
    assert proofs["photo"]["content_type"] == "image/png"
    assert proofs["invoice"]["original_name"] == "invoice.pdf"
    assert len(stored_files()) == 3
    # Nothing moved: a submitted claim awaits finance.
    assert fresh(allocation).spent == D("0.00")


def test_renamed_executable_is_refused_naming_the_proof_field(
    alice, alice_key, allocation, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    files = full_proof_files()
    files["proof_invoice"] = upload("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    with after_activity(fund_request):
        response = key_client(alice_key).post(
            CLAIMS, claim_form(fund_request, submit="true", **files), format="multipart"
        )
    errors = errors_of(response)
    assert list(errors) == ["proof_invoice"]
    assert "executable" in errors["proof_invoice"][0][1]
    # All or nothing: no claim, no proof rows, no files left in storage.
    assert counts()[1:3] == (0, 0)
    assert stored_files() == []


def test_a_truncated_pdf_is_refused_as_the_invoice(
    alice, alice_key, allocation, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    files = full_proof_files()
    files["proof_invoice"] = upload("invoice.pdf", pdf_bytes()[:34], "application/pdf")
    with after_activity(fund_request):
        response = key_client(alice_key).post(
            CLAIMS, claim_form(fund_request, submit="true", **files), format="multipart"
        )
    errors = errors_of(response)
    assert list(errors) == ["proof_invoice"]
    assert "not a readable PDF" in errors["proof_invoice"][0][1]
    assert counts()[1:3] == (0, 0)
    assert stored_files() == []


def test_a_proof_file_name_is_shown_and_sent_back_without_its_escaped_path(
    alice, alice_key, allocation, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    files = full_proof_files()
    files["proof_invoice"] = upload(
        "..%2f..%2f..%2fetc%2finvoice.pdf", pdf_bytes(), "application/pdf"
    )
    with after_activity(fund_request):
        response = key_client(alice_key).post(
            CLAIMS, claim_form(fund_request, **files), format="multipart"
        )
    assert response.status_code == 201, response.content
    proof = next(p for p in response.json()["proofs"] if p["proof_kind"] == "invoice")
    assert proof["original_name"] == "invoice.pdf"
    download = session_client(alice.marketer).get(f"/portal/funds/proof/{proof['id']}/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="invoice.pdf"'


def test_missing_proof_on_submit_names_the_missing_fields(
    alice, alice_key, allocation, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    files = full_proof_files()
    del files["proof_photo"]
    with after_activity(fund_request):
        response = key_client(alice_key).post(
            CLAIMS, claim_form(fund_request, submit="true", **files), format="multipart"
        )
    errors = errors_of(response)
    assert list(errors) == ["proof_photo"]
    assert "Photo" in errors["proof_photo"][0][1]
    assert counts()[1:3] == (0, 0)
    assert stored_files() == []


def test_draft_claim_then_submit_endpoint(
    alice, alice_key, allocation, ads_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, ads_type, staff_users)
    client = key_client(alice_key)
    with after_activity(fund_request):
        draft = client.post(CLAIMS, claim_form(fund_request), format="json")
        assert draft.status_code == 201, draft.content
        assert draft.json()["missing_proof"] == ["invoice"]
        claim = by_uuid(Claim, draft.json()["id"])
        refused = errors_of(client.post(claim_url(claim, "submit")))
        assert refused == {"proofs": [("invalid", "Add the missing proof first: Invoice.")]}
        services.claim_attach_proof(
            claim=claim,
            proof_kind=proof_kinds["invoice"],
            upload=upload("i.pdf", pdf_bytes()),
            actor=alice.marketer,
        )
        submitted = client.post(claim_url(claim, "submit"))
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"


def test_claim_refusals(
    alice, bob, alice_key, allocation, bob_allocation, event_type, proof_kinds, staff_users
):
    mine = approved_request(alice, allocation, event_type, staff_users)
    theirs = approved_for_bob(bob, bob_allocation, event_type, staff_users)
    client = key_client(alice_key)
    with after_activity(mine):
        other = client.post(CLAIMS, claim_form(theirs), format="multipart")
        assert errors_of(other)["request"] == [
            ("does_not_exist", f"Fund request “{theirs.uuid}” does not exist.")
        ]
        too_much = client.post(CLAIMS, claim_form(mine, amount="1000.01"), format="multipart")
        assert errors_of(too_much)["amount"] == [
            (
                "invalid",
                "More than is still claimable on this request (claimable: 1,000.00 EUR).",
            )
        ]
        over_precise = client.post(CLAIMS, claim_form(mine, amount="10.001"), format="json")
        assert errors_of(over_precise)["amount"][0][0] == "max_decimal_places"
        unknown = client.post(
            CLAIMS,
            claim_form(mine, proof_receipt=upload("r.pdf", pdf_bytes()), colour="red"),
            format="multipart",
        )
        details = " ".join(d for _c, d in errors_of(unknown)["non_field_errors"])
        assert "“proof_receipt”" in details and "“colour”" in details
        not_a_file = client.post(
            CLAIMS, claim_form(mine, proof_invoice="invoice.pdf"), format="json"
        )
        assert errors_of(not_a_file)["proof_invoice"][0][0] == "invalid"
    before = client.post(CLAIMS, claim_form(mine), format="json")  # activity not over yet
    assert "once the activity has ended" in errors_of(before)["amount"][0][1]
    assert counts()[1:3] == (0, 0)
    assert stored_files() == []


def test_another_partners_claim_is_404(
    alice, bob, alice_key, bob_allocation, event_type, proof_kinds, staff_users
):
    theirs = approved_for_bob(bob, bob_allocation, event_type, staff_users)
    with after_activity(theirs):
        claim = services.claim_create(fund_request=theirs, amount="100.00", actor=bob.marketer)
    client = key_client(alice_key)
    assert client.get(claim_url(claim)).status_code == 404
    assert client.post(claim_url(claim, "submit")).status_code == 404
    assert str(claim.uuid) not in client.get(CLAIMS).text
    assert fresh(claim).status == "draft"


def test_staff_key_claims_for_the_named_partner(
    alice, bob, staff_key, allocation, ads_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, ads_type, staff_users)
    client = key_client(staff_key)
    with after_activity(fund_request):
        unnamed = client.post(CLAIMS, claim_form(fund_request), format="multipart")
        assert errors_of(unnamed)["partner"][0][0] == "required"
        wrong = client.post(
            CLAIMS, claim_form(fund_request, partner=str(bob.partner.uuid)), format="multipart"
        )
        assert errors_of(wrong)["request"][0][0] == "does_not_exist"
        response = client.post(
            CLAIMS,
            claim_form(
                fund_request,
                partner=str(alice.partner.uuid),
                submit="true",
                proof_invoice=upload("i.pdf", pdf_bytes()),
            ),
            format="multipart",
        )
    assert response.status_code == 201, response.content
    assert response.json()["on_behalf"] is True
    listed = client.get(CLAIMS, {"partner": str(alice.partner.uuid)}).json()
    assert [c["id"] for c in listed["results"]] == [response.json()["id"]]


def test_claims_list_query_count_does_not_grow(
    alice,
    alice_key,
    allocation,
    event_type,
    proof_kinds,
    staff_users,
    django_assert_max_num_queries,
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="5000.00")
    client = key_client(alice_key)
    with after_activity(fund_request):
        services.claim_create(fund_request=fund_request, amount="10.00", actor=alice.marketer)
        client.get(CLAIMS)
        with django_assert_max_num_queries(14) as few:
            client.get(CLAIMS)
        for _ in range(4):
            claim = services.claim_create(
                fund_request=fund_request, amount="10.00", actor=alice.marketer
            )
            services.claim_attach_proof(
                claim=claim,
                proof_kind=proof_kinds["invoice"],
                upload=upload("i.pdf", pdf_bytes()),
                actor=alice.marketer,
            )
        with django_assert_max_num_queries(len(few.captured_queries)):
            body = client.get(CLAIMS).json()
    assert len(body["results"]) == 5
    assert body["results"][0]["missing_proof"] == ["attendees", "photo"]


def test_amounts_in_responses_are_strings(alice, alice_key, allocation, event_type):
    draft_request(alice, allocation, event_type, amount="1234.50")
    text = key_client(alice_key).get(REQUESTS).text
    body = json.loads(text)["results"][0]
    assert body["requested_amount"] == "1234.50"
    assert '"requested_amount":"1234.50"' in text.replace(" ", "")
