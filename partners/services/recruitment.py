"""Writes of recruitment: applications (submit, approve, reject), invitations (create,
resend, revoke, accept, ask for a new one) and the partner admins' team decisions
(change a role, deactivate, reactivate) with the last-admin guard."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_scopes import scopes_disabled

from partners.models import (
    Invitation,
    Membership,
    Partner,
    PartnerApplication,
    PartnerAuditEntry,
    Tier,
)
from partners.selectors.recruitment import (
    application_duplicate,
    application_fit,
    invitation_state,
    is_country,
    website_domain,
)
from partners.services.core import (
    _member_label,
    _user_label,
    membership_change_role,
    membership_create,
    partner_create,
)
from partners.services.languages import (
    languages_in_entry_order,
    set_languages_in_order,
    staff_language,
)

INVITATION_LIFETIME = timedelta(days=7)
# The sweep (`invitation_send_owed`) leaves an invitation this long to the task its create
# or resend queued. That task sends within seconds when the worker keeps up, and within
# minutes when it is behind or restarting. A sweep sooner than that would still send one
# email (both go through `invitation_send`, which locks the row and re-checks), but it
# would do the task's work and wait on its lock, and what the sweep sends would no longer
# mean "this invitation's task was lost". Longer than the sweep's beat period, so a lost
# email goes out within two runs.
INVITATION_SWEEP_DELAY = timedelta(minutes=10)
# Invitations one sweep emails at most (oldest first); the next run takes the rest.
INVITATION_SWEEP_LIMIT = 500
# Applications per client address and window; past it the form asks to try later.
APPLICATION_RATE_LIMIT = 5
APPLICATION_RATE_WINDOW = 60 * 60  # seconds
# Requests for a new invitation per client address and window (each emails people).
INVITATION_REQUEST_RATE_LIMIT = 5

logger = logging.getLogger(__name__)

APPLICATION_FIELDS = (
    "company",
    "website",
    "country",
    "partner_type",
    "size",
    "specialties",
    "contact_name",
    "contact_email",
    "contact_phone",
    "sales_motion",
    "message",
)


class InvitationInvalid(ValidationError):
    """The token names no usable invitation; `reason` says why ("unknown", "expired",
    "accepted", "revoked") and `invitation` is the one it names, if any."""

    def __init__(self, message: str, *, reason: str, invitation: Invitation | None = None):
        super().__init__({"token": message}, code=reason)
        self.reason = reason
        self.invitation = invitation


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _count_attempt(*, key: str, limit: int, message: str) -> None:
    """A fixed-window counter per key in the shared cache; past `limit`, refuse."""
    cache.add(key, 0, timeout=APPLICATION_RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=APPLICATION_RATE_WINDOW)
        count = 1
    if count > limit:
        raise ValidationError(message, code="rate_limited")


def application_rate_check(*, ip: str) -> None:
    """Count one application from this client address; past APPLICATION_RATE_LIMIT in
    the window, refuse (a non-field error: nothing about the input is wrong)."""
    _count_attempt(
        key=f"recruit:apply:{ip or 'unknown'}",
        limit=APPLICATION_RATE_LIMIT,
        message=_(
            "We received several applications from your network in the last hour. "
            "Please try again in an hour, or write to us."
        ),
    )


# --- applications ---------------------------------------------------------------------------


def application_submit(*, data: Mapping[str, Any], ip: str) -> PartnerApplication:
    """Record an application from the public form.

    Rules:
    - at most APPLICATION_RATE_LIMIT applications per client address and hour
      (counted before anything is saved; refused with a non-field error);
    - every field is validated (the model's own rules, the country against ISO 3166,
      the regions and languages as known rows); errors name the field, nothing is saved;
    - a partner or an open application with the same website domain or company email
      domain (free-mail providers never count) is recorded as `duplicate_of_*` with the
      reason, for staff: never merged, never refused;
    - the fit score and its parts are computed now, from the last 12 months' KPIs;
    - the applicant is emailed a confirmation after commit.
    """
    application_rate_check(ip=ip)
    application = PartnerApplication(
        **{name: (data.get(name) or "") for name in APPLICATION_FIELDS}
    )
    for name in APPLICATION_FIELDS:
        value = getattr(application, name)
        if isinstance(value, str):
            setattr(application, name, value.strip())
    application.contact_email = application.contact_email.lower()
    application.country = application.country.upper()
    application.website_domain = website_domain(application.website)
    regions = list(data.get("regions") or [])
    languages = list(data.get("languages") or [])
    errors: dict[str, list[str]] = {}
    try:
        application.full_clean(exclude=["website_domain", "fit_parts"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if application.country and not is_country(application.country):
        errors.setdefault("country", []).append(_("Choose a country from the list."))
    if application.website and not application.website_domain:
        errors.setdefault("website", []).append(_("Enter the address of your website."))
    if errors:
        raise ValidationError(errors)
    duplicate = application_duplicate(
        website=application.website, contact_email=application.contact_email
    )
    application.duplicate_of_partner = duplicate.partner
    application.duplicate_of_application = duplicate.application
    application.duplicate_reason = duplicate.reason[:300]
    fit = application_fit(
        partner_type=application.partner_type,
        region_ids=[region.pk for region in regions],
        language_ids=[language.pk for language in languages],
        size=application.size,
    )
    application.fit_score = fit.score
    application.fit_parts = fit.parts
    with transaction.atomic():
        application.save()
        application.regions.set(regions)
        # In the applicant's order: the first one we ship is what their people will read.
        set_languages_in_order(application.languages, languages)
        from partners.tasks import send_application_received_email

        application_id = application.pk
        transaction.on_commit(lambda: send_application_received_email.delay(application_id))
    return application


def application_refit(*, application: PartnerApplication) -> PartnerApplication:
    """Compute a pending application's fit score again, from today's last 12 months
    (results arrive after applications; staff refresh the score before deciding).
    A decided application keeps the score it was decided with."""
    if application.status != PartnerApplication.Status.PENDING:
        return application
    fit = application_fit(
        partner_type=application.partner_type,
        region_ids=list(application.regions.values_list("pk", flat=True)),
        language_ids=list(application.languages.values_list("pk", flat=True)),
        size=application.size,
    )
    PartnerApplication.objects.filter(
        pk=application.pk, status=PartnerApplication.Status.PENDING
    ).update(fit_score=fit.score, fit_parts=fit.parts)
    application.fit_score, application.fit_parts = fit.score, fit.parts
    return application


def _unique_slug(name: str) -> str:
    base = (slugify(name) or "partner")[:70].strip("-") or "partner"
    slug, number = base, 1
    while Partner.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def _check_channel_manager(channel_manager: User | None) -> None:
    if channel_manager is not None and not (channel_manager.is_staff and channel_manager.is_active):
        raise ValidationError(
            {"channel_manager": _("The channel manager must be an active staff user.")}
        )


def application_approve(
    *,
    application: PartnerApplication,
    actor: User,
    tier: Tier,
    channel_manager: User | None,
) -> Partner:
    """Approve an application: create its partner and invite its contact.

    Rules:
    - the application row is locked (`select_for_update`) first, so two approvals at
      once (a double click, two staff members) run one after the other; the second finds
      it approved and returns the partner the first created: one partner, one invitation;
    - a rejected application cannot be approved;
    - the partner is created in status *onboarding* with the chosen tier and channel
      manager (an active staff user), the applicant's type, regions, languages and
      website, and a slug made unique from the company name; the audit trail records
      the creation (who, why) in the same transaction;
    - the contact is invited as partner admin (`invitation_create`, emailed after commit).
    """
    _check_channel_manager(channel_manager)
    with transaction.atomic(), scopes_disabled():
        locked = PartnerApplication.objects.select_for_update(of=("self",)).get(pk=application.pk)
        if locked.status == PartnerApplication.Status.APPROVED:
            assert locked.partner is not None  # the check constraint holds it
            return locked.partner
        if locked.status != PartnerApplication.Status.PENDING:
            raise ValidationError(
                _("This application was rejected on %(date)s; it cannot be approved.")
                % {
                    "date": timezone.localtime(locked.decided_at).date()
                    if locked.decided_at
                    else ""
                }
            )
        website = locked.website if len(locked.website) <= 200 else ""
        with staff_language():  # the audit trail's reason
            reason = _("Application of %(date)s approved.") % {
                "date": timezone.localtime(locked.created_at).date().isoformat()
            }
        for _attempt in range(5):
            slug = _unique_slug(locked.company)
            try:
                with transaction.atomic():
                    partner = partner_create(
                        actor=actor,
                        name=locked.company,
                        slug=slug,
                        tier=tier,
                        partner_type=locked.partner_type,
                        status=Partner.Status.ONBOARDING,
                        channel_manager=channel_manager,
                        reason=reason,
                        website=website,
                    )
                break
            except IntegrityError:
                continue  # another approval took the slug between the check and the insert
        else:
            raise ValidationError(_("Could not find a free address name; try again."))
        partner.regions.set(locked.regions.all())
        codes = languages_in_entry_order(locked.languages)
        set_languages_in_order(
            partner.languages,
            sorted(locked.languages.all(), key=lambda language: codes.index(language.code)),
        )
        locked.status = PartnerApplication.Status.APPROVED
        locked.partner = partner
        locked.tier = tier
        locked.channel_manager = channel_manager
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "partner",
                "tier",
                "channel_manager",
                "decided_by",
                "decided_at",
            ]
        )
        invitation_create(
            partner=partner, email=locked.contact_email, role=Membership.Role.ADMIN, actor=actor
        )
    application.status = locked.status
    application.partner = partner
    return partner


def application_reject(
    *, application: PartnerApplication, actor: User, reason: str
) -> PartnerApplication:
    """Reject an application.

    Rules: a reason is required (the applicant reads it); only a pending application
    can be rejected (the row is locked first, so an approval and a rejection at once
    cannot both win); the applicant is emailed after commit.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: the applicant receives this reason.")})
    with transaction.atomic():
        locked = PartnerApplication.objects.select_for_update(of=("self",)).get(pk=application.pk)
        if locked.status != PartnerApplication.Status.PENDING:
            raise ValidationError(
                _("This application was already decided (%(status)s).")
                % {"status": locked.get_status_display()}
            )
        locked.status = PartnerApplication.Status.REJECTED
        locked.reject_reason = reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
        from partners.tasks import send_application_rejected_email

        transaction.on_commit(lambda: send_application_rejected_email.delay(locked.pk))
    application.status = locked.status
    return locked


