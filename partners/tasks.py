"""Celery tasks of the partners app: thin wrappers that take ids and call services."""

from typing import Any

from celery import shared_task
from django_scopes import scopes_disabled

from partners import notifications, services
from partners.mail import send_to_readers
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
    context = {"partner": partner, "entries": entries}
    return _send("decision", context, recipients)


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
def send_survey_emails(round_id: int) -> int:
    """Send a survey round's unsent invitations and reminders (queued after commit by
    the service that wrote them). Safe to run twice: sent rows are skipped."""
    return notifications.send_survey_emails(round_id=round_id)


@shared_task
def run_partner_surveys() -> dict:
    """Daily (beat): open the survey rounds that are due, queue reminders, send what
    is unsent. Safe to run twice: each round and reminder is made once."""
    return services.surveys_run()


# --- recruitment: applications and invitations ----------------------------------------------


def _send(
    template: str, context: dict, recipients: list[str], *, language: str | None = None
) -> int:
    return send_to_readers(f"partners/email/{template}", context, recipients, language=language)


def _applicant_language(application: Any) -> str | None:
    """An applicant has no account: they read the first of their company's languages
    that ships, in the order the application gives them, else English."""
    return services.first_shipped(services.languages_in_entry_order(application.languages))


@shared_task(acks_late=True)
def send_application_received_email(application_id: int) -> int:
    """Confirm to the applicant that the application arrived. Quiet if the row is gone."""
    from partners.models import PartnerApplication

    application = PartnerApplication.objects.filter(pk=application_id).first()
    if application is None:
        return 0
    return _send(
        "application_received",
        {"application": application},
        [application.contact_email],
        language=_applicant_language(application),
    )


@shared_task(acks_late=True)
def send_application_rejected_email(application_id: int) -> int:
    """Tell the applicant the application was declined, with the reason. Only for a
    rejected application (a retry after anything else sends nothing)."""
    from partners.models import PartnerApplication

    application = PartnerApplication.objects.filter(
        pk=application_id, status=PartnerApplication.Status.REJECTED
    ).first()
    if application is None:
        return 0
    return _send(
        "application_rejected",
        {"application": application},
        [application.contact_email],
        language=_applicant_language(application),
    )


@shared_task(acks_late=True)
def send_invitation_email(invitation_id: int, legacy_token: str | None = None) -> int:
    """Email the invitation its link, minted here (`invitation_send`): the task carries
    no secret. Sends nothing once the invitation is emailed or no longer pending, so a
    redelivery is harmless. `legacy_token` is only in messages queued by the release
    that passed the token, still in the broker when this worker starts."""
    return services.invitation_send(invitation_id=invitation_id, legacy_token=legacy_token)


@shared_task
def send_owed_invitation_emails() -> int:
    """Every five minutes (beat): email the invitations whose own task never sent them
    (`invitation_send_owed`). Safe to run twice: an emailed invitation is sent nothing."""
    return services.invitation_send_owed()


@shared_task(acks_late=True)
def send_invitation_request_email(invitation_id: int) -> int:
    """Tell a partner's admins and its channel manager that someone whose invitation no
    longer works asks for a new one."""
    from partners.models import Invitation

    with scopes_disabled():
        invitation = (
            Invitation.objects.select_related("partner__channel_manager")
            .filter(pk=invitation_id)
            .first()
        )
    if invitation is None:
        return 0
    partner = invitation.partner
    recipients = partner_admin_emails(partner=partner)
    manager = partner.channel_manager
    if manager is not None and manager.email and manager.email not in recipients:
        recipients.append(manager.email)
    context = {"invitation": invitation, "partner": partner}
    return _send("invitation_request", context, recipients)


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
    context = {"partner": partner, "manager": manager}
    return _send("activated", context, [manager.email])


@shared_task(acks_late=True)
def assess_tiers() -> int:
    """Daily: assess each active partner's tier from its results (tier compliance).
    Safe to run twice: a second run the same day replaces that day's assessments."""
    from django.utils import timezone

    from partners.services import tier_assess_all

    return tier_assess_all(today=timezone.localdate())


# --- single sign-on: email domains partner admins claim ------------------------------------


@shared_task(acks_late=True)
def send_sso_domain_request_email(domain_ids: list[int]) -> int:
    """Tell the staff who approve email domains (and the partner's channel manager) that
    a partner admin claimed domains for the company sign-in. Quiet when the domains are
    gone or already decided, so a retry is harmless."""
    from partners.models import IdentityProviderDomain
    from partners.services.sso_setup import domain_request_recipients

    with scopes_disabled():
        domains = list(
            IdentityProviderDomain.objects.filter(pk__in=domain_ids, approved_at__isnull=True)
            .select_related("provider__partner", "requested_by")
            .order_by("domain")
        )
    if not domains:
        return 0
    partner = domains[0].provider.partner
    recipients = domain_request_recipients(partner=partner)
    if not recipients:
        return 0
    context = {"partner": partner, "domains": domains, "provider": domains[0].provider}
    return _send("sso_domain_request", context, recipients)
