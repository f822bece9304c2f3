"""The voice of the partner: ratings of shared content (assets and campaign kits) and
periodic NPS surveys of the partners' people."""

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partners.models.core import Partner, Tier

RATING_MIN, RATING_MAX = 1, 5
NPS_MIN, NPS_MAX = 0, 10
NPS_QUESTION = _("How likely are you to recommend our partner program to a colleague?")


class ContentRating(models.Model):
    """A partner user's rating (1–5) and comment on one library asset or one campaign
    kit: one per user and item, changed in place when the user rates it again.

    The row says who rated what and when (`user`, `created_at`, `updated_at`); the
    items are named by string so partners imports neither assets nor campaigns.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="content_ratings", editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.CASCADE,
        related_name="content_ratings",
        editable=False,
    )
    asset = models.ForeignKey(
        "assets.Asset",
        verbose_name=_("asset"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ratings",
    )
    kit = models.ForeignKey(
        "campaigns.CampaignKit",
        verbose_name=_("campaign kit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ratings",
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
        help_text=_("From 1 (poor) to 5 (excellent)."),
    )
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("rated"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("content rating")
        verbose_name_plural = _("content ratings")
        constraints = [
            models.CheckConstraint(
                condition=(Q(asset__isnull=False) & Q(kit__isnull=True))
                | (Q(asset__isnull=True) & Q(kit__isnull=False)),
                name="rating_names_one_item",
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=RATING_MIN) & Q(rating__lte=RATING_MAX),
                name="rating_from_1_to_5",
            ),
            models.UniqueConstraint(
                fields=["user", "asset"],
                condition=Q(asset__isnull=False),
                name="one_rating_per_user_asset",
            ),
            models.UniqueConstraint(
                fields=["user", "kit"],
                condition=Q(kit__isnull=False),
                name="one_rating_per_user_kit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.rating}/5"

    @property
    def item(self) -> Any:
        return self.asset if self.asset_id else self.kit


class Survey(models.Model):
    """A partner survey the vendor sends at an interval: an NPS question (0–10) and
    free-text questions. Each send opens a `SurveyRound`; staff define surveys."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    nps_question = models.CharField(
        _("NPS question"), max_length=300, default=NPS_QUESTION, help_text=_("Answered 0–10.")
    )
    is_active = models.BooleanField(
        _("sending"), default=True, help_text=_("Clear to stop sending new rounds.")
    )
    interval_months = models.PositiveSmallIntegerField(
        _("every (months)"), default=6, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    next_send_on = models.DateField(
        _("next send date"), null=True, blank=True, help_text=_("Empty: not scheduled.")
    )
    open_days = models.PositiveSmallIntegerField(
        _("open for (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("How long partners may answer a round."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (days before closing)"),
        default=3,
        validators=[MaxValueValidator(90)],
        help_text=_("0: no reminder."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("partner survey")
        verbose_name_plural = _("partner surveys")
        constraints = [
            models.CheckConstraint(condition=Q(interval_months__gte=1), name="survey_interval_1"),
            models.CheckConstraint(condition=Q(open_days__gte=1), name="survey_open_1_day"),
        ]

    def __str__(self) -> str:
        return self.title


class SurveyQuestion(models.Model):
    """A free-text question of a survey, asked after the NPS question."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("free-text question")
        verbose_name_plural = _("free-text questions")

    def __str__(self) -> str:
        return self.text


class SurveyRound(models.Model):
    """One send of a survey: open from `opens_on` to `closes_on` (inclusive)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveIntegerField(_("round"))
    opens_on = models.DateField(_("opens"))
    closes_on = models.DateField(_("closes"))
    opened_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)

    class Meta:
        ordering = ["survey", "-opens_on", "-number"]
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_round_number"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="survey_round_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} #{self.number} ({self.opens_on:%Y-%m-%d})"


class SurveyResponse(models.Model):
    """One user's answer to one round: the NPS score, with its free-text answers.
    One per user and round (the database refuses a second)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    round = models.ForeignKey(SurveyRound, on_delete=models.PROTECT, related_name="responses")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="survey_responses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_responses"
    )
    # The partner's tier when it answered: NPS per tier is of the tier it was in then.
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(NPS_MIN), MaxValueValidator(NPS_MAX)]
    )
    answered_at = models.DateTimeField(_("answered"), auto_now_add=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="one_response_per_user_round"),
            models.CheckConstraint(
                condition=Q(score__gte=NPS_MIN) & Q(score__lte=NPS_MAX),
                name="survey_score_0_to_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.user} · {self.score}"


class SurveyAnswer(models.Model):
    """The answer to one free-text question within a response."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(_("answer"), max_length=4000)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["question__position", "question_id"]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return self.text[:80]


class SurveySend(models.Model):
    """One survey email to one user: the invitation when a round opens, the reminder
    before it closes. The outbox and the record of who was emailed and when: rows are
    written with the round (or the reminder), `sent_at` when the email went."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="sends")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["round", "kind", "email"]
        verbose_name = _("survey email")
        verbose_name_plural = _("survey emails")
        constraints = [
            models.UniqueConstraint(fields=["round", "user", "kind"], name="one_send_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.email}"