# --- invitations --------------------------------------------------------------------------


def _may_invite(*, partner: Partner, actor: User) -> bool:
    if actor.is_staff:
        return True
    with scopes_disabled():
        return Membership.objects.filter(
            partner=partner, user=actor, role=Membership.Role.ADMIN, user__is_active=True
        ).exists()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def _send_invitation(invitation: Invitation) -> None:
    from partners.tasks import send_invitation_email

    invitation_id = invitation.pk
    # The id only: the worker mints the token (`invitation_send`), so no secret passes
    # through the broker, a task log or the result backend.
    transaction.on_commit(lambda: send_invitation_email.delay(invitation_id))


def invitation_create(*, partner: Partner, email: str, role: str, actor: User) -> Invitation:
    """Invite someone by email to join the partner's team in a role.

    Nobody here holds the invitation's token: the invitation is saved without one and
    `invitation_send` (a task, after commit, given the id) mints it and emails the link.

    Rules:
    - the actor is staff or an active admin of this partner;
    - the email is valid; the role one of `Membership.Role`;
    - nobody with this email is on the team already, and there is no pending (unexpired)
      invitation for it: the team page offers to resend that one instead;
    - the invitation expires after INVITATION_LIFETIME and is emailed after commit
      (`invitation_send`: the link works from when that email is sent).
    Whether the address belongs to another partner is not checked here (that would tell
    one partner about another): accepting refuses it, to the invitee only.
    """
    if not _may_invite(partner=partner, actor=actor):
        raise ValidationError(_("Only the partner's admins and staff can invite people."))
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    if len(email) > 150:
        raise ValidationError({"email": _("This email address is too long (150 characters).")})
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    now = timezone.now()
    with transaction.atomic(), scopes_disabled():
        # Lock the partner row: two admins inviting the same address at once take turns.
        Partner.objects.select_for_update(of=("self",)).get(pk=partner.pk)
        if Membership.objects.filter(partner=partner, user__email__iexact=email).exists():
            raise ValidationError({"email": _("This person is already on your team.")})
        if Invitation.objects.filter(
            partner=partner,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        ).exists():
            raise ValidationError(
                {"email": _("This address has a pending invitation: resend it from the list.")}
            )
        invitation = Invitation.objects.create(
            partner=partner,
            email=email,
            role=role,
            token_hash=None,
            invited_by=actor,
            expires_at=now + INVITATION_LIFETIME,
        )
        _send_invitation(invitation)
    return invitation


