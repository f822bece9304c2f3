"""Recruitment: applications to join the program, and invitations to a partner's team.

An application is not partner data yet (it has no partner until staff approve it), so
it has no scope: only staff read applications. An invitation belongs to one partner.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partners.models.core import Language, Membership, Partner, Region, Tier


class PartnerApplication(models.Model):
    """A company asking to become a partner, from the public form at /apply/."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Size(models.TextChoices):
        MICRO = "1-10", _("1–10 employees")
        SMALL = "11-50", _("11–50 employees")
        MEDIUM = "51-200", _("51–200 employees")
        LARGE = "201-1000", _("201–1,000 employees")
        ENTERPRISE = "1000+", _("More than 1,000 employees")

    class SalesMotion(models.TextChoices):
        RESALE = "resale", _("We resell licences")
        SERVICES = "services", _("We sell services around the product")
        MANAGED = "managed", _("We run it for customers (managed service)")
        REFERRAL = "referral", _("We refer customers")
        MARKETPLACE = "marketplace", _("Through a marketplace or distribution")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    company = models.CharField(_("company"), max_length=200)
    website = models.URLField(_("website"), max_length=300)
    # The domain of the website, lower case without "www.": what duplicates are found by.
    website_domain = models.CharField(max_length=253, db_index=True, editable=False)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code"))
    regions = models.ManyToManyField(
        Region, verbose_name=_("regions"), blank=True, related_name="+"
    )
    partner_type = models.CharField(_("partner type"), max_length=20, choices=Partner.Type.choices)
    size = models.CharField(_("company size"), max_length=10, choices=Size.choices)
    specialties = models.CharField(_("specialties"), max_length=500, blank=True)
    languages = models.ManyToManyField(
        Language, verbose_name=_("languages"), blank=True, related_name="+"
    )
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    sales_motion = models.CharField(_("how you sell"), max_length=20, choices=SalesMotion.choices)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    # Found when the application arrives: a partner or an open application with the same
    # email domain or website domain. Flagged for staff, never merged.
    duplicate_of_partner = models.ForeignKey(
        Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    duplicate_of_application = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    duplicate_reason = models.CharField(max_length=300, blank=True)

    # How closely it resembles the best active partners of its type and region, 0–100,
    # with its parts in words (computed by the services).
    fit_score = models.PositiveSmallIntegerField(null=True, blank=True)
    fit_parts = models.JSONField(default=list, blank=True)

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(_("reason"), blank=True)
    tier = models.ForeignKey(
        Tier,
        verbose_name=_("tier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("channel manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The partner its approval created (one: approving twice creates nothing more).
    partner = models.OneToOneField(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="application"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("partner application")
        verbose_name_plural = _("partner applications")
        indexes = [models.Index(fields=["status", "created_at"], name="application_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(partner__isnull=False),
                name="application_approved_has_partner",
            ),
        ]

    def __str__(self) -> str:
        return self.company


class Invitation(models.Model):
    """An invitation to join a partner's team by email, accepted once with its token
    before it expires. Only a hash of the token is stored; the token itself is minted
    by the worker that emails it (`invitation_send`), so until that email is sent the
    invitation has no hash and no link works."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return self.email
