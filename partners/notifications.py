"""Survey emails: the invitation when a round opens, the reminder before it closes.

The `SurveySend` rows are the outbox: the service that opens a round (or queues its
reminder) writes one row per person in the same transaction, and these functions
send the rows not yet sent, each to its one recipient with the round's link, and
record when it went. Rows are locked with SKIP LOCKED while sending, so two workers
never email the same person twice; a failed send stays due for the next run.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from partners.mail import send_to_readers
from partners.models import SurveySend

logger = logging.getLogger(__name__)


def _send_one(send: SurveySend) -> None:
    survey_round = send.round
    context = {
        "send": send,
        "round": survey_round,
        "survey": survey_round.survey,
        "user": send.user,
        "url": settings.SITE_URL
        + reverse("portal:survey_answer", kwargs={"uuid": survey_round.uuid}),
    }
    kind = send.kind  # invitation or reminder
    send_to_readers(f"partners/email/survey_{kind}", context, [send.email])


def _send_due(due: QuerySet[SurveySend], limit: int) -> int:
    sent = 0
    with scopes_disabled():
        ids = list(due.filter(sent_at__isnull=True).order_by("id").values_list("pk", flat=True))
        for send_id in ids[:limit]:
            with transaction.atomic():
                send = (
                    SurveySend.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("round__survey", "user")
                    .filter(pk=send_id, sent_at__isnull=True)
                    .first()
                )
                if send is None:
                    continue  # sent meanwhile, or another worker has it
                try:
                    _send_one(send)
                except Exception:
                    # One address that cannot be reached must not hold up the others.
                    logger.exception("Survey email %s not sent", send_id)
                    continue
                send.sent_at = timezone.now()
                send.save(update_fields=["sent_at"])
                sent += 1
    return sent


def send_survey_emails(*, round_id: int, limit: int = 5000) -> int:
    """Send the unsent invitations and reminders of one round; returns how many went."""
    with scopes_disabled():
        return _send_due(SurveySend.objects.filter(round_id=round_id), limit)


def send_pending_survey_emails(*, limit: int = 5000) -> int:
    """Send every unsent survey email (after a worker crashed mid-way)."""
    with scopes_disabled():
        return _send_due(SurveySend.objects.all(), limit)