def invitation_resend(*, invitation: Invitation, actor: User) -> Invitation:
    """Send a pending or expired invitation again, valid for another INVITATION_LIFETIME.

    Rules: same actors as `invitation_create`; accepted or revoked invitations cannot be
    resent; the old link stops working at once (its hash is cleared in this transaction);
    the new link is minted and emailed by `invitation_send` after commit."""
    if not _may_invite(partner=invitation.partner, actor=actor):
        raise ValidationError(_("Only the partner's admins and staff can invite people."))
    with transaction.atomic(), scopes_disabled():
        locked = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
        state = invitation_state(locked)
        if state in ("accepted", "revoked"):
            raise ValidationError(
                _("This invitation was %(state)s: invite the person again instead.")
                % {"state": _("accepted") if state == "accepted" else _("revoked")}
            )
        locked.token_hash = None
        locked.expires_at = timezone.now() + INVITATION_LIFETIME
        locked.save(update_fields=["token_hash", "expires_at"])
        _send_invitation(locked)
    return locked


def invitation_send(*, invitation_id: int, legacy_token: str | None = None) -> int:
    """Email the invitation its accept link; answers how many were emailed (0 or 1).

    The link's token is minted here, in the worker that sends the email, and exists
    only in this process and in that email: the task is queued with the invitation's id
    alone, and the database keeps the token's SHA-256.

    Rules:
    - an invitation without a token hash owes its email (`invitation_create` and
      `invitation_resend` leave it so); one with a hash was emailed since its last
      create or resend, and is sent nothing: a redelivered or repeated task never
      replaces a link the invitee already has (only a resend does, and only the latest
      email's link works);
    - a revoked, accepted or expired invitation, or one that is gone, is sent nothing;
    - the invitation row is locked (`select_for_update`) while the token is minted, its
      hash saved and the email sent, so a resend, a revoke or a second worker waits;
    - the email is sent before the hash commits: when sending fails nothing is stored
      and the invitation still owes its email (the sweep `invitation_send_owed` sends
      it, or a resend from the team page);
      when the commit fails after a send, that email's link says it was replaced and
      the next send is the one that works;
    - the invitee has no account yet: the email is in their company's language;
    - a task queued before the worker minted tokens carries the token it was to email
      (`legacy_token`): while it is still the invitation's, it counts as not emailed and
      is replaced by a fresh one (it went through the broker), which is emailed.
    """
    from partners.mail import send_to_readers
    from partners.services.languages import partner_language

    with transaction.atomic(), scopes_disabled():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("partner", "invited_by")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None:
            return 0
        owed = invitation.token_hash is None or (
            legacy_token is not None and invitation.token_hash == token_hash(legacy_token)
        )
        if not owed:
            return 0
        if invitation_state(invitation) != "pending":
            return 0
        token, invitation.token_hash = _new_token()
        invitation.save(update_fields=["token_hash"])
        inviter = invitation.invited_by
        context = {
            "invitation": invitation,
            "partner": invitation.partner,
            "inviter": inviter.get_full_name() or inviter.get_username(),
            "accept_url": invitation_site_url(token),
        }
        # Inside the transaction, the row still locked: a send that fails rolls the hash
        # back, so the invitation still owes its email instead of holding a dead link.
        return send_to_readers(
            "partners/email/invitation",
            context,
            [invitation.email],
            language=partner_language(invitation.partner),
        )


