"""The steps the MDF use cases are built from: parsing amounts, requiring notes,
locking rows in the one order, recording the decision trail and edits, and taking a
request's open commitment. No rule of a use case lives here, only what several share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from mdf import clock, ledger, prepared
from mdf.locks import RowLock
from mdf.models import ZERO, Allocation, Claim, FundPool, FundRequest, LedgerEntry, MDFEvent
from mdf.money import format_money, fund_share, to_money
from mdf.writes import RowWrites, StaleRow, saved_pk

T = TypeVar("T")

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
# A claim's partner is its request's: it is read once and given to both (below).
_CLAIM_AND_REQUEST_LOCK = RowLock(
    Claim, "request__allocation__pool", "partner", also_lock=("request",)
)


def _lock_request(request_id: int) -> FundRequest:
    return _REQUEST_LOCK.get(request_id)


def _lock_claim(claim_id: int) -> Claim:
    return _CLAIM_LOCK.get(claim_id)


def _with_request_partner(claim: Claim) -> tuple[Claim, FundRequest]:
    request = claim.request
    if request.partner_id == claim.partner_id:
        FundRequest.partner.field.set_cached_value(request, claim.partner)
    return claim, request


def _lock_claim_and_request(claim_id: int) -> tuple[Claim, FundRequest]:
    """The claim, then its request (the locking order), in one statement."""
    return _with_request_partner(_CLAIM_AND_REQUEST_LOCK.get(claim_id))


# What a decision decides on, and no more (every column is work for the server and the
# client, fifty clients over): of the pool its currency, reimbursement percentage and
# finance threshold; of a request's partner who its channel manager is. The rest loads
# when first used, as after `.only()`.
_POOL_RULES = ("currency", "reimbursement_percentage", "finance_threshold")
_REQUEST_DECISION_LOCK = RowLock(
    FundRequest,
    "allocation__pool",
    "partner",
    only={"allocation__pool": _POOL_RULES, "partner": ("channel_manager",)},
)


def _read_request(request_id: int, *, lock: bool) -> FundRequest:
    """The request (for a decision), locked when `lock`."""
    if lock:
        return _REQUEST_DECISION_LOCK.get(request_id)
    return _REQUEST_DECISION_LOCK.read(request_id)


# A claim's decision needs no more of its partner than the key: the partner's row is left
# out (loaded on first use if anything asks).
_CLAIM_DECISION_LOCK = RowLock(
    Claim,
    "request__allocation__pool",
    also_lock=("request",),
    only={"request__allocation__pool": _POOL_RULES},
)


def _read_claim_and_request(claim_id: int, *, lock: bool) -> tuple[Claim, FundRequest]:
    """The claim and its request (for a decision), locked in that order when `lock`."""
    claim = _CLAIM_DECISION_LOCK.get(claim_id) if lock else _CLAIM_DECISION_LOCK.read(claim_id)
    return claim, claim.request


# Races a decision retries before it waits for locks instead (see `_decide`).
OPTIMISTIC_ATTEMPTS = 3


def _decide(run: Callable[[bool], T]) -> T:
    """Run a decision optimistically first, then, if it keeps losing races, with locks.

    `run(lock)` reads its rows (locked if `lock`), applies the rules, and writes with
    the rows it read expected unchanged (`RowWrites.expect`). On PostgreSQL it runs
    first without locks and without a transaction of its own: its write is one
    statement, atomic by itself, that holds the allocation every partner's decision
    contends for only while it runs, not across round trips to this process
    (bench/mdf_contention.py). If another decision changed one of its rows in between,
    nothing was written (StaleRow) and it reads and decides again, on the new state.
    After OPTIMISTIC_ATTEMPTS lost races (a hot row: fifty claims on one request) it
    locks its rows first, in one transaction, so no decision starves. SQLite runs one
    writer at a time: there a decision is simply one transaction."""
    if prepared.on_postgresql():
        for _attempt in range(OPTIMISTIC_ATTEMPTS):
            try:
                return run(False)
            except StaleRow:
                continue
    with transaction.atomic():
        return run(True)


def _decision_writes(*read: FundRequest | Claim) -> RowWrites:
    """The writes of a decision on rows read by `_read_*`: nothing is written unless
    each is still the version the decision read."""
    writes = RowWrites()
    for obj in read:
        writes.expect(obj)
    return writes


def _event_row(
    *,
    partner_id: int,
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
        at=clock.now(),
        partner_id=partner_id,
        actor_id=saved_pk(actor),
        action=action,
        request_id=saved_pk(request),
        claim_id=saved_pk(claim),
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


def _save_edit(
    locked: FundRequest | Claim,
    current: dict[str, object],
    cleaned: dict[str, object],
    *,
    actor: User,
    currency: str,
) -> dict[str, object]:
    """Set and save the editable fields whose cleaned value differs, and record the edit
    in the trail (old → new); return the changed fields (none: nothing is written)."""
    changed = {name: cleaned[name] for name in current if cleaned[name] != current[name]}
    if not changed:
        return changed
    for name, value in changed.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changed))
    target: dict[str, FundRequest | Claim]
    if isinstance(locked, FundRequest):
        target, amount = {"request": locked}, locked.requested_amount
    else:
        target, amount = {"claim": locked}, locked.amount
    _event(
        partner_id=locked.partner_id,
        actor=actor,
        action="edited",
        old_status=locked.status,
        new_status=locked.status,
        amount=amount,
        note=_change_note(locked, current, changed, currency),
        **target,
    )
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


def _check_not_own(obj: FundRequest | Claim, actor: User) -> None:
    if actor.pk in (obj.created_by_id, obj.submitted_by_id):
        raise ValidationError({"decision": _("You submitted this; another person must decide it.")})


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
