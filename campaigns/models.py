"""Through-channel campaigns: kits the vendor publishes, launches partners run.

A `CampaignKit` is *shared* content, like a library asset: which partner sees it is
the content library's audience rule (`assets.models.Audience`), and
`CampaignKit.objects.available_to(partner)` is its single definition. A `Launch`
belongs to one partner (django-scopes' `ScopedManager`): the partner's own run of a
kit, on one channel, with its own tracking link `/t/<code>`.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from assets.models import Asset, Audience, ChoiceSetField
from partners.models import Partner


class Channel(models.TextChoices):
    """Where a partner runs a campaign; `utm_medium` of its tracking link."""

    EMAIL = "email", _("Email")
    SOCIAL = "social", _("Social")
    WEB = "web", _("Web")
    EVENT = "event", _("Event")
    WEBINAR = "webinar", _("Webinar")
    PAID_SEARCH = "paid_search", _("Paid search")
    OTHER = "other", _("Other")


# Landing pages are visited by the partner's prospects: only web addresses, never
# `javascript:` or `data:` URLs.
landing_url_validator = URLValidator(schemes=["http", "https"])


class CampaignKitQuerySet(models.QuerySet):
    def published(self) -> CampaignKitQuerySet:
        return self.filter(status=CampaignKit.Status.PUBLISHED)

    def available_to(self, partner: Partner) -> CampaignKitQuerySet:
        """THE definition of "this partner may see this kit": published and in its
        audience (the content library's rule, `Audience.audience_q`)."""
        return self.published().filter(CampaignKit.audience_q(partner))


class CampaignKit(Audience):
    """A campaign the vendor packages for partners to run: what it is for, which
    channels it suits, the library assets it bundles, where its links land."""

    class Objective(models.TextChoices):
        AWARENESS = "awareness", _("Brand awareness")
        LEAD_GENERATION = "lead_generation", _("Lead generation")
        PIPELINE = "pipeline", _("Pipeline acceleration")
        PRODUCT_LAUNCH = "product_launch", _("Product launch")
        CROSS_SELL = "cross_sell", _("Cross-sell and upsell")
        RETENTION = "retention", _("Customer retention")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=80,
        unique=True,
        help_text=_("The kit's name in links and reports (utm_campaign)."),
    )
    objective = models.CharField(_("objective"), max_length=30, choices=Objective.choices)
    description = models.TextField(_("description"), blank=True)
    channels = ChoiceSetField(
        _("channels offered"), options=Channel.choices, max_length=120, blank=False
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    assets = models.ManyToManyField(
        Asset,
        verbose_name=_("bundled assets"),
        blank=True,
        related_name="campaign_kits",
        help_text=_("Partners see only the assets their own audience rules allow."),
    )
    landing_url = models.URLField(
        _("landing page URL"),
        max_length=500,
        validators=[landing_url_validator],
        help_text=_("Where tracking links send visitors (http or https)."),
    )
    suggested_budget = models.DecimalField(
        _("suggested budget"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    mdf_eligible = models.BooleanField(
        _("MDF eligible"),
        default=False,
        help_text=_("Partners may ask for market development funds to run it."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignKitQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("campaign kit")
        verbose_name_plural = _("campaign kits")
        indexes = [models.Index(fields=["status", "published_at"], name="kit_status_published")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="kit_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(suggested_budget__isnull=True) | Q(suggested_budget__gte=0),
                name="kit_budget_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignKitEvent(models.Model):
    """The trace of a staff decision on a kit: who, when, what (written by services)."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Back to draft")

    kit = models.ForeignKey(CampaignKit, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("kit event")
        verbose_name_plural = _("kit history")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.detail}".strip()


# 10 characters of a 62-letter alphabet: about 59 bits, short enough to read out and
# far too many to guess (a tracking link is public, but must not be enumerable).
TRACKING_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TRACKING_CODE_LENGTH = 10


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_CODE_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


class Launch(models.Model):
    """A partner's run of a kit on one channel, with its own tracking link."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")

    # The moves a launch may make (services.launch_set_status enforces them).
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        Status.PLANNED: (Status.ACTIVE, Status.COMPLETED),
        Status.ACTIVE: (Status.PAUSED, Status.COMPLETED),
        Status.PAUSED: (Status.ACTIVE, Status.COMPLETED),
        Status.COMPLETED: (),
    }
    # Clicks on links of launches in these states are recorded but marked.
    RUNNING = (Status.PLANNED, Status.ACTIVE)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="launches")
    kit = models.ForeignKey(CampaignKit, on_delete=models.PROTECT, related_name="launches")
    code = models.CharField(
        _("tracking code"), max_length=16, unique=True, default=new_tracking_code, editable=False
    )
    name = models.CharField(
        _("name"), max_length=200, blank=True, help_text=_("Your own name for this run.")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("launch")
        verbose_name_plural = _("launches")
        indexes = [models.Index(fields=["partner", "status"], name="launch_partner_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="launch_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.kit} · {self.get_channel_display()}"

    @property
    def tracking_path(self) -> str:
        return f"/t/{self.code}"

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, ())


class LaunchStatusChange(models.Model):
    """Who moved a launch from one status to another, and when."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="status_changes")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    old_status = models.CharField(max_length=12, choices=Launch.Status.choices, blank=True)
    new_status = models.CharField(max_length=12, choices=Launch.Status.choices)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("launch status change")
        verbose_name_plural = _("launch history")

    def __str__(self) -> str:
        return f"{self.old_status or '—'} → {self.new_status}"
