"""MDF rules, money movements and the ledger, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import services
from mdf.models import Allocation, Claim, FundPool, FundRequest, LedgerEntry, MDFEvent
from mdf.notifications import send_pending_decision_emails
from mdf.reconcile import reconcile
from tests.conftest import skip_or_fail
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
    thirds_allocation,
    upload,
)
from tests.mdf.test_api import stored_files

pytestmark = pytest.mark.django_db


def buckets(allocation):
    a = fresh(allocation)
    return {
        "allocated": a.allocated,
        "committed": a.committed,
        "spent": a.spent,
        "paid": a.paid,
        "expired": a.expired,
        "available": a.available,
    }


def field_error(exc_info, field):
    return " ".join(exc_info.value.message_dict[field])


# --- allocations -------------------------------------------------------------------


def test_allocation_cannot_exceed_the_pool(pool, alice, bob, staff_users):
    actor = staff_users["marketing_admin"]
    services.allocation_create(
        pool=pool, partner=alice.partner, amount="60000", actor=actor, reason="Gold"
    )
    with pytest.raises(ValidationError) as exc_info:
        services.allocation_create(
            pool=pool, partner=bob.partner, amount="40000.01", actor=actor, reason="Silver"
        )
    assert "unallocated: 40,000.00 EUR" in field_error(exc_info, "amount")
    assert fresh(pool).allocated == D("60000.00")
    assert reconcile() == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "greater than zero"),
        ("0", "greater than zero"),
        ("0.001", "two decimals"),
        ("ten", "like 1250.00"),
        (12.5, "not floating-point"),
        ("NaN", "like 1250.00"),
        ("12,5", "point for decimals"),  # a decimal comma is not read as 125
    ],
)
def test_bad_amounts_name_the_field_and_move_nothing(pool, alice, staff_users, amount, message):
    with pytest.raises(ValidationError) as exc_info:
        services.allocation_create(
            pool=pool,
            partner=alice.partner,
            amount=amount,
            actor=staff_users["marketing_admin"],
            reason="x",
        )
    assert message in field_error(exc_info, "amount")
    with scopes_disabled():
        assert not LedgerEntry.objects.exists()


def test_bulk_allocation_by_tier_is_all_or_nothing(pool, alice, bob, tiers, staff_users):
    actor = staff_users["marketing_admin"]
    created = services.allocations_bulk_by_tier(
        pool=pool,
        amounts={tiers["gold"]: "5000", tiers["silver"]: "2000"},
        actor=actor,
        reason="H1 by tier",
    )
    assert {(a.partner.slug, a.allocated) for a in created} == {
        ("alice", D("5000.00")),
        ("bob", D("2000.00")),
    }
    with pytest.raises(ValidationError) as exc_info:
        services.allocations_bulk_by_tier(
            pool=pool,
            amounts={tiers["gold"]: "95000", tiers["silver"]: "1"},
            actor=actor,
            reason="too much",
        )
    assert "need 95,001.00 EUR; the pool has 93,000.00 EUR left" in field_error(exc_info, "amount")
    assert fresh(pool).allocated == D("7000.00")
    assert reconcile() == []


# --- requests ----------------------------------------------------------------------


def test_approval_commits_the_fund_share(allocation, alice, event_type, staff_users):
    approved_request(alice, allocation, event_type, staff_users, amount="2500.00")
    assert buckets(allocation) == {
        "allocated": D("10000.00"),
        "committed": D("2500.00"),
        "spent": D("0.00"),
        "paid": D("0.00"),
        "expired": D("0.00"),
        "available": D("7500.00"),
    }
    assert reconcile() == []


def test_partial_approval_and_the_partner_is_told(allocation, alice, event_type, staff_users):
    fund_request = draft_request(alice, allocation, event_type, "3000.00")
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    decided = services.request_decide(
        fund_request=fund_request,
        actor=staff_users["channel_manager"],
        approve=True,
        approved_amount="1800.00",
        note="Booth only, no dinner",
    )
    assert send_pending_decision_emails() == 1
    assert (decided.status, decided.approved_amount, decided.commitment) == (
        "approved",
        D("1800.00"),
        D("1800.00"),
    )
    assert [sorted(m.to) for m in mail.outbox] == [
        sorted([alice.admin.email, alice.marketer.email])
    ]
    assert "Booth only, no dinner" in mail.outbox[0].body


def test_decision_needs_a_note(allocation, alice, event_type, staff_users):
    fund_request = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    with pytest.raises(ValidationError) as exc_info:
        services.request_decide(
            fund_request=fund_request,
            actor=staff_users["channel_manager"],
            approve=False,
            note="  ",
        )
    assert "note" in exc_info.value.message_dict
    assert fresh(fund_request).status == FundRequest.Status.SUBMITTED


def test_request_more_than_available_names_what_is(allocation, alice, event_type):
    fund_request = draft_request(alice, allocation, event_type, "10000.01")
    with pytest.raises(ValidationError) as exc_info:
        services.request_submit(fund_request=fund_request, actor=alice.marketer)
    assert "available: 10,000.00 EUR" in field_error(exc_info, "requested_amount")


def test_request_after_the_deadline_or_once_the_activity_started(
    pool, allocation, alice, event_type
):
    started = draft_request(alice, allocation, event_type, starts_in=0)
    with pytest.raises(ValidationError, match="before the activity starts"):
        services.request_submit(fund_request=started, actor=alice.marketer)
    late = draft_request(alice, allocation, event_type, starts_in=120)
    with (
        time_machine.travel(timezone.now() + timedelta(days=91), tick=False),
        pytest.raises(ValidationError, match="request deadline"),
    ):
        services.request_submit(fund_request=late, actor=alice.marketer)
    assert fresh(late).status == FundRequest.Status.DRAFT


def test_only_the_partners_channel_manager_decides(allocation, alice, event_type, staff_users):
    from partners import roles
    from tests.conftest import make_user

    other_manager = make_user("olga_channel", staff=True, role=roles.CHANNEL_MANAGER)
    fund_request = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    with pytest.raises(ValidationError, match="channel manager"):
        services.request_decide(
            fund_request=fund_request, actor=other_manager, approve=True, note="ok"
        )
    with pytest.raises(ValidationError, match="channel manager"):
        services.request_decide(
            fund_request=fund_request,
            actor=staff_users["finance_approver"],
            approve=True,
            note="ok",
        )


def test_separation_of_duties_on_behalf_submission(allocation, alice, event_type, staff_users):
    manager = staff_users["channel_manager"]
    fund_request = draft_request(alice, allocation, event_type, actor=manager)
    submitted = services.request_submit(fund_request=fund_request, actor=manager)
    assert submitted.on_behalf is True
    with pytest.raises(ValidationError, match="another person must decide"):
        services.request_decide(fund_request=fund_request, actor=manager, approve=True, note="ok")
    # A marketing admin may decide any request: the second pair of eyes.
    decided = services.request_decide(
        fund_request=fund_request,
        actor=staff_users["marketing_admin"],
        approve=True,
        note="Checked",
    )
    assert decided.status == FundRequest.Status.APPROVED
    with scopes_disabled():
        actions = list(decided.events.values_list("action", "actor__username"))
    assert ("submitted_on_behalf", "carl_channel") in actions
    assert ("approved", "maya_marketing") in actions


def test_above_the_threshold_finance_approves_too(allocation, alice, event_type, staff_users):
    fund_request = draft_request(alice, allocation, event_type, "6000.00")
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    step1 = services.request_decide(
        fund_request=fund_request,
        actor=staff_users["channel_manager"],
        approve=True,
        note="Strategic",
    )
    assert step1.status == FundRequest.Status.AWAITING_FINANCE
    assert buckets(allocation)["committed"] == D("0.00")
    with pytest.raises(ValidationError, match="finance approver"):
        services.request_decide(
            fund_request=fund_request,
            actor=staff_users["channel_manager"],
            approve=True,
            note="again",
        )
    step2 = services.request_decide(
        fund_request=fund_request,
        actor=staff_users["finance_approver"],
        approve=True,
        approved_amount="5500.00",
        note="Capped",
    )
    assert (step2.status, step2.commitment) == (FundRequest.Status.APPROVED, D("5500.00"))
    assert step2.manager_note == "Strategic" and step2.finance_note == "Capped"
    assert buckets(allocation)["committed"] == D("5500.00")
    assert reconcile() == []


# --- claims --------------------------------------------------------------------------


def test_claim_life_cycle_spend_and_pay(allocation, alice, event_type, proof_kinds, staff_users):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "2000.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "1500.00")
        finance = staff_users["finance_approver"]
        approved = services.claim_decide(
            claim=claim,
            actor=finance,
            decision="approve",
            approved_amount="1200.00",
            note="One invoice missing",
        )
        assert (approved.approved_amount, approved.reimbursement) == (D("1200.00"), D("1200.00"))
        assert buckets(allocation) | {} == {
            "allocated": D("10000.00"),
            "committed": D("800.00"),
            "spent": D("1200.00"),
            "paid": D("0.00"),
            "expired": D("0.00"),
            "available": D("8000.00"),
        }
        paid = services.claim_record_payment(
            claim=claim, actor=finance, paid_at=timezone.localdate(), reference="PAY-778"
        )
        assert paid.status == Claim.Status.PAID
        assert buckets(allocation)["paid"] == D("1200.00")
    assert reconcile() == []


def test_claim_needs_every_required_proof(allocation, alice, event_type, proof_kinds, staff_users):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(fund_request=fund_request, amount="500", actor=alice.admin)
        services.claim_attach_proof(
            claim=claim,
            proof_kind=proof_kinds["invoice"],
            upload=upload("inv.pdf", pdf_bytes()),
            actor=alice.admin,
        )
        with pytest.raises(ValidationError) as exc_info:
            services.claim_submit(claim=claim, actor=alice.admin)
        assert "Attendee list, Photo" in field_error(exc_info, "file")
        assert fresh(claim).status == Claim.Status.DRAFT


def test_proof_files_are_checked_by_content(
    allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(fund_request=fund_request, amount="500", actor=alice.admin)
        with pytest.raises(ValidationError) as exc_info:
            services.claim_attach_proof(
                claim=claim,
                proof_kind=proof_kinds["invoice"],
                upload=upload("invoice.pdf", b"MZ\x90\x00" + b"\0" * 64),
                actor=alice.admin,
            )
        assert "executable" in field_error(exc_info, "file")
        with scopes_disabled():
            assert not claim.proofs.exists()


def test_claims_only_after_the_activity_and_before_the_deadline(
    pool, allocation, alice, event_type, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with pytest.raises(ValidationError, match="once the activity has ended"):
        services.claim_create(fund_request=fund_request, amount="100", actor=alice.admin)
    with (
        time_machine.travel(timezone.now() + timedelta(days=181), tick=False),
        pytest.raises(ValidationError, match="claim deadline"),
    ):
        services.claim_create(fund_request=fund_request, amount="100", actor=alice.admin)


def test_claims_cannot_exceed_the_request(allocation, alice, event_type, proof_kinds, staff_users):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "1000.00")
    with after_activity(fund_request):
        submitted_claim(alice, fund_request, proof_kinds, "700.00")
        with pytest.raises(ValidationError) as exc_info:
            services.claim_create(fund_request=fund_request, amount="300.01", actor=alice.admin)
        assert "claimable: 300.00 EUR" in field_error(exc_info, "amount")
        # A draft that fitted when created is checked again at submission.
        draft = services.claim_create(fund_request=fund_request, amount="300.00", actor=alice.admin)
        other = services.claim_create(fund_request=fund_request, amount="200.00", actor=alice.admin)
        full_proof(other, proof_kinds, alice.admin)
        services.claim_submit(claim=other, actor=alice.admin)
        full_proof(draft, proof_kinds, alice.admin)
        with pytest.raises(ValidationError, match="claimable: 100.00 EUR"):
            services.claim_submit(claim=draft, actor=alice.admin)


def test_returned_claim_gets_more_proof_and_is_resubmitted(
    allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    finance = staff_users["finance_approver"]
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "900.00")
        returned = services.claim_decide(
            claim=claim, actor=finance, decision="return", note="Photo is blurry"
        )
        assert (returned.status, returned.times_returned) == ("returned", 1)
        services.claim_attach_proof(
            claim=claim,
            proof_kind=proof_kinds["photo"],
            upload=upload("sharp.png", png_bytes()),
            actor=alice.marketer,
        )
        resubmitted = services.claim_submit(claim=claim, actor=alice.marketer)
        assert resubmitted.status == Claim.Status.SUBMITTED
        services.claim_decide(claim=claim, actor=finance, decision="reject", note="Not eligible")
    assert buckets(allocation)["committed"] == D("1000.00")  # still committed to the request
    assert buckets(allocation)["spent"] == D("0.00")


def test_finance_cannot_decide_its_own_claim(
    allocation, alice, event_type, proof_kinds, staff_users
):
    finance = staff_users["finance_approver"]
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = services.claim_create(fund_request=fund_request, amount="100", actor=finance)
        full_proof(claim, proof_kinds, finance)
        services.claim_submit(claim=claim, actor=finance)
        with pytest.raises(ValidationError, match="another person must decide"):
            services.claim_decide(claim=claim, actor=finance, decision="approve", note="ok")
        with pytest.raises(ValidationError, match="finance approver"):
            services.claim_decide(
                claim=claim, actor=staff_users["channel_manager"], decision="approve", note="ok"
            )


@pytest.mark.parametrize(
    ("percentage", "cost", "expected"),
    [
        ("50.00", "1000.01", "500.01"),  # 500.005 rounds half-up
        ("33.33", "100.00", "33.33"),
        ("75.00", "0.03", "0.02"),  # 0.0225 → 0.02
        ("100.00", "1234.56", "1234.56"),
    ],
)
def test_reimbursement_rounds_half_up_to_the_cent(
    alice, event_type, proof_kinds, staff_users, percentage, cost, expected
):
    pool = make_pool(name=f"P{percentage}", percentage=percentage)
    allocation = services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount="5000",
        actor=staff_users["marketing_admin"],
        reason="x",
    )
    fund_request = approved_request(alice, allocation, event_type, staff_users, cost)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, cost)
        approved = services.claim_decide(
            claim=claim, actor=staff_users["finance_approver"], decision="approve", note="ok"
        )
    assert approved.reimbursement == D(expected)
    assert fresh(allocation).spent == D(expected)
    assert fresh(fund_request).status == FundRequest.Status.CLOSED
    assert fresh(allocation).committed == D("0.00")
    assert reconcile() == []


def test_split_claims_never_spend_more_than_was_committed(
    alice, event_type, proof_kinds, staff_users
):
    allocation = thirds_allocation(alice, staff_users)
    fund_request = approved_request(alice, allocation, event_type, staff_users, "100.00")
    assert fresh(fund_request).commitment == D("33.33")
    finance = staff_users["finance_approver"]
    statuses = []
    with after_activity(fund_request):
        for cost in ("50.00", "50.00"):  # 16.665 → 16.67 twice would be 33.34
            claim = submitted_claim(alice, fund_request, proof_kinds, cost)
            services.claim_decide(claim=claim, actor=finance, decision="approve", note="ok")
            statuses.append(fresh(fund_request).status)
    # Half claimed: still open; both halves approved: fully claimed, closed.
    assert statuses == [FundRequest.Status.APPROVED, FundRequest.Status.CLOSED]
    assert fresh(allocation).spent == D("33.33")
    assert reconcile() == []


# --- deadlines and roll-over --------------------------------------------------------


def test_unused_money_expires_after_the_claim_deadline(
    pool, allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "1000.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "400.00")
        services.claim_decide(
            claim=claim, actor=staff_users["finance_approver"], decision="approve", note="ok"
        )
    with time_machine.travel(timezone.now() + timedelta(days=181), tick=False):
        moved = services.pool_roll_over(pool=fresh(pool))
        again = services.pool_roll_over(pool=fresh(pool))
    assert moved == {"released": D("600.00"), "expired": D("9600.00"), "carried_over": D("0")}
    assert again == {"released": D("0"), "expired": D("0"), "carried_over": D("0")}
    assert buckets(allocation) == {
        "allocated": D("10000.00"),
        "committed": D("0.00"),
        "spent": D("400.00"),
        "paid": D("0.00"),
        "expired": D("9600.00"),
        "available": D("0.00"),
    }
    assert fresh(fund_request).status == FundRequest.Status.CLOSED
    assert fresh(pool).rolled_over_at is not None
    assert reconcile() == []


def test_carry_over_moves_money_into_the_next_pool(alice, staff_users):
    next_pool = make_pool(name="FY27 H2", total="50000")
    pool = make_pool(
        name="FY27 H1b", rollover_policy=FundPool.Rollover.CARRY_OVER, rollover_pool=next_pool
    )
    allocation = services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount="3000",
        actor=staff_users["marketing_admin"],
        reason="x",
    )
    with time_machine.travel(timezone.now() + timedelta(days=181), tick=False):
        moved = services.pool_roll_over(pool=pool)
    assert moved["carried_over"] == D("3000.00")
    assert fresh(allocation).carried_over == D("3000.00")
    with scopes_disabled():
        carried = Allocation.objects.get(pool=next_pool, partner=alice.partner)
    assert carried.available == D("3000.00")
    assert fresh(next_pool).total == D("53000.00")
    assert reconcile() == []


def test_pending_claims_hold_their_money_past_the_deadline(
    pool, allocation, alice, event_type, proof_kinds, staff_users
):
    fund_request = approved_request(alice, allocation, event_type, staff_users, "1000.00")
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "1000.00")
    with time_machine.travel(timezone.now() + timedelta(days=181), tick=False):
        services.pool_roll_over(pool=pool)
        assert fresh(pool).rolled_over_at is None
        assert buckets(allocation)["committed"] == D("1000.00")
        services.claim_decide(
            claim=claim,
            actor=staff_users["finance_approver"],
            decision="approve",
            note="late but valid",
        )
        services.pool_roll_over(pool=pool)
    assert fresh(pool).rolled_over_at is not None
    assert buckets(allocation)["spent"] == D("1000.00")
    assert buckets(allocation)["expired"] == D("9000.00")
    assert reconcile() == []


def test_an_approval_that_does_not_fit_leaves_the_request_undecided(
    alice, allocation, event_type, staff_users
):
    manager = staff_users["channel_manager"]
    requests = [
        draft_request(alice, allocation, event_type, amount=amount)
        for amount in ("4000.00", "4000.00", "3000.00")
    ]
    for fund_request in requests:
        services.request_submit(fund_request=fund_request, actor=alice.marketer)
    *fitting, other = requests
    for fund_request in fitting:
        services.request_decide(fund_request=fund_request, actor=manager, approve=True, note="ok")

    with pytest.raises(ValidationError) as refused:
        services.request_decide(fund_request=other, actor=manager, approve=True, note="ok")

    assert "2,000.00" in str(refused.value.message_dict["approved_amount"])
    other = fresh(other)
    assert other.status == FundRequest.Status.SUBMITTED
    assert other.manager_decided_by_id is None
    with scopes_disabled():
        assert not MDFEvent.objects.filter(request=other, action__startswith="approved").exists()


def test_more_than_available_names_the_funds_share_when_the_fund_pays_part(
    alice, event_type, staff_users
):
    """The check is on the fund's share, not the cost: at 50 % the message says both."""
    half = services.allocation_create(
        pool=make_pool(name="Half", currency="USD", percentage="50.00", threshold="1000000"),
        partner=alice.partner,
        amount="9250.00",
        actor=staff_users["marketing_admin"],
        reason="x",
    )
    too_big = draft_request(alice, half, event_type, amount="1000000.00")

    with pytest.raises(ValidationError) as refused:
        services.request_submit(fund_request=too_big, actor=alice.marketer)

    assert refused.value.message_dict["requested_amount"] == [
        "The fund would pay 500,000.00 USD at 50 %; available: 9,250.00 USD"
    ]
    assert fresh(too_big).status == FundRequest.Status.DRAFT


