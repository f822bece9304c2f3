"""Celery tasks of the partners app: thin wrappers that take ids and call services."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django_scopes import scopes_disabled

from partners.models import PartnerAuditEntry
from partners.selectors import partner_admin_emails


@shared_task(acks_late=True)
def send_partner_decision_email(audit_entry_ids: list[int]) -> int:
    """Email the partner's admins the decisions recorded in these audit entries.

    Safe to run twice (at worst a duplicate email); returns quietly if the rows are gone.
    """
    with scopes_disabled():
        entries = list(
            PartnerAuditEntry.objects.filter(pk__in=audit_entry_ids).select_related("partner")
        )
    if not entries:
        return 0
    partner = entries[0].partner
    recipients = partner_admin_emails(partner=partner)
    if not recipients:
        return 0
    context = {"partner": partner, "entries": entries, "site_url": settings.SITE_URL}
    send_mail(
        subject=render_to_string("partners/email/decision_subject.txt", context).strip(),
        message=render_to_string("partners/email/decision_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
    return len(recipients)


@shared_task
def ping(value: str) -> str:
    """Echo a value back; used by the health check and the worker round-trip test."""
    return f"pong:{value}"


@shared_task
def purge_idempotency_records() -> int:
    """Delete Idempotency-Key records past their retention (24 hours); safe to run twice."""
    from config.idempotency import purge_idempotency_records as purge

    return purge()


@shared_task(acks_late=True)
def send_partner_activated_email(partner_id: int) -> int:
    """Tell the partner's channel manager that the partner finished onboarding and is
    active. Safe to run twice (at worst a duplicate email); quiet if the partner is gone,
    no longer active or has no channel manager with an email address."""
    from partners.models import Partner

    with scopes_disabled():
        partner = (
            Partner.objects.select_related("channel_manager", "tier").filter(pk=partner_id).first()
        )
    if partner is None or partner.status != Partner.Status.ACTIVE:
        return 0
    manager = partner.channel_manager
    if manager is None or not manager.email:
        return 0
    context = {"partner": partner, "manager": manager, "site_url": settings.SITE_URL}
    send_mail(
        subject=render_to_string("partners/email/activated_subject.txt", context).strip(),
        message=render_to_string("partners/email/activated_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[manager.email],
    )
    return 1


@shared_task(acks_late=True)
def assess_tiers() -> int:
    """Daily: assess each active partner's tier from its results (tier compliance).
    Safe to run twice: a second run the same day replaces that day's assessments."""
    from django.utils import timezone

    from partners.services import tier_assess_all

    return tier_assess_all(today=timezone.localdate())
