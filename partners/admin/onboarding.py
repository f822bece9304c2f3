"""Staff UI of onboarding: program agreement versions (written, then published after a
confirmation; never edited once published), who accepted which version, the checklist's
steps, custom steps confirmed by staff, and each onboarding partner's progress with the
stalled ones and why. Activating or suspending a partner by hand is the partner page's
status decision (`partner_decide`, with a reason), as every other status change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from partners import selectors
from partners.admin.core import PartnerAdmin
from partners.models import (
    AgreementAcceptance,
    OnboardingCompletion,
    OnboardingStep,
    Partner,
    ProgramAgreement,
)
from partners.services import (
    agreement_create,
    agreement_publish,
    agreement_update,
    onboarding_confirm,
)

Kind = OnboardingStep.Kind
PROGRESS_PERMISSION = "partners.view_onboardingcompletion"


# --- Program agreements ---------------------------------------------------------------


class ProgramAgreementForm(forms.ModelForm):
    class Meta:
        model = ProgramAgreement
        fields = ["title", "text", "effective_date"]


@admin.register(ProgramAgreement)
class ProgramAgreementAdmin(admin.ModelAdmin):
    form = ProgramAgreementForm
    list_display = ["version", "title", "effective_date", "published_state", "acceptance_count"]
    readonly_fields = ["version", "published_at", "created_by", "created_at"]
    change_form_template = "admin/partners/programagreement/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProgramAgreement]:
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(acceptance_total=Count("acceptances"))
        )

    @admin.display(description=_("published"))
    def published_state(self, agreement: ProgramAgreement) -> str:
        if agreement.published_at is None:
            return str(_("Draft"))
        return agreement.published_at.strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("accepted by"), ordering="acceptance_total")
    def acceptance_count(self, agreement: ProgramAgreement) -> int:
        return getattr(agreement, "acceptance_total", 0)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.published_at is not None:
            # Partners accepted this text: it never changes.
            fields += ["title", "text", "effective_date"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ProgramAgreement, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if not change:
            created = agreement_create(
                actor=request.user,  # type: ignore[arg-type]
                title=data["title"],
                text=data["text"],
                effective_date=data["effective_date"],
            )
            obj.pk, obj.version = created.pk, created.version
            obj._state.adding = False
            return
        if obj.published_at is None:
            agreement_update(
                agreement=obj,
                title=data["title"],
                text=data["text"],
                effective_date=data["effective_date"],
            )

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="partners_programagreement_publish",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Publishing asks first: every partner will have to accept the new version."""
        agreement = get_object_or_404(ProgramAgreement, pk=pk)
        if not self.has_change_permission(request, agreement):
            raise PermissionDenied
        change_url = reverse("admin:partners_programagreement_change", args=[agreement.pk])
        if agreement.published_at is not None:
            messages.info(request, _("This version is already published."))
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            try:
                agreement_publish(agreement=agreement, actor=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
                return HttpResponseRedirect(change_url)
            messages.success(
                request,
                _(
                    "Version %(version)s is published: from %(day)s every partner admin is asked "
                    "to accept it."
                )
                % {"version": agreement.version, "day": agreement.effective_date},
            )
            return HttpResponseRedirect(reverse("admin:partners_programagreement_changelist"))
        with scopes_disabled():
            partner_count = Partner.objects.filter(
                status__in=[Partner.Status.ONBOARDING, Partner.Status.ACTIVE]
            ).count()
        return TemplateResponse(
            request,
            "admin/partners/programagreement/publish_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Publish version %(version)s?") % {"version": agreement.version},
                "agreement": agreement,
                "partner_count": partner_count,
                "change_url": change_url,
                "opts": self.model._meta,
            },
        )


