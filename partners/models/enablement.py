"""Enablement tracks, their quizzes and certifications, and tier compliance.

A track is an ordered list of library assets to study and a short quiz. A partner
user who has downloaded every asset of the track and passes its quiz earns the
track's certification. Each tier states what it requires over a trailing window; a
daily job assesses each partner and says which tier its results earn.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partners.models.core import Partner, Tier


class EnablementTrack(models.Model):
    """A course for partner users: assets to study, a quiz with a pass mark."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    validity_months = models.PositiveSmallIntegerField(
        _("certification valid for (months)"),
        null=True,
        blank=True,
        help_text=_("Empty: the certification does not expire."),
    )
    active = models.BooleanField(_("offered to partners"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("enablement track")
        verbose_name_plural = _("enablement tracks")
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1) & Q(pass_mark__lte=100), name="track_pass_mark_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TrackAsset(models.Model):
    """An asset of the library to study, in the track's order."""

    track = models.ForeignKey(EnablementTrack, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey("assets.Asset", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["track", "position", "id"]
        verbose_name = _("track asset")
        verbose_name_plural = _("track assets")
        constraints = [
            models.UniqueConstraint(fields=["track", "asset"], name="track_asset_once"),
        ]

    def __str__(self) -> str:
        return str(self.asset)


class QuizQuestion(models.Model):
    track = models.ForeignKey(EnablementTrack, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=500)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["track", "position", "id"]
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")

    def __str__(self) -> str:
        return self.text


class QuizChoice(models.Model):
    question = models.ForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("answer"), max_length=300)
    correct = models.BooleanField(_("correct"), default=False)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = _("quiz answer")
        verbose_name_plural = _("quiz answers")

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    """One try at a track's quiz: the answers given, the score, passed or not."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    track = models.ForeignKey(EnablementTrack, on_delete=models.PROTECT, related_name="attempts")
    # {question id: choice id}
    answers = models.JSONField(default=dict)
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    passed = models.BooleanField()
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-at"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")

    def __str__(self) -> str:
        return f"{self.user} {self.track}: {self.score}%"


class Certification(models.Model):
    """A partner user earned a track's certification (dated; expires if the track says)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="certifications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    track = models.ForeignKey(
        EnablementTrack, on_delete=models.PROTECT, related_name="certifications"
    )
    earned_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    attempt = models.ForeignKey(QuizAttempt, on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-earned_at"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self) -> str:
        return f"{self.user}: {self.track}"


class TierRequirement(models.Model):
    """What a tier requires of a partner over a trailing window (KPIs from analytics,
    and certified users). An empty requirement is not required."""

    tier = models.OneToOneField(Tier, on_delete=models.CASCADE, related_name="requirement")
    window_days = models.PositiveIntegerField(_("trailing window (days)"), default=365)
    min_revenue = models.DecimalField(
        _("minimum revenue"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    min_won_deals = models.PositiveIntegerField(_("minimum won deals"), null=True, blank=True)
    min_leads = models.PositiveIntegerField(_("minimum leads"), null=True, blank=True)
    min_certified_users = models.PositiveIntegerField(
        _("minimum certified users"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("tier requirement")
        verbose_name_plural = _("tier requirements")

    def __str__(self) -> str:
        return f"{self.tier}"


class TierAssessment(models.Model):
    """The daily job's verdict on a partner: the tier its results earn and what it lacks
    for the next one. The latest row per partner is the current one."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tier_assessments")
    assessed_at = models.DateTimeField(db_index=True)
    current_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    recommended_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    next_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What the partner had ({"revenue": {"USD": "…"}, "won": n, "leads": n, "certified_users": n})
    # and what it lacks for the next tier, in words and in numbers.
    measured = models.JSONField(default=dict)
    lacking = models.JSONField(default=list)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-assessed_at"]
        verbose_name = _("tier assessment")
        verbose_name_plural = _("tier assessments")

    def __str__(self) -> str:
        return f"{self.partner}: {self.recommended_tier}"
