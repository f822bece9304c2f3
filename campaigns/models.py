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


# --- Joint marketing plans -------------------------------------------------------------
#
# A plan is the partner's and the vendor's agreement for one period: objectives,
# targets on the analytics KPIs (their actuals are read from the rollups, never typed
# in), the activities that will get there (tied to the launches that run them and the
# fund requests that pay for them), and the reviews that look at the numbers. The
# working copy lives in these tables; each submission and approval freezes a
# `PlanRevision` (the plan as JSON), so an approved revision stays readable byte for
# byte while the partner edits the next one.


class PlanPeriod(models.Model):
    """A planning period staff open for plans: a quarter, a half or a year."""

    class Kind(models.TextChoices):
        QUARTER = "quarter", _("Quarter")
        HALF = "half", _("Half year")
        YEAR = "year", _("Year")

    # How many quarters a period of each kind spans (targets carry one value per quarter).
    QUARTERS = {Kind.QUARTER: 1, Kind.HALF: 2, Kind.YEAR: 4}

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    start = models.DateField(_("starts"), help_text=_("The first day of a calendar quarter."))
    end = models.DateField(_("ends"), editable=False)
    name = models.CharField(_("name"), max_length=40, help_text=_("e.g. 2027 Q1, 2027 H2, FY 2027"))
    is_open = models.BooleanField(
        _("open for plans"),
        default=True,
        help_text=_("Partners may start plans only for open periods."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "kind"]
        verbose_name = _("planning period")
        verbose_name_plural = _("planning periods")
        constraints = [
            models.UniqueConstraint(fields=["kind", "start"], name="plan_period_unique"),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="plan_period_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def quarter_count(self) -> int:
        return self.QUARTERS[self.kind]


class Plan(models.Model):
    """One partner's joint marketing plan for one period (one per partner and period)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        CLOSED = "closed", _("Closed")

    # The partner edits in these states (an edit of an approved plan starts a new
    # revision in draft); staff decide in SUBMITTED; CLOSED is final.
    EDITABLE = (Status.DRAFT, Status.CHANGES_REQUESTED, Status.APPROVED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="plans")
    period = models.ForeignKey(
        PlanPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="plans"
    )
    title = models.CharField(_("title"), max_length=200)
    objectives = models.TextField(_("objectives"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # The number the working copy will carry when it is next submitted.
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plans_to_review",
        limit_choices_to={"is_staff": True, "is_active": True},
        help_text=_("Empty: the partner's channel manager."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The scorecard frozen when the plan closes (attainment per target, weighted total).
    scorecard = models.JSONField(null=True, blank=True, editable=False)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-period__start", "partner__name"]
        verbose_name = _("joint marketing plan")
        verbose_name_plural = _("joint marketing plans")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "period"], name="plan_one_per_partner_period"
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="plan_status_submitted")]

    def __str__(self) -> str:
        return self.title


class PlanRevision(models.Model):
    """A frozen copy of a plan as it was submitted, and its decision.

    `content` is the plan (objectives, targets, activities) as canonical JSON text,
    written once by the services and never changed: an approved revision reads the same
    byte for byte whatever happens to the working copy later.
    """

    class Decision(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    content = models.TextField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["plan", "-number"]
        verbose_name = _("plan revision")
        verbose_name_plural = _("plan revisions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · r{self.number}"


class PlanTarget(models.Model):
    """A target of a plan: a KPI of `analytics.kpis` (its actuals read from the rollups)
    or a custom measure (its actuals entered by hand), with a weight in the scorecard."""

    class Measure(models.TextChoices):
        LEADS = "leads", _("Leads")
        MQLS = "mqls", _("MQLs")
        OPPORTUNITIES = "opportunities", _("Opportunities")
        WON = "won", _("Won deals")
        PIPELINE = "pipeline", _("Pipeline")
        REVENUE = "revenue", _("Revenue")
        CLICKS = "clicks", _("Clicks")
        DOWNLOADS = "downloads", _("Downloads")
        MDF_UTILISATION = "mdf_utilisation", _("MDF utilisation")
        CUSTOM = "custom", _("Custom")

    # Measures counted in money: their target and actual carry the target's currency.
    MONEY = (Measure.PIPELINE, Measure.REVENUE)

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(_("measure"), max_length=20, choices=Measure.choices)
    name = models.CharField(
        _("name"), max_length=120, blank=True, help_text=_("Required for a custom target.")
    )
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("For pipeline and revenue.")
    )
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, default=1, validators=[MinValueValidator(0)]
    )
    position = models.PositiveIntegerField(default=0, editable=False)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["plan", "position", "id"]
        verbose_name = _("plan target")
        verbose_name_plural = _("plan targets")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="plan_target_weight_positive"),
            models.CheckConstraint(
                condition=~Q(measure="custom") | ~Q(name=""), name="plan_target_custom_named"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.get_measure_display()


class PlanTargetQuarter(models.Model):
    """A target's value for one quarter of the plan's period (1 = the period's first),
    and for a custom target its actual, entered by hand with who and when."""

    target = models.ForeignKey(PlanTarget, on_delete=models.CASCADE, related_name="quarters")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    quarter = models.PositiveSmallIntegerField()
    value = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    actual = models.DecimalField(
        _("actual"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    actual_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actual_entered_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["target", "quarter"]
        verbose_name = _("quarterly target")
        verbose_name_plural = _("quarterly targets")
        constraints = [
            models.UniqueConstraint(
                fields=["target", "quarter"], name="plan_target_quarter_unique"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="plan_target_quarter_range"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0), name="plan_target_value_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Q{self.quarter}: {self.value}"


class PlanActivity(models.Model):
    """What will be done to reach the targets: who runs it, when, with what budget,
    through which kit or launch, paid by which fund request."""

    class OwnerSide(models.TextChoices):
        VENDOR = "vendor", _("Vendor")
        PARTNER = "partner", _("Partner")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="activities")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    activity_type = models.ForeignKey(
        "mdf.ActivityType", verbose_name=_("type"), on_delete=models.PROTECT, related_name="+"
    )
    owner_side = models.CharField(_("owner"), max_length=10, choices=OwnerSide.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    budget = models.DecimalField(
        _("budget"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    kit = models.ForeignKey(
        CampaignKit,
        verbose_name=_("campaign kit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    launch = models.ForeignKey(
        Launch,
        verbose_name=_("launch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_activities",
    )
    fund_request = models.ForeignKey(
        "mdf.FundRequest",
        verbose_name=_("fund request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_activities",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["plan", "start_date", "id"]
        verbose_name = _("plan activity")
        verbose_name_plural = _("plan activities")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="plan_activity_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0), name="plan_activity_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PlanComment(models.Model):
    """A comment from either side on a plan, or on one of its activities."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    activity = models.ForeignKey(
        PlanActivity, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("plan comment")
        verbose_name_plural = _("plan comments")

    def __str__(self) -> str:
        return self.body[:60]


class PlanEvent(models.Model):
    """The trail of a plan: who did what, when (written by the services with the change)."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        REOPENED = "reopened", _("New revision started")
        ACTUAL_ENTERED = "actual_entered", _("Actual entered")
        CLOSED = "closed", _("Closed")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="events")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    # None: the system (the daily job that closes plans whose period has ended).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    revision = models.PositiveIntegerField()
    detail = models.CharField(max_length=500, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("plan event")
        verbose_name_plural = _("plan history")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.detail}".strip()


# --- Business reviews ------------------------------------------------------------------


class BusinessReview(models.Model):
    """A review meeting on a plan (e.g. quarterly). Holding it freezes a snapshot of the
    KPIs against the targets, so later data does not rewrite what was discussed."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="reviews")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    scheduled_at = models.DateTimeField(_("date and time"))
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True, related_name="+"
    )
    other_attendees = models.CharField(
        _("other attendees"), max_length=500, blank=True, help_text=_("Names, comma separated.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED
    )
    notes = models.TextField(_("notes"), blank=True)
    held_at = models.DateTimeField(null=True, blank=True, editable=False)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # KPIs against targets when the review was held (the scorecard's shape).
    snapshot = models.JSONField(null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        verbose_name = _("business review")
        verbose_name_plural = _("business reviews")
        indexes = [models.Index(fields=["status", "scheduled_at"], name="review_status_scheduled")]

    def __str__(self) -> str:
        return self.title


class ActionItem(models.Model):
    """Something a review decided someone will do, by a date."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.ForeignKey(
        BusinessReview, on_delete=models.CASCADE, related_name="action_items"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    owner_side = models.CharField(
        _("owner side"), max_length=10, choices=PlanActivity.OwnerSide.choices
    )
    due_date = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    overdue_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [models.Index(fields=["status", "due_date"], name="action_item_status_due")]

    def __str__(self) -> str:
        return self.title
