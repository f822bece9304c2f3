"""Deal registration and lead distribution.

Deals are registered by a partner for one of its customers; staff (the partner's
channel manager) decide them. A conflict found at registration (the same customer
domain registered by another partner, or a protected account) is a staff-only row,
`DealConflict`: the partner never learns who else sells to its customer.

Leads come from the vendor and are offered to one partner at a time (`LeadOffer`,
partner-scoped); the lead itself and its routing history are staff-only rows.
The rules are in `deals.services` (docs/deals.md).
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partners.models import Partner, Region, Specialisation, Tier

AMOUNT_DIGITS = 14


class DealProgram(models.Model):
    """The deal-registration program's settings: one row (`DealProgram.current()`)."""

    exclusivity_days = models.PositiveSmallIntegerField(
        _("exclusivity period (days)"),
        default=90,
        help_text=_("How long an approved registration protects the partner's deal."),
    )
    extension_days = models.PositiveSmallIntegerField(
        _("extension (days)"), default=30, help_text=_("Days an approved extension adds.")
    )
    lead_sla_business_days = models.PositiveSmallIntegerField(
        _("lead answer time (business days)"),
        default=2,
        help_text=_("A partner must accept or decline an offered lead within this time."),
    )

    class Meta:
        verbose_name = _("deal program")
        verbose_name_plural = _("deal program")
        constraints = [
            models.CheckConstraint(condition=Q(exclusivity_days__gte=1), name="dealprogram_days"),
            models.CheckConstraint(
                condition=Q(lead_sla_business_days__gte=1), name="dealprogram_sla"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Deal program"))

    @classmethod
    def current(cls) -> DealProgram:
        program, _created = cls.objects.get_or_create(pk=1)
        return program


class Product(models.Model):
    """A product of the vendor's that partners register deals for."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class ProtectedAccount(models.Model):
    """A customer the vendor's own sales team keeps (imported from CSV in the admin).
    A registration for its domain is flagged to staff."""

    domain = models.CharField(_("web domain"), max_length=253, unique=True)
    company = models.CharField(_("company"), max_length=200)
    country = models.CharField(_("country"), max_length=2, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["company"]
        verbose_name = _("protected account")
        verbose_name_plural = _("protected accounts")

    def __str__(self) -> str:
        return f"{self.company} ({self.domain})"


class Deal(models.Model):
    """A partner's registration of one opportunity with one end customer."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Under review")
        MORE_INFO = "more_info", _("More information requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class Stage(models.TextChoices):
        PROSPECTING = "prospecting", _("Prospecting")
        QUALIFICATION = "qualification", _("Qualification")
        PROPOSAL = "proposal", _("Proposal")
        NEGOTIATION = "negotiation", _("Negotiation")

    # Registrations that still hold the customer: under review or approved.
    OPEN_STATUSES = (Status.SUBMITTED, Status.MORE_INFO, Status.APPROVED)
    UNDECIDED_STATUSES = (Status.SUBMITTED, Status.MORE_INFO)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="deals")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The end customer: only what is needed to work the deal.
    company = models.CharField(_("customer company"), max_length=200)
    domain = models.CharField(
        _("customer web domain"),
        max_length=253,
        help_text=_("The customer's web domain, e.g. example.com."),
    )
    country = models.CharField(_("customer country"), max_length=2)
    contact_name = models.CharField(_("customer contact"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    products = models.ManyToManyField(Product, verbose_name=_("products"), related_name="+")
    amount = models.DecimalField(_("estimated amount"), max_digits=AMOUNT_DIGITS, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    expected_close_date = models.DateField(_("expected close date"))
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.PROSPECTING
    )
    notes = models.TextField(_("notes"), blank=True)
    launch = models.ForeignKey(
        "campaigns.Launch",
        verbose_name=_("sourced by campaign launch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("registered at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    # The last day the approved registration protects the deal (inclusive).
    expires_on = models.DateField(_("protected until"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    won_amount = models.DecimalField(
        _("won amount"), max_digits=AMOUNT_DIGITS, decimal_places=2, null=True, blank=True
    )
    lost_reason = models.TextField(_("lost reason"), blank=True)
    # Set by staff after looking at the conflicts: the deal may go ahead regardless.
    conflict_cleared = models.BooleanField(_("conflict reviewed"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("deal registration")
        verbose_name_plural = _("deal registrations")
        constraints = [
            # A partner registers a customer once while the registration is open.
            models.UniqueConstraint(
                fields=["partner", "domain"],
                condition=Q(status__in=["submitted", "more_info", "approved"]),
                name="deal_one_open_per_partner_domain",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(won_amount__isnull=True) | Q(won_amount__gte=0),
                name="deal_won_amount_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["domain", "status"], name="deal_domain_status"),
            models.Index(fields=["status", "expires_on"], name="deal_status_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.partner})"


class DealConflict(models.Model):
    """Why a registration needs a closer look: staff only, never shown to the partner.

    `other_deal` is another partner's open registration for the same domain, or
    `protected_account` the vendor's own account. Written at registration.
    """

    class Kind(models.TextChoices):
        OTHER_PARTNER = "other_partner", _("Registered by another partner")
        PROTECTED_ACCOUNT = "protected_account", _("Protected account")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="conflicts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    other_deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    protected_account = models.ForeignKey(
        ProtectedAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Written by the service from its clock (the demo writes histories in the past).
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["detected_at", "id"]
        verbose_name = _("deal conflict")
        verbose_name_plural = _("deal conflicts")

    def __str__(self) -> str:
        return self.get_kind_display()


class DealExtension(models.Model):
    """A partner's request for more protected time, decided like the registration."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="extensions")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    days = models.PositiveSmallIntegerField(_("days added"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["deal"], condition=Q(status="pending"), name="dealextension_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deal} +{self.days or '?'}d"


class DealEvent(models.Model):
    """The trail of a registration: who did what, when, old → new, why.

    `shared` events are shown to the partner; conflict flags and staff notes are not.
    """

    class Action(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        CONFLICT_FLAGGED = "conflict_flagged", _("Conflict flagged")
        CONFLICT_CLEARED = "conflict_cleared", _("Conflict reviewed")
        MORE_INFO = "more_info", _("More information requested")
        ANSWERED = "answered", _("Information added")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
        EXTENSION_APPROVED = "extension_approved", _("Extension approved")
        EXTENSION_REJECTED = "extension_rejected", _("Extension rejected")
        STAGE_CHANGED = "stage_changed", _("Stage changed")
        CHANGED = "changed", _("Changed")
        REMINDED = "reminded", _("Expiry reminder sent")
        EXPIRED = "expired", _("Expired")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    # None: the system (the daily expiry job).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=24, choices=Action.choices)
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    detail = models.TextField(blank=True)
    shared = models.BooleanField(default=True)
    # The email outbox: set when the partner (or staff) has been told.
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("deal event")
        verbose_name_plural = _("deal history")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.detail}".strip()

    @staticmethod
    def value_label(value: str) -> str:
        """A status, stage or conflict kind as people read it ("submitted" → "Under
        review"), a date in the page's date format; anything else as it was recorded."""
        for choices in (Deal.Status, Deal.Stage, DealConflict.Kind):
            if value in choices.values:
                return str(choices(value).label)
        try:  # a protected-until date, recorded in ISO form
            return date_format(date.fromisoformat(value))
        except ValueError:
            return value

    # Details the services write (not people's words) are kept as data and worded when
    # read, so each reader reads them in their own language: "fields:domain,amount" for
    # a change, an ISO date for a reminder or an expiry, "from_lead" for a registration
    # made from an offered lead.
    CHANGED_FIELDS_PREFIX = "fields:"
    FROM_LEAD = "from_lead"

    @property
    def detail_text(self) -> str:
        """The event's detail as its reader reads it (see above); people's words as written."""
        detail = self.detail
        if self.action == self.Action.CHANGED and detail.startswith(self.CHANGED_FIELDS_PREFIX):
            names = detail.removeprefix(self.CHANGED_FIELDS_PREFIX).split(",")
            labels = ", ".join(str(deal_field_label(name)) for name in names if name)
            return str(_("Changed: %(fields)s.") % {"fields": labels})
        if self.action in (self.Action.REMINDED, self.Action.EXPIRED):
            try:
                day = date.fromisoformat(detail)
            except ValueError:
                return detail
            return str(_("Protected until %(date)s.") % {"date": date_format(day)})
        if self.action == self.Action.REGISTERED and detail == self.FROM_LEAD:
            return str(_("Registered from an offered lead."))
        return detail

    @property
    def old_label(self) -> str:
        return self.value_label(self.old_value)

    @property
    def new_label(self) -> str:
        return self.value_label(self.new_value)


def deal_field_label(name: str) -> str:
    """A registration's field as people read it ("expected close date")."""
    if name == "products":
        return str(_("products"))
    try:
        return str(Deal._meta.get_field(name).verbose_name)
    except Exception:  # a field since renamed: its name as recorded
        return name


class DealReminder(models.Model):
    """An expiry reminder already sent (14 and 3 days before), so each goes once."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    expires_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(partner="partner")

    class Meta:
        constraints = [
            # Per expiry date: an extension moves the date and the reminders come again.
            models.UniqueConstraint(
                fields=["deal", "expires_on", "days_before"], name="dealreminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} −{self.days_before}d"


# --- Lead distribution -----------------------------------------------------------------


class TierLeadWeight(models.Model):
    """How many leads a partner of this tier gets for one of a weight-1 tier's."""

    tier = models.OneToOneField(Tier, on_delete=models.CASCADE, related_name="lead_weight")
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)

    class Meta:
        ordering = ["tier__rank"]
        verbose_name = _("lead weight")
        verbose_name_plural = _("lead weights")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1), name="tierleadweight_positive")
        ]

    def __str__(self) -> str:
        return f"{self.tier}: {self.weight}"


class RoutingRule(models.Model):
    """Which partners a lead may be offered to. The first active rule (by position)
    whose conditions the lead meets decides; an empty condition matches anything."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    active = models.BooleanField(_("active"), default=True)
    # Conditions on the lead.
    regions = models.ManyToManyField(
        Region, verbose_name=_("lead regions"), blank=True, related_name="+"
    )
    specialisations = models.ManyToManyField(
        Specialisation, verbose_name=_("lead specialisations"), blank=True, related_name="+"
    )
    # Conditions on the partners it is offered to.
    partner_types = models.JSONField(
        _("partner types"), default=list, blank=True, help_text=_("Empty: any type.")
    )
    tiers = models.ManyToManyField(
        Tier, verbose_name=_("partner tiers"), blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class RoutingCounter(models.Model):
    """Offers a rule has made to a partner: the state of its weighted round robin."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="counters")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    offers = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "partner"], name="routingcounter_once")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.partner_id}: {self.offers}"


class Lead(models.Model):
    """An inbound lead the vendor hands to a partner. Staff only: partners see the
    lead through their own `LeadOffer`."""

    class Status(models.TextChoices):
        NEW = "new", _("With staff")
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Back with staff")
        CONVERTED = "converted", _("Converted to a deal")
        CLOSED = "closed", _("Closed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.CharField(_("company"), max_length=200)
    domain = models.CharField(_("web domain"), max_length=253, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    specialisation = models.ForeignKey(
        Specialisation,
        verbose_name=_("specialisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    contact_name = models.CharField(_("contact"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    description = models.TextField(_("what they asked for"), blank=True)
    amount = models.DecimalField(
        _("estimated amount"), max_digits=AMOUNT_DIGITS, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    # An integration's own id, so a resent lead is recognised.
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    current_offer = models.OneToOneField(
        "LeadOffer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="lead_external_id_once"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="lead_amount_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="lead_status_created")]

    def __str__(self) -> str:
        return self.company


class LeadOffer(models.Model):
    """A lead offered to one partner: what the partner sees, answers and works."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for your answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Not answered in time")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class DeclineReason(models.TextChoices):
        NO_CAPACITY = "no_capacity", _("No capacity right now")
        OUT_OF_AREA = "out_of_area", _("Outside our area")
        NOT_A_FIT = "not_a_fit", _("Not a fit for our offering")
        EXISTING = "existing", _("Already a customer of ours")
        OTHER = "other", _("Other")

    class WorkStatus(models.TextChoices):
        NEW = "new", _("Not contacted yet")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="offers")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="lead_offers")
    rule = models.ForeignKey(
        RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_at = models.DateTimeField()
    due_at = models.DateTimeField(_("answer by"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(
        _("reason"), max_length=20, choices=DeclineReason.choices, blank=True
    )
    decline_note = models.TextField(_("note"), blank=True)
    # Worked by the partner once accepted.
    work_status = models.CharField(
        _("progress"), max_length=15, choices=WorkStatus.choices, default=WorkStatus.NEW
    )
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    deal = models.OneToOneField(
        Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="source_offer"
    )

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-offered_at", "-id"]
        verbose_name = _("lead offer")
        verbose_name_plural = _("lead offers")
        constraints = [
            # A partner is offered a lead once: one that declined or let it lapse is
            # never offered it again.
            models.UniqueConstraint(fields=["lead", "partner"], name="leadoffer_once_per_partner"),
            # One partner holds a lead at a time.
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(status__in=["pending", "accepted"]),
                name="leadoffer_one_live",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="leadoffer_status_due")]

    def __str__(self) -> str:
        return f"{self.lead} → {self.partner}"


class LeadRoutingEntry(models.Model):
    """A lead's routing history (staff only): every offer, answer, lapse and return."""

    class Action(models.TextChoices):
        CREATED = "created", _("Received")
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Not answered in time")
        WITHDRAWN = "withdrawn", _("Withdrawn by staff")
        RETURNED = "returned", _("Back with staff: no partner left")
        CONVERTED = "converted", _("Converted to a deal registration")
        CLOSED = "closed", _("Closed")
        # The partner's progress on an accepted lead (lead_work): staff see it worked.
        WORKED = "worked", _("Progress updated")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="routing")
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule = models.ForeignKey(
        RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # None: the system (the SLA job).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("routing entry")
        verbose_name_plural = _("routing history")

    def __str__(self) -> str:
        return self.get_action_display()
