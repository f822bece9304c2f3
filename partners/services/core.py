"""Writes on partners, memberships and API keys. Every staff decision is audited here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from assets.validation import LOGO_KINDS, validate_upload
from partners.models import Membership, Partner, PartnerAPIKey, PartnerAuditEntry, Tier

# Which status a partner may move to from each status. Terminated is final.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Partner.Status.APPLICANT: {Partner.Status.ONBOARDING, Partner.Status.TERMINATED},
    Partner.Status.ONBOARDING: {Partner.Status.ACTIVE, Partner.Status.TERMINATED},
    Partner.Status.ACTIVE: {Partner.Status.SUSPENDED, Partner.Status.TERMINATED},
    Partner.Status.SUSPENDED: {Partner.Status.ACTIVE, Partner.Status.TERMINATED},
    Partner.Status.TERMINATED: set(),
}
# Partners in these states keep their data but cannot use the portal or the API.
INACTIVE_STATUSES = frozenset({Partner.Status.SUSPENDED, Partner.Status.TERMINATED})

COBRANDING_FIELDS = (
    "display_name",
    "contact_phone",
    "contact_email",
    "contact_website",
    "address",
)

_UNSET: Any = object()


@dataclass(frozen=True)
class CreatedAPIKey:
    api_key: PartnerAPIKey
    raw_key: str  # shown once, never stored


def _user_label(user: User | None) -> str:
    if user is None:
        return ""
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full_name} <{user.get_username()}>" if full_name else user.get_username()


@transaction.atomic
def partner_create(
    *,
    actor: User | None,
    name: str,
    slug: str,
    tier: Tier,
    partner_type: str,
    status: str = Partner.Status.APPLICANT,
    channel_manager: User | None = None,
    reason: str = "",
    **fields: Any,
) -> Partner:
    """Create a partner and record who created it, in the same transaction."""
    partner = Partner(
        name=name,
        slug=slug,
        tier=tier,
        partner_type=partner_type,
        status=status,
        channel_manager=channel_manager,
        **fields,
    )
    partner.full_clean()
    partner.save()
    with scopes_disabled():
        PartnerAuditEntry.objects.create(
            partner=partner,
            actor=actor,
            field=PartnerAuditEntry.Field.CREATED,
            new_value=f"{partner.get_status_display()}, {tier.name}",
            reason=reason,
        )
    return partner


def partner_decide(
    *,
    partner: Partner,
    actor: User | None,
    reason: str,
    status: str = _UNSET,
    tier: Tier = _UNSET,
    channel_manager: User | None = _UNSET,
) -> list[PartnerAuditEntry]:
    """Change a partner's status, tier and/or channel manager as one staff decision.

    Rules: a reason is required; status moves only along STATUS_TRANSITIONS
    (terminated is final); the channel manager must be a staff user. Each changed
    field writes one audit entry (who, when, old → new, why) in the same
    transaction as the change; partner admins are emailed after commit. Fields
    passed with their current value change nothing and record nothing.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: the reason is kept in the audit trail.")})
    with transaction.atomic():
        locked = Partner.objects.select_for_update(of=("self",)).get(pk=partner.pk)
        changes: list[tuple[str, str, str]] = []
        update_fields: list[str] = []
        if status is not _UNSET and status != locked.status:
            if status not in Partner.Status.values:
                raise ValidationError({"status": _("Unknown status.")})
            if status not in STATUS_TRANSITIONS[locked.status]:
                raise ValidationError(
                    {
                        "status": _("A partner cannot move from %(old)s to %(new)s.")
                        % {
                            "old": locked.get_status_display(),
                            "new": Partner.Status(status).label,
                        }
                    }
                )
            changes.append(
                (
                    PartnerAuditEntry.Field.STATUS,
                    locked.get_status_display(),
                    str(Partner.Status(status).label),
                )
            )
            locked.status = status
            update_fields.append("status")
        if tier is not _UNSET and tier.pk != locked.tier_id:
            changes.append((PartnerAuditEntry.Field.TIER, locked.tier.name, tier.name))
            locked.tier = tier
            update_fields.append("tier")
        if channel_manager is not _UNSET and (
            (channel_manager.pk if channel_manager else None) != locked.channel_manager_id
        ):
            if channel_manager is not None and not channel_manager.is_staff:
                raise ValidationError(
                    {"channel_manager": _("The channel manager must be a staff user.")}
                )
            changes.append(
                (
                    PartnerAuditEntry.Field.CHANNEL_MANAGER,
                    _user_label(locked.channel_manager),
                    _user_label(channel_manager),
                )
            )
            locked.channel_manager = channel_manager
            update_fields.append("channel_manager")
        if not changes:
            return []
        locked.save(update_fields=[*update_fields, "updated_at"])
        with scopes_disabled():
            entries = [
                PartnerAuditEntry.objects.create(
                    partner=locked,
                    actor=actor,
                    field=field,
                    old_value=old[:200],
                    new_value=new[:200],
                    reason=reason,
                )
                for field, old, new in changes
            ]
        notify = [e.pk for e in entries if e.field != PartnerAuditEntry.Field.CHANNEL_MANAGER]
        if notify:
            from partners.tasks import send_partner_decision_email

            transaction.on_commit(lambda: send_partner_decision_email.delay(notify))
    for name in update_fields:
        setattr(partner, name, getattr(locked, name))
    return entries


