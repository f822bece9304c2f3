"""Every MDF write. Money moves only here, one ledger entry per movement, in the
same transaction as the state change.

Locking order (always this order, so two moves never deadlock):
    claim → request → allocation → pool
each with `select_for_update(of=("self",))`: from the most specific row to the most
shared one, so the rows everybody contends for (an allocation, a pool) are locked
last and held only for the money movement itself. A decision that moves money hands
its request's or claim's update and its event to the move (`mdf.writes.RowWrites`),
which writes them in its own statement, only if the money moved. Amounts are Decimal
end to end.
Errors are `ValidationError`s keyed by the field they concern; nothing moves
when one is raised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from assets.validation import PROOF_KINDS, validate_upload
from mdf import ledger
from mdf.locks import RowLock
from mdf.models import (
    ZERO,
    ActivityType,
    Allocation,
    Claim,
    ClaimProof,
    FundPool,
    FundRequest,
    LedgerEntry,
    MDFEvent,
    ProofKind,
)
from mdf.money import format_money, fund_share, to_money
from mdf.writes import RowWrites
from partners.models import Partner, Tier

Kind = LedgerEntry.Kind
RS = FundRequest.Status
CS = Claim.Status

# What a state change may write; money columns never appear in a plain save().
REQUEST_STATE_FIELDS = [
    "status",
    "approved_amount",
    "commitment",
    "commitment_spent",
    "commitment_released",
    "commitment_expired",
    "manager_decided_by",
    "manager_decided_at",
    "manager_note",
    "finance_decided_by",
    "finance_decided_at",
    "finance_note",
    "decided_at",
]
CLAIM_STATE_FIELDS = [
    "status",
    "approved_amount",
    "reimbursement",
    "submitted_by",
    "on_behalf",
    "submitted_at",
    "first_submitted_at",
    "times_returned",
    "decided_by",
    "decided_at",
    "decision_note",
    "paid_at",
    "payment_reference",
    "payment_recorded_by",
]

FINANCE_PERMISSION = "mdf.finance_approve"
ANY_REQUEST_PERMISSION = "mdf.decide_any_request"
DECIDE_PERMISSION = "mdf.change_fundrequest"


# --- helpers -------------------------------------------------------------------


def _amount(value: object, *, field: str) -> Decimal:
    try:
        return to_money(value, field=field)
    except ValueError as exc:
        raise ValidationError({field: str(exc)}) from None


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write a note: the partner sees why you decided.")})
    return note


def _today() -> date:
    return timezone.localdate()


def _lock_pool(pool_id: int) -> FundPool:
    return FundPool.objects.select_for_update(of=("self",)).get(pk=pool_id)


def _lock_allocation(allocation_id: int) -> Allocation:
    with scopes_disabled():
        return (
            Allocation.objects.select_for_update(of=("self",))
            .select_related("pool", "partner")
            .get(pk=allocation_id)
        )


# The locks every decision takes (see mdf/locks.py for why they are not querysets).
_REQUEST_LOCK = RowLock(FundRequest, "allocation__pool", "partner")
_CLAIM_LOCK = RowLock(Claim, "request__allocation__pool", "partner")
_CLAIM_ONLY_LOCK = RowLock(Claim, "partner")


def _lock_request(request_id: int) -> FundRequest:
    return _REQUEST_LOCK.get(request_id)


def _lock_claim(claim_id: int) -> Claim:
    return _CLAIM_LOCK.get(claim_id)


def _lock_claim_and_request(claim_id: int) -> tuple[Claim, FundRequest]:
    """The claim, then its request (the locking order), each locked once."""
    claim = _CLAIM_ONLY_LOCK.get(claim_id)
    fund_request = _lock_request(claim.request_id)
    claim.request = fund_request
    return claim, fund_request


def _event_row(
    *,
    partner: Partner,
    actor: User | None,
    action: str,
    request: FundRequest | None = None,
    claim: Claim | None = None,
    old_status: str = "",
    new_status: str = "",
    amount: Decimal | None = None,
    note: str = "",
    notify: bool = False,
) -> MDFEvent:
    """A step of the decision trail, not yet saved. `notify` marks it for the partner's
    email: the event row is the outbox (mdf.notifications.send_pending_decision_emails),
    so the email is due exactly when the decision commits and never without it."""
    return MDFEvent(
        partner=partner,
        actor=actor,
        action=action,
        request=request,
        claim=claim,
        old_status=old_status,
        new_status=new_status,
        amount=amount,
        note=note,
        email_partner=notify,
    )


def _event(**fields) -> None:
    """Record a step of the decision trail now (see `_event_row`)."""
    _event_row(**fields).save(force_insert=True)


def _check_share(cost: Decimal, pool: FundPool, field: str) -> Decimal:
    share = fund_share(cost, pool.reimbursement_percentage)
    if share <= ZERO:
        raise ValidationError(
            {
                field: _("The fund's %(pct)s %% share of this amount rounds to nothing.")
                % {"pct": pool.reimbursement_percentage}
            }
        )
    return share


def _not_available(available: Decimal, currency: str) -> str:
    return _("More than is available (available: %(available)s).") % {
        "available": format_money(available, currency)
    }


# --- pools -------------------------------------------------------------------------


def pool_update_errors(*, pool_id: int, changes: dict[str, object]) -> dict[str, str]:
    """What is wrong with changing a pool this way, checked against its locked row.

    Rules: the total never drops below what is already allocated; the currency is
    fixed once money has been allocated in it. (Call inside a transaction.)
    """
    locked = _lock_pool(pool_id)
    errors: dict[str, str] = {}
    total = changes.get("total")
    if isinstance(total, Decimal) and total < locked.allocated:
        errors["total"] = _("Already allocated: %(allocated)s; the total cannot be less.") % {
            "allocated": format_money(locked.allocated, locked.currency)
        }
    currency = changes.get("currency")
    if currency is not None and currency != locked.currency and locked.allocated > ZERO:
        errors["currency"] = _("Money has been allocated in %(currency)s; it cannot change.") % {
            "currency": locked.currency
        }
    return errors


@transaction.atomic
def pool_update(*, pool: FundPool, changes: dict[str, object]) -> FundPool:
    """Change a pool's settings (never its allocated sum, which allocations own)."""
    if "allocated" in changes:
        raise ValidationError({"allocated": _("Allocations change this, not edits.")})
    errors = pool_update_errors(pool_id=pool.pk, changes=changes)
    if errors:
        raise ValidationError(errors)
    for name, value in changes.items():
        setattr(pool, name, value)
    pool.save(update_fields=list(changes))
    return pool


