"""The MDF API beyond drafting: changing drafts (PATCH), adding and removing proof on
a claim, the activity types, and staff acting on a partner's behalf."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import services
from mdf.models import ActivityType, ClaimProof, FundRequest, MDFEvent, ProofKind
from partners import roles
from tests.conftest import key_client
from tests.mdf.conftest import (
    D,
    after_activity,
    approved_request,
    draft_request,
    fresh,
    pdf_bytes,
    png_bytes,
    submitted_claim,
    upload,
)
from tests.mdf.test_api import (
    CLAIMS,
    REQUESTS,
    by_uuid,
    claim_url,
    errors_of,
    key_user,
    request_body,
    request_url,
    session_client,
    stored_files,
)

pytestmark = pytest.mark.django_db

ACTIVITY_TYPES = "/api/v1/mdf/activity-types/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def events(**filters) -> list[str]:
    with scopes_disabled():
        return list(
            MDFEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True)
        )


def proof_url(claim, proof) -> str:
    return f"{claim_url(claim)}proof/{proof.uuid}/"


# --- PATCH a draft request --------------------------------------------------------------


def test_a_partner_key_changes_its_draft(alice, alice_key, allocation, event_type, ads_type):
    # given
    draft = draft_request(alice, allocation, event_type)
    start = timezone.localdate() + timedelta(days=40)

    # when
    response = key_client(alice_key).patch(
        request_url(draft),
        {
            "title": "Webinar series",
            "activity_type": ads_type.slug,
            "activity_start": start.isoformat(),
            "activity_end": start.isoformat(),
            "requested_amount": "1750.00",
        },
        format="json",
    )

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["activity_type"], body["requested_amount"]) == (
        "Webinar series",
        "ads",
        "1750.00",
    )
    assert body["required_proof"] == ["invoice"]
    assert body["status"] == "draft"
    stored = fresh(draft)
    assert (stored.activity_start, stored.requested_amount) == (start, D("1750.00"))
    assert stored.description == "Booth and lead capture at the summit"
    assert events(request=draft) == ["created", "edited"]


def test_patch_refuses_unknown_and_read_only_fields(alice, alice_key, allocation, event_type):
    draft = draft_request(alice, allocation, event_type)
    client = key_client(alice_key)
    for field, value in (
        ("allocation", str(allocation.uuid)),
        ("partner", str(alice.partner.uuid)),
        ("status", "approved"),
        ("approved_amount", "1.00"),
    ):
        errors = errors_of(client.patch(request_url(draft), {field: value}, format="json"))
        [(code, detail)] = errors["non_field_errors"]
        assert code == "unknown_field" and f"“{field}”" in detail
    assert client.put(request_url(draft), {}, format="json").status_code == 405
    assert events(request=draft) == ["created"]


def test_patch_applies_the_rules_of_a_new_request(alice, alice_key, allocation, event_type):
    draft = draft_request(alice, allocation, event_type)
    client = key_client(alice_key)
    before = (draft.activity_start - timedelta(days=1)).isoformat()
    errors = errors_of(client.patch(request_url(draft), {"activity_end": before}, format="json"))
    assert errors == {"activity_end": [("invalid", "The activity cannot end before it starts.")]}
    for field, value, code in (
        ("requested_amount", 12.5, "float"),
        ("requested_amount", "0", "min_value"),
        ("title", "", "blank"),
        ("activity_type", "yachting", "does_not_exist"),
        ("expected_leads", -1, "min_value"),
    ):
        errors = errors_of(client.patch(request_url(draft), {field: value}, format="json"))
        assert errors[field][0][0] == code, field
    assert fresh(draft).title == "Partner summit booth"


def test_only_a_draft_can_be_patched(alice, alice_key, allocation, event_type):
    fund_request = draft_request(alice, allocation, event_type)
    client = key_client(alice_key)
    client.post(request_url(fund_request, "submit"))
    errors = errors_of(client.patch(request_url(fund_request), {"title": "X"}, format="json"))
    assert errors == {"status": [("invalid", "Only a draft can be changed.")]}


def test_patch_is_scoped_and_for_writers(alice, bob, bob_key, alice_key, allocation, event_type):
    draft = draft_request(alice, allocation, event_type)
    assert (
        key_client(bob_key).patch(request_url(draft), {"title": "Bob"}, format="json").status_code
        == 404
    )
    sales = session_client(alice.sales).patch(request_url(draft), {"title": "S"}, format="json")
    assert sales.status_code == 403
    marketer = session_client(alice.marketer).patch(
        request_url(draft), {"title": "By the marketer"}, format="json"
    )
    assert marketer.status_code == 200, marketer.content
    assert fresh(draft).title == "By the marketer"


# --- PATCH a claim ---------------------------------------------------------------------


def test_a_draft_claim_is_patched_within_what_is_claimable(
    alice, alice_key, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="900.00")
    client = key_client(alice_key)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        too_much = client.patch(claim_url(claim), {"amount": "900.01"}, format="json")
        assert errors_of(too_much)["amount"][0][1].startswith("More than is still claimable")
        response = client.patch(
            claim_url(claim),
            {"amount": "850.00", "actual_leads": 9, "results_note": "Booth was busy"},
            format="json",
        )
        unknown = client.patch(claim_url(claim), {"request": str(fund_request.uuid)}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["amount"], response.json()["actual_leads"]) == ("850.00", 9)
    assert errors_of(unknown)["non_field_errors"][0][0] == "unknown_field"
    assert events(claim=claim) == ["created", "edited"]


def test_a_returned_claim_is_fixed_and_resubmitted_through_the_api(
    alice,
    alice_key,
    allocation,
    event_type,
    staff_users,
    proof_kinds,
    django_capture_on_commit_callbacks,
):
    # given: finance returned the claim because the photo is wrong
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="1000.00")
    client = key_client(alice_key)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, amount="1000.00")
        services.claim_decide(
            claim=claim, actor=staff_users["finance_approver"], decision="return", note="Photo?"
        )
        with scopes_disabled():
            wrong = claim.proofs.get(proof_kind__slug="photo")

        # when: remove the wrong file, add the right one, lower the amount, resubmit
        with django_capture_on_commit_callbacks(execute=True):
            removed = client.delete(proof_url(claim, wrong))
        assert removed.status_code == 204, removed.content
        shown = client.get(claim_url(claim)).json()
        assert shown["missing_proof"] == ["photo"]
        added = client.post(
            f"{claim_url(claim)}proof/",
            {"proof_photo": upload("booth-right.png", png_bytes(), "image/png")},
            format="multipart",
        )
        assert added.status_code == 201, added.content
        assert added.json()["missing_proof"] == []
        patched = client.patch(claim_url(claim), {"amount": "950.00"}, format="json")
        assert patched.status_code == 200, patched.content
        resubmitted = client.post(claim_url(claim, "submit"))

    # then
    assert resubmitted.status_code == 200, resubmitted.content
    assert (resubmitted.json()["status"], resubmitted.json()["amount"]) == ("submitted", "950.00")
    names = sorted(p["original_name"] for p in resubmitted.json()["proofs"])
    assert names == ["attendees.csv", "booth-right.png", "invoice.pdf"]
    assert not default_storage.exists(wrong.file.name)
    assert events(claim=claim)[-4:] == ["returned", "proof_removed", "edited", "resubmitted"]


# --- proof --------------------------------------------------------------------------------


@pytest.fixture
def draft_claim(alice, allocation, ads_type, staff_users, proof_kinds):
    fund_request = approved_request(alice, allocation, ads_type, staff_users)
    with after_activity(fund_request):
        yield services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )


def test_proof_uploads_are_checked_and_all_or_nothing(alice_key, draft_claim):
    client = key_client(alice_key)
    url = f"{claim_url(draft_claim)}proof/"
    # a renamed executable among good files: nothing is kept
    refused = client.post(
        url,
        {
            "proof_invoice": upload("ok.pdf", pdf_bytes()),
            "proof_photo": upload("photo.png", b"MZ\x90\x00" + b"\x00" * 64, "image/png"),
        },
        format="multipart",
    )
    assert set(errors_of(refused)) == {"proof_photo"}
    assert stored_files() == []
    with scopes_disabled():
        assert ClaimProof.objects.count() == 0
    # other fields, unknown kinds, no file, JSON
    assert errors_of(client.post(url, {"amount": "5"}, format="multipart"))["non_field_errors"][0][
        0
    ] == ("unknown_field")
    unknown_kind = client.post(
        url, {"proof_yacht": upload("a.pdf", pdf_bytes())}, format="multipart"
    )
    assert errors_of(unknown_kind)["non_field_errors"][0][0] == "unknown_field"
    assert (
        errors_of(client.post(url, {}, format="multipart"))["non_field_errors"][0][0] == "required"
    )
    as_json = client.post(url, {"proof_invoice": "aGVsbG8="}, format="json")
    assert errors_of(as_json)["proof_invoice"][0][0] == "invalid"


def test_adding_proof_is_idempotent(alice_key, draft_claim):
    client = key_client(alice_key)
    url = f"{claim_url(draft_claim)}proof/"
    answers = [
        client.post(
            url,
            {"proof_invoice": upload("inv.pdf", pdf_bytes())},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="proof-1",
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1]["Idempotent-Replayed"] == "true"
    with scopes_disabled():
        assert draft_claim.proofs.count() == 1
    assert len(stored_files()) == 1


def test_proof_of_a_submitted_claim_can_neither_be_added_nor_removed(
    alice, alice_key, allocation, ads_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, ads_type, staff_users)
    client = key_client(alice_key)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, amount="100.00")
        added = client.post(
            f"{claim_url(claim)}proof/",
            {"proof_invoice": upload("late.pdf", pdf_bytes())},
            format="multipart",
        )
        with scopes_disabled():
            proof = claim.proofs.get()
        removed = client.delete(proof_url(claim, proof))
    assert "draft or returned claim" in errors_of(added)["proof_invoice"][0][1]
    assert errors_of(removed) == {
        "status": [("invalid", "Proof can only be removed from a draft or returned claim.")]
    }
    with scopes_disabled():
        assert claim.proofs.count() == 1
    assert len(stored_files()) == 1


def test_proof_of_another_partner_or_claim_is_not_found(
    alice, bob, alice_key, bob_key, allocation, ads_type, staff_users, proof_kinds, draft_claim
):
    proof = services.claim_attach_proof(
        claim=draft_claim,
        proof_kind=proof_kinds["invoice"],
        upload=upload("inv.pdf", pdf_bytes()),
        actor=alice.marketer,
    )
    other_claim = services.claim_create(
        fund_request=draft_claim.request, amount="50.00", actor=alice.marketer
    )
    bob_client = key_client(bob_key)
    assert bob_client.delete(proof_url(draft_claim, proof)).status_code == 404
    assert (
        bob_client.post(
            f"{claim_url(draft_claim)}proof/",
            {"proof_invoice": upload("b.pdf", pdf_bytes())},
            format="multipart",
        ).status_code
        == 404
    )
    client = key_client(alice_key)
    assert client.delete(proof_url(other_claim, proof)).status_code == 404  # not that claim's
    assert client.delete(f"{claim_url(draft_claim)}proof/not-a-uuid/").status_code == 404
    assert client.delete(claim_url(draft_claim)).status_code == 405
    sales = session_client(alice.sales).delete(proof_url(draft_claim, proof))
    assert sales.status_code == 403
    with scopes_disabled():
        assert ClaimProof.objects.filter(pk=proof.pk).exists()


# --- activity types ---------------------------------------------------------------------


def test_activity_types_list_the_proof_each_needs(
    alice_key, staff_key, staff_users, event_type, ads_type, api_client
):
    ActivityType.objects.create(slug="content", name="Content syndication")
    ProofKind.objects.filter(slug="invoice").update(help_text="The supplier's invoice")
    response = key_client(alice_key).get(ACTIVITY_TYPES)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [t["slug"] for t in body] == ["content", "ads", "event"]  # by name
    ads = body[1]
    assert ads == {
        "slug": "ads",
        "name": "Digital ads",
        "description": "",
        "active": True,
        "proof_kinds": [
            {
                "slug": "invoice",
                "name": "Invoice",
                "help_text": "The supplier's invoice",
                "field": "proof_invoice",
            }
        ],
    }
    assert [k["slug"] for k in body[2]["proof_kinds"]] == ["attendees", "invoice", "photo"]
    assert body[0]["proof_kinds"] == []
    assert key_client(staff_key).get(ACTIVITY_TYPES).json() == body
    assert session_client(staff_users["analyst"]).get(ACTIVITY_TYPES).status_code == 200
    assert api_client.get(ACTIVITY_TYPES).status_code == 401
    assert key_client(alice_key).post(ACTIVITY_TYPES, {}, format="json").status_code == 405


# --- staff on a partner's behalf -----------------------------------------------------------


def test_a_staff_key_drafts_for_the_named_partner_recorded_on_its_behalf(
    alice, staff_key, staff_users, allocation, event_type
):
    client = key_client(staff_key)
    body = request_body(allocation, event_type, partner=str(alice.partner.uuid))
    response = client.post(REQUESTS, body, format="json")
    assert response.status_code == 201, response.content
    fund_request = by_uuid(FundRequest, response.json()["id"])
    assert fund_request.partner == alice.partner
    assert fund_request.created_by == key_user(staff_key)  # the key, not its creator
    assert events(request=fund_request) == ["created_on_behalf"]
    patched = client.patch(request_url(fund_request), {"title": "Revised"}, format="json")
    assert patched.status_code == 200, patched.content
    submitted = client.post(request_url(fund_request, "submit"))
    assert submitted.json()["on_behalf"] is True
    assert events(request=fund_request) == ["created_on_behalf", "edited", "submitted_on_behalf"]


@pytest.mark.parametrize("role", ["channel_manager", "marketing_admin"])
def test_partner_facing_staff_submit_on_behalf_and_someone_else_decides(
    role, alice, staff_users, allocation, ads_type, proof_kinds
):
    # given: a staff user of a role that may act for partners
    staff = staff_users[role]
    client = session_client(staff)
    body = request_body(allocation, ads_type, partner=str(alice.partner.uuid))

    # when
    created = client.post(REQUESTS, body, format="json")
    assert created.status_code == 201, created.content
    fund_request = by_uuid(FundRequest, created.json()["id"])
    submitted = client.post(request_url(fund_request, "submit"))

    # then: recorded as on the partner's behalf, and the submitter cannot decide it
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["on_behalf"] is True
    assert events(request=fund_request) == ["created_on_behalf", "submitted_on_behalf"]
    with pytest.raises(ValidationError, match="another person must decide"):
        services.request_decide(fund_request=fund_request, actor=staff, approve=True, note="ok")
    other = staff_users["marketing_admin" if role == "channel_manager" else "channel_manager"]
    decided = services.request_decide(
        fund_request=fund_request, actor=other, approve=True, note="Fine"
    )
    assert decided.status == "approved"
    # and claims too, naming the partner
    with after_activity(decided):
        client = session_client(staff)  # the first session has expired by then
        claim = client.post(
            CLAIMS,
            {
                "partner": str(alice.partner.uuid),
                "request": str(fund_request.uuid),
                "amount": "500.00",
                "proof_invoice": upload("i.pdf", pdf_bytes()),
                "submit": "true",
            },
            format="multipart",
        )
    assert claim.status_code == 201, claim.content
    assert claim.json()["on_behalf"] is True


def test_staff_must_name_the_partner(staff_users, allocation, event_type):
    client = session_client(staff_users["channel_manager"])
    response = client.post(REQUESTS, request_body(allocation, event_type), format="json")
    assert errors_of(response)["partner"][0][0] == "required"


def test_which_roles_act_on_behalf_and_the_migration_reverses(db):
    def holders() -> set[str]:
        return set(
            Group.objects.filter(
                permissions__content_type__app_label="mdf",
                permissions__codename__in=["add_fundrequest", "add_claim"],
            )
            .distinct()
            .values_list("name", flat=True)
        )

    assert holders() == {roles.MARKETING_ADMIN, roles.CHANNEL_MANAGER}
    migration = importlib.import_module("mdf.migrations.0005_staff_submit_on_behalf")
    migration.reverse(django_apps, None)
    assert holders() == set()
    # the roles keep everything else they had
    assert Group.objects.get(name=roles.CHANNEL_MANAGER).permissions.filter(
        codename="change_fundrequest"
    )
    migration.forward(django_apps, None)
    assert holders() == {roles.MARKETING_ADMIN, roles.CHANNEL_MANAGER}
