"""Staff pages of joint marketing plans: planning periods (marketing admins open and
close them) and every partner's plans, read-only for their content.

Partners write their plans in the portal; staff never edit a partner's draft. What
staff do here goes through `campaigns.services`, as the portal's and the API's do:
approve or request changes on a submitted plan (`plan_approve`,
`plan_request_changes`, for whoever `can_review_plan`), close it after its period
(`plan_close`), comment (`comment_add`) and enter a custom target's actual
(`custom_actual_set`). The plan's page reads its scorecard, budget, results,
revisions and history from `campaigns.selectors`, a constant number of queries
however many targets and activities the plan has. The staff middleware has scopes
disabled, visibly, for the admin.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from campaigns import exports, selectors, services
from campaigns.models import Plan, PlanActivity, PlanComment, PlanEvent, PlanPeriod, PlanTarget
from config.admin_columns import done_by
from mdf.money import format_money, format_number
from partners.admin.filters import PartnerChannelManagerFilter, PartnerTierFilter

PS = Plan.Status

STATUS_COLOURS = {
    PS.DRAFT: "#6c757d",
    PS.SUBMITTED: "#1d5f8a",
    PS.CHANGES_REQUESTED: "#8a6d12",
    PS.APPROVED: "#1f7a4d",
    PS.CLOSED: "#495057",
}


def status_badge(plan: Plan) -> str:
    return format_html(
        '<span style="color:#fff;background:{};padding:2px 8px;border-radius:10px;'
        'white-space:nowrap">{}</span>',
        STATUS_COLOURS.get(plan.status, "#6c757d"),
        plan.get_status_display(),
    )


def percent(value: Any) -> str:
    """An attainment as people read it ("87.5 %"); "—" when there is none (a target of 0)."""
    if value is None:
        return "—"
    return f"{format_number(value, 1)} %"


# --- Planning periods -------------------------------------------------------------------


def quarter_start(day: date) -> bool:
    return day.day == 1 and day.month in (1, 4, 7, 10)


def period_end(kind: str, start: date) -> date:
    """The last day of a period of `kind` that starts on `start` (a quarter's first day)."""
    months = 3 * PlanPeriod.QUARTERS[PlanPeriod.Kind(kind)]
    month = start.month - 1 + months
    after = date(start.year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(after.toordinal() - 1)


def suggested_name(kind: str, start: date) -> str:
    """What staff would call the period: 2027 Q2, 2027 H1, FY 2027; a half or a year that
    does not start with the calendar's is named by its months (Apr 2027 – Mar 2028)."""
    quarter = (start.month - 1) // 3 + 1
    if kind == PlanPeriod.Kind.QUARTER:
        return f"{start.year} Q{quarter}"
    if kind == PlanPeriod.Kind.HALF and quarter in (1, 3):
        return f"{start.year} H{1 if quarter == 1 else 2}"
    if kind == PlanPeriod.Kind.YEAR and quarter == 1:
        return f"FY {start.year}"
    return f"{start:%b %Y} – {period_end(kind, start):%b %Y}"


class PlanPeriodForm(forms.ModelForm):
    class Meta:
        model = PlanPeriod
        fields = ["kind", "start", "name", "is_open"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "name" in self.fields:
            self.fields["name"].required = False
            self.fields["name"].help_text = _(
                "e.g. 2027 Q1, 2027 H2, FY 2027. Leave empty for the suggested name."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind", self.instance.kind)
        start = cleaned.get("start", self.instance.start)
        if start and not quarter_start(start):
            self.add_error(
                "start" if "start" in self.fields else None,
                _("A period starts on the first day of a quarter (1 Jan, 1 Apr, 1 Jul, 1 Oct)."),
            )
            return cleaned
        if kind and start:
            # Set before the model's own checks, which compare it with the start.
            self.instance.end = period_end(kind, start)
            if "name" in self.fields and not cleaned.get("name"):
                cleaned["name"] = suggested_name(kind, start)
        return cleaned


@admin.register(PlanPeriod)
class PlanPeriodAdmin(admin.ModelAdmin):
    """Marketing admins open periods for plans and close them to new plans."""

    form = PlanPeriodForm
    list_display = ["name", "kind", "start", "end", "is_open", "plan_count"]
    list_filter = ["kind", "is_open"]
    search_fields = ["name"]
    readonly_fields = ["end", "plan_count"]
    actions = ["open_selected", "close_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(n_plans=Count("plans"))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return ["kind", "start", "name", "is_open"]
        return ["kind", "start", "end", "name", "is_open", "plan_count"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # Targets carry one value per quarter of the period: once plans exist, the
        # period's kind and start are what they were written against.
        if obj is not None and getattr(obj, "n_plans", 0):
            return ["kind", "start", *self.readonly_fields]
        return list(self.readonly_fields)

    @admin.display(description=_("plans"), ordering="n_plans")
    def plan_count(self, period: PlanPeriod) -> int:
        return getattr(period, "n_plans", 0)

    @admin.action(description=_("Open the selected periods for plans"), permissions=["change"])
    def open_selected(self, request: HttpRequest, queryset: QuerySet[PlanPeriod]) -> None:
        count = queryset.update(is_open=True)
        messages.success(request, _("%(count)d period(s) open for plans.") % {"count": count})

    @admin.action(description=_("Close the selected periods to new plans"), permissions=["change"])
    def close_selected(self, request: HttpRequest, queryset: QuerySet[PlanPeriod]) -> None:
        count = queryset.update(is_open=False)
        messages.success(
            request,
            _("%(count)d period(s) closed to new plans; their plans go on.") % {"count": count},
        )


# --- Plans ------------------------------------------------------------------------------


def may_review(user: Any) -> bool:
    """Whether this staff member reviews plans at all (channel managers, marketing
    admins); which plans is `services.can_review_plan`'s to say."""
    return bool(user.is_staff and user.has_perm("campaigns.change_plan"))


class AwaitingMyReview(admin.SimpleListFilter):
    """By default a reviewer sees the submitted plans they may decide; everyone else
    (an analyst) first sees every plan."""

    title = _("queue")
    parameter_name = "queue"

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.default = "mine" if may_review(request.user) else "all"
        super().__init__(request, *args, **kwargs)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("mine", _("Awaiting my review")), ("all", _("All"))]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or self.default
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if (self.value() or self.default) == "mine":
            user: Any = request.user
            return queryset.filter(pk__in=selectors.plans_for_review(user=user).values("pk"))
        return queryset


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the partner"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
    )

    def __init__(self, *args: Any, note_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["note"]
        field.required = note_required
        field.help_text = (
            _("Required: what the partner should change. The partner sees it.")
            if note_required
            else _("Optional. The partner sees it.")
        )


class CommentForm(forms.Form):
    activity = forms.ChoiceField(label=_("On"), required=False)
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3, "cols": 70}))

    def __init__(self, *args: Any, activities: list[PlanActivity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.activities = {str(activity.uuid): activity for activity in activities}
        self.fields["activity"].choices = [  # type: ignore[attr-defined]
            ("", _("The plan as a whole")),
            *((key, activity.title) for key, activity in self.activities.items()),
        ]

    def chosen_activity(self) -> PlanActivity | None:
        return self.activities.get(self.cleaned_data.get("activity") or "")


class ActualForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput)
    quarter = forms.IntegerField(widget=forms.HiddenInput)
    actual = forms.CharField(label=_("Actual"), widget=forms.TextInput(attrs={"size": 10}))


def show_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's errors on the form: at the field it names, otherwise above it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


# Each decision: the service, its page title, its button, whether a note is required,
# and what staff are told after it.
DECISIONS: dict[str, dict[str, Any]] = {
    "approve": {
        "title": _("Approve this plan?"),
        "button": _("Approve revision"),
        "note": "optional",
        "done": _("Plan approved; the partner has been told."),
    },
    "request_changes": {
        "title": _("Request changes to this plan?"),
        "button": _("Request changes"),
        "note": "required",
        "done": _("Changes requested; the partner has been told."),
    },
    "close": {
        "title": _("Close this plan?"),
        "button": _("Close the plan"),
        "note": None,
        "done": _("Plan closed; its scorecard is frozen."),
    },
}


def score_rows(scorecard: Any, quarter_count: int) -> list[dict[str, Any]]:
    """The scorecard's rows as the page shows them: each figure in its measure's format
    ("12,500.00 EUR", "42", "35.0 %"), attainment in percent or "—"."""
    rows = []
    for row in scorecard.rows:
        figure = partial(exports.format_figure, measure=row.measure, currency=row.currency)
        rows.append(
            {
                "row": row,
                "quarters": [
                    {
                        "score": quarter,
                        "target": figure(quarter.target),
                        "actual": figure(quarter.actual),
                        "attainment": exports.format_percent(quarter.attainment),
                    }
                    for quarter in row.quarters
                ],
                "target": figure(row.target),
                "actual": figure(row.actual),
                "attainment": exports.format_percent(row.attainment),
                "detail": [
                    f"{exports.format_percent(value)} ({currency})"
                    for currency, value in row.detail.items()
                ],
            }
        )
    return rows


def activity_row(activity: PlanActivity, results: Any) -> dict[str, Any]:
    """An activity with its money in the one format and its launch's results."""
    fund_request = activity.fund_request
    currency = fund_request.allocation.pool.currency if fund_request else ""
    return {
        "activity": activity,
        "budget": format_money(activity.budget, activity.currency),
        "requested": format_money(fund_request.requested_amount, currency) if fund_request else "—",
        "approved": format_money(fund_request.approved_amount, currency)
        if fund_request and fund_request.decided_at
        else "—",
        "results": results,
    }


def decision_blocker(decision: str, plan: Plan, user: Any) -> str | None:
    """Why this user cannot take this decision on this plan now (None: they can)."""
    if decision == "close":
        if plan.status == PS.CLOSED:
            return str(_("This plan is closed already."))
        if plan.period.end >= timezone.localdate():
            return str(
                _("A plan is closed after its period ends (%(end)s).") % {"end": plan.period.end}
            )
        if not services.can_review_plan(user, plan):
            return str(_("The plan's reviewer or a marketing admin closes it."))
        return None
    if plan.status != PS.SUBMITTED:
        return str(_("This plan is not awaiting review."))
    if not services.can_review_plan(user, plan):
        return str(_("This plan awaits its reviewer: the partner's channel manager."))
    return None


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Every partner's plans: the review queue and each plan's page (read-only content,
    staff decisions, comments, revisions, history, exports)."""

    list_display = [
        "partner",
        "period",
        "status_shown",
        "revision",
        "submitted_at",
        "attainment",
        "title",
    ]
    list_filter = [
        AwaitingMyReview,
        "status",
        "period",
        PartnerTierFilter,
        PartnerChannelManagerFilter,
    ]
    list_select_related = ["partner", "period"]
    # Each open plan's weighted attainment is its live scorecard (the KPIs of each of
    # its quarters); a closed plan's is frozen. The page's scorecards are read together
    # (`get_changelist_instance`), in queries that do not grow with the page.
    list_per_page = 25
    search_fields = ["partner__name", "title"]
    date_hierarchy = "submitted_at"
    change_form_template = "admin/campaigns/plan/change_form.html"
    fields = [
        "partner",
        "period",
        "title",
        "status_shown",
        "revision",
        "reviewer_shown",
        "created_by",
        "created_at",
        "submitted_at",
        "approval",
        "closure",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # partners start their plans in the portal

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # staff never edit a partner's plan; they decide and comment

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- columns ----------------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, plan: Plan) -> str:
        return status_badge(plan)

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """The list, with the weighted attainment of the page's plans read together."""
        changelist = super().get_changelist_instance(request)
        # The page's plans are read once here; the list template shows these same objects.
        plans = list(changelist.result_list)
        scorecards = selectors.plan_scorecards(plans=plans)
        for plan in plans:
            plan.weighted_total = scorecards[plan.pk].weighted_total
        return changelist

    @admin.display(description=_("weighted attainment"))
    def attainment(self, plan: Plan) -> str:
        # Live for open plans, the frozen figure for closed ones (the selector knows).
        return percent(plan.weighted_total)

    @admin.display(description=_("reviewer"))
    def reviewer_shown(self, plan: Plan) -> str:
        if plan.reviewer_id:
            return str(plan.reviewer)
        manager = plan.partner.channel_manager
        if manager is None:
            return str(_("Any marketing admin (the partner has no channel manager)"))
        return str(_("%(manager)s (the partner's channel manager)") % {"manager": manager})

    @admin.display(description=_("approved"))
    def approval(self, plan: Plan) -> str:
        return done_by(plan.approved_at, plan.approved_by)

    @admin.display(description=_("closed"))
    def closure(self, plan: Plan) -> str:
        return done_by(plan.closed_at, plan.closed_by)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "partner__channel_manager",
                "partner__tier",
                "period",
                "reviewer",
                "created_by",
                "approved_by",
                "closed_by",
            )
        )

    # --- the plan's page --------------------------------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        plan = self.get_object(request, unquote(object_id))
        extra: dict[str, Any] = {}
        if plan is not None:
            extra = self.plan_context(request, plan)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def plan_context(self, request: HttpRequest, plan: Plan) -> dict[str, Any]:
        """What the plan's page shows, read through the selectors (a fixed number of
        queries whatever the number of targets, activities, comments and events)."""
        user: Any = request.user
        reviews = services.can_review_plan(user, plan)
        scorecard = selectors.plan_scorecard(plan=plan)
        activities = exports.plan_activities(plan)
        results = selectors.activity_results(plan=plan)
        revisions = selectors.plan_revisions(plan=plan)
        with scope(partner=plan.partner_id):
            comments = list(
                PlanComment.objects.filter(plan=plan)
                .select_related("author", "activity")
                .order_by("created_at", "id")
            )
            events = list(PlanEvent.objects.filter(plan=plan).select_related("actor"))
        decisions = [
            (reverse("admin:campaigns_plan_decide", args=[plan.pk, name]), spec["button"])
            for name, spec in DECISIONS.items()
            if decision_blocker(name, plan, user) is None
        ]
        return {
            "plan": plan,
            "scorecard": scorecard,
            "score_rows": score_rows(scorecard, plan.period.quarter_count),
            "weighted_total": exports.format_percent(scorecard.weighted_total),
            "budget": list(selectors.plan_budget(plan=plan).values()),
            "activities": [
                activity_row(activity, results.get(activity.pk)) for activity in activities
            ],
            "comments": comments,
            "revisions": revisions,
            # Newest first: each with the number of the one before it, to compare.
            "revision_rows": [
                (revision, revisions[i + 1].number if i + 1 < len(revisions) else None)
                for i, revision in enumerate(revisions)
            ],
            "score_colspan": 3 * plan.period.quarter_count + 3,
            "events": events,
            "decisions": decisions,
            "may_comment": reviews and plan.status != PS.CLOSED,
            "comment_form": CommentForm(activities=activities),
            "may_enter_actuals": reviews and plan.status != PS.CLOSED,
            "compare_url": reverse("admin:campaigns_plan_compare", args=[plan.pk]),
            "pdf_url": reverse("admin:campaigns_plan_pdf", args=[plan.pk]),
            "csv_url": reverse("admin:campaigns_plan_csv", args=[plan.pk]),
            "comment_url": reverse("admin:campaigns_plan_comment", args=[plan.pk]),
            "actual_url": reverse("admin:campaigns_plan_actual", args=[plan.pk]),
        }

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/decide/<str:decision>/",
                view(self.decide_view),
                name="campaigns_plan_decide",
            ),
            path(
                "<path:object_id>/comment/", view(self.comment_view), name="campaigns_plan_comment"
            ),
            path("<path:object_id>/actual/", view(self.actual_view), name="campaigns_plan_actual"),
            path(
                "<path:object_id>/compare/", view(self.compare_view), name="campaigns_plan_compare"
            ),
            path("<path:object_id>/export.pdf", view(self.pdf_view), name="campaigns_plan_pdf"),
            path("<path:object_id>/export.csv", view(self.csv_view), name="campaigns_plan_csv"),
            *super().get_urls(),
        ]

    def viewable_plan(self, request: HttpRequest, object_id: str) -> Plan:
        """The plan behind a page: 404 if missing, 403 if this staff member may not see it."""
        plan = self.get_object(request, unquote(object_id))
        if plan is None:
            raise Http404
        if not self.has_view_permission(request, plan):
            raise PermissionDenied
        return plan

    def page(self, request: HttpRequest, template: str, title: Any, **context: Any) -> HttpResponse:
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            f"admin/campaigns/plan/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                **context,
            },
        )

    def change_url(self, plan: Plan) -> str:
        return reverse("admin:campaigns_plan_change", args=[plan.pk])

    def decide_view(self, request: HttpRequest, object_id: str, decision: str) -> HttpResponse:
        plan = self.viewable_plan(request, object_id)
        spec = DECISIONS.get(decision)
        if spec is None:
            raise Http404
        user: Any = request.user
        if request.method == "POST" and not may_review(user):
            raise PermissionDenied
        blocker = decision_blocker(decision, plan, user)
        data = request.POST if request.method == "POST" else None
        form = DecisionForm(data, note_required=spec["note"] == "required")
        if data is not None and form.is_valid():
            if blocker:
                form.add_error(None, blocker)
            else:
                try:
                    if decision == "approve":
                        services.plan_approve(plan=plan, actor=user, note=form.cleaned_data["note"])
                    elif decision == "request_changes":
                        services.plan_request_changes(
                            plan=plan, actor=user, note=form.cleaned_data["note"]
                        )
                    else:
                        services.plan_close(plan=plan, actor=user)
                except ValidationError as exc:
                    show_errors(form, exc)
                else:
                    messages.success(request, spec["done"])
                    return HttpResponseRedirect(self.change_url(plan))
        return self.page(
            request,
            "decide.html",
            spec["title"],
            plan=plan,
            decision=decision,
            form=form,
            with_note=spec["note"] is not None,
            button=spec["button"],
            blocker=blocker,
            scorecard=selectors.plan_scorecard(plan=plan) if decision == "close" else None,
        )

    def comment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        plan = self.viewable_plan(request, object_id)
        user: Any = request.user
        if request.method != "POST":
            return HttpResponseRedirect(self.change_url(plan) + "#comments")
        if not services.can_review_plan(user, plan):
            raise PermissionDenied
        form = CommentForm(request.POST, activities=selectors.plan_activities(plan=plan))
        if form.is_valid():
            try:
                services.comment_add(
                    plan=plan,
                    actor=user,
                    body=form.cleaned_data["body"],
                    activity=form.chosen_activity(),
                )
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Comment added; the partner has been told."))
                return HttpResponseRedirect(self.change_url(plan) + "#comments")
        return self.form_page(request, plan, form, _("Add a comment"), _("Add comment"))

    def actual_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        plan = self.viewable_plan(request, object_id)
        user: Any = request.user
        if request.method != "POST":
            return HttpResponseRedirect(self.change_url(plan) + "#scorecard")
        if not services.can_review_plan(user, plan):
            raise PermissionDenied
        form = ActualForm(request.POST)
        if form.is_valid():
            target = PlanTarget.objects.filter(plan=plan, pk=form.cleaned_data["target"]).first()
            if target is None:
                form.add_error(None, _("That target is not in this plan."))
            else:
                try:
                    services.custom_actual_set(
                        target=target,
                        quarter=form.cleaned_data["quarter"],
                        actual=form.cleaned_data["actual"],
                        actor=user,
                    )
                except ValidationError as exc:
                    show_errors(form, exc)
                else:
                    messages.success(request, _("Actual recorded."))
                    return HttpResponseRedirect(self.change_url(plan) + "#scorecard")
        return self.form_page(request, plan, form, _("Enter an actual"), _("Save actual"))

    def form_page(
        self, request: HttpRequest, plan: Plan, form: forms.Form, title: Any, button: Any
    ) -> HttpResponse:
        """A staff form sent back with its errors at the fields, on a page of its own."""
        return self.page(
            request,
            "form.html",
            title,
            plan=plan,
            form=form,
            button=button,
            action=request.path,
        )

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        plan = self.viewable_plan(request, object_id)
        revisions = selectors.plan_revisions(plan=plan)
        by_number = {revision.number: revision for revision in revisions}
        older = by_number.get(_int(request.GET.get("older")))
        newer = by_number.get(_int(request.GET.get("newer")))
        if older is None or newer is None:
            # Default: the latest revision against the one before it.
            ordered = sorted(revisions, key=lambda revision: revision.number)
            if len(ordered) >= 2:
                older, newer = ordered[-2], ordered[-1]
        rows = None
        if older is not None and newer is not None:
            if older.number > newer.number:
                older, newer = newer, older
            rows = selectors.revision_compare(older=older, newer=newer)
        return self.page(
            request,
            "compare.html",
            _("Compare revisions: %(plan)s") % {"plan": plan},
            plan=plan,
            revisions=revisions,
            older=older,
            newer=newer,
            rows=rows,
        )

    def pdf_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        plan = self.viewable_plan(request, object_id)
        response = HttpResponse(exports.plan_pdf(plan), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{exports.plan_filename(plan)}.pdf"'
        )
        return response

    def csv_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return exports.plan_csv(self.viewable_plan(request, object_id))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
