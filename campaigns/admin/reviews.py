"""Staff UI of business reviews: schedule, change and cancel a review, hold it (notes;
the plan's scorecard is frozen into it), and its action items inline.

Every change goes through `campaigns.services` (the rules: who may run a plan's
reviews, a held review stays as it was, a closed plan's reviews are final), whose
errors show at the fields. Reviews are partner-owned: the admin reads them across
partners (the staff middleware has scopes disabled).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from campaigns import selectors, services
from campaigns.models import ActionItem, BusinessReview, Plan

RS = BusinessReview.Status
REVIEW_COLOURS = {"scheduled": "#0b6e8a", "held": "#1f7a4d", "cancelled": "#6c757d"}


def show_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's errors at the form's fields (those it has), the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class PersonChoiceField(forms.ModelMultipleChoiceField):
    """People by name and side: "Carl Channel (vendor)", "Ann Admin (Alice Corp)"."""

    def label_from_instance(self, user: Any) -> str:
        name = user.get_full_name() or user.get_username()
        membership = getattr(user, "membership", None)
        side = membership.partner.name if membership is not None else _("vendor")
        return f"{name} ({side})"


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, user: Any) -> str:
        return PersonChoiceField.label_from_instance(self, user)  # type: ignore[arg-type]


def people() -> QuerySet:
    """Who may attend or own an item of some review: active staff and partner users
    (not API keys' own users); the services narrow it to the plan's partner."""
    return (
        get_user_model()
        .objects.filter(is_active=True, api_key__isnull=True)
        .filter(Q(is_staff=True) | Q(membership__isnull=False))
        .select_related("membership__partner")
        .order_by("-is_staff", "membership__partner__name", "first_name", "username")
    )


class BusinessReviewForm(forms.ModelForm):
    # Plans are partner-scoped: the choices are set per request (scopes are disabled
    # for staff then), never when the class is defined.
    plan = forms.ModelChoiceField(label=_("plan"), queryset=None)
    attendees = PersonChoiceField(
        label=_("attendees"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=FilteredSelectMultiple(_("attendees"), is_stacked=False),
        help_text=_("Vendor staff and users of the plan's partner."),
    )

    class Meta:
        model = BusinessReview
        fields = ["plan", "title", "scheduled_at", "attendees", "other_attendees"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "attendees" in self.fields:  # not when read only (held, cancelled, closed)
            self.fields["attendees"].queryset = (
                selectors.attendee_candidates(plan=self.instance.plan).select_related(
                    "membership__partner"
                )
                if self.instance.pk
                else people()
            )
        if "plan" in self.fields:
            self.fields["plan"].queryset = (
                Plan.objects.exclude(status=Plan.Status.CLOSED)
                .select_related("partner", "period")
                .order_by("partner__name", "-period__start")
            )
            self.fields["plan"].label_from_instance = lambda plan: (
                f"{plan.partner.name} · {plan.period.name} · {plan.title}"
            )

    def _post_clean(self) -> None:
        # The services check the review (and say which field is wrong); the instance is
        # changed by them, not by the form.
        pass

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        plan = self.instance.plan if self.instance.pk else cleaned.get("plan")
        if plan is None:
            return cleaned
        try:
            services.review_check(
                plan=plan,
                review=self.instance if self.instance.pk else None,
                title=cleaned.get("title"),
                scheduled_at=cleaned.get("scheduled_at"),
                attendees=cleaned.get("attendees") or [],
                other_attendees=cleaned.get("other_attendees", ""),
            )
        except ValidationError as exc:
            show_errors(self, exc)
        return cleaned


class ActionItemForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["title", "owner_side", "owner", "due_date", "status"]

    def _post_clean(self) -> None:
        pass  # as above: the services change the item

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        review = getattr(self, "review", None)
        if self.errors or review is None or not self.has_changed():
            return cleaned
        try:
            services.action_item_check(
                review=review,
                title=cleaned.get("title"),
                owner_side=cleaned.get("owner_side"),
                due_date=cleaned.get("due_date"),
                owner=cleaned.get("owner"),
            )
        except ValidationError as exc:
            show_errors(self, exc)
        return cleaned


class ActionItemFormSet(BaseInlineFormSet):
    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        form.review = self.instance  # type: ignore[attr-defined]
        return form

    @property
    def empty_form(self) -> forms.Form:
        form = super().empty_form
        form.review = self.instance  # type: ignore[attr-defined]
        return form


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    form = ActionItemForm
    formset = ActionItemFormSet
    extra = 1
    can_delete = False  # an item no longer wanted is cancelled, and stays on record
    fields = ["title", "owner_side", "owner", "due_date", "status", "completed"]
    readonly_fields = ["completed"]

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return 0 if self._final(obj) else 1

    @staticmethod
    def _final(review: BusinessReview | None) -> bool:
        return review is None or (
            review.status == RS.CANCELLED or review.plan.status == Plan.Status.CLOSED
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._final(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._final(obj) and super().has_change_permission(request, obj)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None and "owner" in formset.form.base_fields:
            field = formset.form.base_fields["owner"]
            owner = PersonField(
                queryset=selectors.attendee_candidates(plan=obj.plan).select_related(
                    "membership__partner"
                ),
                required=False,
                label=field.label,
                help_text=_("Empty: the partner's admins or the channel manager, by side."),
            )
            owner.widget = field.widget
            owner.widget.choices = owner.choices
            formset.form.base_fields["owner"] = owner
        return formset

    @admin.display(description=_("done"))
    def completed(self, item: ActionItem) -> str:
        if not item.completed_at:
            return "—"
        who = item.completed_by.get_full_name() or item.completed_by.get_username()
        return f"{item.completed_at:%Y-%m-%d} · {who}"


@admin.register(BusinessReview)
class BusinessReviewAdmin(admin.ModelAdmin):
    form = BusinessReviewForm
    inlines = [ActionItemInline]
    list_display = ["title", "partner", "plan", "scheduled_at", "status_badge", "open_items"]
    list_filter = ["status", "plan__period"]
    search_fields = ["title", "plan__title", "partner__name"]
    date_hierarchy = "scheduled_at"
    list_select_related = ["partner", "plan"]
    readonly_fields = [
        "status_badge",
        "partner",
        "notes_shown",
        "snapshot_table",
        "held_at",
        "held_by",
        "reminder_sent_at",
        "created_by",
        "created_at",
    ]
    change_form_template = "admin/campaigns/businessreview/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("plan", "plan__partner", "partner")
            .annotate(
                n_open=Count("action_items", filter=Q(action_items__status=ActionItem.Status.OPEN))
            )
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        main = ["plan", "title", "scheduled_at", "attendees", "other_attendees"]
        if obj is None:
            return [(None, {"fields": main})]
        return [
            (None, {"fields": ["status_badge", "partner", *main]}),
            (_("Held"), {"fields": ["held_at", "held_by", "notes_shown", "snapshot_table"]}),
            (
                _("Record"),
                {
                    "classes": ["collapse"],
                    "fields": ["reminder_sent_at", "created_by", "created_at"],
                },
            ),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("plan")  # a review belongs to its plan for good
            if obj.status != RS.SCHEDULED or obj.plan.status == Plan.Status.CLOSED:
                fields += ["title", "scheduled_at", "attendees", "other_attendees"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # cancelled, never deleted: the plan's trail tells of it

    # --- display -------------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, review: BusinessReview) -> str:
        return format_html(
            '<span style="color:#fff;background:{};padding:2px 8px;border-radius:10px">{}</span>',
            REVIEW_COLOURS.get(review.status, "#6c757d"),
            review.get_status_display(),
        )

    @admin.display(description=_("open action items"), ordering="n_open")
    def open_items(self, review: BusinessReview) -> int:
        return getattr(review, "n_open", 0)

    @admin.display(description=_("notes"))
    def notes_shown(self, review: BusinessReview) -> str:
        return review.notes or "—"

    @admin.display(description=_("scorecard when held"))
    def snapshot_table(self, review: BusinessReview) -> str:
        snapshot = selectors.review_snapshot(review)
        if snapshot is None:
            return _("Frozen when the review is held.")
        return mark_safe(  # noqa: S308 - our own template, which escapes what it shows
            render_to_string("campaigns/reviews/_snapshot.html", {"snapshot": snapshot})
        )

    # --- saving (through the services) -----------------------------------------------------

    def save_model(
        self, request: HttpRequest, obj: BusinessReview, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        values = {
            name: data[name]
            for name in services.REVIEW_FIELDS
            if name in data
            and name not in self.get_readonly_fields(request, obj if change else None)
        }
        if change:
            changes = {name: value for name, value in values.items() if name in form.changed_data}
            if changes:
                services.review_update(review=obj, actor=request.user, **changes)
            return
        created = services.review_schedule(plan=data["plan"], actor=request.user, **values)
        obj.pk, obj.uuid, obj.partner_id = created.pk, created.uuid, created.partner_id
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The attendees were set by the service; only the action items are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        review = form.instance
        # What the admin's change message reads (the services save, not the formset).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for item_form in formset.forms:
            if not item_form.has_changed() or not item_form.cleaned_data:
                continue
            data = item_form.cleaned_data
            fields = {name: data.get(name) for name in services.ACTION_ITEM_FIELDS}
            status = data.get("status") or ActionItem.Status.OPEN
            try:
                if item_form.instance.pk is None:
                    item = services.action_item_add(review=review, actor=request.user, **fields)
                    formset.new_objects.append(item)
                else:
                    item = item_form.instance
                    changes = {n: v for n, v in fields.items() if n in item_form.changed_data}
                    if changes:
                        item = services.action_item_update(item=item, actor=request.user, **changes)
                        formset.changed_objects.append((item, list(changes)))
                if status != item.status:
                    services.action_item_set_status(item=item, status=status, actor=request.user)
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))

    # --- hold and cancel ----------------------------------------------------------------------

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/hold/", view(self.hold_view), name="campaigns_businessreview_hold"),
            path(
                "<int:pk>/cancel/", view(self.cancel_view), name="campaigns_businessreview_cancel"
            ),
            *super().get_urls(),
        ]

    def _review_for_decision(self, request: HttpRequest, pk: int) -> BusinessReview:
        review = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, review):
            raise PermissionDenied
        return review

    def _page(
        self, request: HttpRequest, template: str, title: Any, **context: Any
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, f"admin/campaigns/businessreview/{template}", context)

    def _back(self, review: BusinessReview) -> HttpResponse:
        return HttpResponseRedirect(
            reverse("admin:campaigns_businessreview_change", args=[review.pk])
        )

    def hold_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Hold the review: its notes, and the plan's scorecard frozen as it is now."""
        review = self._review_for_decision(request, pk)
        form = HoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.review_hold(
                    review=review, actor=request.user, notes=form.cleaned_data["notes"]
                )
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                messages.success(
                    request, _("The review is held; its scorecard is kept as it is now.")
                )
                return self._back(review)
        return self._page(
            request,
            "hold.html",
            _("Hold review “%(title)s”") % {"title": review.title},
            review=review,
            form=form,
        )

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        review = self._review_for_decision(request, pk)
        errors: list[str] = []
        if request.method == "POST":
            try:
                services.review_cancel(review=review, actor=request.user)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("The review is cancelled; the attendees are told."))
                return self._back(review)
        return self._page(
            request,
            "cancel.html",
            _("Cancel review “%(title)s”") % {"title": review.title},
            review=review,
            errors=errors,
        )


class HoldForm(forms.Form):
    notes = forms.CharField(
        label=_("notes"),
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        help_text=_("What was discussed and decided. Partners read them in the portal."),
    )
