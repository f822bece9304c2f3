"""Staff review of applications and the list of invitations.

The queue lists applications with their fit score and duplicate flags, filtered by
status, type, region and age; the review page approves (tier, channel manager) or
rejects (a reason, emailed to the applicant) through `application_approve` and
`application_reject`. Applications arrive only from the public form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from partners.models import Invitation, PartnerApplication, Tier
from partners.selectors.recruitment import country_name, invitation_state
from partners.services.recruitment import application_approve, application_reject

REVIEW_PERMISSION = "partners.change_partnerapplication"


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("week", _("Less than a week")),
            ("month", _("1 to 4 weeks")),
            ("older", _("Older than 4 weeks")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        week, month = now - timedelta(days=7), now - timedelta(days=28)
        if self.value() == "week":
            return queryset.filter(created_at__gte=week)
        if self.value() == "month":
            return queryset.filter(created_at__lt=week, created_at__gte=month)
        if self.value() == "older":
            return queryset.filter(created_at__lt=month)
        return queryset


class DuplicateFilter(admin.SimpleListFilter):
    title = _("duplicate")
    parameter_name = "duplicate"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Flagged as a possible duplicate")), ("no", _("Not flagged"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(duplicate_reason="")
        if self.value() == "no":
            return queryset.filter(duplicate_reason="")
        return queryset


def staff_choices() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .order_by("first_name", "last_name", "username")
    )


class ApproveForm(forms.Form):
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=Tier.objects.order_by("rank"))
    channel_manager = forms.ModelChoiceField(
        label=_("Channel manager"), queryset=staff_choices(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel_manager"].queryset = staff_choices()
        self.fields["channel_manager"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )
        first = Tier.objects.order_by("rank").first()
        if first is not None:
            self.fields["tier"].initial = first.pk


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("The applicant receives this reason by email."),
    )


@admin.register(PartnerApplication)
class PartnerApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "company",
        "review",
        "status",
        "fit",
        "duplicate",
        "partner_type",
        "country_label",
        "size",
        "created_at",
    ]
    list_filter = ["status", "partner_type", "regions", AgeFilter, DuplicateFilter]
    search_fields = ["company", "contact_email", "contact_name", "website_domain"]
    list_select_related = ["duplicate_of_partner", "duplicate_of_application"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "company",
        "website",
        "country_label",
        "regions_label",
        "partner_type",
        "size",
        "specialties",
        "languages_label",
        "contact_name",
        "contact_email",
        "contact_phone",
        "sales_motion",
        "message",
        "created_at",
        "status",
        "fit",
        "fit_explained",
        "duplicate",
        "decided_by",
        "decided_at",
        "reject_reason",
        "tier",
        "channel_manager",
        "partner",
    ]
    fields = readonly_fields
    change_form_template = "admin/partners/partnerapplication/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decisions go through the review page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def may_review(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm(REVIEW_PERMISSION)

    @admin.display(description=_("country"), ordering="country")
    def country_label(self, application: PartnerApplication) -> str:
        return f"{country_name(application.country)} ({application.country})"

    @admin.display(description=_("regions"))
    def regions_label(self, application: PartnerApplication) -> str:
        return ", ".join(str(region) for region in application.regions.all()) or "—"

    @admin.display(description=_("languages"))
    def languages_label(self, application: PartnerApplication) -> str:
        return ", ".join(str(language) for language in application.languages.all()) or "—"

    @admin.display(description=_("fit"), ordering="fit_score")
    def fit(self, application: PartnerApplication) -> str:
        return "—" if application.fit_score is None else f"{application.fit_score} / 100"

    @admin.display(description=_("how the fit is made"))
    def fit_explained(self, application: PartnerApplication) -> str:
        parts = [str(part.get("text", "")) for part in application.fit_parts or []]
        if not parts:
            return "—"
        items = format_html_join("", "<li>{}</li>", ((part,) for part in parts))
        return format_html("<ul style='margin:0;padding-left:1.2em'>{}</ul>", items)

    @admin.display(description=_("duplicate?"))
    def duplicate(self, application: PartnerApplication) -> str:
        if not application.duplicate_reason:
            return "—"
        return format_html(
            '<strong style="color:#ba2121">{}</strong> {}',
            _("Possible duplicate:"),
            application.duplicate_reason,
        )

    @admin.display(description="", empty_value="")
    def review(self, application: PartnerApplication) -> str:
        label = (
            _("Review") if application.status == PartnerApplication.Status.PENDING else _("Open")
        )
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:partners_partnerapplication_review", args=[application.pk]),
            label,
        )

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="partners_partnerapplication_review",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        extra = {
            "review_url": reverse("admin:partners_partnerapplication_review", args=[object_id])
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        application = self.get_object(request, unquote(object_id))
        if application is None:
            raise Http404
        if not self.has_view_permission(request, application):
            raise PermissionDenied
        may_review = self.may_review(request)
        approve_form = ApproveForm()
        reject_form = RejectForm()
        if request.method == "POST":
            if not may_review:
                raise PermissionDenied
            decision = request.POST.get("decision")
            user: Any = request.user
            if decision == "approve":
                approve_form = ApproveForm(request.POST)
                if approve_form.is_valid():
                    already = application.partner
                    try:
                        partner = application_approve(
                            application=application,
                            actor=user,
                            tier=approve_form.cleaned_data["tier"],
                            channel_manager=approve_form.cleaned_data["channel_manager"],
                        )
                    except ValidationError as exc:
                        _show_errors(approve_form, exc)
                    else:
                        if already is not None:
                            messages.warning(
                                request,
                                _("This application was already approved: %(partner)s exists.")
                                % {"partner": partner},
                            )
                        else:
                            messages.success(
                                request,
                                _(
                                    "%(partner)s was created in onboarding; %(email)s is "
                                    "invited as partner admin."
                                )
                                % {"partner": partner, "email": application.contact_email},
                            )
                        return HttpResponseRedirect(
                            reverse("admin:partners_partner_change", args=[partner.pk])
                        )
            elif decision == "reject":
                reject_form = RejectForm(request.POST)
                if reject_form.is_valid():
                    try:
                        application_reject(
                            application=application,
                            actor=user,
                            reason=reject_form.cleaned_data["reason"],
                        )
                    except ValidationError as exc:
                        _show_errors(reject_form, exc)
                    else:
                        messages.success(
                            request,
                            _("The application of %(company)s was rejected; %(email)s is told why.")
                            % {"company": application.company, "email": application.contact_email},
                        )
                        return HttpResponseRedirect(
                            reverse("admin:partners_partnerapplication_changelist")
                        )
            else:
                messages.error(request, _("Choose approve or reject."))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Review: %(company)s") % {"company": application.company},
            "object": application,
            "country": self.country_label(application),
            "regions": self.regions_label(application),
            "languages": self.languages_label(application),
            "fit_parts": [str(part.get("text", "")) for part in application.fit_parts or []],
            "approve_form": approve_form,
            "reject_form": reject_form,
            "may_review": may_review and application.status == PartnerApplication.Status.PENDING,
        }
        request.current_app = self.admin_site.name
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/partners/partnerapplication/review.html", context, status=status
        )


def _show_errors(form: forms.Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations, read-only: partner admins manage theirs on the portal's team page."""

    list_display = ["email", "partner", "role", "state", "invited_by", "created_at", "expires_at"]
    list_filter = ["role", ("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner", "invited_by"]
    search_fields = ["email", "partner__name"]
    fields = [
        "email",
        "partner",
        "role",
        "state",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("state"))
    def state(self, invitation: Invitation) -> str:
        return {
            "pending": _("Pending"),
            "expired": _("Expired"),
            "accepted": _("Accepted"),
            "revoked": _("Revoked"),
        }[invitation_state(invitation)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
