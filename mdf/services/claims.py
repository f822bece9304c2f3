"""Claims against approved requests: drafted after the activity, within what is
claimable and before the claim deadline, submitted once every required proof is there,
decided by finance (approve, partly approve, reject, return for more proof), then paid.
An approval spends the fund's share from the request's commitment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from mdf import clock, ledger, selectors
from mdf.models import ZERO, Claim, ClaimProof, FundRequest, LedgerEntry, ProofKind
from mdf.money import format_money, fund_share
from mdf.services.amounts import parse_amount
from mdf.services.decisions import (
    CLAIM_STATE_FIELDS,
    FINANCE_PERMISSION,
    REQUEST_STATE_FIELDS,
    check_not_own,
    release_commitment,
    require_note,
    take_open_commitment,
)
from mdf.services.edits import CLAIM_EDITABLE_FIELDS, refuse_unknown_changes, save_edit
from mdf.services.locking import lock_claim, lock_claim_and_request
from mdf.services.proof import PROOF_FIELD_PREFIX, claim_attach_proofs, missing_proof
from mdf.services.trail import record_event

RS = FundRequest.Status
CS = Claim.Status
Kind = LedgerEntry.Kind


def _reserved_cost(fund_request: FundRequest, exclude: Claim | None = None) -> Decimal:
    """Cost held by claims on the request: pending ones by their amount, decided ones
    by their approved amount."""
    with scopes_disabled():
        claims = fund_request.claims.filter(status__in=Claim.RESERVING)
        if exclude is not None:
            claims = claims.exclude(pk=exclude.pk)
        sums = claims.aggregate(
            pending=Sum("amount", filter=Q(status__in=(CS.SUBMITTED, CS.RETURNED))),
            decided=Sum("approved_amount", filter=Q(status__in=(CS.APPROVED, CS.PAID))),
        )
    return (sums["pending"] or ZERO) + (sums["decided"] or ZERO)


def claimable(fund_request: FundRequest, exclude: Claim | None = None) -> Decimal:
    """Activity cost still claimable on a request: approved − claims pending or approved."""
    if fund_request.status != RS.APPROVED:
        return ZERO
    return max(fund_request.approved_amount - _reserved_cost(fund_request, exclude), ZERO)


def _check_claim_window(fund_request: FundRequest, field: str = "amount") -> None:
    pool = fund_request.allocation.pool
    window = selectors.claim_window(fund_request)
    if window.too_late:
        raise ValidationError(
            {
                field: _("The claim deadline of %(pool)s was %(date)s.")
                % {"pool": pool.name, "date": date_format(pool.claim_deadline)}
            }
        )
    if window.not_yet:
        raise ValidationError(
            {
                field: _("Claims can be made once the activity has ended (%(date)s).")
                % {"date": date_format(fund_request.activity_end)}
            }
        )


def _clean_claim_fields(
    *,
    fund_request: FundRequest,
    amount: object,
    actual_leads: int | None,
    actual_pipeline: object,
    results_note: str,
    claim: Claim | None = None,
) -> dict[str, object]:
    """The checks a claim's own fields pass, when it is drafted and on every edit.

    Rules: a positive amount and a pipeline of 0 or more; leads a whole number, 0 or
    more; the request approved; after the activity and before the claim deadline;
    the amount within what is still claimable on the request, not counting `claim`
    itself (whose old amount it replaces). Returns the cleaned values by field name.
    """
    errors: dict[str, Any] = {}
    try:
        value = parse_amount(amount, field="amount")
    except ValidationError as exc:
        exc.update_error_dict(errors)
    try:
        pipeline = (
            ZERO
            if actual_pipeline in (None, "", ZERO, 0)
            else parse_amount(actual_pipeline, field="actual_pipeline")
        )
    except ValidationError as exc:
        exc.update_error_dict(errors)
    leads = actual_leads or 0
    if not isinstance(leads, int) or leads < 0:
        errors["actual_leads"] = [_("Leads are a whole number, 0 or more.")]
    if errors:
        raise ValidationError(errors)
    if fund_request.status != RS.APPROVED:
        raise ValidationError({"request": _("Claims can only be made on approved requests.")})
    _check_claim_window(fund_request)
    left = claimable(fund_request, exclude=claim)
    if value > left:
        raise ValidationError(
            {
                "amount": _("More than is still claimable on this request (claimable: %(left)s).")
                % {"left": format_money(left, fund_request.allocation.pool.currency)}
            }
        )
    return {
        "amount": value,
        "actual_leads": leads,
        "actual_pipeline": pipeline,
        "results_note": (results_note or "").strip(),
    }


@transaction.atomic
def claim_create(
    *,
    fund_request: FundRequest,
    amount: object,
    actor: User,
    actual_leads: int = 0,
    actual_pipeline: object = ZERO,
    results_note: str = "",
) -> Claim:
    """Draft a claim on an approved request, after the activity, before the claim
    deadline, within what is claimable (`_clean_claim_fields`). Staff drafting for a
    partner are recorded as acting on its behalf ("created_on_behalf")."""
    cleaned = _clean_claim_fields(
        fund_request=fund_request,
        amount=amount,
        actual_leads=actual_leads,
        actual_pipeline=actual_pipeline,
        results_note=results_note,
    )
    with scopes_disabled():
        claim = Claim.objects.create(
            partner_id=fund_request.partner_id,
            request=fund_request,
            created_by=actor,
            created_at=clock.now(),
            **cleaned,
        )
    record_event(
        partner_id=claim.partner_id,
        actor=actor,
        action="created_on_behalf" if actor.is_staff else "created",
        claim=claim,
        new_status=CS.DRAFT,
        amount=claim.amount,
    )
    return claim


def claim_create_with_proof(
    *,
    fund_request: FundRequest,
    amount: object,
    actor: User,
    proofs: Sequence[tuple[ProofKind, UploadedFile]],
    submit: bool = False,
    actual_leads: int = 0,
    actual_pipeline: object = ZERO,
    results_note: str = "",
) -> Claim:
    """Draft a claim with its proof files and, with `submit`, submit it: all or nothing.

    Rules: those of `claim_create`, `claim_attach_proofs` and `claim_submit`; proof
    still missing at submission is reported under each missing kind's field
    (`proof_<slug>`), as refused files are. When anything is refused no claim remains,
    and the files already stored are deleted (they are written before the transaction
    commits).
    """
    stored: list[ClaimProof] = []
    try:
        with transaction.atomic():
            claim = claim_create(
                fund_request=fund_request,
                amount=amount,
                actor=actor,
                actual_leads=actual_leads,
                actual_pipeline=actual_pipeline,
                results_note=results_note,
            )
            stored = claim_attach_proofs(claim=claim, proofs=proofs, actor=actor)
            if submit:
                try:
                    claim = claim_submit(claim=claim, actor=actor)
                except ValidationError as exc:
                    raise _missing_proof_by_kind(exc, claim) from None
    except BaseException:
        for proof in stored:
            proof.file.delete(save=False)
        raise
    return claim


def _missing_proof_by_kind(exc: ValidationError, claim: Claim) -> ValidationError:
    """`claim_submit` names missing proof under `file`; put it under each missing kind."""
    errors = {field: list(messages) for field, messages in exc.message_dict.items()}
    messages = errors.pop("file", None)
    if messages:
        missing = missing_proof(claim)
        for kind in missing:
            errors[PROOF_FIELD_PREFIX + kind.slug] = messages
        if not missing:
            errors[NON_FIELD_ERRORS] = messages
    return ValidationError(errors)


@transaction.atomic
def claim_update(*, claim: Claim, actor: User, **changes: object) -> Claim:
    """Change a draft or returned claim's amount or results (`CLAIM_EDITABLE_FIELDS`).

    Rules: only while the claim can still change (draft, or returned for more proof);
    the claim as changed passes the same checks as a new one (`_clean_claim_fields`):
    the request approved, after the activity and before the claim deadline, and the
    amount within what is still claimable on the request besides this claim. The
    claim, then its request, are locked (the order of `claim_submit`), so parallel
    claims cannot together exceed the request. Recorded as "edited" (old → new).
    """
    refuse_unknown_changes(changes, CLAIM_EDITABLE_FIELDS)
    locked, fund_request = lock_claim_and_request(claim.pk)
    if locked.status not in Claim.CHANGEABLE:
        raise ValidationError({"status": _("Only a draft or returned claim can be changed.")})
    current = {name: getattr(locked, name) for name in CLAIM_EDITABLE_FIELDS}
    cleaned = _clean_claim_fields(
        fund_request=fund_request,
        claim=locked,
        **{**current, **changes},  # type: ignore[arg-type]
    )
    save_edit(locked, current, cleaned, actor=actor, currency=fund_request.allocation.pool.currency)
    return locked


def claim_submit(*, claim: Claim, actor: User) -> Claim:
    """Submit (or resubmit) a claim for finance's decision.

    Rules: every proof its activity type requires has a file; before the claim
    deadline and after the activity; its amount fits in what is still claimable on
    the request, counting other pending and approved claims (the request row is
    locked, so parallel claims cannot together exceed it).
    """
    with transaction.atomic():
        locked, fund_request = lock_claim_and_request(claim.pk)
        if locked.status not in Claim.CHANGEABLE:
            raise ValidationError({"status": _("This claim has already been submitted.")})
        missing = missing_proof(locked)
        if missing:
            raise ValidationError(
                {
                    "file": _("Add the missing proof first: %(kinds)s.")
                    % {"kinds": ", ".join(kind.name for kind in missing)}
                }
            )
        if fund_request.status != RS.APPROVED:
            raise ValidationError({"request": _("The request is no longer open for claims.")})
        _check_claim_window(fund_request)
        left = claimable(fund_request, exclude=locked)
        if locked.amount > left:
            raise ValidationError(
                {
                    "amount": _(
                        "More than is still claimable on this request (claimable: %(left)s)."
                    )
                    % {"left": format_money(left, fund_request.allocation.pool.currency)}
                }
            )
        old = locked.status
        now = clock.now()
        locked.status = CS.SUBMITTED
        locked.submitted_by = actor
        locked.on_behalf = bool(actor.is_staff)
        locked.submitted_at = now
        locked.first_submitted_at = locked.first_submitted_at or now
        locked.save(update_fields=CLAIM_STATE_FIELDS)
        record_event(
            partner_id=locked.partner_id,
            actor=actor,
            action="resubmitted" if old == CS.RETURNED else "submitted",
            claim=locked,
            old_status=old,
            new_status=CS.SUBMITTED,
            amount=locked.amount,
        )
        return locked


def can_decide_claim(claim: Claim, user: User) -> bool:
    return (
        user.is_staff
        and claim.status == CS.SUBMITTED
        and user.pk not in (claim.created_by_id, claim.submitted_by_id)
        and user.has_perm(FINANCE_PERMISSION)
    )


def claim_decide(
    *,
    claim: Claim,
    actor: User,
    decision: str,
    note: str,
    approved_amount: object | None = None,
) -> Claim:
    """Approve (fully or partly), reject, or return a submitted claim for more proof.

    Rules: a finance approver decides, never the person who submitted it; a note is
    required. Approval spends the fund's share of the approved amount (rounded
    half-up to the cent, never more than the request's open commitment) from the
    request's commitment. When the request's approved cost is fully claimed, any
    rounding remainder of its commitment is released and the request closes. The
    claim, then its request, then (by the money movement) the allocation are locked:
    the lock order.
    """
    note = require_note(note)
    if decision not in ("approve", "reject", "return"):
        raise ValidationError({"decision": _("Approve, reject or return.")})
    with transaction.atomic():
        locked, fund_request = lock_claim_and_request(claim.pk)
        if locked.status != CS.SUBMITTED:
            raise ValidationError({"status": _("This claim is not awaiting a decision.")})
        check_not_own(locked, actor)
        if not can_decide_claim(locked, actor):
            raise ValidationError({"decision": _("Claims are decided by a finance approver.")})
        locked.decided_by, locked.decided_at, locked.decision_note = actor, clock.now(), note

        def save(action: str, amount: Decimal | None = None) -> None:
            """The claim as decided, and this decision's step of the trail (the partner
            is emailed)."""
            locked.save(update_fields=CLAIM_STATE_FIELDS)
            record_event(
                partner_id=locked.partner_id,
                actor=actor,
                action=action,
                claim=locked,
                old_status=CS.SUBMITTED,
                new_status=locked.status,
                amount=amount,
                note=note,
                notify=True,
            )

        if decision in ("return", "reject"):  # no money moves
            returned = decision == "return"
            locked.status = CS.RETURNED if returned else CS.REJECTED
            locked.times_returned += 1 if returned else 0
            save("returned" if returned else "rejected")
            return locked
        amount = (
            locked.amount
            if approved_amount in (None, "")
            else parse_amount(approved_amount, field="approved_amount")
        )
        pool = fund_request.allocation.pool
        if amount > locked.amount:
            raise ValidationError(
                {
                    "approved_amount": _("At most the claimed %(max)s can be approved.")
                    % {"max": format_money(locked.amount, pool.currency)}
                }
            )
        reimbursement = min(
            fund_share(amount, pool.reimbursement_percentage), fund_request.open_commitment
        )
        fund_request.commitment_spent += reimbursement
        locked.approved_amount = amount
        locked.reimbursement = reimbursement
        locked.status = CS.APPROVED
        remainder = ZERO
        if _fully_claimed(fund_request, amount):
            remainder = take_open_commitment(fund_request)
            fund_request.status = RS.CLOSED
        fund_request.save(update_fields=REQUEST_STATE_FIELDS)
        save("approved" if amount == locked.amount else "approved_partly", reimbursement)
        allocation = fund_request.allocation
        if reimbursement > ZERO:
            ledger.append(
                allocation,
                kind=Kind.SPEND,
                amount=reimbursement,
                actor=actor,
                request=fund_request,
                claim=locked,
                memo=fund_request.title,
                d_committed=-reimbursement,
                d_spent=reimbursement,
            )
        release_commitment(
            allocation, fund_request, remainder, actor=actor, memo=_("Fully claimed")
        )
        return locked


def _fully_claimed(fund_request: FundRequest, approving: Decimal) -> bool:
    """Whether approving this cost makes the request's approved claims reach its approved
    cost. One claim for the whole cost (the usual case) needs no sum of the others."""
    if approving >= fund_request.approved_amount:
        return True
    with scopes_disabled():
        approved_before = fund_request.claims.filter(status__in=(CS.APPROVED, CS.PAID)).aggregate(
            s=Sum("approved_amount")
        )["s"]
    return (approved_before or ZERO) + approving >= fund_request.approved_amount


def claim_record_payment(
    *, claim: Claim, actor: User, paid_at: date | None, reference: str
) -> Claim:
    """Record that an approved claim's reimbursement was paid (date and reference).

    Rules: only an approved, unpaid claim; a reference; a date, neither in the future
    nor before the approval. Every field's error is raised at once. The claim, then (by the money
    movement) its allocation are locked: the lock order."""
    reference = (reference or "").strip()
    with transaction.atomic():
        locked = lock_claim(claim.pk)
        if locked.status != CS.APPROVED:
            raise ValidationError({"status": _("Only an approved, unpaid claim can be paid.")})
        errors = {}
        if not reference:
            errors["reference"] = _("Enter the payment reference.")
        if paid_at is None:
            errors["paid_at"] = _("Enter the payment date.")
        elif paid_at > clock.today():
            errors["paid_at"] = _("A payment date cannot be in the future.")
        elif locked.decided_at and paid_at < timezone.localdate(locked.decided_at):
            errors["paid_at"] = _("The payment cannot be dated before the claim's approval.")
        if errors:
            raise ValidationError(errors)
        locked.status = CS.PAID
        locked.paid_at = paid_at
        locked.payment_reference = reference
        locked.payment_recorded_by = actor
        locked.save(update_fields=CLAIM_STATE_FIELDS)
        record_event(
            partner_id=locked.partner_id,
            actor=actor,
            action="paid",
            claim=locked,
            old_status=CS.APPROVED,
            new_status=CS.PAID,
            amount=locked.reimbursement,
            note=reference,
            notify=True,
        )
        if locked.reimbursement > ZERO:
            ledger.append(
                locked.request.allocation,
                kind=Kind.PAY,
                amount=locked.reimbursement,
                actor=actor,
                request=locked.request,
                claim=locked,
                memo=reference,
                d_paid=locked.reimbursement,
            )
        return locked