# --- allocations ---------------------------------------------------------------


def allocation_create(
    *, pool: FundPool, partner: Partner, amount: object, actor: User | None, reason: str
) -> Allocation:
    """Give part of a pool to a partner (or top up its allocation in that pool).

    Rule: a pool's allocations never exceed its total. The pool row is locked, so
    concurrent allocations cannot both take the last of it.
    """
    value = _amount(amount, field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this partner gets this amount.")})
    with transaction.atomic():
        return _allocate(pool.pk, partner, value, actor=actor, reason=reason)


def _allocation_for(pool_id: int, partner: Partner) -> Allocation:
    with scopes_disabled():
        allocation, _created = Allocation.objects.get_or_create(pool_id=pool_id, partner=partner)
    return allocation


def _check_unallocated(locked_pool: FundPool, needed: Decimal) -> None:
    if needed > locked_pool.unallocated:
        raise ValidationError(
            {
                "amount": _("More than the pool has left (unallocated: %(left)s).")
                % {"left": format_money(locked_pool.unallocated, locked_pool.currency)}
            }
        )


def _allocate(
    pool_id: int,
    partner: Partner,
    value: Decimal,
    *,
    actor: User | None,
    reason: str,
) -> Allocation:
    allocation = _lock_allocation(_allocation_for(pool_id, partner).pk)
    locked_pool = _lock_pool(pool_id)
    _check_unallocated(locked_pool, value)
    ledger.append(
        allocation, kind=Kind.ALLOCATE, amount=value, actor=actor, memo=reason, d_allocated=value
    )
    FundPool.objects.filter(pk=pool_id).update(allocated=F("allocated") + value)
    return allocation


def allocations_bulk_by_tier(
    *,
    pool: FundPool,
    amounts: dict[Tier, object],
    actor: User | None,
    reason: str,
    statuses: Iterable[str] = (Partner.Status.ACTIVE,),
) -> list[Allocation]:
    """Allocate an amount per tier to every partner of that tier (active by default).

    All or nothing: if the sum exceeds what the pool has left, nothing is allocated
    and the error says how much is needed and how much is left.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why these partners get these amounts.")})
    per_tier = {
        tier: _amount(value, field=f"tier_{tier.slug}")
        for tier, value in amounts.items()
        if value not in (None, "", 0, ZERO)
    }
    partners = list(
        Partner.objects.filter(tier__in=per_tier.keys(), status__in=list(statuses)).select_related(
            "tier"
        )
    )
    needed = sum((per_tier[p.tier] for p in partners), ZERO)
    with transaction.atomic():
        allocations = sorted(
            ((_allocation_for(pool.pk, partner), partner) for partner in partners),
            key=lambda pair: pair[0].pk,
        )
        locked = [(_lock_allocation(allocation.pk), partner) for allocation, partner in allocations]
        locked_pool = _lock_pool(pool.pk)
        if needed > locked_pool.unallocated:
            raise ValidationError(
                {
                    "amount": _("These allocations need %(needed)s; the pool has %(left)s left.")
                    % {
                        "needed": format_money(needed, locked_pool.currency),
                        "left": format_money(locked_pool.unallocated, locked_pool.currency),
                    }
                }
            )
        for allocation, partner in locked:
            value = per_tier[partner.tier]
            ledger.append(
                allocation,
                kind=Kind.ALLOCATE,
                amount=value,
                actor=actor,
                memo=reason,
                d_allocated=value,
            )
        FundPool.objects.filter(pk=pool.pk).update(allocated=F("allocated") + needed)
        return [allocation for allocation, _partner in locked]


# --- requests ------------------------------------------------------------------


def _retired_type(activity_type: ActivityType) -> str:
    return _("“%(type)s” is no longer offered: choose another activity type.") % {
        "type": activity_type.name
    }


def _clean_request_fields(
    *,
    pool: FundPool,
    activity_type: ActivityType | None,
    title: str,
    description: str,
    activity_start: date,
    activity_end: date,
    requested_amount: object,
    expected_leads: int,
    expected_pipeline: object,
) -> dict[str, object]:
    """The checks a request's own fields pass, when it is drafted and on every edit.

    Rules: an activity type still offered (not retired); a title (at most 200
    characters) and a description;
    expected leads a whole number, 0 or more; a positive amount whose fund share (by
    the pool's percentage) does not round to nothing; a pipeline of 0 or more; the
    activity not ending before it starts. Returns the cleaned values by field name.
    """
    title = (title or "").strip()
    description = (description or "").strip()
    errors = {}
    if not isinstance(activity_type, ActivityType):
        errors["activity_type"] = _("Choose an activity type.")
    elif not activity_type.active:
        errors["activity_type"] = _retired_type(activity_type)
    if not title:
        errors["title"] = _("Give the activity a title.")
    elif len(title) > 200:
        errors["title"] = _("The title is at most 200 characters.")
    if not description:
        errors["description"] = _("Describe the activity.")
    if not isinstance(expected_leads, int) or expected_leads < 0:
        errors["expected_leads"] = _("Expected leads is a whole number, 0 or more.")
    if not isinstance(activity_start, date):
        errors["activity_start"] = _("Enter the date the activity starts.")
    if not isinstance(activity_end, date):
        errors["activity_end"] = _("Enter the date the activity ends.")
    if errors:
        raise ValidationError(errors)
    amount = _amount(requested_amount, field="requested_amount")
    _check_share(amount, pool, "requested_amount")
    pipeline = (
        ZERO
        if expected_pipeline in (None, "", ZERO, 0)
        else _amount(expected_pipeline, field="expected_pipeline")
    )
    if activity_end < activity_start:
        raise ValidationError({"activity_end": _("The activity cannot end before it starts.")})
    return {
        "activity_type": activity_type,
        "title": title,
        "description": description,
        "activity_start": activity_start,
        "activity_end": activity_end,
        "requested_amount": amount,
        "expected_leads": expected_leads or 0,
        "expected_pipeline": pipeline,
    }


@transaction.atomic
def request_create(
    *,
    partner: Partner,
    allocation: Allocation,
    activity_type: ActivityType,
    title: str,
    description: str,
    activity_start: date,
    activity_end: date,
    requested_amount: object,
    actor: User,
    expected_leads: int = 0,
    expected_pipeline: object = ZERO,
    submit: bool = False,
) -> FundRequest:
    """Draft a fund request. The allocation must be the partner's own; the fields pass
    `_clean_request_fields`. Staff drafting for a partner are recorded as acting on
    its behalf ("created_on_behalf"); they then cannot decide it. With `submit`, it is
    submitted in the same transaction (`request_submit`'s rules): all or nothing."""
    if allocation.partner_id != partner.pk:
        # Another partner's allocation: answer as if it did not exist.
        raise ValidationError({"allocation": _("Choose one of your allocations.")})
    cleaned = _clean_request_fields(
        pool=allocation.pool,
        activity_type=activity_type,
        title=title,
        description=description,
        activity_start=activity_start,
        activity_end=activity_end,
        requested_amount=requested_amount,
        expected_leads=expected_leads,
        expected_pipeline=expected_pipeline,
    )
    with scopes_disabled():
        fund_request = FundRequest.objects.create(
            partner=partner, allocation=allocation, created_by=actor, **cleaned
        )
    _event(
        partner=partner,
        actor=actor,
        action="created_on_behalf" if actor.is_staff else "created",
        request=fund_request,
        new_status=RS.DRAFT,
    )
    return request_submit(fund_request=fund_request, actor=actor) if submit else fund_request


REQUEST_EDITABLE_FIELDS = (
    "activity_type",
    "title",
    "description",
    "activity_start",
    "activity_end",
    "requested_amount",
    "expected_leads",
    "expected_pipeline",
)
CLAIM_EDITABLE_FIELDS = ("amount", "actual_leads", "actual_pipeline", "results_note")


def _refuse_unknown_changes(changes: dict[str, object], editable: Iterable[str]) -> None:
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise ValidationError({name: _("This cannot be changed here.") for name in unknown})


def _save_changes(
    locked: FundRequest | Claim, current: dict[str, object], cleaned: dict[str, object]
) -> dict[str, object]:
    """Set and save the editable fields whose cleaned value differs; return those."""
    changed = {name: cleaned[name] for name in current if cleaned[name] != current[name]}
    for name, value in changed.items():
        setattr(locked, name, value)
    if changed:
        locked.save(update_fields=list(changed))
    return changed


def _change_note(
    obj: FundRequest | Claim, old: dict[str, object], new: dict[str, object], currency: str
) -> str:
    """What an edit changed, old → new, for the trail (long texts only by name)."""

    def shown(value: object) -> str:
        if isinstance(value, Decimal):
            return format_money(value, currency)
        if isinstance(value, date):
            return value.isoformat()
        return f"“{value}”" if isinstance(value, str) else str(value)

    parts = []
    for name in new:
        label = str(getattr(type(obj)._meta.get_field(name), "verbose_name", name))
        label = label[:1].upper() + label[1:]
        if name in ("description", "results_note"):
            parts.append(_("%(field)s changed") % {"field": label})
        else:
            parts.append(f"{label}: {shown(old[name])} → {shown(new[name])}")
    return "; ".join(parts)


@transaction.atomic
def request_update(
    *, fund_request: FundRequest, actor: User, submit: bool = False, **changes: object
) -> FundRequest:
    """Change a draft request: any of its activity type, title, description, dates,
    requested amount and expected results (`REQUEST_EDITABLE_FIELDS`); the rest stays.

    Rules: only a draft can be changed (a submitted request is being decided and a
    decided one is history; requests have no "returned" state). The request as
    changed passes the same checks as a new one (`_clean_request_fields`); its
    partner and allocation never change. Deadlines and what is available are checked
    when it is submitted, as for any draft. An edit that changes something is
    recorded ("edited", old → new in the note), by the partner or staff on its
    behalf; one that changes nothing records nothing. With `submit`, the request is
    then submitted in the same transaction (`request_submit`'s rules).
    """
    _refuse_unknown_changes(changes, REQUEST_EDITABLE_FIELDS)
    locked = _lock_request(fund_request.pk)
    if locked.status != RS.DRAFT:
        raise ValidationError({"status": _("Only a draft can be changed.")})
    current = {name: getattr(locked, name) for name in REQUEST_EDITABLE_FIELDS}
    cleaned = _clean_request_fields(pool=locked.allocation.pool, **{**current, **changes})  # type: ignore[arg-type]
    changed = _save_changes(locked, current, cleaned)
    if changed:
        _event(
            partner=locked.partner,
            actor=actor,
            action="edited",
            request=locked,
            old_status=RS.DRAFT,
            new_status=RS.DRAFT,
            amount=locked.requested_amount,
            note=_change_note(locked, current, changed, locked.allocation.pool.currency),
        )
    return request_submit(fund_request=locked, actor=actor) if submit else locked


@transaction.atomic
def request_submit(*, fund_request: FundRequest, actor: User) -> FundRequest:
    """Submit a draft for decision.

    Rules: before the pool's request deadline and before the activity starts; an
    activity type still offered (a draft whose type was retired since must change it);
    the fund's share of the amount must fit in what the allocation has available now.
    Staff may submit on the partner's behalf (recorded); they then cannot approve it.
    """
    locked = _lock_request(fund_request.pk)
    if locked.status != RS.DRAFT:
        raise ValidationError({"status": _("Only a draft can be submitted.")})
    pool = locked.allocation.pool
    today = _today()
    if today > pool.request_deadline:
        raise ValidationError(
            {
                "activity_start": _("The request deadline of %(pool)s was %(date)s.")
                % {"pool": pool.name, "date": pool.request_deadline.isoformat()}
            }
        )
    if locked.activity_start <= today:
        raise ValidationError(
            {"activity_start": _("Requests must be submitted before the activity starts.")}
        )
    if not locked.activity_type.active:
        raise ValidationError({"activity_type": _retired_type(locked.activity_type)})
    allocation = locked.allocation
    share = _check_share(locked.requested_amount, pool, "requested_amount")
    if share > allocation.available:
        raise ValidationError(
            {"requested_amount": _not_available(allocation.available, pool.currency)}
        )
    locked.status = RS.SUBMITTED
    locked.submitted_by = actor
    locked.on_behalf = bool(actor.is_staff)
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "submitted_by", "on_behalf", "submitted_at"])
    _event(
        partner=locked.partner,
        actor=actor,
        action="submitted_on_behalf" if locked.on_behalf else "submitted",
        request=locked,
        old_status=RS.DRAFT,
        new_status=RS.SUBMITTED,
        amount=locked.requested_amount,
    )
    return locked


@transaction.atomic
def request_cancel(*, fund_request: FundRequest, actor: User) -> FundRequest:
    """Withdraw a request before it is decided. Nothing was committed, nothing moves."""
    locked = _lock_request(fund_request.pk)
    if locked.status not in FundRequest.UNDECIDED:
        raise ValidationError({"status": _("Only undecided requests can be cancelled.")})
    old = locked.status
    locked.status = RS.CANCELLED
    locked.save(update_fields=["status"])
    _event(
        partner=locked.partner,
        actor=actor,
        action="cancelled",
        request=locked,
        old_status=old,
        new_status=RS.CANCELLED,
    )
    return locked


def _check_not_own(obj: FundRequest | Claim, actor: User) -> None:
    if actor.pk in (obj.created_by_id, obj.submitted_by_id):
        raise ValidationError({"decision": _("You submitted this; another person must decide it.")})


def can_decide_request(fund_request: FundRequest, user: User) -> bool:
    """Who may decide a request in its current step."""
    if not user.is_staff or user.pk in (fund_request.created_by_id, fund_request.submitted_by_id):
        return False
    if fund_request.status == RS.SUBMITTED:
        # The partner's channel manager, while still holding a deciding role.
        return (
            fund_request.partner.channel_manager_id == user.pk and user.has_perm(DECIDE_PERMISSION)
        ) or user.has_perm(ANY_REQUEST_PERMISSION)
    if fund_request.status == RS.AWAITING_FINANCE:
        return user.has_perm(FINANCE_PERMISSION)
    return False


def request_decide(
    *,
    fund_request: FundRequest,
    actor: User,
    approve: bool,
    note: str,
    approved_amount: object | None = None,
) -> FundRequest:
    """Approve (fully or partly) or reject a submitted request, always with a note.

    Rules: the partner's channel manager decides first; if the fund's share of the
    approved amount exceeds the pool's finance threshold, a finance approver must
    also approve before anything is committed. Nobody decides what they submitted.
    On final approval the fund's share moves from available to committed; if it
    is not available any more, nothing moves and the error says what is.
    """
    note = _note(note)
    with transaction.atomic():
        locked = _lock_request(fund_request.pk)
        if locked.status not in (RS.SUBMITTED, RS.AWAITING_FINANCE):
            raise ValidationError({"status": _("This request is not awaiting a decision.")})
        _check_not_own(locked, actor)
        if not can_decide_request(locked, actor):
            raise ValidationError(
                {
                    "decision": _("This request awaits the partner's channel manager.")
                    if locked.status == RS.SUBMITTED
                    else _("This request awaits a finance approver.")
                }
            )
        pool = locked.allocation.pool
        old_status = locked.status
        now = timezone.now()
        if old_status == RS.SUBMITTED:
            locked.manager_decided_by, locked.manager_decided_at, locked.manager_note = (
                actor,
                now,
                note,
            )
        else:
            locked.finance_decided_by, locked.finance_decided_at, locked.finance_note = (
                actor,
                now,
                note,
            )
        if not approve:
            locked.status = RS.REJECTED
            locked.decided_at = now
            locked.save(update_fields=REQUEST_STATE_FIELDS)
            _event(
                partner=locked.partner,
                actor=actor,
                action="rejected",
                request=locked,
                old_status=old_status,
                new_status=RS.REJECTED,
                note=note,
                notify=True,
            )
            return locked
        ceiling = locked.requested_amount if old_status == RS.SUBMITTED else locked.approved_amount
        amount = (
            ceiling
            if approved_amount in (None, "")
            else _amount(approved_amount, field="approved_amount")
        )
        if amount > ceiling:
            raise ValidationError(
                {
                    "approved_amount": _("At most %(max)s can be approved.")
                    % {"max": format_money(ceiling, pool.currency)}
                }
            )
        share = _check_share(amount, pool, "approved_amount")
        locked.approved_amount = amount
        if old_status == RS.SUBMITTED and share > pool.finance_threshold:
            locked.status = RS.AWAITING_FINANCE
            locked.save(update_fields=REQUEST_STATE_FIELDS)
            _event(
                partner=locked.partner,
                actor=actor,
                action="approved_by_manager",
                request=locked,
                old_status=old_status,
                new_status=RS.AWAITING_FINANCE,
                amount=amount,
                note=note,
            )
            return locked
        locked.commitment = share
        locked.status = RS.APPROVED
        locked.decided_at = now
        writes = RowWrites()
        writes.update(locked, REQUEST_STATE_FIELDS)
        writes.insert(
            _event_row(
                partner=locked.partner,
                actor=actor,
                action="approved" if amount == locked.requested_amount else "approved_partly",
                request=locked,
                old_status=old_status,
                new_status=RS.APPROVED,
                amount=amount,
                note=note,
                notify=True,
            )
        )
        # The shared row last: the allocation is locked by the money movement itself,
        # which checks that the share is still available and writes the request and
        # its event with it (only if it moves).
        try:
            ledger.append(
                locked.allocation,
                kind=Kind.COMMIT,
                amount=share,
                actor=actor,
                request=locked,
                memo=locked.title,
                require_available=share,
                writes=writes,
                d_committed=share,
            )
        except ledger.NotEnoughAvailable as exc:
            raise ValidationError(
                {"approved_amount": _not_available(exc.available, pool.currency)}
            ) from None
        return locked


def _take_open_commitment(locked: FundRequest, *, expired: bool = False) -> Decimal:
    """Mark what the request still has committed as released (or expired) and return
    it; the caller then moves it in the ledger with the allocation locked."""
    open_commitment = locked.open_commitment
    if open_commitment <= ZERO:
        return ZERO
    if expired:
        locked.commitment_expired += open_commitment
    else:
        locked.commitment_released += open_commitment
    return open_commitment


def _ledger_release(
    allocation: Allocation, locked: FundRequest, amount: Decimal, *, actor: User | None, memo: str
) -> None:
    if amount > ZERO:
        ledger.append(
            allocation,
            kind=Kind.RELEASE,
            amount=amount,
            actor=actor,
            request=locked,
            memo=memo,
            d_committed=-amount,
        )


def request_release(*, fund_request: FundRequest, actor: User, note: str = "") -> FundRequest:
    """Close an approved request and release what it has not spent back to available.

    Claims still awaiting a decision keep their part: release them first.
    """
    with transaction.atomic():
        locked = _lock_request(fund_request.pk)
        if locked.status != RS.APPROVED:
            raise ValidationError({"status": _("Only an approved request can be closed.")})
        with scopes_disabled():
            pending = locked.claims.filter(status__in=(CS.SUBMITTED, CS.RETURNED)).exists()
        if pending:
            raise ValidationError(
                {"status": _("A claim on this request awaits a decision; close it afterwards.")}
            )
        released = _take_open_commitment(locked)
        locked.status = RS.CLOSED
        locked.save(update_fields=REQUEST_STATE_FIELDS)
        _event(
            partner=locked.partner,
            actor=actor,
            action="closed",
            request=locked,
            old_status=RS.APPROVED,
            new_status=RS.CLOSED,
            amount=released,
            note=note,
        )
        _ledger_release(
            locked.allocation, locked, released, actor=actor, memo=note or _("Request closed")
        )
        return locked


# --- claims --------------------------------------------------------------------


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
    today = _today()
    if today > pool.claim_deadline:
        raise ValidationError(
            {
                field: _("The claim deadline of %(pool)s was %(date)s.")
                % {"pool": pool.name, "date": pool.claim_deadline.isoformat()}
            }
        )
    if today < fund_request.activity_end:
        raise ValidationError(
            {
                field: _("Claims can be made once the activity has ended (%(date)s).")
                % {"date": fund_request.activity_end.isoformat()}
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
    value = _amount(amount, field="amount")
    pipeline = (
        ZERO
        if actual_pipeline in (None, "", ZERO, 0)
        else _amount(actual_pipeline, field="actual_pipeline")
    )
    leads = actual_leads or 0
    if not isinstance(leads, int) or leads < 0:
        raise ValidationError({"actual_leads": _("Leads are a whole number, 0 or more.")})
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
            partner=fund_request.partner, request=fund_request, created_by=actor, **cleaned
        )
    _event(
        partner=claim.partner,
        actor=actor,
        action="created_on_behalf" if actor.is_staff else "created",
        claim=claim,
        new_status=CS.DRAFT,
        amount=claim.amount,
    )
    return claim


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
    _refuse_unknown_changes(changes, CLAIM_EDITABLE_FIELDS)
    locked, fund_request = _lock_claim_and_request(claim.pk)
    if locked.status not in Claim.CHANGEABLE:
        raise ValidationError({"status": _("Only a draft or returned claim can be changed.")})
    current = {name: getattr(locked, name) for name in CLAIM_EDITABLE_FIELDS}
    cleaned = _clean_claim_fields(
        fund_request=fund_request,
        claim=locked,
        **{**current, **changes},  # type: ignore[arg-type]
    )
    changed = _save_changes(locked, current, cleaned)
    if not changed:
        return locked
    _event(
        partner=locked.partner,
        actor=actor,
        action="edited",
        claim=locked,
        old_status=locked.status,
        new_status=locked.status,
        amount=locked.amount,
        note=_change_note(locked, current, changed, fund_request.allocation.pool.currency),
    )
    return locked


def required_proof(claim: Claim) -> list[ProofKind]:
    return list(claim.request.activity_type.proof_kinds.all())


def missing_proof(claim: Claim) -> list[ProofKind]:
    with scopes_disabled():
        present = set(claim.proofs.values_list("proof_kind_id", flat=True))
    return [kind for kind in required_proof(claim) if kind.pk not in present]


def claim_attach_proof(
    *, claim: Claim, proof_kind: ProofKind, upload: UploadedFile, actor: User
) -> ClaimProof:
    """Attach one proof file to a draft or returned claim, through the upload validator.

    The claim row is locked while the proof is recorded, so a file cannot slip in
    while the claim is being submitted.
    """
    checked = validate_upload(
        upload,
        field="file",
        allowed=PROOF_KINDS,
        max_bytes=settings.PROOF_MAX_BYTES,
        max_pixels=settings.PROOF_MAX_PIXELS,
    )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    proof = ClaimProof(
        partner=claim.partner,
        claim=claim,
        proof_kind=proof_kind,
        original_name=(getattr(upload, "name", "") or "file")[-200:],
        content_type=checked.kind.content_type,
        size=checked.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    with transaction.atomic():
        locked = _lock_claim(claim.pk)
        if locked.status not in Claim.CHANGEABLE:
            raise ValidationError(
                {"file": _("Proof can only be added to a draft or returned claim.")}
            )
        proof.file.save(checked.safe_name, upload, save=False)
        storage, name = proof.file.storage, proof.file.name or ""
        try:
            with scopes_disabled():
                proof.save()
        except Exception:
            storage.delete(name)
            raise
    return proof


def claim_remove_proof(*, proof: ClaimProof, actor: User) -> Claim:
    """Remove one proof file (a wrong upload) from a draft or returned claim.

    Rules: only while the claim can still change (draft, or returned for more proof);
    the claim row is locked, as when proof is attached, so a file cannot vanish while
    the claim is being submitted. The row is deleted in the transaction and the
    stored file only once it commits (a rollback keeps both). Recorded on the claim
    ("proof_removed", naming the kind and file).
    """
    with transaction.atomic():
        locked = _lock_claim(proof.claim_id)
        if locked.status not in Claim.CHANGEABLE:
            raise ValidationError(
                {"status": _("Proof can only be removed from a draft or returned claim.")}
            )
        with scopes_disabled():
            row = (
                ClaimProof.objects.select_related("proof_kind")
                .filter(pk=proof.pk, claim=locked)
                .first()
            )
            if row is None:
                raise ValidationError({"proof": _("This file has already been removed.")})
            storage, name = row.file.storage, row.file.name or ""
            row.delete()
        _event(
            partner=locked.partner,
            actor=actor,
            action="proof_removed",
            claim=locked,
            old_status=locked.status,
            new_status=locked.status,
            note=f"{row.proof_kind.name}: {row.original_name}",
        )
        if name:
            # robust: the removal is committed whatever the storage says; a file left
            # behind is logged, not turned into an error for the caller.
            transaction.on_commit(lambda: storage.delete(name), robust=True)
    return locked


def claim_submit(*, claim: Claim, actor: User) -> Claim:
    """Submit (or resubmit) a claim for finance's decision.

    Rules: every proof its activity type requires has a file; before the claim
    deadline and after the activity; its amount fits in what is still claimable on
    the request, counting other pending and approved claims (the request row is
    locked, so parallel claims cannot together exceed it).
    """
    with transaction.atomic():
        locked, fund_request = _lock_claim_and_request(claim.pk)
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
        now = timezone.now()
        locked.status = CS.SUBMITTED
        locked.submitted_by = actor
        locked.on_behalf = bool(actor.is_staff)
        locked.submitted_at = now
        locked.first_submitted_at = locked.first_submitted_at or now
        locked.save(update_fields=CLAIM_STATE_FIELDS)
        _event(
            partner=locked.partner,
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
    rounding remainder of its commitment is released and the request closes.
    """
    note = _note(note)
    if decision not in ("approve", "reject", "return"):
        raise ValidationError({"decision": _("Approve, reject or return.")})
    with transaction.atomic():
        locked, fund_request = _lock_claim_and_request(claim.pk)
        if locked.status != CS.SUBMITTED:
            raise ValidationError({"status": _("This claim is not awaiting a decision.")})
        _check_not_own(locked, actor)
        if not can_decide_claim(locked, actor):
            raise ValidationError({"decision": _("Claims are decided by a finance approver.")})
        now = timezone.now()
        locked.decided_by, locked.decided_at, locked.decision_note = actor, now, note
        if decision == "return":
            locked.status = CS.RETURNED
            locked.times_returned += 1
            locked.save(update_fields=CLAIM_STATE_FIELDS)
            _event(
                partner=locked.partner,
                actor=actor,
                action="returned",
                claim=locked,
                old_status=CS.SUBMITTED,
                new_status=CS.RETURNED,
                note=note,
                notify=True,
            )
            return locked
        if decision == "reject":
            locked.status = CS.REJECTED
            locked.save(update_fields=CLAIM_STATE_FIELDS)
            _event(
                partner=locked.partner,
                actor=actor,
                action="rejected",
                claim=locked,
                old_status=CS.SUBMITTED,
                new_status=CS.REJECTED,
                note=note,
                notify=True,
            )
            return locked
        amount = (
            locked.amount
            if approved_amount in (None, "")
            else _amount(approved_amount, field="approved_amount")
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
        with scopes_disabled():
            approved_before = (
                fund_request.claims.filter(status__in=(CS.APPROVED, CS.PAID)).aggregate(
                    s=Sum("approved_amount")
                )["s"]
                or ZERO
            )
        remainder = ZERO
        if approved_before + amount >= fund_request.approved_amount:
            remainder = _take_open_commitment(fund_request)
            fund_request.status = RS.CLOSED
        writes = RowWrites()
        writes.update(locked, CLAIM_STATE_FIELDS)
        writes.update(fund_request, REQUEST_STATE_FIELDS)
        writes.insert(
            _event_row(
                partner=locked.partner,
                actor=actor,
                action="approved" if amount == locked.amount else "approved_partly",
                claim=locked,
                old_status=CS.SUBMITTED,
                new_status=CS.APPROVED,
                amount=reimbursement,
                note=note,
                notify=True,
            )
        )
        # The shared row last: the allocation is locked by the money movement itself,
        # which writes the claim, its request and the event with it.
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
                writes=writes,
                d_committed=-reimbursement,
                d_spent=reimbursement,
            )
        else:
            writes.save()
        _ledger_release(allocation, fund_request, remainder, actor=actor, memo=_("Fully claimed"))
        return locked


def claim_record_payment(*, claim: Claim, actor: User, paid_at: date, reference: str) -> Claim:
    """Record that an approved claim's reimbursement was paid (date and reference)."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": _("Enter the payment reference.")})
    if paid_at > _today():
        raise ValidationError({"paid_at": _("A payment date cannot be in the future.")})
    with transaction.atomic():
        locked = _lock_claim(claim.pk)
        if locked.status != CS.APPROVED:
            raise ValidationError({"status": _("Only an approved, unpaid claim can be paid.")})
        if locked.decided_at and paid_at < timezone.localdate(locked.decided_at):
            raise ValidationError(
                {"paid_at": _("The payment cannot be dated before the claim's approval.")}
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
        locked.status = CS.PAID
        locked.paid_at = paid_at
        locked.payment_reference = reference
        locked.payment_recorded_by = actor
        locked.save(update_fields=CLAIM_STATE_FIELDS)
        _event(
            partner=locked.partner,
            actor=actor,
            action="paid",
            claim=locked,
            old_status=CS.APPROVED,
            new_status=CS.PAID,
            amount=locked.reimbursement,
            note=reference,
            notify=True,
        )
        return locked


# --- deadlines -------------------------------------------------------------------


def pool_roll_over(*, pool: FundPool, today: date | None = None) -> dict[str, Decimal]:
    """After a pool's claim deadline: release open commitments and expire or carry
    over what is left, by the pool's roll-over policy.

    Claims still awaiting a decision keep their request open; the daily job retries
    until they are decided, and the pool is marked rolled over only when done.
    Returned claims lapse at the deadline (they cannot be resubmitted any more).
    Safe to run twice: it moves only what is still open.
    """
    today = today or _today()
    moved = {"released": ZERO, "expired": ZERO, "carried_over": ZERO}
    if today <= pool.claim_deadline:
        return moved
    with scopes_disabled():
        allocation_ids = list(
            Allocation.objects.filter(pool=pool).order_by("pk").values_list("pk", flat=True)
        )
    all_done = True
    for allocation_id in allocation_ids:
        all_done = _roll_over_allocation(allocation_id, moved) and all_done
    if all_done:
        FundPool.objects.filter(pk=pool.pk, rolled_over_at__isnull=True).update(
            rolled_over_at=timezone.now()
        )
    return moved


def _roll_over_allocation(allocation_id: int, moved: dict[str, Decimal]) -> bool:
    """Expire each open request (one transaction each), then, when none waits for a
    claim decision, expire or carry over what the allocation has left."""
    with scopes_disabled():
        request_ids = list(
            FundRequest.objects.filter(allocation_id=allocation_id, status=RS.APPROVED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    done = True
    for request_id in request_ids:
        with transaction.atomic():
            done = _expire_request(request_id, moved) and done
    if not done:
        return False
    with transaction.atomic():
        allocation = _lock_allocation(allocation_id)
        pool = allocation.pool
        left = allocation.available
        if left <= ZERO:
            return True
        if pool.rollover_policy == FundPool.Rollover.CARRY_OVER and pool.rollover_pool_id:
            ledger.append(
                allocation,
                kind=Kind.CARRY_OVER,
                amount=left,
                memo=str(pool.rollover_pool),
                d_carried_over=left,
            )
            target = _lock_allocation(_allocation_for(pool.rollover_pool_id, allocation.partner).pk)
            _lock_pool(pool.rollover_pool_id)
            # The budget moves with the money: the next pool grows by what it receives.
            FundPool.objects.filter(pk=pool.rollover_pool_id).update(
                total=F("total") + left, allocated=F("allocated") + left
            )
            ledger.append(
                target,
                kind=Kind.CARRY_IN,
                amount=left,
                memo=_("Carried over from %(pool)s") % {"pool": pool.name},
                d_allocated=left,
            )
            moved["carried_over"] += left
        else:
            ledger.append(
                allocation,
                kind=Kind.EXPIRE,
                amount=left,
                memo=_("Claim deadline passed"),
                d_expired=left,
            )
            moved["expired"] += left
    return True


def _expire_request(request_id: int, moved: dict[str, Decimal]) -> bool:
    """Lapse its returned claims and release its open commitment, unless a claim still
    awaits a decision (then False: the daily job tries again)."""
    with scopes_disabled():
        returned = list(
            Claim.objects.select_for_update(of=("self",))
            .filter(request_id=request_id, status=CS.RETURNED)
            .order_by("pk")
        )
    locked = _lock_request(request_id)
    if locked.status != RS.APPROVED:
        return True
    for claim in returned:
        claim.status = CS.REJECTED
        claim.decision_note = _("Lapsed: not resubmitted before the claim deadline.")
        claim.save(update_fields=["status", "decision_note"])
        _event(
            partner=locked.partner,
            actor=None,
            action="lapsed",
            claim=claim,
            old_status=CS.RETURNED,
            new_status=CS.REJECTED,
        )
    with scopes_disabled():
        if locked.claims.filter(status=CS.SUBMITTED).exists():
            return False
    spent_any = locked.commitment_spent > ZERO
    released = _take_open_commitment(locked, expired=True)
    locked.status = RS.CLOSED if spent_any else RS.EXPIRED
    locked.save(update_fields=REQUEST_STATE_FIELDS)
    _event(
        partner=locked.partner,
        actor=None,
        action="expired",
        request=locked,
        old_status=RS.APPROVED,
        new_status=locked.status,
        amount=released,
    )
    _ledger_release(
        locked.allocation, locked, released, actor=None, memo=_("Claim deadline passed")
    )
    moved["released"] += released
    return True


# --- storage -------------------------------------------------------------------

PROOF_ROOT = "mdf/proof"


def proof_files_sweep(*, older_than: timedelta = timedelta(days=1)) -> list[str]:
    """Delete stored proof files that no ClaimProof row names, once they are old enough.

    A proof file is written to storage before the transaction that records it commits;
    when that transaction rolls back (a refused upload, a crash), the file stays behind
    with no row. Files younger than `older_than` are left alone: their transaction may
    still be running. Returns the names deleted.
    """
    storage = ClaimProof._meta.get_field("file").storage
    cutoff = timezone.now() - older_than
    with scopes_disabled():
        referenced = set(ClaimProof.objects.values_list("file", flat=True))
    deleted = []
    for name in _stored_files(storage, PROOF_ROOT):
        if name in referenced or storage.get_modified_time(name) > cutoff:
            continue
        storage.delete(name)
        deleted.append(name)
    return deleted


def _stored_files(storage, folder: str) -> Iterable[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for file_name in files:
        yield f"{folder}/{file_name}"
    for child in folders:
        yield from _stored_files(storage, f"{folder}/{child}")
