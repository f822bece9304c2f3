"""Deal registration emails: decisions to the partner, new registrations, answers and
extension requests to the channel manager, expiry reminders to the partner.

Who hears what (docs/deals.md):
- approved, rejected, more information asked, extension approved or refused, and the
  expiry reminders go to the partner's admins and the rep who registered the deal;
- a new registration, an answer to a question and an extension request go to the
  partner's channel manager (else the Marketing admins).

The `DealEvent` row is the outbox: a service writes the event in its transaction and,
after commit, a task passes its id here. The event is locked (SKIP LOCKED) while its
email goes and marked `notified_at` in the same transaction, so two workers (the task
and the sweep `send_pending_deal_emails`) never send it twice, and a failed send leaves
it due. Partner emails are rendered from the deal and the shared event only: no
conflict, no other partner, ever.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from deals.models import Deal, DealEvent
from partners import roles
from partners.mail import send_to_readers
from partners.models import Membership
from partners.selectors import partner_emails

logger = logging.getLogger(__name__)
Action = DealEvent.Action
# The template of each emailed event and to whom it goes.
PARTNER_TEMPLATES = {
    Action.APPROVED: "deal_decision",
    Action.REJECTED: "deal_decision",
    Action.MORE_INFO: "deal_decision",
    Action.EXTENSION_APPROVED: "deal_extension_decided",
    Action.EXTENSION_REJECTED: "deal_extension_decided",
    Action.REMINDED: "deal_reminder",
}
STAFF_TEMPLATES = {
    Action.REGISTERED: "deal_registered",
    Action.ANSWERED: "deal_answered",
    Action.EXTENSION_REQUESTED: "deal_extension_requested",
}
EMAILED_ACTIONS = (*PARTNER_TEMPLATES, *STAFF_TEMPLATES)
# The sweep leaves older events alone (a history written by the demo, say).
SWEEP_WINDOW = timedelta(days=2)


def partner_recipients(deal: Deal) -> list[str]:
    """The partner's admins and the rep who registered the deal (if still active)."""
    emails = partner_emails(partner_id=deal.partner_id, roles=[Membership.Role.ADMIN])
    rep = deal.registered_by
    if rep.is_active and rep.email:
        with scopes_disabled():  # the rep's own membership: still with this partner?
            still_member = Membership.objects.filter(user=rep, partner_id=deal.partner_id).exists()
        if still_member:
            emails.append(rep.email)
    return list(dict.fromkeys(emails))


def staff_recipients(deal: Deal) -> list[str]:
    """The partner's channel manager, else the Marketing admins."""
    manager = deal.partner.channel_manager
    if manager is not None and manager.is_active and manager.email:
        return [manager.email]
    User = get_user_model()
    return list(
        User.objects.filter(groups__name=roles.MARKETING_ADMIN, is_active=True, is_staff=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def _send(template: str, context: dict, recipients: list[str]) -> int:
    return send_to_readers(f"deals/email/{template}", context, recipients)


def _render_and_send(event: DealEvent) -> int:
    deal = event.deal
    if event.action in PARTNER_TEMPLATES:
        template = PARTNER_TEMPLATES[Action(event.action)]
        return _send(template, {"event": event, "deal": deal}, partner_recipients(deal))
    if event.action in STAFF_TEMPLATES:
        template = STAFF_TEMPLATES[Action(event.action)]
        with scopes_disabled():  # staff are told of the conflicts
            conflicts = deal.conflicts.count()
        return _send(
            template,
            {"event": event, "deal": deal, "conflicts": conflicts},
            staff_recipients(deal),
        )
    return 0


def deal_event_email(event_id: int) -> int:
    """Email what event `event_id` records, once; answers the number of recipients.
    A row gone since, or already emailed, sends nothing."""
    with transaction.atomic(), scopes_disabled():  # a task: the row says whose deal it is
        event = (
            DealEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "deal__partner__channel_manager", "deal__registered_by", "actor", "partner"
            )
            .filter(pk=event_id, notified_at__isnull=True, action__in=EMAILED_ACTIONS)
            .first()
        )
        if event is None:
            return 0
        if event.action in PARTNER_TEMPLATES and not event.shared:
            sent = 0  # never: a partner hears only of what it may see
        else:
            sent = _render_and_send(event)
        DealEvent.objects.filter(pk=event.pk).update(notified_at=timezone.now())
    return sent


def send_pending_deal_emails(limit: int = 500) -> int:
    """The sweep (beat): email the recent events whose task never ran (a broker that was
    down); each goes once, as above. Answers the number of emails sent."""
    since = timezone.now() - SWEEP_WINDOW
    with scopes_disabled():
        due = list(
            DealEvent.objects.filter(
                notified_at__isnull=True, action__in=EMAILED_ACTIONS, at__gte=since
            )
            .order_by("id")
            .values_list("pk", flat=True)[:limit]
        )
    sent = 0
    for event_id in due:
        try:
            sent += 1 if deal_event_email(event_id) else 0
        except Exception:
            # One email that cannot go must not hold up the others: it stays due.
            logger.exception("Deal email for event %s not sent", event_id)
    return sent
