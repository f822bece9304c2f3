"""The result event stream and its daily rollup.

`ResultEvent` rows are append-only: clicks on tracking links, library downloads and
the results integrations sync (leads, MQLs, opportunities, won and lost deals). Each
is unique per (source, external_id), so a re-sent batch is recognised, never counted
twice. `DailyMetric` holds one row per (partner, kit, launch, day, currency), filled
by `analytics.rollup` from the events after `RollupState.watermark`; dashboards, KPIs
and the API read it, never the raw events.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partners.models import Partner

AMOUNT_DIGITS = 14
# Sums of many amounts: two more digits than one amount may have.
TOTAL_DIGITS = 18


class EventKind(models.TextChoices):
    CLICK = "click", _("Click")
    DOWNLOAD = "download", _("Download")
    LEAD = "lead", _("Lead")
    MQL = "mql", _("Marketing-qualified lead")
    OPPORTUNITY = "opportunity", _("Opportunity")
    WON = "won", _("Won deal")
    LOST = "lost", _("Lost deal")


# The kinds an integration or a CSV upload may send; clicks and downloads are
# recorded by the tracking link and the library themselves.
RESULT_KINDS = (EventKind.LEAD, EventKind.MQL, EventKind.OPPORTUNITY, EventKind.WON, EventKind.LOST)
# The kinds that carry an amount (and its currency).
AMOUNT_KINDS = (EventKind.OPPORTUNITY, EventKind.WON)


class BotReason(models.TextChoices):
    """Why a click was recorded but not counted."""

    USER_AGENT = "user_agent", _("Known crawler")
    HEAD = "head", _("HEAD request")
    BURST = "burst", _("Link-scanner burst")


class ResultEvent(models.Model):
    """One thing that happened, attributed to a partner (and its kit and launch).

    Append-only. `source` names who sent it ("tracking", "library", or the
    integration: see `analytics.ingest`) and `external_id` is that sender's id;
    `fingerprint` is a hash of the values as first recorded, so the same id sent
    again with other values is told apart from a replay. Visitors are a daily-salted
    hash (`visitor_key`), never an IP address or a user agent.
    """

    id = models.BigAutoField(primary_key=True)
    # No index of their own for partner and launch: the composite indexes below start
    # with them and serve the same lookups; every click would pay for two more.
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+", db_index=False)
    kit = models.ForeignKey(
        "campaigns.CampaignKit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    launch = models.ForeignKey(
        "campaigns.Launch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    source = models.CharField(_("source"), max_length=64)
    external_id = models.CharField(_("external id"), max_length=200)
    occurred_at = models.DateTimeField(_("occurred at"))
    # The day of `occurred_at` in settings.TIME_ZONE, kept so the rollup groups by a
    # plain column on every database.
    day = models.DateField(_("day"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    amount = models.DecimalField(
        _("amount"), max_digits=AMOUNT_DIGITS, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email_domain = models.CharField(_("email domain"), max_length=253, blank=True)
    visitor_key = models.CharField(_("visitor"), max_length=64, blank=True)
    bot_reason = models.CharField(_("bot"), max_length=12, choices=BotReason.choices, blank=True)
    # A click from the same visitor on the same link within the repeat window.
    repeat = models.BooleanField(_("repeat"), default=False)
    # A click on the link of a paused or completed launch: it still redirects.
    launch_inactive = models.BooleanField(_("launch not running"), default=False)
    fingerprint = models.CharField(max_length=64, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("result event")
        verbose_name_plural = _("result events")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="resultevent_once_per_source"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="resultevent_amount_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "day"], name="resultevent_partner_day"),
            models.Index(fields=["launch", "occurred_at"], name="resultevent_launch_time"),
            models.Index(
                fields=["visitor_key", "occurred_at"],
                name="resultevent_visitor_clicks",
                condition=Q(kind="click"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id} ({self.partner_id})"

    @property
    def counted(self) -> bool:
        return not self.bot_reason and not self.repeat


class DailyMetric(models.Model):
    """The rolled-up results of one partner, kit, launch and day, in one currency.

    Counts of events without an amount sit in the row with an empty currency; the
    amounts (pipeline, revenue) and the counts of their events sit in one row per
    currency, so no sum ever adds two currencies. Written only by `analytics.rollup`,
    which recomputes whole rows from the events (never adds a delta).

    Derived data, so its writes are kept cheap (the rollup rewrites many rows a
    minute, a rebuild all of them):
    - The foreign keys have no database constraint: every row is computed from
      events whose own foreign keys are enforced (and PROTECT their partner, kit
      and launch), so a database check per written row would only repeat theirs.
      `on_delete=CASCADE` is still done by Django when a partner, kit or launch is
      deleted.
    - No single-column foreign key indexes: the bucket key leads with
      (partner, day) and serves the partner's period reads and the partner cascade;
      (launch, day) and (kit, day) serve the launch and kit reads over a period and
      their cascades; (day) the programme-wide reads of a period.
    """

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    kit = models.ForeignKey(
        "campaigns.CampaignKit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    launch = models.ForeignKey(
        "campaigns.Launch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField()
    currency = models.CharField(max_length=3, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    bot_clicks = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)
    leads = models.PositiveIntegerField(default=0)
    mqls = models.PositiveIntegerField(default=0)
    opportunities = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    pipeline = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2, default=0)
    revenue = models.DecimalField(max_digits=TOTAL_DIGITS, decimal_places=2, default=0)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["day"]
        verbose_name = _("daily metric")
        verbose_name_plural = _("daily metrics")
        constraints = [
            # A NULL kit or launch is a bucket of its own: COALESCE makes the key
            # unique with NULLs on PostgreSQL and SQLite alike, and the rollup's
            # ON CONFLICT names the same expressions.
            # (partner, day) lead, so the key is also the partner's period index.
            models.UniqueConstraint(
                "partner",
                "day",
                Coalesce("kit", Value(0)),
                Coalesce("launch", Value(0)),
                "currency",
                name="dailymetric_bucket",
            ),
        ]
        indexes = [
            models.Index(fields=["day"], name="dailymetric_day"),
            models.Index(fields=["launch", "day"], name="dailymetric_launch_day"),
            models.Index(fields=["kit", "day"], name="dailymetric_kit_day"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day} {self.currency}".strip()


class RollupState(models.Model):
    """How far a rollup has read the event stream, moved in the rollup's transaction.

    `watermark` is the highest `ResultEvent.id` rolled up; `rolled_up_at` is when the
    last run finished, which every dashboard shows as its freshness.
    """

    name = models.CharField(max_length=40, unique=True)
    watermark = models.BigIntegerField(default=0)
    rolled_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name} @ {self.watermark}"


class VisitorSalt(models.Model):
    """The salt of one day's visitor keys (kept a day or two, then deleted, so a
    visitor cannot be followed from one day to the next)."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("visitor salt")
        verbose_name_plural = _("visitor salts")

    def __str__(self) -> str:
        return str(self.day)
