"""Partners, tiers, memberships, the partner audit trail and API keys.

`Partner` is the root of the partner scope: every partner-owned model carries a
`partner` foreign key and a django-scopes `ScopedManager`, so a query outside an
open scope raises instead of silently returning every partner's rows.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class Tier(models.Model):
    """A partner program level; `rank` orders them (Registered < Silver < Gold < Platinum)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"), unique=True, help_text=_("Higher is better.")
    )
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    """A sales region (e.g. EMEA); audiences of content and campaigns target them."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    """A language a partner markets in (ISO 639-1 code)."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return self.name


class Specialisation(models.Model):
    """Something a partner is certified or known for (e.g. cloud security); leads
    that need it are routed to partners that hold it."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("specialisation")
        verbose_name_plural = _("specialisations")

    def __str__(self) -> str:
        return self.name


def partner_logo_path(instance: "Partner", filename: str) -> str:
    # The validator has already replaced the name with a random one; keep it unguessable.
    return f"partners/{instance.uuid}/logo/{filename}"


class Partner(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    class Type(models.TextChoices):
        RESELLER = "reseller", _("Reseller")
        DISTRIBUTOR = "distributor", _("Distributor")
        MSP = "msp", _("Managed service provider")
        REFERRAL = "referral", _("Referral")
        TECHNOLOGY = "technology", _("Technology")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("company name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.APPLICANT
    )
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="partners"
    )
    partner_type = models.CharField(_("partner type"), max_length=20, choices=Type.choices)
    regions = models.ManyToManyField(
        Region, verbose_name=_("regions"), blank=True, related_name="partners"
    )
    languages = models.ManyToManyField(
        Language, verbose_name=_("languages"), blank=True, related_name="partners"
    )
    specialisations = models.ManyToManyField(
        Specialisation, verbose_name=_("specialisations"), blank=True, related_name="partners"
    )
    website = models.URLField(_("website"), blank=True)
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("channel manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_partners",
        # Active staff: not a departed colleague, nor a staff API key's own user.
        limit_choices_to={"is_staff": True, "is_active": True},
    )
    # Co-branding profile: what goes on personalised copies of shared content.
    logo = models.ImageField(_("logo"), upload_to=partner_logo_path, blank=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("email"), blank=True)
    contact_website = models.URLField(_("co-branding website"), blank=True)
    address = models.TextField(_("address"), blank=True)
    # Bumped on every co-branding change, so cached co-branded copies know they are stale.
    cobranding_revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        indexes = [models.Index(fields=["status", "tier"])]

    def __str__(self) -> str:
        return self.name

    @property
    def brand_name(self) -> str:
        return self.display_name or self.name


class Membership(models.Model):
    """A user's place in one partner company. A user belongs to at most one partner."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Partner admin")
        MARKETER = "marketer", _("Marketer")
        SALES = "sales", _("Sales rep")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["partner", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner} ({self.get_role_display()})"


class LanguageChoice(models.Model):
    """The language a person chose to read the portal and their emails in. Without a
    choice they read their partner's first language that ships, else English
    (`partners.services.user_language`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_choice"
    )
    # A code of settings.LANGUAGES; not a choices field, so shipping a language needs
    # no migration.
    language = models.CharField(_("language"), max_length=10)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("language choice")
        verbose_name_plural = _("language choices")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"


class PartnerAuditEntry(models.Model):
    """One staff decision on a partner: who, when, which field, old → new, why.

    Written by the service that makes the change, in the same transaction.
    """

    class Field(models.TextChoices):
        STATUS = "status", _("Status")
        TIER = "tier", _("Tier")
        CHANNEL_MANAGER = "channel_manager", _("Channel manager")
        CREATED = "created", _("Created")
        MEMBERSHIP = "membership", _("Membership")
        SSO = "sso", _("Company sign-in")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    field = models.CharField(max_length=30, choices=Field.choices)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.old_value} → {self.new_value}"


class PartnerAPIKey(AbstractAPIKey):
    """An API key. With a partner it acts only within that partner; without, it is a
    staff integration key that acts across partners. Only the hash is stored.

    A key acts as its own `user` (zulip's bot users), made with it by
    `partners.services.api_key_create`: named after the key ("API key ‘CRM sync’,
    created by …"), unable to log in, with a membership carrying the key's partner
    role (or staff status for a staff key). So every trail, which records a user
    (MDF requests, claims and events, the ledger, audit entries), names the key.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="api_keys",
        null=True,
        blank=True,
        help_text=_("Empty for a staff integration key that acts across partners."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.PROTECT,  # trails point at it: keys are revoked, not deleted
        related_name="api_key",
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # django-scopes' manager around the key generation of djangorestframework-api-key.
    objects = ScopedManager(BaseAPIKeyManager, partner="partner")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked=False) | Q(revoked_at__isnull=False),
                name="apikey_revoked_has_time",
            )
        ]

    @property
    def is_staff_key(self) -> bool:
        return self.partner_id is None


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an `Idempotency-Key` header.

    Platform plumbing for `config.idempotency`: one row per (caller, key), written
    in the same transaction as the change the request made, so a replay returns this
    answer and changes nothing. `caller` is "api_key:<public_id>" or "user:<id>": keys of
    different callers never meet, so the rows need no partner scope. Rows older than
    `config.idempotency.RETENTION` may be purged (`purge_idempotency_records`).
    """

    caller = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.TextField()
    # SHA-256 of method, path with query string and the parsed body (files by content).
    request_hash = models.CharField(max_length=64)
    # Null only inside the transaction that claimed the key; never committed so.
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_per_caller")
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key} → {self.status_code}"