def partner_update_cobranding(
    *,
    partner: Partner,
    actor: User | None,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
    **fields: str,
) -> Partner:
    """Update the co-branding profile (logo and contact block).

    The logo passes the one upload validator (PNG, JPEG or WEBP detected from the
    content, bounded size and pixel count). Every effective change bumps
    `cobranding_revision`, which invalidates cached co-branded copies.
    """
    unknown = set(fields) - set(COBRANDING_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    validated = None
    if logo is not None:
        validated = validate_upload(
            logo,
            field="logo",
            allowed=LOGO_KINDS,
            max_bytes=settings.LOGO_MAX_BYTES,
            max_pixels=settings.LOGO_MAX_PIXELS,
        )
    with transaction.atomic():
        locked = Partner.objects.select_for_update(of=("self",)).get(pk=partner.pk)
        changed: list[str] = []
        for name, value in fields.items():
            value = (value or "").strip()
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        old_logo_name = locked.logo.name if locked.logo else ""
        if validated is not None and logo is not None:
            locked.logo.save(validated.safe_name, logo, save=False)
            changed.append("logo")
        elif remove_logo and old_logo_name:
            locked.logo = ""
            changed.append("logo")
        # Saving a finished profile (again) completes the checklist's profile and logo steps.
        from partners.services.onboarding import onboarding_profile_saved

        transaction.on_commit(lambda: onboarding_profile_saved(partner=locked, actor=actor))
        if not changed:
            return locked
        locked.full_clean(exclude=["tier", "channel_manager", "slug", "name", "partner_type"])
        locked.cobranding_revision += 1
        locked.save(update_fields=[*changed, "cobranding_revision", "updated_at"])
        if "logo" in changed and old_logo_name:
            storage = locked.logo.storage
            transaction.on_commit(lambda: storage.delete(old_logo_name))
    return locked


def membership_check(*, partner: Partner | None, user: User) -> None:
    """May this user join this partner (None: a partner not saved yet)? A user belongs
    to at most one partner; staff to none. Raises ValidationError on `user`; forms call
    it to show the error before anything is saved."""
    if user.is_staff:
        raise ValidationError({"user": _("Staff users cannot belong to a partner.")})
    with scopes_disabled():
        others = Membership.objects.filter(user=user)
        if partner is not None:
            others = others.exclude(partner=partner)
        existing = others.select_related("partner").first()
    if existing is not None:
        raise ValidationError(
            {"user": _("This user already belongs to %(partner)s.") % {"partner": existing.partner}}
        )


def _member_label(membership: Membership, role: str) -> str:
    return f"{_user_label(membership.user)}: {Membership.Role(role).label}"[:200]


def _membership_audit(
    membership: Membership, actor: User | None, old: str, new: str, reason: str
) -> PartnerAuditEntry:
    with scopes_disabled():
        return PartnerAuditEntry.objects.create(
            partner_id=membership.partner_id,
            actor=actor,
            field=PartnerAuditEntry.Field.MEMBERSHIP,
            old_value=old,
            new_value=new,
            reason=(reason or "").strip(),
        )


@transaction.atomic
def membership_create(
    *, partner: Partner, user: User, role: str, actor: User | None = None, reason: str = ""
) -> Membership:
    """Attach a user to a partner (`membership_check`: one partner per user, no staff).

    When staff attach someone (`actor`), the audit trail records who, when and which
    role, in the same transaction; joins that are not a staff decision (an accepted
    invitation, the demo seeder) pass no actor.
    """
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    membership_check(partner=partner, user=user)
    with scopes_disabled():
        if Membership.objects.filter(user=user).exists():
            raise ValidationError({"user": _("This user already belongs to this partner.")})
        membership = Membership.objects.create(partner=partner, user=user, role=role)
    if actor is not None:
        _membership_audit(membership, actor, "", _member_label(membership, role), reason)
    return membership


def membership_change_role(
    *, membership: Membership, role: str, actor: User | None, reason: str = ""
) -> Membership:
    """Give a partner's user another role (partner admin, marketer, sales rep).

    Rules: the role is one of `Membership.Role`; the row is locked while it changes;
    an actual change writes one audit entry (who, when, old role → new role, why) in
    the same transaction. The same role again changes and records nothing.
    """
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    with transaction.atomic(), scopes_disabled():
        locked = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=membership.pk)
        )
        old_role = locked.role
        if old_role == role:
            return locked
        locked.role = role
        locked.save(update_fields=["role"])
        _membership_audit(
            locked, actor, _member_label(locked, old_role), _member_label(locked, role), reason
        )
    membership.role = role
    return locked