def test_an_approval_refused_for_the_funds_share_says_what_the_fund_would_pay(
    alice, event_type, staff_users
):
    half = services.allocation_create(
        pool=make_pool(name="Half", currency="USD", percentage="50.00", threshold="1000000"),
        partner=alice.partner,
        amount="3000.00",
        actor=staff_users["marketing_admin"],
        reason="x",
    )
    manager = staff_users["channel_manager"]
    first, second = (draft_request(alice, half, event_type, amount="4000.00") for _ in "ab")
    for fund_request in (first, second):
        services.request_submit(fund_request=fund_request, actor=alice.marketer)
    services.request_decide(fund_request=first, actor=manager, approve=True, note="ok")

    with pytest.raises(ValidationError) as refused:
        services.request_decide(fund_request=second, actor=manager, approve=True, note="ok")

    assert refused.value.message_dict["approved_amount"] == [
        "The fund would pay 2,000.00 USD at 50 %; available: 1,000.00 USD"
    ]
    assert fresh(second).status == FundRequest.Status.SUBMITTED


# --- the ledger ---------------------------------------------------------------------


def test_the_database_refuses_update_and_delete_of_ledger_rows(allocation):
    with scopes_disabled():
        entry = LedgerEntry.objects.get(allocation=allocation)
    for statement in (
        "UPDATE mdf_ledgerentry SET amount = 1 WHERE id = %s",
        "DELETE FROM mdf_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    assert fresh(entry).amount == D("10000.00")


def test_the_database_refuses_a_second_entry_with_the_same_hash(allocation):
    """A row copied into the chain (same content, same hash) is refused outright."""
    with scopes_disabled():
        entry = LedgerEntry.objects.get(allocation=allocation)
    copy = LedgerEntry(
        **{
            f.attname: getattr(entry, f.attname)
            for f in LedgerEntry._meta.concrete_fields
            if not f.primary_key
        }
    )
    copy.seq = entry.seq + 1
    with pytest.raises(IntegrityError, match="entry_hash"), transaction.atomic():
        copy.save(force_insert=True)
    with scopes_disabled():
        assert LedgerEntry.objects.filter(allocation=allocation).count() == 1


def test_a_row_changed_behind_our_back_is_named_by_reconcile(
    allocation, alice, event_type, staff_users
):
    if connection.vendor != "postgresql":
        skip_or_fail("switching the trigger off is PostgreSQL DDL")
    approved_request(alice, allocation, event_type, staff_users, "1000.00")
    with scopes_disabled():
        commit = LedgerEntry.objects.get(allocation=allocation, kind="commit")
    with connection.cursor() as cursor:
        # Someone with DDL rights edits the ledger with the guard switched off.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE mdf_ledgerentry DISABLE TRIGGER mdf_ledger_append_only")
        cursor.execute(
            "UPDATE mdf_ledgerentry SET amount = 10, d_committed = 10 WHERE id = %s", [commit.pk]
        )
        cursor.execute("ALTER TABLE mdf_ledgerentry ENABLE TRIGGER mdf_ledger_append_only")
    problems = reconcile()
    assert any(
        f"entry #{commit.seq} (id {commit.pk})" in p and "does not match its hash" in p
        for p in problems
    ), problems
    assert any(str(allocation.uuid) in p and "committed is 1000.00" in p for p in problems)


@pytest.mark.parametrize(
    ("amount", "message"),
    [("1e5000", "at most 999,999,999,999.99"), ("1e20", "at most"), ("1e-5000", "two decimals")],
)
def test_huge_and_tiny_exponents_are_field_errors(allocation, alice, event_type, amount, message):
    with pytest.raises(ValidationError) as exc_info:
        draft_request(alice, allocation, event_type, amount)
    assert message in field_error(exc_info, "requested_amount")


def test_a_share_that_rounds_to_nothing_is_refused(alice, event_type, staff_users):
    pool = make_pool(name="Thin", percentage="33.33")
    allocation = services.allocation_create(
        pool=pool,
        partner=alice.partner,
        amount="100",
        actor=staff_users["marketing_admin"],
        reason="x",
    )
    with pytest.raises(ValidationError) as exc_info:
        draft_request(alice, allocation, event_type, "0.01")
    assert "rounds to nothing" in field_error(exc_info, "requested_amount")


def test_request_text_is_checked(allocation, alice, event_type):
    start = timezone.localdate() + timedelta(days=5)
    with pytest.raises(ValidationError) as exc_info:
        services.request_create(
            partner=alice.partner,
            allocation=allocation,
            activity_type=event_type,
            title="x" * 201,
            description="",
            activity_start=start,
            activity_end=start,
            requested_amount="10",
            actor=alice.marketer,
            expected_leads=-1,
        )
    assert set(exc_info.value.message_dict) == {"title", "description", "expected_leads"}


def test_payment_dates_are_plausible(allocation, alice, event_type, proof_kinds, staff_users):
    finance = staff_users["finance_approver"]
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    with after_activity(fund_request):
        claim = submitted_claim(alice, fund_request, proof_kinds, "100.00")
        services.claim_decide(claim=claim, actor=finance, decision="approve", note="ok")
        today = timezone.localdate()
        with pytest.raises(ValidationError, match="in the future"):
            services.claim_record_payment(
                claim=claim, actor=finance, paid_at=today + timedelta(days=1), reference="P"
            )
        with pytest.raises(ValidationError, match="before the claim's approval"):
            services.claim_record_payment(
                claim=claim, actor=finance, paid_at=today - timedelta(days=1), reference="P"
            )
        assert fresh(claim).status == Claim.Status.APPROVED


def test_a_channel_manager_without_a_deciding_role_cannot_decide(
    allocation, alice, event_type, staff_users
):
    manager = staff_users["channel_manager"]
    manager.groups.clear()
    fund_request = draft_request(alice, allocation, event_type)
    services.request_submit(fund_request=fund_request, actor=alice.marketer)
    with pytest.raises(ValidationError, match="channel manager"):
        services.request_decide(fund_request=fund_request, actor=manager, approve=True, note="ok")


def test_pool_edits_keep_the_allocated_money(pool, allocation):
    with pytest.raises(ValidationError) as exc_info:
        services.pool_update(pool=pool, changes={"total": D("9999.99"), "currency": "USD"})
    assert "Already allocated: 10,000.00 EUR" in field_error(exc_info, "total")
    assert "cannot change" in field_error(exc_info, "currency")
    assert (fresh(pool).total, fresh(pool).currency) == (D("100000.00"), "EUR")
    services.pool_update(pool=pool, changes={"total": D("10000.00")})
    assert fresh(pool).total == D("10000.00")


# --- a claim with its files in one call ------------------------------------------------


def test_a_claim_with_files_is_all_or_nothing_and_leaves_no_file_behind(
    alice, allocation, event_type, staff_users, proof_kinds
):
    fund_request = approved_request(alice, allocation, event_type, staff_users)
    files = [
        (proof_kinds["invoice"], upload("invoice.pdf", pdf_bytes())),
        (proof_kinds["photo"], upload("booth.png", b"MZ\x90\x00 not a picture", "image/png")),
    ]

    with after_activity(fund_request):
        with pytest.raises(ValidationError) as refused:
            services.claim_create_with_proof(
                fund_request=fund_request, amount="900.00", actor=alice.marketer, proofs=files
            )
        assert set(refused.value.message_dict) == {"proof_photo"}  # the invoice was fine
        with pytest.raises(ValidationError) as missing:
            services.claim_create_with_proof(
                fund_request=fund_request,
                amount="900.00",
                actor=alice.marketer,
                proofs=files[:1],
                submit=True,
            )
        assert set(missing.value.message_dict) == {"proof_attendees", "proof_photo"}

    with scopes_disabled():
        assert not Claim.objects.exists()
    assert stored_files() == []  # the invoice stored before each refusal was deleted
