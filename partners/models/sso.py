"""Single sign-on: the identity providers people sign in through, the email domains
each partner's provider owns, and the record of every SSO sign-in (docs/sso.md).

The protocol itself (OpenID Connect or SAML 2.0) is django-allauth's: an
`IdentityProvider` names the allauth `SocialApp` it signs in through (its `slug` is the
app's provider_id) and holds our rules' data: whose provider it is, which claim carries
roles and how its values map to ours. The rules are `partners.services.sso`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partners.models.core import Membership, Partner


class IdentityProvider(models.Model):
    """A company's identity provider. Without a partner it is the vendor's own, which
    signs staff in; with one, it signs in that partner's people only."""

    class Protocol(models.TextChoices):
        OIDC = "oidc", _("OpenID Connect")
        SAML = "saml", _("SAML 2.0")

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identity_providers",
        help_text=_("Empty: the vendor's own provider, which signs staff in."),
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("slug"),
        max_length=60,
        unique=True,
        help_text=_("Part of the sign-in address; the staff provider's is “staff”."),
    )
    protocol = models.CharField(
        _("protocol"), max_length=10, choices=Protocol.choices, default=Protocol.OIDC
    )
    # Null when the provider is configured by settings (the staff one, SSO_STAFF_*).
    app = models.OneToOneField(
        "socialaccount.SocialApp",
        verbose_name=_("application"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="identity_provider",
    )
    role_claim = models.CharField(_("role claim"), max_length=100, default="groups")
    role_map = models.JSONField(
        _("role map"),
        default=dict,
        blank=True,
        help_text=_(
            'Claim value → role, e.g. {"partnerhub-finance": "Finance approver"} for '
            'staff, {"sales-team": "sales"} for a partner.'
        ),
    )
    default_role = models.CharField(
        _("default role"),
        max_length=20,
        choices=Membership.Role.choices,
        blank=True,
        help_text=_(
            "A partner's provider: the role of a person none of whose claims map. "
            "Staff get no default role."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["name"]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self) -> str:
        return self.name


class IdentityProviderDomain(models.Model):
    """An email domain a provider owns. Unique across all providers: a domain belongs
    to one partner only. A domain a partner admin claims is pending until staff approve
    it (`approved_at`); only approved domains sign anyone in or answer home-realm
    discovery (`partners.services.sso`)."""

    provider = models.ForeignKey(
        IdentityProvider,
        verbose_name=_("identity provider"),
        on_delete=models.CASCADE,
        related_name="domains",
    )
    domain = models.CharField(_("domain"), max_length=253, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # Empty: pending, waiting for staff.
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ScopedManager(partner="provider__partner")

    class Meta:
        ordering = ["domain"]
        verbose_name = _("email domain")
        verbose_name_plural = _("email domains")

    def __str__(self) -> str:
        return self.domain

    def save(self, *args: Any, **kwargs: Any) -> None:
        # One spelling, so the unique constraint and the lookups see the same value.
        self.domain = self.domain.strip().lower().lstrip("@")
        super().save(*args, **kwargs)

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class SignInRecord(models.Model):
    """The audit of single sign-on: every sign-in, account created, role granted or
    taken from the claims, and refusal. Written in the transaction of what it records;
    the detail is data (`reason`, `role`), worded when read (`detail_text`)."""

    class Event(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        CREATED = "created", _("Account created")
        ROLE_ADDED = "role_added", _("Role granted")
        ROLE_REMOVED = "role_removed", _("Role removed")
        REFUSED = "refused", _("Refused")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    provider_slug = models.CharField(_("provider"), max_length=60)
    provider = models.ForeignKey(
        IdentityProvider,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sign_ins",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.CharField(_("email"), max_length=254, blank=True)
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    detail = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("sign-in record")
        verbose_name_plural = _("sign-in records")
        indexes = [models.Index(fields=["event", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_event_display()}: {self.email or '—'} ({self.provider_slug})"

    @property
    def detail_text(self) -> str:
        """The detail in the reader's language."""
        from partners.services.sso import refusal_text

        if self.event == self.Event.REFUSED:
            return refusal_text(self.detail.get("reason", ""))
        role = self.detail.get("role", "")
        if not role:
            return ""
        if role in Membership.Role.values:
            return str(Membership.Role(role).label)
        return gettext(role)
