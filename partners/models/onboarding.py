"""Program agreements and the onboarding checklist.

A partner admin accepts the current agreement before using the rest of the portal.
The checklist's steps complete themselves when the system sees the action happen
(the services of the action record the completion); only a custom step is confirmed
by staff. When every required step is done, the partner becomes active.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from partners.models.core import Partner, Tier


class ProgramAgreement(models.Model):
    """A version of the partner program agreement. The current one is the latest
    published version whose effective date has come."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    effective_date = models.DateField(_("effective from"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("program agreement")
        verbose_name_plural = _("program agreements")

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class AgreementAcceptance(models.Model):
    """A partner admin accepted a version for the partner: who, when, from where."""

    agreement = models.ForeignKey(
        ProgramAgreement, on_delete=models.PROTECT, related_name="acceptances"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("agreement acceptance")
        verbose_name_plural = _("agreement acceptances")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "partner"], name="agreement_accepted_once_per_partner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} v{self.agreement.version}"


class OnboardingStep(models.Model):
    """A step of the onboarding checklist, for every partner or the partners of a tier."""

    class Kind(models.TextChoices):
        ACCEPT_AGREEMENT = "accept_agreement", _("Accept the program agreement")
        COMPANY_PROFILE = "company_profile", _("Complete the company profile")
        UPLOAD_LOGO = "upload_logo", _("Upload the company logo")
        INVITE_TEAMMATE = "invite_teammate", _("Invite a teammate")
        DOWNLOAD_ASSET = "download_asset", _("Download a named asset")
        LAUNCH_CAMPAIGN = "launch_campaign", _("Launch a first campaign")
        COMPLETE_TRACK = "complete_track", _("Complete an enablement track")
        CUSTOM = "custom", _("Custom step confirmed by staff")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what to do"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    tier = models.ForeignKey(
        Tier,
        verbose_name=_("tier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every partner."),
    )
    asset = models.ForeignKey(
        "assets.Asset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For “download a named asset”."),
    )
    track = models.ForeignKey(
        "partners.EnablementTrack",
        verbose_name=_("enablement track"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For “complete an enablement track”."),
    )
    position = models.PositiveIntegerField(_("order"), default=0)
    due_days = models.PositiveIntegerField(
        _("due in (days)"), default=14, help_text=_("Counted from the start of onboarding.")
    )
    required = models.BooleanField(_("required"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("onboarding step")
        verbose_name_plural = _("onboarding steps")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="download_asset") | Q(asset__isnull=False),
                name="onboarding_step_download_names_asset",
            ),
            models.CheckConstraint(
                condition=~Q(kind="complete_track") | Q(track__isnull=False),
                name="onboarding_step_track_names_track",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OnboardingCompletion(models.Model):
    """A partner completed a step: when, and who (the acting user, or the staff member
    who confirmed a custom step)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(OnboardingStep, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(auto_now_add=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_by_staff = models.BooleanField(default=False)

    objects = ScopedManager(partner="partner")

    class Meta:
        ordering = ["completed_at"]
        verbose_name = _("completed onboarding step")
        verbose_name_plural = _("completed onboarding steps")
        constraints = [
            models.UniqueConstraint(fields=["partner", "step"], name="onboarding_step_done_once"),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.step}"
