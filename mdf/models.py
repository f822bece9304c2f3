"""Market development funds: pools, allocations, requests, claims and the ledger.

Money lives in fund terms (the vendor's money) on `Allocation`'s bucket columns
and on the append-only `LedgerEntry`; the two must always agree (`mdf_reconcile`).
Requests and claims are in activity-cost terms: the fund pays the pool's
reimbursement percentage of them (see `mdf.money.fund_share`).

Buckets of an allocation (docs/mdf.md, "Balances"):
    allocated     money given to the partner
    committed     approved requests not yet claimed, released or expired
    spent         approved claims (paid or not)
    paid          reimbursed so far (part of spent)
    expired       left unused at the claim deadline, under an "expire" policy
    carried_over  left unused at the claim deadline, moved into the next pool
    available   = allocated − committed − spent − expired − carried_over
Database check constraints hold the invariants that one row can express; the
services hold the rest, each move in one transaction with its rows locked in one
order, the most specific first and the shared rows last: claim → request →
allocation → pool (mdf.services, docs/decisions/0001-money-path.md).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partners.models import Partner

ZERO = Decimal("0.00")
# An allocation's bucket columns, each moved by a ledger entry's `d_<bucket>`.
BUCKETS = ("allocated", "committed", "spent", "paid", "expired", "carried_over")
# Finance approvers' permission (FundRequest.Meta.permissions): the second decision on
# requests and claims above a pool's threshold, and payments.
FINANCE_PERMISSION = "mdf.finance_approve"


def money_field(verbose_name: str | None = None, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


def actor_field(*, null: bool = False) -> models.ForeignKey:
    """Who created, submitted, decided or paid: a user, shown with the row. Indexed, as
    every foreign key: deleting a user looks up the rows that protect it
    (on_delete=PROTECT) in each of these columns."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=null
    )