def invitation_send_owed(
    *, older_than: timedelta = INVITATION_SWEEP_DELAY, limit: int = INVITATION_SWEEP_LIMIT
) -> int:
    """The sweep (beat): email the invitations that still owe their email because their
    task never sent it (a message the broker lost, a send that failed); answers how
    many were emailed.

    Rules:
    - an invitation owes its email while it is pending (not accepted, revoked or
      expired) and has no token hash, as `invitation_send` decides;
    - it is swept only once it was created or last resent more than `older_than` ago:
      until then it is left to the task that create or resend queued. Both set
      `expires_at` to that moment plus INVITATION_LIFETIME, so the moment is derived
      from it rather than stored (were the lifetime changed, invitations made before
      would be swept a little early or late: harmless, by the next rule);
    - each is sent through `invitation_send`, which locks the row and re-checks, so a
      sweep that meets the invitation's own task, or a second sweep, sends one email;
    - an email that cannot go is logged and stays owed for the next run, and does not
      hold up the others; at most `limit` per run, the longest owed first.
    """
    now = timezone.now()
    with scopes_disabled():  # a job over every partner's invitations
        owed = list(
            Invitation.objects.filter(
                token_hash__isnull=True,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=now - older_than + INVITATION_LIFETIME,
            )
            .order_by("expires_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
    sent = 0
    for invitation_id in owed:
        try:
            sent += invitation_send(invitation_id=invitation_id)
        except Exception:
            logger.exception("Invitation %s not emailed: the next sweep tries again", invitation_id)
    return sent


def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """Revoke an invitation nobody accepted: its link stops working. Revoking twice
    changes nothing; an accepted invitation cannot be revoked (deactivate the member)."""
    if not _may_invite(partner=invitation.partner, actor=actor):
        raise ValidationError(_("Only the partner's admins and staff can revoke invitations."))
    with transaction.atomic(), scopes_disabled():
        locked = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise ValidationError(_("This invitation was accepted: deactivate the member instead."))
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
    return locked


INVALID_MESSAGES = {
    "unknown": gettext_noop(
        "This invitation link is not valid: it may be mistyped or replaced by a newer one."
    ),
    "expired": gettext_noop("This invitation has expired: invitations are valid for 7 days."),
    "accepted": gettext_noop("This invitation was already used. If it was you, log in."),
    "revoked": gettext_noop("This invitation was withdrawn by the person who sent it."),
}


def _invalid(reason: str, invitation: Invitation | None = None) -> InvitationInvalid:
    return InvitationInvalid(_(INVALID_MESSAGES[reason]), reason=reason, invitation=invitation)


def invitation_by_token(token: str, *, for_update: bool = False) -> Invitation:
    """The pending invitation this raw token names; raises InvitationInvalid (with the
    reason: unknown, expired, accepted, revoked) otherwise. Read across partners: the
    token is the credential."""
    token = (token or "").strip()
    if not token or len(token) > 200:
        raise _invalid("unknown")
    with scopes_disabled():
        queryset = Invitation.objects.select_related("partner", "invited_by")
        if for_update:
            queryset = queryset.select_for_update(of=("self",))
        invitation = queryset.filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise _invalid("unknown")
    state = invitation_state(invitation)
    if state != "pending":
        raise _invalid(state, invitation)
    return invitation


def _record_teammate_joined(*, invitation: Invitation, user: User) -> None:
    """Tell the onboarding checklist a teammate joined (step kind "invite_teammate").
    The first admin joining on staff's invitation is not a teammate the partner invited."""
    if invitation.invited_by.is_staff:
        return
    try:
        from partners.services.onboarding import onboarding_record
    except ImportError:  # the onboarding checklist is not merged yet (branch wt/onboard)
        return
    onboarding_record(partner=invitation.partner, kind="invite_teammate", actor=user)


def invitation_accept(
    *, token: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Accept an invitation: make the account, join the team, return the user.

    Rules:
    - the token names a pending invitation (`invitation_by_token`: unknown, expired,
      used and revoked tokens are refused with the reason); the invitation row is
      locked, so the token works once even when submitted twice at once;
    - the password passes Django's password validators (errors on `password`);
    - a person with this email who belongs to another partner, or who is staff, is
      refused (one partner per user); someone already on this team is told to log in;
    - a new user is created with the email as username; an existing account without a
      partner (a former member elsewhere, never staff) gets the new password: the token,
      sent to that mailbox, proves the same as a password-reset link;
    - the membership with the invited role is created and audited (who joined, on whose
      invitation) in the same transaction; the invitation is marked accepted; the
      onboarding checklist hears that a teammate joined.
    """
    UserModel = get_user_model()
    with transaction.atomic(), scopes_disabled():
        invitation = invitation_by_token(token, for_update=True)
        partner = invitation.partner
        existing = list(UserModel.objects.filter(email__iexact=invitation.email).order_by("pk")[:2])
        if len(existing) > 1:
            raise ValidationError(
                _("Several accounts use this email address; ask your channel manager to help.")
            )
        user = existing[0] if existing else None
        if user is not None:
            if user.is_staff:
                raise ValidationError(_("This email address belongs to a staff account."))
            membership = Membership.objects.filter(user=user).select_related("partner").first()
            if membership is not None:
                if membership.partner_id == partner.pk:
                    raise ValidationError(_("You are already on this team: log in instead."))
                raise ValidationError(
                    _(
                        "Your account already belongs to another partner company, and an "
                        "account can belong to one only. Ask %(partner)s to invite another "
                        "email address, or your current company to remove you first."
                    )
                    % {"partner": partner.name}
                )
        else:
            user = UserModel(username=invitation.email, email=invitation.email)
            if UserModel.objects.filter(username__iexact=invitation.email).exists():
                raise ValidationError(
                    _("An account with this name exists already; ask your channel manager.")
                )
        user.first_name = (first_name or "").strip()[:150] or user.first_name
        user.last_name = (last_name or "").strip()[:150] or user.last_name
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
        user.is_active = True
        user.save()
        with staff_language():  # the audit trail's reason; the invitee's errors stay theirs
            reason = _("Accepted the invitation of %(inviter)s.") % {
                "inviter": _user_label(invitation.invited_by)
            }
        membership_create(
            partner=partner, user=user, role=invitation.role, actor=user, reason=reason
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        _record_teammate_joined(invitation=invitation, user=user)
    return user


def invitation_request_new(*, token: str, email: str, ip: str) -> None:
    """Someone with an unusable invitation asks for a new one.

    Rules: the answer is the same whatever is found, so it never tells whether an
    address was invited; when the address (or the token's invitation with that address)
    names an invitation nobody accepted, that partner's admins and channel manager are
    emailed after commit. Rate-limited per client address like applications.
    """
    _count_attempt(
        key=f"recruit:invite-request:{ip or 'unknown'}",
        limit=INVITATION_REQUEST_RATE_LIMIT,
        message=_("Several requests came from your network in the last hour; try again later."),
    )
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    with scopes_disabled():
        candidates = Invitation.objects.filter(email__iexact=email, accepted_at__isnull=True)
        hashed = token_hash(token or "")
        invitation = (
            candidates.filter(token_hash=hashed).first()
            or candidates.order_by("-created_at", "-pk").first()
        )
    if invitation is None:
        return
    from partners.tasks import send_invitation_request_email

    invitation_id = invitation.pk
    transaction.on_commit(lambda: send_invitation_request_email.delay(invitation_id))


# --- the team --------------------------------------------------------------------------


def _people_admins(partner_id: int) -> Any:
    return Membership.objects.filter(
        partner_id=partner_id,
        role=Membership.Role.ADMIN,
        user__is_active=True,
        user__api_key__isnull=True,
    )


def _guard_last_admin(membership: Membership, *, field: str) -> None:
    """Refuse to leave the partner without an active partner admin (a person, not an API
    key's user). Locks the partner's admin rows in pk order first, so two admins demoting
    each other at once take turns and the second is refused."""
    list(
        Membership.objects.select_for_update(of=("self",))
        .filter(partner_id=membership.partner_id, role=Membership.Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if membership.role != Membership.Role.ADMIN or not membership.user.is_active:
        return
    if not _people_admins(membership.partner_id).exclude(pk=membership.pk).exists():
        raise ValidationError(
            {
                field: _(
                    "%(name)s is the last active partner admin: make someone else an admin first."
                )
                % {"name": membership.user.get_full_name() or membership.user.get_username()}
            }
        )


def membership_is_last_admin(membership: Membership) -> bool:
    """Is this membership its partner's last active partner admin (a person, not an API
    key's user)? Checked as the team's own changes check it (`_guard_last_admin`: the
    partner's admin rows locked first)."""
    try:
        _guard_last_admin(membership, field="role")
    except ValidationError:
        return True
    return False


def _team_actor_check(*, membership: Membership, actor: User) -> None:
    if not _may_invite(partner=membership.partner, actor=actor):
        raise ValidationError(_("Only the partner's admins and staff can manage the team."))


def team_member_change_role(*, membership: Membership, role: str, actor: User) -> Membership:
    """Give a team member another role (audited by `membership_change_role`).

    Rules: the actor is staff or an admin of the partner; the last active partner admin
    cannot be demoted (`_guard_last_admin`, under lock)."""
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    _team_actor_check(membership=membership, actor=actor)
    with transaction.atomic(), scopes_disabled():
        locked = Membership.objects.select_related("user", "partner").get(pk=membership.pk)
        if role != Membership.Role.ADMIN:
            _guard_last_admin(locked, field="role")
        return membership_change_role(membership=locked, role=role, actor=actor)


def team_member_deactivate(*, membership: Membership, actor: User, reason: str = "") -> Membership:
    """Deactivate a team member: their account can no longer log in (sessions end at the
    next request) and they stop receiving the partner's email; the membership stays, so
    the team page lists them and an admin can reactivate them.

    Rules: the actor is staff or an admin of the partner; the last active partner admin
    cannot be deactivated; one audit entry (who, when, the member, why) in the same
    transaction. Deactivating twice changes nothing."""
    _team_actor_check(membership=membership, actor=actor)
    with transaction.atomic(), scopes_disabled():
        locked = Membership.objects.select_related("user", "partner").get(pk=membership.pk)
        if not locked.user.is_active:
            return locked
        _guard_last_admin(locked, field="membership")
        user = get_user_model().objects.select_for_update(of=("self",)).get(pk=locked.user_id)
        user.is_active = False
        user.save(update_fields=["is_active"])
        with staff_language():
            PartnerAuditEntry.objects.create(
                partner_id=locked.partner_id,
                actor=actor,
                field=PartnerAuditEntry.Field.MEMBERSHIP,
                old_value=_member_label(locked, locked.role),
                new_value=_("%(user)s: deactivated") % {"user": _user_label(user)},
                reason=(reason or "").strip(),
            )
        locked.user = user
    return locked


def team_member_reactivate(*, membership: Membership, actor: User, reason: str = "") -> Membership:
    """Let a deactivated member log in again, with the role they had. Audited."""
    _team_actor_check(membership=membership, actor=actor)
    with transaction.atomic(), scopes_disabled():
        locked = Membership.objects.select_related("user", "partner").get(pk=membership.pk)
        user = get_user_model().objects.select_for_update(of=("self",)).get(pk=locked.user_id)
        if user.is_active:
            return locked
        user.is_active = True
        user.save(update_fields=["is_active"])
        with staff_language():
            PartnerAuditEntry.objects.create(
                partner_id=locked.partner_id,
                actor=actor,
                field=PartnerAuditEntry.Field.MEMBERSHIP,
                old_value=_("%(user)s: deactivated") % {"user": _user_label(user)},
                new_value=_member_label(locked, locked.role),
                reason=(reason or "").strip(),
            )
        locked.user = user
    return locked


def invitation_site_url(token: str) -> str:
    from django.urls import reverse

    return f"{settings.SITE_URL}{reverse('invitation_accept', kwargs={'token': token})}"
