"""Staff UI of enablement and tier compliance: tracks (ordered assets, a quiz with its
answers on the same page), quiz attempts and certifications (read-only), the
completion per partner and track (with CSV), and the partners whose tier differs from
the tier their results earn. Tier requirements sit on the tier's page
(`TierRequirementInline`, used by `TierAdmin`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from config.csv_export import csv_response
from partners.models import (
    Certification,
    EnablementTrack,
    QuizAttempt,
    QuizQuestion,
    TierAssessment,
    TierRequirement,
    TrackAsset,
)
from partners.selectors import (
    assessments_differing,
    lacking_text,
    latest_assessments,
    track_completion,
)
from partners.services import quiz_choices_set, quiz_questions_check

ANSWER_SLOTS = 4


class TierRequirementInline(admin.StackedInline):
    """What the tier requires over its trailing window (empty minimums are not required)."""

    model = TierRequirement
    can_delete = True
    max_num = 1
    extra = 0
    fields = [
        "window_days",
        ("min_revenue", "currency"),
        "min_won_deals",
        "min_leads",
        "min_certified_users",
    ]


class TrackAssetInline(admin.TabularInline):
    model = TrackAsset
    extra = 1
    autocomplete_fields = ["asset"]
    fields = ["position", "asset"]
    ordering = ["position", "id"]
    verbose_name = _("asset to study")
    verbose_name_plural = _("assets to study, in order")


def _answer_field(slot: int) -> forms.CharField:
    return forms.CharField(
        label=_("Answer %(n)d") % {"n": slot},
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"size": 20}),
    )


def _correct_field(slot: int) -> forms.BooleanField:
    return forms.BooleanField(label=_("Answer %(n)d is correct") % {"n": slot}, required=False)


class QuizQuestionForm(forms.ModelForm):
    """A question with up to four answers on one row; at least two answers and at
    least one of them correct (`quiz_questions_check`)."""

    answer_1, correct_1 = _answer_field(1), _correct_field(1)
    answer_2, correct_2 = _answer_field(2), _correct_field(2)
    answer_3, correct_3 = _answer_field(3), _correct_field(3)
    answer_4, correct_4 = _answer_field(4), _correct_field(4)

    class Meta:
        model = QuizQuestion
        fields = ["position", "text"]
        widgets = {"text": forms.TextInput(attrs={"size": 40})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = list(self.instance.choices.all()) if self.instance.pk else []
        for slot, choice in enumerate(existing[:ANSWER_SLOTS], start=1):
            self.fields[f"answer_{slot}"].initial = choice.text
            self.fields[f"correct_{slot}"].initial = choice.correct

    def answers(self) -> list[tuple[str, bool]]:
        result = []
        for slot in range(1, ANSWER_SLOTS + 1):
            text = (self.cleaned_data.get(f"answer_{slot}") or "").strip()
            correct = bool(self.cleaned_data.get(f"correct_{slot}"))
            if text:
                result.append((text, correct))
            elif correct:
                self.add_error(f"answer_{slot}", _("A correct answer needs its text."))
        return result

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.cleaned_data.get("DELETE") or not cleaned.get("text"):
            return cleaned
        answers = self.answers()
        try:
            quiz_questions_check([(cleaned["text"], [correct for _text, correct in answers])])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        return cleaned


class QuizQuestionInline(admin.TabularInline):
    model = QuizQuestion
    form = QuizQuestionForm
    extra = 1
    ordering = ["position", "id"]
    fields = [
        "position",
        "text",
        *[
            name
            for slot in range(1, ANSWER_SLOTS + 1)
            for name in (f"answer_{slot}", f"correct_{slot}")
        ],
    ]
    verbose_name = _("quiz question")
    verbose_name_plural = _("quiz (tick the correct answers)")


@admin.register(EnablementTrack)
class EnablementTrackAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "active",
        "pass_mark",
        "validity_months",
        "asset_count",
        "question_count",
    ]
    list_filter = ["active"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "description", "pass_mark", "validity_months", "active"]
    inlines = [TrackAssetInline, QuizQuestionInline]

    @admin.display(description=_("assets"))
    def asset_count(self, track: EnablementTrack) -> int:
        return track.items.count()

    @admin.display(description=_("questions"))
    def question_count(self, track: EnablementTrack) -> int:
        return track.questions.count()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is QuizQuestion:
            for question_form in formset.forms:
                question = question_form.instance
                if (
                    question.pk
                    and not question_form.cleaned_data.get("DELETE")
                    and (question_form.has_changed() or not question.choices.exists())
                ):
                    quiz_choices_set(question=question, choices=question_form.answers())

    def get_urls(self) -> list[Any]:
        return [
            path(
                "completion/",
                self.admin_site.admin_view(self.completion_view),
                name="partners_enablement_completion",
            ),
            *super().get_urls(),
        ]

    def completion_view(self, request: HttpRequest) -> HttpResponse:
        """Per partner and track: who took the quiz, passed, and is certified now."""
        if not request.user.has_perm("partners.view_certification"):
            raise PermissionDenied
        rows = track_completion()
        if request.GET.get("format") == "csv":
            return csv_response(
                "track-completion",
                ["partner", "track", "took_quiz", "passed", "certified_now"],
                (
                    [r["partner"].slug, r["track"].slug, r["takers"], r["passed"], r["certified"]]
                    for r in rows
                ),
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Enablement: completion per partner and track"),
            "rows": rows,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/partners/enablement_completion.html", context)


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin):
    list_display = ["at", "partner", "user", "track", "score", "passed"]
    list_filter = ["passed", "track", ("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner", "user", "track"]
    search_fields = ["partner__name", "user__username", "user__email"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ExpiredFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "valid"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Valid now")), ("no", _("Expired"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "no":
            return queryset.filter(expires_at__lte=now)
        if self.value() == "yes":
            return queryset.exclude(expires_at__lte=now)
        return queryset


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["user", "partner", "track", "earned_at", "expires_at"]
    list_filter = [ExpiredFilter, "track", ("partner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner", "user", "track"]
    search_fields = ["partner__name", "user__username", "user__email"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # earned by passing a quiz, never granted here

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DiffersFilter(admin.SimpleListFilter):
    title = _("tier compared with results")
    parameter_name = "differs"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Tier differs from results"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(pk__in=assessments_differing().values("pk"))
        return queryset


@admin.register(TierAssessment)
class TierAssessmentAdmin(admin.ModelAdmin):
    """Each partner's latest assessment; the filter shows those whose tier differs from
    the tier their results earn. Changing a tier stays a decision on the partner's page
    (with a reason, in its audit trail)."""

    list_display = [
        "partner_link",
        "partner_tier",
        "recommended_tier",
        "lacking_for_next",
        "assessed_at",
    ]
    list_filter = [DiffersFilter, "recommended_tier"]
    search_fields = ["partner__name", "partner__slug"]
    ordering = ["partner__name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TierAssessment]:
        with scopes_disabled():
            return latest_assessments()

    @admin.display(description=_("partner"), ordering="partner__name")
    def partner_link(self, assessment: TierAssessment) -> Any:
        from django.utils.html import format_html

        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:partners_partner_change", args=[assessment.partner_id]),
            assessment.partner.name,
        )

    @admin.display(description=_("tier now"))
    def partner_tier(self, assessment: TierAssessment) -> str:
        return assessment.partner.tier.name

    @admin.display(description=_("lacking for the next tier"))
    def lacking_for_next(self, assessment: TierAssessment) -> str:
        return lacking_text(assessment) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
