"""What every decision on a request or claim shares: who may decide (permissions,
never one's own submission), the note it needs, the fields a state change writes, and
releasing a request's open commitment."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mdf import ledger
from mdf.models import FINANCE_PERMISSION as FINANCE_PERMISSION  # re-exported beside the two below
from mdf.models import ZERO, Allocation, Claim, FundRequest, LedgerEntry

ANY_REQUEST_PERMISSION = "mdf.decide_any_request"
DECIDE_PERMISSION = "mdf.change_fundrequest"

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


def require_note(note: str | None) -> str:
    """A decision's note, stripped; refused when empty (the partner reads why)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write a note: the partner sees why you decided.")})
    return note


def check_not_own(obj: FundRequest | Claim, actor: User) -> None:
    """Nobody decides what they created or submitted."""
    if actor.pk in (obj.created_by_id, obj.submitted_by_id):
        raise ValidationError({"decision": _("You submitted this; another person must decide it.")})


def take_open_commitment(locked: FundRequest, *, expired: bool = False) -> Decimal:
    """Mark what the request still has committed as released (or expired) and return
    it; the caller saves the request and then moves it in the ledger
    (`release_commitment`)."""
    open_commitment = locked.open_commitment
    if open_commitment <= ZERO:
        return ZERO
    if expired:
        locked.commitment_expired += open_commitment
    else:
        locked.commitment_released += open_commitment
    return open_commitment


def release_commitment(
    allocation: Allocation, locked: FundRequest, amount: Decimal, *, actor: User | None, memo: str
) -> None:
    """Move a released commitment back to available (nothing for zero)."""
    if amount > ZERO:
        ledger.append(
            allocation,
            kind=LedgerEntry.Kind.RELEASE,
            amount=amount,
            actor=actor,
            request=locked,
            memo=memo,
            d_committed=-amount,
        )
