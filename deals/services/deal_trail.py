"""The building blocks of the deal registration services: the row locks (the deal
before its extension: the one order), the trail (`DealEvent`, in the caller's
transaction, with its email after commit), the deal's entries in the results stream,
and the staff-only conflict check.

Each runs inside the caller's `transaction.atomic()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from analytics.models import ResultEvent
from deals.models import Deal, DealConflict, DealEvent, DealExtension, ProtectedAccount
from mdf import clock

Action = DealEvent.Action
RESULT_SOURCE = "deals"


def lock_deal(deal: Deal) -> Deal:
    with scopes_disabled():  # the deal's own row; the caller was given this deal
        return (
            Deal.objects.select_for_update(of=("self",))
            .select_related("partner", "launch")
            .get(pk=deal.pk)
        )


def lock_extension(extension: DealExtension) -> tuple[Deal, DealExtension]:
    """The deal, then its extension: the one lock order."""
    with scopes_disabled():
        deal_id = DealExtension.objects.values_list("deal_id", flat=True).get(pk=extension.pk)
        deal = (
            Deal.objects.select_for_update(of=("self",))
            .select_related("partner", "launch")
            .get(pk=deal_id)
        )
        locked = DealExtension.objects.select_for_update(of=("self",)).get(pk=extension.pk)
    return deal, locked


def record_event(
    deal: Deal,
    actor: User | AnonymousUser | None,
    action: str,
    *,
    old: object = "",
    new: object = "",
    detail: str = "",
    shared: bool = True,
    email: bool = False,
) -> DealEvent:
    with scope(partner=deal.partner_id):
        event = DealEvent.objects.create(
            deal=deal,
            partner_id=deal.partner_id,
            actor=actor if actor is not None and actor.is_authenticated else None,
            at=clock.now(),
            action=action,
            old_value=str(old)[:100],
            new_value=str(new)[:100],
            detail=detail,
            shared=shared,
        )
    if email:
        email_after_commit(event)
    return event


def email_after_commit(event: DealEvent) -> None:
    from deals import tasks  # the tasks call these services: import when used

    transaction.on_commit(partial(tasks.send_deal_event_email.delay, event.pk), robust=True)


def _enqueue_rollup() -> None:
    """Roll the new result event up now rather than at the next beat (as
    `analytics.ingest` does); a broker that is down only delays the figures."""
    from analytics.tasks import rollup_metrics

    rollup_metrics.delay()


def result_event(deal: Deal, kind: str, *, at: datetime, amount: Decimal | None) -> ResultEvent:
    """The deal's entry in the results stream (source "deals", `deal:<uuid>:<kind>`),
    attributed to its partner and to its launch and the launch's kit."""
    launch = deal.launch
    with scope(partner=deal.partner_id):
        event = ResultEvent.objects.create(
            partner_id=deal.partner_id,
            launch=launch,
            kit_id=launch.kit_id if launch is not None else None,
            kind=kind,
            source=RESULT_SOURCE,
            external_id=f"deal:{deal.uuid}:{kind}",
            occurred_at=at,
            day=timezone.localdate(at),
            amount=amount,
            currency=deal.currency if amount is not None else "",
            company=deal.company[:200],
            email_domain=deal.domain,
        )
    transaction.on_commit(_enqueue_rollup, robust=True)
    return event


def require_status(deal: Deal, allowed: Iterable[str], message: str) -> None:
    if deal.status not in allowed:
        raise ValidationError({"status": message})


def flag_conflicts(deal: Deal) -> int:
    """Write a `DealConflict` (and a non-shared event) for each other partner's open
    registration of the deal's domain and for a protected account of that domain that
    the deal is not flagged for yet; an undecided other registration is flagged
    against this one as well (`_flag_back`). Answers how many were new. Staff only: nothing of
    it is shown to the partner."""
    with scopes_disabled():  # conflicts span partners: the staff side of the check
        others = list(
            Deal.objects.filter(domain=deal.domain, status__in=Deal.OPEN_STATUSES)
            .exclude(partner_id=deal.partner_id)
            .order_by("submitted_at", "pk")
        )
        known_deals = set(
            DealConflict.objects.filter(deal=deal, other_deal__isnull=False).values_list(
                "other_deal_id", flat=True
            )
        )
        account = ProtectedAccount.objects.filter(domain=deal.domain).first()
        known_account = DealConflict.objects.filter(
            deal=deal, kind=DealConflict.Kind.PROTECTED_ACCOUNT, protected_account=account
        ).exists()
    new = 0
    for other in others:
        if other.pk in known_deals:
            continue
        DealConflict.objects.create(
            deal=deal,
            kind=DealConflict.Kind.OTHER_PARTNER,
            other_deal=other,
            detected_at=clock.now(),
        )
        record_event(
            deal,
            None,
            Action.CONFLICT_FLAGGED,
            new=DealConflict.Kind.OTHER_PARTNER,
            # No name here: the other partner's identity stays in the staff-only
            # DealConflict row, never in a row of this partner's.
            detail=_("Another partner holds an open registration of this domain."),
            shared=False,
        )
        new += 1
        _flag_back(other, deal)
    if account is not None and not known_account:
        DealConflict.objects.create(
            deal=deal,
            kind=DealConflict.Kind.PROTECTED_ACCOUNT,
            protected_account=account,
            detected_at=clock.now(),
        )
        record_event(
            deal,
            None,
            Action.CONFLICT_FLAGGED,
            new=DealConflict.Kind.PROTECTED_ACCOUNT,
            detail=_("The domain is a protected account."),
            shared=False,
        )
        new += 1
    if new and deal.conflict_cleared:
        deal.conflict_cleared = False
        deal.save(update_fields=["conflict_cleared", "updated_at"])
    return new


def _flag_back(other: Deal, deal: Deal) -> None:
    """The earlier registration, if still undecided, is flagged against the new one too,
    so staff review both sides before deciding either (a review made before this new
    registration no longer counts)."""
    if other.status not in Deal.UNDECIDED_STATUSES:
        return
    with scopes_disabled():  # the other partner's registration: the staff side
        if DealConflict.objects.filter(deal=other, other_deal=deal).exists():
            return
        DealConflict.objects.create(
            deal=other,
            kind=DealConflict.Kind.OTHER_PARTNER,
            other_deal=deal,
            detected_at=clock.now(),
        )
        Deal.objects.filter(pk=other.pk).update(conflict_cleared=False)
    record_event(
        other,
        None,
        Action.CONFLICT_FLAGGED,
        new=DealConflict.Kind.OTHER_PARTNER,
        detail=_("Another partner holds an open registration of this domain."),
        shared=False,
    )


def has_uncleared_conflicts(deal: Deal) -> bool:
    with scopes_disabled():
        return not deal.conflict_cleared and DealConflict.objects.filter(deal=deal).exists()