class FundPool(models.Model):
    """A budget for one fiscal period, in one currency."""

    class Rollover(models.TextChoices):
        EXPIRE = "expire", _("Unspent funds expire")
        CARRY_OVER = "carry_over", _("Unspent funds carry into the next pool")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    total = money_field(_("total budget"), validators=[MinValueValidator(Decimal("0.01"))])
    # Sum of the allocations' `allocated`; kept with the pool row so a lock on the
    # pool serialises allocations and a check constraint holds them ≤ total.
    allocated = money_field(_("allocated"), editable=False)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    request_deadline = models.DateField(
        _("request deadline"), help_text=_("Last day to submit fund requests.")
    )
    claim_deadline = models.DateField(
        _("claim deadline"),
        help_text=_("Last day to submit claims; then unspent money rolls over."),
    )
    reimbursement_percentage = models.DecimalField(
        _("reimbursement percentage"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("100.00"),
        help_text=_("Share of an approved activity cost the fund pays (e.g. 50.00)."),
    )
    finance_threshold = money_field(
        _("finance approval threshold"),
        help_text=_("Requests committing more than this also need a finance approver."),
        default=Decimal("5000.00"),
    )
    rollover_policy = models.CharField(
        _("roll-over policy"), max_length=20, choices=Rollover.choices, default=Rollover.EXPIRE
    )
    rollover_pool = models.ForeignKey(
        "self",
        verbose_name=_("carry into pool"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rollover_sources",
    )
    decision_sla_days = models.PositiveSmallIntegerField(
        _("decision SLA (business days)"), default=5
    )
    rolled_over_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "name"]
        verbose_name = _("fund pool")
        verbose_name_plural = _("fund pools")
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="mdf_pool_total_positive"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0) & Q(allocated__lte=F("total")),
                name="mdf_pool_allocated_within_total",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="mdf_pool_period_order"
            ),
            models.CheckConstraint(
                condition=Q(claim_deadline__gte=F("request_deadline")),
                name="mdf_pool_deadline_order",
            ),
            models.CheckConstraint(
                condition=Q(reimbursement_percentage__gt=0) & Q(reimbursement_percentage__lte=100),
                name="mdf_pool_percentage_range",
            ),
            models.CheckConstraint(
                condition=~Q(rollover_policy="carry_over") | Q(rollover_pool__isnull=False),
                name="mdf_pool_carry_over_needs_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.rollover_policy == self.Rollover.CARRY_OVER:
            if self.rollover_pool is None:
                raise ValidationError({"rollover_pool": _("Name the pool to carry into.")})
            if self.rollover_pool.currency != self.currency:
                raise ValidationError(
                    {"rollover_pool": _("The next pool must use the same currency.")}
                )
            if self.rollover_pool_id == self.pk:
                raise ValidationError({"rollover_pool": _("A pool cannot carry into itself.")})

    @property
    def unallocated(self) -> Decimal:
        return self.total - self.allocated


class Allocation(models.Model):
    """Part of a pool given to one partner. Its bucket columns equal the ledger's sums."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own on pool: the (pool, partner) constraint's index leads with it.
    pool = models.ForeignKey(
        FundPool, on_delete=models.PROTECT, related_name="allocations", db_index=False
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="allocations")
    allocated = money_field(_("allocated"), editable=False)
    committed = money_field(_("committed"), editable=False)
    spent = money_field(_("spent"), editable=False)
    paid = money_field(_("paid"), editable=False)
    expired = money_field(_("expired"), editable=False)
    carried_over = money_field(_("carried over"), editable=False)
    # The chain's head: how many entries, the newest entry's hash and the one before
    # it. Kept on the row the money movement locks, so the next entry links to it.
    ledger_seq = models.PositiveIntegerField(default=0, editable=False)
    ledger_head = models.CharField(max_length=64, blank=True, editable=False)
    ledger_prev_head = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["pool", "partner"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["pool", "partner"], name="mdf_one_allocation_per_pool"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0)
                & Q(committed__gte=0)
                & Q(spent__gte=0)
                & Q(paid__gte=0)
                & Q(expired__gte=0)
                & Q(carried_over__gte=0),
                name="mdf_allocation_nothing_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    allocated__gte=F("committed") + F("spent") + F("expired") + F("carried_over")
                ),
                name="mdf_allocation_within_allocated",
            ),
            models.CheckConstraint(
                condition=Q(paid__lte=F("spent")), name="mdf_allocation_paid_within_spent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} · {self.pool}"

    @property
    def available(self) -> Decimal:
        return self.allocated - self.committed - self.spent - self.expired - self.carried_over


class ActivityType(models.Model):
    """A kind of marketing activity (event, webinar, digital ads…) and the proof its claims need."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    proof_kinds = models.ManyToManyField(
        "ProofKind", verbose_name=_("required proof"), related_name="activity_types", blank=True
    )
    active = models.BooleanField(
        _("offered to partners"),
        default=True,
        help_text=_(
            "Untick to retire the type: requests that have it keep it (and are claimed as "
            "before), new requests cannot choose it."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")

    def __str__(self) -> str:
        return self.name


class ProofKind(models.Model):
    """A kind of proof of performance: invoice, attendee list, photo, screenshot…"""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=80)
    help_text = models.CharField(_("what to upload"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("proof kind")
        verbose_name_plural = _("proof kinds")

    def __str__(self) -> str:
        return self.name


class FundRequest(models.Model):
    """A partner's request for pre-approval of an activity (amounts in activity cost)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting channel manager")
        AWAITING_FINANCE = "awaiting_finance", _("Awaiting finance")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        CLOSED = "closed", _("Closed")
        EXPIRED = "expired", _("Expired")

    # Not decided yet: the partner may still withdraw it. Only a draft can be changed.
    UNDECIDED = (Status.DRAFT, Status.SUBMITTED, Status.AWAITING_FINANCE)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="fund_requests")
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="requests")
    activity_type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("activity title"), max_length=200)
    description = models.TextField(_("description"))
    activity_start = models.DateField(_("activity start"))
    activity_end = models.DateField(_("activity end"))
    requested_amount = money_field(_("requested amount"))
    expected_leads = models.PositiveIntegerField(_("expected leads"), default=0)
    expected_pipeline = money_field(_("expected pipeline"))
    # The campaign launch this money funds: its results are this request's results
    # (attribution by linkage, for MDF ROI). Set through the request services.
    launch = models.ForeignKey(
        "campaigns.Launch",
        verbose_name=_("campaign launch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fund_requests",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Approved activity cost, and the fund money committed for it (cost × percentage).
    approved_amount = money_field(_("approved amount"), editable=False)
    commitment = money_field(_("commitment"), editable=False)
    # Of the commitment: moved to spent by approved claims, released, or expired.
    commitment_spent = money_field(editable=False)
    commitment_released = money_field(editable=False)
    commitment_expired = money_field(editable=False)
    created_by = actor_field()
    submitted_by = actor_field(null=True)
    on_behalf = models.BooleanField(
        default=False, help_text=_("Submitted by vendor staff on the partner's behalf.")
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    manager_decided_by = actor_field(null=True)
    manager_decided_at = models.DateTimeField(null=True, blank=True)
    manager_note = models.TextField(blank=True)
    finance_decided_by = actor_field(null=True)
    finance_decided_at = models.DateTimeField(null=True, blank=True)
    finance_note = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("fund request")
        verbose_name_plural = _("fund requests")
        permissions = [
            ("decide_any_request", "Can decide any partner's fund request"),
            ("finance_approve", "Can approve fund requests and claims as finance"),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0), name="mdf_request_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__gte=0) & Q(approved_amount__lte=F("requested_amount")),
                name="mdf_request_approved_within_requested",
            ),
            models.CheckConstraint(
                condition=Q(commitment_spent__gte=0)
                & Q(commitment_released__gte=0)
                & Q(commitment_expired__gte=0)
                & Q(
                    commitment__gte=F("commitment_spent")
                    + F("commitment_released")
                    + F("commitment_expired")
                ),
                name="mdf_request_commitment_within",
            ),
            models.CheckConstraint(
                condition=Q(activity_end__gte=F("activity_start")),
                name="mdf_request_activity_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def open_commitment(self) -> Decimal:
        return (
            self.commitment
            - self.commitment_spent
            - self.commitment_released
            - self.commitment_expired
        )

    @property
    def pool(self) -> FundPool:
        return self.allocation.pool


class Claim(models.Model):
    """A claim against an approved request, after the activity, with proof of performance."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting finance")
        RETURNED = "returned", _("Returned for more proof")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    # Claims in these states hold part of the request's approved amount.
    RESERVING = (Status.SUBMITTED, Status.RETURNED, Status.APPROVED, Status.PAID)
    # Claims whose amount, results and proof files may still change.
    CHANGEABLE = (Status.DRAFT, Status.RETURNED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="claims")
    request = models.ForeignKey(FundRequest, on_delete=models.PROTECT, related_name="claims")
    amount = money_field(_("claimed amount"))
    approved_amount = money_field(_("approved amount"), editable=False)
    reimbursement = money_field(_("reimbursement"), editable=False)
    actual_leads = models.PositiveIntegerField(_("leads achieved"), default=0)
    actual_pipeline = money_field(_("pipeline achieved"))
    results_note = models.TextField(_("results"), blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = actor_field()
    submitted_by = actor_field(null=True)
    on_behalf = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    times_returned = models.PositiveSmallIntegerField(default=0)
    decided_by = actor_field(null=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    paid_at = models.DateField(null=True, blank=True)
    payment_reference = models.CharField(max_length=100, blank=True)
    payment_recorded_by = actor_field(null=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [models.Index(fields=["status", "submitted_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="mdf_claim_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__gte=0) & Q(approved_amount__lte=F("amount")),
                name="mdf_claim_approved_within_claimed",
            ),
            models.CheckConstraint(
                condition=Q(reimbursement__gte=0), name="mdf_claim_reimbursement_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} · {self.request}"


def proof_path(instance: ClaimProof, filename: str) -> str:
    return f"mdf/proof/{instance.claim.partner.uuid}/{instance.claim.uuid}/{filename}"


class ClaimProof(models.Model):
    """One proof-of-performance file of a claim, checked by the upload validator."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="proofs")
    proof_kind = models.ForeignKey(ProofKind, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=proof_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["proof_kind", "uploaded_at"]
        verbose_name = _("proof of performance")
        verbose_name_plural = _("proof of performance")

    def __str__(self) -> str:
        return f"{self.proof_kind}: {self.original_name}"


class LedgerEntry(models.Model):
    """One money movement on one allocation. Append-only: the database refuses
    UPDATE and DELETE (triggers from migration 0002). Each entry's hash covers its
    content and the previous entry's hash, so edits behind our back are detected."""

    class Kind(models.TextChoices):
        ALLOCATE = "allocate", _("Allocated")
        COMMIT = "commit", _("Committed (request approved)")
        RELEASE = "release", _("Released")
        SPEND = "spend", _("Spent (claim approved)")
        PAY = "pay", _("Paid")
        EXPIRE = "expire", _("Expired")
        CARRY_OVER = "carry_over", _("Carried over to the next pool")
        CARRY_IN = "carry_in", _("Carried in from the previous pool")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    # No index of its own on allocation: the (allocation, seq) constraint's leads with it.
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="ledger", db_index=False
    )
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = money_field(_("amount"))
    # Signed change of each bucket; their running sums are the allocation's columns.
    d_allocated = money_field("Δ allocated")
    d_committed = money_field("Δ committed")
    d_spent = money_field("Δ spent")
    d_paid = money_field("Δ paid")
    d_expired = money_field("Δ expired")
    d_carried_over = money_field("Δ carried over")
    request = models.ForeignKey(
        FundRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    actor = actor_field(null=True)
    memo = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)  # unique: see Meta

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["allocation", "seq"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        constraints = [
            models.UniqueConstraint(fields=["allocation", "seq"], name="mdf_ledger_seq_unique"),
            # A constraint, not unique=True, which adds a prefix-search index on PostgreSQL
            # that no query uses and every ledger entry would pay for.
            models.UniqueConstraint(fields=["entry_hash"], name="mdf_ledger_entry_hash_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="mdf_ledger_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_kind_display()} {self.amount}"

    # Memos the services write (not people's words) are stored as written by the code,
    # in the language active then (the deadline job's: English); they are worded again
    # when read, so each reader reads them in their own language. The ledger refuses
    # updates, so the stored rows stay as they are.
    SYSTEM_MEMOS = (_("Claim deadline passed"), _("Fully claimed"))
    CARRIED_OVER = _("Carried over from %(pool)s")

    @property
    def memo_text(self) -> str:
        """The memo as its reader reads it (see above); people's words as written."""
        from django.utils import translation

        memo = self.memo
        with translation.override("en"):
            for message in self.SYSTEM_MEMOS:
                if memo == str(message):
                    break
            else:
                message = None
            carried = str(self.CARRIED_OVER).split("%(pool)s")
        if message is not None:
            return str(message)
        head, tail = carried
        if head and memo.startswith(head) and memo.endswith(tail):
            pool = memo[len(head) : len(memo) - len(tail) or None]
            return str(self.CARRIED_OVER) % {"pool": pool}
        return memo


class MDFEvent(models.Model):
    """The decision trail of requests and claims: who did what, when, with which note."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(
        FundRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    actor = actor_field(null=True)
    action = models.CharField(max_length=40)
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    # An edit's changes as data (mdf.services.edits.change_record), worded when read.
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # The outbox of decision emails: written with the decision, sent by a periodic task
    # (so a broker outage can neither lose an email nor fail a committed decision).
    email_partner = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(email_partner=True, emailed_at__isnull=True),
                name="mdf_event_email_due",
            )
        ]
        verbose_name = _("MDF event")
        verbose_name_plural = _("MDF events")

    def __str__(self) -> str:
        return f"{self.action}: {self.status_change_display()}"

    @property
    def note_text(self) -> str:
        """The note as its reader reads it: an edit's changes worded in the reader's
        language ("Requested amount: 1.000,00 € → 1.250,50 €"; long texts only by name);
        people's words as written."""
        if not self.changes:
            return self.note
        from django.utils.formats import date_format

        from mdf.money import format_money

        currency = str(self.changes.get("currency", ""))
        model = Claim if self.claim_id else FundRequest

        def shown(value: dict[str, str] | None) -> str:
            if not value:
                return "—"
            if "money" in value:
                return format_money(Decimal(value["money"]), currency)
            if "date" in value:
                return date_format(date.fromisoformat(value["date"]))
            if "text" in value:
                return f"“{value['text']}”"
            return value.get("name", "")

        parts = []
        for name, old, new in self.changes.get("fields", []):
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except Exception:  # a field since renamed: its name as recorded
                label = name
            label = label[:1].upper() + label[1:]
            if name in ("description", "results_note"):
                parts.append(str(_("%(field)s changed") % {"field": label}))
            else:
                parts.append(f"{label}: {shown(old)} → {shown(new)}")
        return "; ".join(parts)

    def status_change_display(self) -> str:
        """'Draft → Awaiting channel manager': the statuses by their model's labels, the
        names the portal and the admin show."""
        labels = dict((Claim if self.claim_id else FundRequest).Status.choices)
        old, new = (labels.get(value, value) or "—" for value in (self.old_status, self.new_status))
        return f"{old} → {new}"


class DeadlineReminder(models.Model):
    """A deadline reminder already sent, so the daily job sends each one once."""

    class Deadline(models.TextChoices):
        REQUEST = "request", _("Request deadline")
        CLAIM = "claim", _("Claim deadline")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="+")
    deadline = models.CharField(max_length=10, choices=Deadline.choices)
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "deadline", "days_before"], name="mdf_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.deadline} −{self.days_before}d"
