"""The daily job of deal registration: approved deals expire the day after their
`expires_on`, and partners are reminded 14 and 3 days before (`REMINDER_DAYS`), each
reminder once per expiry date. Both take `today` (default the clock's), so a test or
the demo can run them on any day; each deal is handled in its own transaction, locked
and checked again, so a run is safe twice or beside a close.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from deals.models import Deal, DealEvent, DealExtension, DealReminder
from deals.services.deal_trail import record_event
from mdf import clock

__all__ = ["REMINDER_DAYS", "deal_expiry_reminders", "deals_expire"]

DS = Deal.Status
Action = DealEvent.Action
# Expiry reminders go this many days before `expires_on` (once each per expiry date).
REMINDER_DAYS = (14, 3)


def deals_expire(*, today: date | None = None) -> int:
    """Expire the approved deals whose protection ended before `today` (default the
    clock's today); answers how many.

    Rules: `expires_on` < today; a deal with a pending extension request waits for the
    decision (the partner asked in time); each deal in its own transaction, locked and
    checked again, so the job is safe to run twice or beside a close; a shared
    "expired" event by the system.
    """
    day = today or clock.today()
    with scopes_disabled():  # the daily job spans partners
        due = list(
            Deal.objects.filter(status=DS.APPROVED, expires_on__lt=day)
            .exclude(extensions__status=DealExtension.Status.PENDING)
            .values_list("pk", flat=True)
        )
    expired = 0
    for deal_id in due:
        with transaction.atomic(), scopes_disabled():
            locked = (
                Deal.objects.select_for_update(of=("self",))
                .filter(pk=deal_id, status=DS.APPROVED, expires_on__lt=day)
                .first()
            )
            if (
                locked is None
                or locked.expires_on is None
                or locked.extensions.filter(status=DealExtension.Status.PENDING).exists()
            ):
                continue
            locked.status = DS.EXPIRED
            locked.save(update_fields=["status", "updated_at"])
            record_event(
                locked,
                None,
                Action.EXPIRED,
                old=DS.APPROVED,
                new=DS.EXPIRED,
                detail=locked.expires_on.isoformat(),  # DealEvent.detail_text words it
            )
            expired += 1
    return expired


def deal_expiry_reminders(*, today: date | None = None) -> int:
    """Remind the partner 14 and 3 days before an approved deal's protection ends;
    answers how many reminders were recorded.

    Rules: each reminder once per expiry date (`DealReminder`, its constraint decides
    between two runs): an extension moves the date and the reminders come again; a run
    that was missed catches up with the nearest reminder only (a deal 2 days from
    expiry gets the 3-day one, never also the 14-day one); a shared "reminded" event,
    emailed to the partner after commit.
    """
    day = today or clock.today()
    horizon = day + timedelta(days=max(REMINDER_DAYS))
    with scopes_disabled():
        candidates = list(
            Deal.objects.filter(
                status=DS.APPROVED, expires_on__gte=day, expires_on__lte=horizon
            ).values_list("pk", "expires_on")
        )
    sent = 0
    for deal_id, expires_on in candidates:
        assert expires_on is not None  # filtered on it
        remaining = (expires_on - day).days
        due = min(days for days in REMINDER_DAYS if days >= remaining)
        with transaction.atomic(), scopes_disabled():
            locked = (
                Deal.objects.select_for_update(of=("self",))
                .filter(pk=deal_id, status=DS.APPROVED, expires_on=expires_on)
                .first()
            )
            if locked is None:
                continue
            already = DealReminder.objects.filter(
                deal=locked, expires_on=expires_on, days_before__lte=due
            ).exists()
            if already:
                continue
            try:
                with transaction.atomic():
                    DealReminder.objects.create(
                        deal=locked,
                        partner_id=locked.partner_id,
                        expires_on=expires_on,
                        days_before=due,
                        sent_at=clock.now(),
                    )
            except IntegrityError:
                continue  # another run reminded it
            record_event(
                locked,
                None,
                Action.REMINDED,
                new=str(due),
                detail=expires_on.isoformat(),  # DealEvent.detail_text words it
                email=True,
            )
            sent += 1
    return sent
