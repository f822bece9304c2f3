"""MDF emails: decisions to partners, deadline reminders, SLA reminders to approvers.

Each function re-reads the rows by id, so a task retried after a crash sends what
is true now; deadline reminders are recorded (DeadlineReminder) and sent once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf import clock
from mdf.models import Allocation, Claim, DeadlineReminder, FundRequest, MDFEvent
from mdf.selectors import (
    claim_waiting_since,
    claims_awaiting,
    is_overdue,
    request_waiting_since,
    requests_awaiting,
)
from partners.mail import send_to_readers
from partners.models import Membership
from partners.selectors import partner_emails

REMINDER_DAYS = (14, 3)
logger = logging.getLogger(__name__)


def _partner_recipients(partner_id: int) -> list[str]:
    # Fund decisions and deadlines concern the people who request and claim funds.
    return partner_emails(
        partner_id=partner_id, roles=[Membership.Role.ADMIN, Membership.Role.MARKETER]
    )


def _send(template: str, context: dict, recipients: list[str]) -> int:
    return send_to_readers(f"mdf/email/{template}", context, recipients)


def send_pending_decision_emails(limit: int = 500) -> int:
    """Email partners about decisions that committed and were not emailed yet.

    The decision events are the outbox: a decision writes its event (marked
    `email_partner`) in its own transaction, and this periodic job sends them. Each
    request or claim is emailed once per run, describing its state now, however many
    of its decisions are due; the events are locked (SKIP LOCKED) while sending, so
    two workers never email the same decision, and a failed send leaves them due.
    Returns the number of emails sent."""
    sent = 0
    with scopes_disabled():
        due = MDFEvent.objects.filter(email_partner=True, emailed_at__isnull=True)
        objects: dict[tuple[str, int], None] = {}
        for request_id, claim_id in due.order_by("id").values_list("request_id", "claim_id")[
            :limit
        ]:
            objects[("claim", claim_id) if claim_id else ("request", request_id)] = None
        for kind, object_id in objects:
            of_object = (
                due.filter(claim_id=object_id)
                if kind == "claim"
                else due.filter(request_id=object_id, claim__isnull=True)
            )
            try:
                sent += _send_due(kind, object_id, of_object)
            except Exception:
                # One email that cannot go (a refused address, a template error) must not
                # hold up the others: it stays due, is retried next run, and is logged.
                logger.exception("MDF decision email for %s %s not sent", kind, object_id)
    return sent


def _send_due(kind: str, object_id: int, of_object: QuerySet[MDFEvent]) -> int:
    with transaction.atomic():
        events = list(
            of_object.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)
        )
        if not events:
            return 0  # another worker has them
        sent = 1 if decision_email(kind, object_id) else 0
        MDFEvent.objects.filter(pk__in=events).update(emailed_at=timezone.now())
    return sent


def decision_email(kind: str, object_id: int) -> int:
    with scopes_disabled():
        if kind == "request":
            obj = (
                FundRequest.objects.select_related("allocation__pool", "partner")
                .filter(pk=object_id)
                .first()
            )
        else:
            obj = (
                Claim.objects.select_related("request__allocation__pool", "partner")
                .filter(pk=object_id)
                .first()
            )
    if obj is None:
        return 0
    return _send(f"{kind}_decision", {"obj": obj}, _partner_recipients(obj.partner_id))


def deadline_reminders(today=None) -> int:
    today = today or clock.today()
    sent = 0
    with scopes_disabled():
        for days in REMINDER_DAYS:
            target = today + timedelta(days=days)
            for deadline, lookup in (
                (DeadlineReminder.Deadline.REQUEST, "pool__request_deadline"),
                (DeadlineReminder.Deadline.CLAIM, "pool__claim_deadline"),
            ):
                allocations = Allocation.objects.filter(**{lookup: target}).select_related(
                    "pool", "partner"
                )
                for allocation in allocations:
                    money = (
                        allocation.available
                        if deadline == DeadlineReminder.Deadline.REQUEST
                        else allocation.committed
                    )
                    if money <= 0:
                        continue
                    try:
                        with transaction.atomic():
                            DeadlineReminder.objects.create(
                                partner=allocation.partner,
                                allocation=allocation,
                                deadline=deadline,
                                days_before=days,
                            )
                    except IntegrityError:
                        continue  # already reminded
                    sent += _send(
                        f"{deadline}_deadline",
                        {"allocation": allocation, "days": days, "money": money},
                        _partner_recipients(allocation.partner_id),
                    )
    return sent


def sla_reminders(today=None) -> int:
    """One email per approver listing their overdue items: waiting for their decision
    longer than the pool's decision SLA, counted from when each started waiting for
    that decision (`request_waiting_since`, `claim_waiting_since`)."""
    today = today or clock.today()
    sent = 0
    User = get_user_model()
    with scopes_disabled():
        for user in User.objects.filter(is_staff=True, is_active=True).exclude(email=""):
            overdue_requests = [
                r
                for r in requests_awaiting(user=user)
                if is_overdue(request_waiting_since(r), r.allocation.pool.decision_sla_days, today)
            ]
            overdue_claims = [
                c
                for c in claims_awaiting(user=user)
                if is_overdue(
                    claim_waiting_since(c), c.request.allocation.pool.decision_sla_days, today
                )
            ]
            if overdue_requests or overdue_claims:
                sent += _send(
                    "sla_reminder",
                    {"user": user, "requests": overdue_requests, "claims": overdue_claims},
                    [user.email],
                )
    return sent