def membership_remove(*, membership: Membership, actor: User | None, reason: str = "") -> None:
    """Take a user out of its partner: from the next request it sees nothing of the
    partner (the portal and API resolve the partner from the membership). The user
    account stays. One audit entry (who, when, the user and the role they had, why)
    is written in the same transaction as the removal.
    """
    with transaction.atomic(), scopes_disabled():
        locked = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=membership.pk)
            .first()
        )
        if locked is None:
            return
        _membership_audit(locked, actor, _member_label(locked, locked.role), "", reason)
        locked.delete()


API_KEY_USERNAME_PREFIX = "api-key:"  # ":" is refused in usernames people choose


def api_key_label(*, name: str, created_by: User | None) -> str:
    """How trails name a key's user: "API key ‘CRM sync’, created by Ann Admin"."""
    if created_by is None:
        creator = _("the operator (command line)")
    else:
        creator = created_by.get_full_name() or created_by.get_username()
    return (_("API key ‘%(name)s’, created by %(creator)s") % {"name": name, "creator": creator})[
        :150
    ]


@transaction.atomic
def api_key_create(
    *,
    name: str,
    partner: Partner | None,
    created_by: User | None,
    role: str | None = None,
    by_operator: bool = False,
) -> CreatedAPIKey:
    """Create an API key and return the raw key once; only its hash is stored.

    Rules:
    - with a partner the key acts only within it, with a partner role (`role`; by
      default partner admin, what a key could always do); without, it is a staff
      integration key, which only staff (or the operator at the command line) may
      create, and which has no partner role;
    - the key acts as its own user, made here in the same transaction (zulip's bot
      users): named `api_key_label`, inactive and without a usable password (so it
      can never log in to the portal or the admin), never one of the partner's
      people; a membership with the key's role, or staff status for a staff key. Every
      trail the key leaves names that user, never whoever created the key.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name, e.g. the system that uses it.")})
    if len(name) > 50:
        raise ValidationError({"name": _("The name is at most 50 characters.")})
    if partner is None and not by_operator and not (created_by is not None and created_by.is_staff):
        raise ValidationError({"partner": _("Only staff can create staff integration keys.")})
    if partner is None and role:
        raise ValidationError({"role": _("A staff key acts across partners: it has no role.")})
    member_role: str = role or Membership.Role.ADMIN
    if partner is not None and member_role not in Membership.Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role; choose one of: %(roles)s.")
                % {"roles": ", ".join(Membership.Role.values)}
            }
        )
    api_key = PartnerAPIKey(name=name, partner=partner, created_by=created_by)
    raw_key = PartnerAPIKey.objects.assign_key(api_key)
    user = User(
        username=f"{API_KEY_USERNAME_PREFIX}{api_key.prefix}",
        first_name=api_key_label(name=name, created_by=created_by),
        is_active=False,
        is_staff=partner is None,
    )
    user.set_unusable_password()
    user.save()
    api_key.user = user
    with scopes_disabled():
        api_key.save()
        if partner is not None:
            Membership.objects.create(partner=partner, user=user, role=member_role)
    return CreatedAPIKey(api_key=api_key, raw_key=raw_key)


@transaction.atomic
def api_key_revoke(*, api_key: PartnerAPIKey, actor: User | None) -> PartnerAPIKey:
    """Revoke a key for good; a revoked key is rejected at once and cannot be restored."""
    with scopes_disabled():
        locked = PartnerAPIKey.objects.select_for_update(of=("self",)).get(pk=api_key.pk)
        if locked.revoked:
            return locked
        locked.revoked = True
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked", "revoked_at", "revoked_by"])
    return locked
