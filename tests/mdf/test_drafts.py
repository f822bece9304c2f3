"""Changing drafts: a draft request's fields, a draft or returned claim's amount and
results, and removing a wrong proof file (services and the portal pages), plus the
overview's current-period figures."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import services
from mdf.models import ClaimProof, FundPool, MDFEvent
from tests.mdf.conftest import (
    D,
    after_activity,
    approved_request,
    draft_request,
    fresh,
    make_pool,
    pdf_bytes,
    submitted_claim,
    upload,
)

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("funds:overview")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def words(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def url(name: str, obj) -> str:
    return reverse(f"funds:{name}", kwargs={"uuid": obj.uuid})


def events(**filters) -> list[MDFEvent]:
    with scopes_disabled():
        return list(MDFEvent.objects.filter(**filters).order_by("id"))


def error_keys(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


# --- services: requests ---------------------------------------------------------------


def test_a_draft_request_changes_and_the_change_is_recorded(
    alice, allocation, event_type, ads_type
):
    # given
    draft = draft_request(alice, allocation, event_type, amount="1000.00")
    start = timezone.localdate() + timedelta(days=30)

    # when
    changed = services.request_update(
        fund_request=draft,
        actor=alice.admin,
        activity_type=ads_type,
        title="  Spring webinar  ",
        activity_start=start,
        activity_end=start + timedelta(days=2),
        requested_amount="1250.50",
        expected_leads=12,
        expected_pipeline="9000",
    )

    # then
    stored = fresh(draft)
    assert changed.pk == draft.pk
    assert (stored.title, stored.activity_type, stored.status) == (
        "Spring webinar",
        ads_type,
        "draft",
    )
    assert (stored.activity_start, stored.activity_end) == (start, start + timedelta(days=2))
    assert (stored.requested_amount, stored.expected_pipeline) == (D("1250.50"), D("9000.00"))
    assert stored.expected_leads == 12
    assert stored.description == "Booth and lead capture at the summit"  # not sent: kept
    [event] = events(request=draft, action="edited")
    assert (event.actor, event.old_status, event.new_status) == (alice.admin, "draft", "draft")
    assert event.amount == D("1250.50")
    assert "Requested amount: 1,000.00 EUR → 1,250.50 EUR" in event.note_text
    assert "“Partner summit booth” → “Spring webinar”" in event.note_text
    assert "Activity type: Event → Digital ads" in event.note_text


def test_an_edit_that_changes_nothing_records_nothing(alice, allocation, event_type):
    draft = draft_request(alice, allocation, event_type)
    services.request_update(fund_request=draft, actor=alice.marketer, title="Partner summit booth")
    assert events(request=draft, action="edited") == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": ""}, "description"),
        ({"expected_leads": -1}, "expected_leads"),
        ({"requested_amount": "0"}, "requested_amount"),
        ({"requested_amount": "12.345"}, "requested_amount"),
        ({"requested_amount": "abc"}, "requested_amount"),
        ({"expected_pipeline": "-5"}, "expected_pipeline"),
        ({"activity_type": None}, "activity_type"),
        ({"activity_start": None}, "activity_start"),
    ],
)
def test_an_edit_passes_the_checks_of_a_new_request(alice, allocation, event_type, changes, field):
    draft = draft_request(alice, allocation, event_type)
    with pytest.raises(ValidationError) as excinfo:
        services.request_update(fund_request=draft, actor=alice.marketer, **changes)
    assert field in error_keys(excinfo)
    assert fresh(draft).title == "Partner summit booth"
    assert events(request=draft, action="edited") == []


def test_an_end_moved_before_the_kept_start_is_refused(alice, allocation, event_type):
    draft = draft_request(alice, allocation, event_type, starts_in=10)
    with pytest.raises(ValidationError) as excinfo:
        services.request_update(
            fund_request=draft,
            actor=alice.marketer,
            activity_end=draft.activity_start - timedelta(days=1),
        )
    assert excinfo.value.message_dict == {
        "activity_end": ["The activity cannot end before it starts."]
    }


def test_a_share_that_rounds_to_nothing_is_refused_on_edit_too(alice, staff_users, event_type):
    pool = make_pool(name="Part", percentage="40.00")
    allocation = services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount="100.00",
        actor=staff_users["marketing_admin"],
        reason="test",
    )
    draft = draft_request(alice, allocation, event_type, amount="10.00")
    with pytest.raises(ValidationError) as excinfo:
        services.request_update(fund_request=draft, actor=alice.marketer, requested_amount="0.01")
    assert "rounds to nothing" in excinfo.value.message_dict["requested_amount"][0]


def test_only_drafts_can_be_changed(alice, allocation, event_type, staff_users):
    submitted = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=submitted, actor=alice.marketer)
    approved = approved_request(alice, allocation, event_type, staff_users)
    cancelled = services.request_cancel(
        fund_request=draft_request(alice, allocation, event_type), actor=alice.marketer
    )
    for fund_request in (submitted, approved, cancelled):
        with pytest.raises(ValidationError) as excinfo:
            services.request_update(fund_request=fund_request, actor=alice.admin, title="New")
        assert excinfo.value.message_dict == {"status": ["Only a draft can be changed."]}
        assert fresh(fund_request).title == "Partner summit booth"


def test_partner_allocation_and_state_cannot_be_changed(alice, bob, allocation, event_type):
    draft = draft_request(alice, allocation, event_type)
    with pytest.raises(ValidationError) as excinfo:
        services.request_update(
            fund_request=draft,
            actor=alice.admin,
            partner=bob.partner,
            allocation=None,
            status="approved",
        )
    assert error_keys(excinfo) == {"partner", "allocation", "status"}
    stored = fresh(draft)
    assert (stored.partner_id, stored.status) == (alice.partner.pk, "draft")


def test_staff_drafting_for_a_partner_is_recorded_as_on_its_behalf(
    alice, allocation, event_type, staff_users
):
    manager = staff_users["channel_manager"]
    draft = draft_request(alice, allocation, event_type, actor=manager)
    services.request_update(fund_request=draft, actor=manager, title="Booth, revised")
    assert [e.action for e in events(request=draft)] == ["created_on_behalf", "edited"]
    # …and, having drafted it, the channel manager may not decide it.
    services.request_submit(fund_request=draft, actor=alice.marketer)
    assert not services.can_decide_request(fresh(draft), manager)


# --- services: claims -----------------------------------------------------------------


def test_a_draft_claim_changes_amount_and_results(
    alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="400.00", actor=alice.marketer
        )
        services.claim_update(
            claim=claim,
            actor=alice.admin,
            amount="650.00",
            actual_leads=22,
            actual_pipeline="12000",
            results_note="  Full room  ",
        )
    stored = fresh(claim)
    assert (stored.amount, stored.actual_leads, stored.actual_pipeline) == (
        D("650.00"),
        22,
        D("12000.00"),
    )
    assert stored.results_note == "Full room"
    [event] = events(claim=claim, action="edited")
    assert "Claimed amount: 400.00 EUR → 650.00 EUR" in event.note_text
    assert "Results changed" in event.note_text


def test_a_claim_edit_keeps_within_what_is_claimable(
    alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="1000.00")
    with after_activity(fund_request):
        submitted_claim(alice, fund_request, proof_kinds, amount="700.00")
        claim = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        with pytest.raises(ValidationError) as excinfo:
            services.claim_update(claim=claim, actor=alice.marketer, amount="300.01")
        assert "claimable: 300.00 EUR" in excinfo.value.message_dict["amount"][0]
        services.claim_update(claim=claim, actor=alice.marketer, amount="300.00")
        with pytest.raises(ValidationError) as excinfo:
            services.claim_update(claim=claim, actor=alice.marketer, actual_leads=-3)
        assert error_keys(excinfo) == {"actual_leads"}
    assert fresh(claim).amount == D("300.00")


def test_a_returned_claim_can_change_within_its_own_reservation(
    alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="1000.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, amount="1000.00")
        services.claim_decide(
            claim=claim, actor=staff_users["finance_approver"], decision="return", note="Photo?"
        )
        # its own 1,000.00 does not count against itself
        services.claim_update(claim=claim, actor=alice.marketer, amount="900.00")
        assert fresh(claim).status == "returned"
        resubmitted = services.claim_submit(claim=claim, actor=alice.marketer)
    assert (resubmitted.status, resubmitted.amount) == ("submitted", D("900.00"))


def test_submitted_or_late_claims_cannot_change(
    alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, amount="500.00")
        with pytest.raises(ValidationError) as excinfo:
            services.claim_update(claim=claim, actor=alice.marketer, amount="400.00")
        assert error_keys(excinfo) == {"status"}
        draft = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        with pytest.raises(ValidationError) as excinfo:
            services.claim_update(claim=draft, actor=alice.marketer, status="approved")
        assert error_keys(excinfo) == {"status"}
    late = (fund_request.allocation.pool.claim_deadline - fund_request.activity_end).days + 1
    with after_activity(fund_request, days=late), pytest.raises(ValidationError) as excinfo:
        services.claim_update(claim=draft, actor=alice.marketer, amount="50.00")
    assert "claim deadline" in excinfo.value.message_dict["amount"][0]
    assert fresh(draft).amount == D("100.00")


# --- services: removing proof -----------------------------------------------------------


def attached(claim, actor, name="wrong.pdf"):
    kind = services.required_proof(claim)[0]
    return services.claim_attach_proof(
        claim=claim, proof_kind=kind, upload=upload(name, pdf_bytes()), actor=actor
    )


def test_removing_proof_deletes_the_row_now_and_the_file_after_commit(
    alice, allocation, ads_type, staff_users, proof_kinds, django_capture_on_commit_callbacks
):
    fund_request = approved_request(alice, allocation, ads_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        proof = attached(claim, alice.marketer)
        name = proof.file.name
        with django_capture_on_commit_callbacks() as callbacks:
            services.claim_remove_proof(proof=proof, actor=alice.admin)
            with scopes_disabled():
                assert not ClaimProof.objects.filter(pk=proof.pk).exists()
            assert default_storage.exists(name)  # not before the commit
        for callback in callbacks:
            callback()
    assert not default_storage.exists(name)
    [event] = events(claim=claim, action="proof_removed")
    assert (event.actor, event.note) == (alice.admin, "Invoice: wrong.pdf")
    assert [kind.slug for kind in services.missing_proof(fresh(claim))] == ["invoice"]


def test_a_rolled_back_removal_keeps_row_and_file(
    alice, allocation, ads_type, staff_users, proof_kinds, django_capture_on_commit_callbacks
):
    fund_request = approved_request(alice, allocation, ads_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        proof = attached(claim, alice.marketer)
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            services.claim_remove_proof(proof=proof, actor=alice.admin)
            raise RuntimeError("something after the removal failed")
    assert callbacks == []
    assert default_storage.exists(proof.file.name)
    with scopes_disabled():
        assert ClaimProof.objects.filter(pk=proof.pk).exists()


def test_proof_of_a_submitted_claim_cannot_be_removed(
    alice, allocation, ads_type, staff_users, proof_kinds, django_capture_on_commit_callbacks
):
    fund_request = approved_request(alice, allocation, ads_type, staff_users)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, amount="100.00")
    with scopes_disabled():
        proof = claim.proofs.get()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as excinfo,
    ):
        services.claim_remove_proof(proof=proof, actor=alice.admin)
    assert error_keys(excinfo) == {"status"}
    assert default_storage.exists(proof.file.name)
    assert events(claim=claim, action="proof_removed") == []


def test_removing_an_already_removed_file_is_a_field_error(
    alice, allocation, ads_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, ads_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        proof = attached(claim, alice.marketer)
        services.claim_remove_proof(proof=proof, actor=alice.admin)
        with pytest.raises(ValidationError) as excinfo:
            services.claim_remove_proof(proof=proof, actor=alice.admin)
    assert error_keys(excinfo) == {"proof"}


# --- portal: requests -----------------------------------------------------------------


def edit_form(fund_request, event_type, **overrides) -> dict:
    data = {
        "activity_type": event_type.pk,
        "title": fund_request.title,
        "description": fund_request.description,
        "activity_start": fund_request.activity_start.isoformat(),
        "activity_end": fund_request.activity_end.isoformat(),
        "requested_amount": f"{fund_request.requested_amount}",
        "expected_leads": "40",
        "expected_pipeline": "",
        "save": "1",
    }
    data.update(overrides)
    return data


def test_a_draft_is_edited_from_its_page(client, alice, allocation, event_type):
    # given
    draft = draft_request(alice, allocation, event_type)
    client.force_login(alice.marketer)
    detail = text(client.get(url("request_detail", draft)))
    assert url("request_edit", draft) in detail

    # when: the form comes filled in, the fund is shown but not offered
    page = client.get(url("request_edit", draft))
    body = text(page)
    assert page.status_code == 200
    assert "Change “Partner summit booth”" in body
    assert 'value="Partner summit booth"' in body
    assert f'value="{draft.activity_start.isoformat()}"' in body
    assert 'name="allocation"' not in body and "FY27 H1" in body
    response = client.post(
        url("request_edit", draft),
        edit_form(draft, event_type, title="Summit booth and demo", requested_amount="1,400"),
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == url("request_detail", draft)
    stored = fresh(draft)
    assert (stored.title, stored.requested_amount, stored.status) == (
        "Summit booth and demo",
        D("1400.00"),
        "draft",
    )
    after = text(client.get(response["Location"]))
    assert "Your changes were saved." in after
    assert "Changed" in after and "1,000.00 EUR → 1,400.00 EUR" in after  # the history


def test_edit_and_submit_is_all_or_nothing(client, alice, allocation, event_type):
    draft = draft_request(alice, allocation, event_type)
    client.force_login(alice.admin)
    today = timezone.localdate()
    refused = client.post(
        url("request_edit", draft),
        edit_form(
            draft,
            event_type,
            title="Too late now",
            activity_start=today.isoformat(),
            activity_end=today.isoformat(),
            save="",
            submit="1",
        ),
    )
    assert refused.status_code == 400
    assert "Requests must be submitted before the activity starts." in text(refused)
    stored = fresh(draft)
    assert (stored.title, stored.status) == ("Partner summit booth", "draft")

    ok = client.post(url("request_edit", draft), edit_form(draft, event_type, submit="1"))
    assert ok.status_code == 302
    assert fresh(draft).status == "submitted"


def test_field_errors_show_on_the_edit_form(client, alice, allocation, event_type):
    draft = draft_request(alice, allocation, event_type)
    client.force_login(alice.marketer)
    response = client.post(
        url("request_edit", draft),
        edit_form(
            draft,
            event_type,
            activity_end=(draft.activity_start - timedelta(days=1)).isoformat(),
            requested_amount="12.345",
        ),
    )
    assert response.status_code == 400
    body = text(response)
    assert "The activity cannot end before it starts." in body
    assert "Use at most two decimals" in body
    assert events(request=draft, action="edited") == []


def test_a_submitted_request_offers_no_edit(client, alice, allocation, event_type):
    fund_request = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    client.force_login(alice.marketer)
    assert url("request_edit", fund_request) not in text(
        client.get(url("request_detail", fund_request))
    )
    page = client.get(url("request_edit", fund_request))
    assert page.status_code == 200
    assert "cannot be changed any more" in text(page)
    assert 'name="title"' not in text(page)
    refused = client.post(
        url("request_edit", fund_request), edit_form(fund_request, event_type, title="X")
    )
    assert refused.status_code == 400
    assert fresh(fund_request).title == "Partner summit booth"


def test_sales_and_other_partners_cannot_edit(client, alice, bob, allocation, event_type):
    draft = draft_request(alice, allocation, event_type)
    client.force_login(alice.sales)
    assert client.get(url("request_edit", draft)).status_code == 403
    assert url("request_edit", draft) not in text(client.get(url("request_detail", draft)))
    client.force_login(bob.admin)
    assert client.get(url("request_edit", draft)).status_code == 404
    assert (
        client.post(
            url("request_edit", draft), edit_form(draft, event_type, title="Bob")
        ).status_code
        == 404
    )
    assert fresh(draft).title == "Partner summit booth"


# --- portal: claims and proof -----------------------------------------------------------


def test_a_claim_is_edited_from_its_page(
    client, alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, amount="800.00")
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="500.00", actor=alice.marketer
        )
        client.force_login(alice.marketer)
        assert url("claim_edit", claim) in text(client.get(url("claim_detail", claim)))
        page = text(client.get(url("claim_edit", claim)))
        assert 'value="500.00"' in page and "800.00 EUR" in page  # claimable
        too_much = client.post(url("claim_edit", claim), {"amount": "800.01"})
        assert too_much.status_code == 400
        assert "More than is still claimable on this request" in text(too_much)
        response = client.post(
            url("claim_edit", claim),
            {"amount": "750", "actual_leads": "31", "results_note": "Good turnout"},
        )
    assert response.status_code == 302
    assert response["Location"] == url("claim_detail", claim)
    stored = fresh(claim)
    assert (stored.amount, stored.actual_leads, stored.results_note) == (
        D("750.00"),
        31,
        "Good turnout",
    )


def test_a_submitted_claim_offers_no_edit_and_no_removal(
    client, alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, amount="500.00")
        client.force_login(alice.admin)
        body = text(client.get(url("claim_detail", claim)))
        with scopes_disabled():
            proof = claim.proofs.first()
        assert url("claim_edit", claim) not in body
        assert url("proof_remove", proof) not in body
        assert "cannot be changed any more" in text(client.get(url("claim_edit", claim)))
        assert client.post(url("claim_edit", claim), {"amount": "10"}).status_code == 400
        assert "cannot be changed any more" in text(client.get(url("proof_remove", proof)))
        refused = client.post(url("proof_remove", proof), follow=True)
    assert "Not removed: Proof can only be removed from a draft or returned claim." in text(refused)
    assert fresh(claim).amount == D("500.00")
    with scopes_disabled():
        assert ClaimProof.objects.filter(pk=proof.pk).exists()


def test_a_wrong_proof_file_is_removed_after_confirming(
    client,
    alice,
    allocation,
    event_type,
    staff_users,
    proof_kinds,
    django_capture_on_commit_callbacks,
):
    # given: a returned claim with every proof, one of them wrong
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, amount="500.00")
        services.claim_decide(
            claim=claim,
            actor=staff_users["finance_approver"],
            decision="return",
            note="Wrong photo",
        )
        with scopes_disabled():
            photo = claim.proofs.get(proof_kind__slug="photo")
        client.force_login(alice.marketer)
        detail = text(client.get(url("claim_detail", claim)))
        assert url("proof_remove", photo) in detail

        # when: the link asks first…
        confirm = client.get(url("proof_remove", photo))
        body = text(confirm)
        assert confirm.status_code == 200
        assert "Remove “booth.png”?" in body
        assert "It is the only “Photo” file" in body
        assert 'method="post"' in body
        # …and the POST removes it
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url("proof_remove", photo))

    # then
    assert response.status_code == 302
    assert response["Location"] == url("claim_detail", claim)
    assert not default_storage.exists(photo.file.name)
    with scopes_disabled():
        assert not ClaimProof.objects.filter(pk=photo.pk).exists()
    with after_activity(fund_request):
        after = text(client.get(response["Location"]))
    assert "“booth.png” was removed." in after
    assert "Proof removed" in after  # the history
    assert "You can submit once this is uploaded: <strong>Photo</strong>." in after


def test_proof_removal_is_for_acting_users_of_the_owner_only(
    client, alice, bob, allocation, ads_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, ads_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(
            fund_request=fund_request, amount="100.00", actor=alice.marketer
        )
        proof = attached(claim, alice.marketer)
        client.force_login(alice.sales)
        assert client.get(url("proof_remove", proof)).status_code == 403
        assert client.post(url("proof_remove", proof)).status_code == 403
        assert url("proof_remove", proof) not in text(client.get(url("claim_detail", claim)))
        client.force_login(bob.admin)
        assert client.get(url("proof_remove", proof)).status_code == 404
        assert client.post(url("proof_remove", proof)).status_code == 404
        assert client.get(url("claim_edit", claim)).status_code == 404
    with scopes_disabled():
        assert ClaimProof.objects.filter(pk=proof.pk).exists()


# --- portal: the overview's period --------------------------------------------------------


def allocate(pool, alice, staff_users, amount):
    return services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount=amount,
        actor=staff_users["marketing_admin"],
        reason="test",
    )


def figure(body: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">\s*([^<]+?)\s*<', body)
    assert match, name
    return match.group(1)


def test_the_overview_headline_covers_open_pools_unless_all_periods_are_asked(
    client, alice, staff_users
):
    # given: an open pool, one past its claim deadline, one rolled over early
    today = timezone.localdate()
    allocate(make_pool(name="FY27 H1"), alice, staff_users, "10000.00")
    closed = make_pool(
        name="FY26 H2",
        request_deadline=today - timedelta(days=60),
        claim_deadline=today - timedelta(days=1),
    )
    allocate(closed, alice, staff_users, "3000.00")
    rolled = make_pool(name="FY26 Q4")
    allocate(rolled, alice, staff_users, "500.00")
    FundPool.objects.filter(pk=rolled.pk).update(rolled_over_at=timezone.now())
    client.force_login(alice.marketer)

    # when / then: by default, the current period only
    response = client.get(OVERVIEW)
    current = text(response)
    assert figure(current, "allocated") == "10,000.00 EUR"
    assert figure(current, "available") == "10,000.00 EUR"
    assert 'data-period="current"' in current
    assert (
        "Current period: the figures below cover your open funds (FY27 H1); funds whose "
        "claim deadline has passed are left out." in words(response)
    )
    assert f'href="{OVERVIEW}?period=all"' in current
    cards = re.findall(r'<h3 id="allocation-[^"]+"[^>]*>(.*?)</h3>', current)
    assert len(cards) == 3  # every pool keeps its card, the closed ones marked
    assert {re.sub(r"<[^>]+>", "", card).strip() for card in cards} == {
        "FY27 H1",
        "FY26 H2 closed",
        "FY26 Q4 closed",
    }

    # and every period on request
    response = client.get(OVERVIEW, {"period": "all"})
    every = text(response)
    assert figure(every, "allocated") == "13,500.00 EUR"
    assert "All periods: the figures below add up every fund allocated to you" in words(response)
    assert 'aria-current="page">All periods' in every


def test_without_an_open_pool_the_overview_says_so(client, alice, staff_users):
    today = timezone.localdate()
    closed = make_pool(
        name="FY26 H2",
        request_deadline=today - timedelta(days=60),
        claim_deadline=today - timedelta(days=1),
    )
    allocate(closed, alice, staff_users, "3000.00")
    client.force_login(alice.admin)
    body = text(client.get(OVERVIEW))
    assert "No fund is open right now" in body
    assert "You have no marketing funds yet" not in body
    assert 'data-figure="allocated"' not in body
    assert figure(text(client.get(OVERVIEW, {"period": "all"})), "allocated") == "3,000.00 EUR"


def test_unknown_period_values_mean_the_current_period(client, alice, allocation):
    client.force_login(alice.admin)
    response = client.get(OVERVIEW, {"period": "everything"})
    body = text(response)
    assert 'data-period="current"' in body
    assert figure(body, "allocated") == "10,000.00 EUR"
    # one open pool and no closed one: the figures say so, without a toggle
    assert "Current period: the figures below cover your open funds (FY27 H1)." in words(response)
    assert "?period=all" not in body
