"""The decision trail: who did what to a request or claim, when, with which note."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User

from mdf import clock
from mdf.models import Claim, FundRequest, MDFEvent


def record_event(
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
    changes: dict[str, object] | None = None,
    notify: bool = False,
) -> MDFEvent:
    """Record a step of the trail, in the caller's transaction. `notify` marks it for the
    partner's email: the event row is the outbox
    (mdf.notifications.send_pending_decision_emails), so the email is due exactly when
    the decision commits and never without it."""
    return MDFEvent.objects.create(
        at=clock.now(),
        partner_id=partner_id,
        actor=actor,
        action=action,
        request=request,
        claim=claim,
        old_status=old_status,
        new_status=new_status,
        changes=changes or {},
        amount=amount,
        note=note,
        email_partner=notify,
    )