@admin.register(AgreementAcceptance)
class AgreementAcceptanceAdmin(admin.ModelAdmin):
    """Who accepted which version for which partner: a record, never edited."""

    list_display = ["partner", "version", "user", "accepted_at", "ip_address"]
    list_filter = ["agreement", ("partner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["partner__name", "user__username", "user__email"]
    list_select_related = ["partner", "agreement", "user"]
    date_hierarchy = "accepted_at"

    @admin.display(description=_("version"), ordering="agreement__version")
    def version(self, acceptance: AgreementAcceptance) -> str:
        return f"v{acceptance.agreement.version}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # partner admins accept in the portal

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- The checklist ----------------------------------------------------------------------


class OnboardingStepForm(forms.ModelForm):
    class Meta:
        model = OnboardingStep
        fields = [
            "title",
            "description",
            "kind",
            "tier",
            "asset",
            "track",
            "position",
            "due_days",
            "required",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        # Name the field (the database's check constraints would only say "violated").
        if kind == Kind.DOWNLOAD_ASSET and not cleaned.get("asset"):
            self.add_error("asset", _("Choose the asset the partner downloads."))
        if kind == Kind.COMPLETE_TRACK and not cleaned.get("track"):
            self.add_error("track", _("Choose the enablement track the partner completes."))
        if kind != Kind.DOWNLOAD_ASSET and cleaned.get("asset"):
            self.add_error("asset", _("Only “download a named asset” steps name an asset."))
        if kind != Kind.COMPLETE_TRACK and cleaned.get("track"):
            self.add_error("track", _("Only “complete an enablement track” steps name a track."))
        return cleaned


@admin.register(OnboardingStep)
class OnboardingStepAdmin(admin.ModelAdmin):
    form = OnboardingStepForm
    list_display = [
        "position",
        "title",
        "kind",
        "tier_label",
        "due_days",
        "required",
        "active",
        "completion_count",
    ]
    list_display_links = ["title"]
    list_filter = ["kind", "tier", "required", "active"]
    list_select_related = ["tier"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["asset"]
    ordering = ["position", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OnboardingStep]:
        return super().get_queryset(request).annotate(done_total=Count("completions"))

    @admin.display(description=_("tier"), ordering="tier__rank")
    def tier_label(self, step: OnboardingStep) -> str:
        return step.tier.name if step.tier else str(_("Every tier"))

    @admin.display(description=_("done by partners"), ordering="done_total")
    def completion_count(self, step: OnboardingStep) -> int:
        return getattr(step, "done_total", 0)

    def get_urls(self) -> list:
        return [
            path(
                "progress/",
                self.admin_site.admin_view(self.progress_view),
                name="partners_onboarding_progress",
            ),
            path(
                "stalled/",
                self.admin_site.admin_view(self.progress_view),
                {"stalled_only": True},
                name="partners_onboarding_stalled",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest, stalled_only: bool = False) -> HttpResponse:
        """Every onboarding partner: % done, next step, days since its last progress;
        the stalled list keeps those with no progress for ONBOARDING_STALLED_DAYS days or
        an overdue step, with the reasons."""
        if not request.user.has_perm(PROGRESS_PERMISSION):
            raise PermissionDenied
        with scopes_disabled():
            rows = selectors.onboarding_overview()
        if stalled_only:
            rows = [row for row in rows if row.stalled]
        may_confirm = request.user.has_perm("partners.add_onboardingcompletion")
        confirm_url = reverse("admin:partners_onboardingcompletion_add")
        table = []
        for row in rows:
            open_custom = [
                state.step
                for state in row.steps
                if not state.done and state.step.kind == Kind.CUSTOM
            ]
            table.append(
                {
                    "row": row,
                    "partner_url": reverse("admin:partners_partner_change", args=[row.partner.pk]),
                    "confirm": [
                        (step, f"{confirm_url}?partner={row.partner.pk}&step={step.pk}")
                        for step in open_custom
                    ]
                    if may_confirm
                    else [],
                }
            )
        return TemplateResponse(
            request,
            "admin/partners/onboarding_progress.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Stalled partners") if stalled_only else _("Onboarding progress"),
                "table": table,
                "stalled_only": stalled_only,
                "stalled_days": settings.ONBOARDING_STALLED_DAYS,
                "opts": self.model._meta,
            },
        )


class ConfirmStepForm(forms.ModelForm):
    """Staff confirm a custom step for an onboarding partner."""

    class Meta:
        model = OnboardingCompletion
        fields = ["partner", "step"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(
            status=Partner.Status.ONBOARDING
        ).order_by("name")
        self.fields["step"].queryset = OnboardingStep.objects.filter(kind=Kind.CUSTOM, active=True)
        self.fields["step"].help_text = _(
            "Only custom steps are confirmed by hand; the others complete themselves."
        )


@admin.register(OnboardingCompletion)
class OnboardingCompletionAdmin(admin.ModelAdmin):
    """Completed steps, and the place where staff confirm a custom step (who confirmed
    is recorded)."""

    form = ConfirmStepForm
    list_display = ["partner", "step", "completed_at", "completed_by", "confirmed_by_staff"]
    list_filter = [
        "confirmed_by_staff",
        "step__kind",
        ("partner", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["partner", "step", "completed_by"]
    search_fields = ["partner__name", "step__title"]
    date_hierarchy = "completed_at"

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {key: request.GET[key] for key in ("partner", "step") if request.GET.get(key)}

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: OnboardingCompletion, form: Any, change: bool
    ) -> None:
        completion = onboarding_confirm(
            partner=form.cleaned_data["partner"],
            step=form.cleaned_data["step"],
            actor=request.user,  # type: ignore[arg-type]
        )
        obj.pk = completion.pk
        obj._state.adding = False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().add_view(request, form_url, extra_context)
        except ValidationError as exc:
            # The service's rule (a step not of this tier): say so, nothing saved.
            messages.error(request, "; ".join(exc.messages))
            return HttpResponseRedirect(request.get_full_path())


# --- On the partner's page -------------------------------------------------------------


@admin.display(description=_("agreement and checklist"))
def partner_onboarding(partner: Partner) -> str:
    """Which agreement versions the partner accepted (who, when, from where) and how far
    its checklist is, with links to the records. Read-only, so the partner form posts no
    extra formsets."""
    if partner.pk is None:
        return "—"
    with scopes_disabled():
        acceptances = list(
            AgreementAcceptance.objects.filter(partner=partner).select_related("agreement", "user")
        )
        progress = selectors.onboarding_progress(partner=partner)
    rows = format_html_join(
        "",
        "<li>{}</li>",
        (
            (
                _("v%(version)s accepted by %(user)s on %(when)s from %(ip)s")
                % {
                    "version": a.agreement.version,
                    "user": a.user.get_full_name() or a.user.get_username(),
                    "when": date_format(timezone.localtime(a.accepted_at), "DATETIME_FORMAT"),
                    "ip": a.ip_address or "—",
                },
            )
            for a in acceptances
        ),
    )
    state = selectors.agreement_state(partner=partner)
    state_text = {
        "none": _("No agreement is published."),
        "never": _("Has not accepted any version: its portal is closed until an admin does."),
        "outdated": _("Has not accepted the current version yet (its portal shows a banner)."),
        "current": _("Accepted the current version."),
    }[state]
    completions = reverse("admin:partners_onboardingcompletion_changelist")
    return format_html(
        '<p>{}</p><ul>{}</ul><p>{}</p><p><a href="{}?partner__id__exact={}">{}</a></p>',
        state_text,
        rows,
        _("Checklist: %(percent)s%% of the required steps done.") % {"percent": progress.percent},
        completions,
        partner.pk,
        _("Completed steps"),
    )


# PartnerAdmin lives in admin/core.py; onboarding's read-only panel joins its page from
# here, so every staff page of onboarding is in this module.
PartnerAdmin.readonly_fields = [*PartnerAdmin.readonly_fields, partner_onboarding]
PartnerAdmin.fieldsets = [
    *PartnerAdmin.fieldsets,
    (_("Onboarding"), {"fields": [partner_onboarding]}),
]
