"""Portal pages of joint marketing plans (/portal/plans/): the partner's plans, starting
one for an open period, a plan's page (objectives, targets against their actuals,
activities with their budget, MDF and results, comments, history, revisions), and
the partner's changes to it.

Plans are partner-owned: every view gets them from `PartnerScopedObjectMixin` (by
UUID), so another partner's plan answers 404 like a missing one; targets and
activities are then looked up among that plan's own. Partner admins and marketers
write (every action route refuses sales reps with 403, whichever plan it names);
sales reps read. The rules (who may edit in which status, what a new revision is,
what may be linked) are the services'; the views parse, call and render.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView

from campaigns import selectors, services
from campaigns.forms import (
    ActivityStatusForm,
    CustomActualForm,
    PlanActivityForm,
    PlanCommentForm,
    PlanForm,
    PlanTargetForm,
)
from campaigns.models import (
    Launch,
    Plan,
    PlanActivity,
    PlanRevision,
    PlanTarget,
)
from mdf import selectors as mdf_selectors
from partners.models import Membership
from partners.scoping import PartnerScopedObjectMixin, PortalAccessMixin

ACTING_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.MARKETER})
PS = Plan.Status
SUBMITTABLE = (PS.DRAFT, PS.CHANGES_REQUESTED)


def error_text(exc: ValidationError) -> str:
    return " ".join(str(message) for message in exc.messages)


class PlansPageMixin(PortalAccessMixin):
    """Every plans page: portal access, and whether the user may act (sales reps read)."""

    request: HttpRequest

    @property
    def partner(self) -> Any:
        return self.request.partner  # type: ignore[attr-defined]

    def can_act(self) -> bool:
        return self.request.membership.role in ACTING_ROLES  # type: ignore[attr-defined]


class PlanObjectMixin(PlansPageMixin, PartnerScopedObjectMixin):
    """A page of one of the partner's plans (by UUID)."""

    model = Plan

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("period", "partner__channel_manager", "reviewer")

    def plan(self) -> Plan:
        if not hasattr(self, "_plan"):
            plan = self.get_object()
            assert isinstance(plan, Plan)
            self._plan = plan
        return self._plan

    def plan_url(self, anchor: str = "") -> str:
        url = reverse("plans:detail", kwargs={"uuid": self.plan().uuid})
        return f"{url}#{anchor}" if anchor else url

    def back_to_plan(self, anchor: str = "") -> HttpResponse:
        return redirect(self.plan_url(anchor))


class ActingPlanMixin(PlanObjectMixin):
    """An action on a plan: partner admins and marketers only."""

    allowed_roles = ACTING_ROLES

    def target(self, pk: int) -> PlanTarget:
        target = self.plan().targets.filter(pk=pk).first()
        if target is None:
            raise Http404
        return target

    def activity(self, uuid: Any) -> PlanActivity:
        activity = (
            self.plan()
            .activities.select_related("activity_type", "kit", "launch", "fund_request")
            .filter(uuid=uuid)
            .first()
        )
        if activity is None:
            raise Http404
        return activity


# --- the list and a new plan -----------------------------------------------------------


class PlanListView(PlansPageMixin, PartnerScopedObjectMixin, ListView):
    model = Plan
    template_name = "campaigns/plans/plan_list.html"
    context_object_name = "plans"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("period").order_by("-period__start", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plans = list(context["plans"])
        scorecards = selectors.plan_scorecards(plans=plans)
        for plan in plans:
            plan.weighted_total = scorecards[plan.pk].weighted_total
        planned = {plan.period_id for plan in plans}
        context.update(
            plans=plans,
            can_act=self.can_act(),
            periods_to_plan=[p for p in selectors.open_periods() if p.pk not in planned],
        )
        return context


class PlanCreateView(PlansPageMixin, View):
    allowed_roles = ACTING_ROLES
    template_name = "campaigns/plans/plan_form.html"

    def periods(self) -> QuerySet:
        return selectors.open_periods().exclude(plans__partner=self.partner)

    def render_form(self, form: PlanForm, status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        periods = self.periods()
        initial = {}
        if (wanted := request.GET.get("period", "")).isdigit():
            initial["period"] = periods.filter(pk=wanted).values_list("pk", flat=True).first()
        return self.render_form(PlanForm(periods=periods, initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        # Every open period is offered to validation: one already planned is refused by
        # the service at the field ("one plan per period"), not as an unknown choice.
        form = PlanForm(request.POST, periods=selectors.open_periods())
        if form.is_valid():
            try:
                plan = services.plan_create(
                    partner=self.partner, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request, _("Your plan is started. Add its targets and activities.")
                )
                return redirect("plans:detail", uuid=plan.uuid)
        form.fields["period"].queryset = self.periods()  # type: ignore[attr-defined]
        return self.render_form(form, status=400)


# --- a plan's page -----------------------------------------------------------------------


class PlanDetailView(PlanObjectMixin, DetailView):
    template_name = "campaigns/plans/plan_detail.html"
    context_object_name = "plan"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan: Plan = self.object
        context.update(plan_context(self.request, plan, can_act=self.can_act()))
        return context


def plan_context(request: HttpRequest, plan: Plan, *, can_act: bool) -> dict[str, Any]:
    """What a plan's page shows. Queries do not grow with targets, activities or comments:
    each list is one query (with its prefetches), the figures come from the selectors."""
    user = request.user
    can_edit = can_act and services.can_edit_plan(user, plan)
    quarters = selectors.period_quarters(plan.period)
    scorecard = selectors.plan_scorecard(plan=plan)
    results = selectors.activity_results(plan=plan)
    comments = list(plan.comments.select_related("author", "activity"))
    activities = selectors.plan_activities(plan=plan)
    for activity in activities:
        activity.results = results.get(activity.pk)
        activity.comment_list = [c for c in comments if c.activity_id == activity.pk]
    revisions = selectors.plan_revisions(plan=plan)
    approved = [r for r in revisions if r.decision == PlanRevision.Decision.APPROVED]
    return {
        "plan": plan,
        "can_act": can_act,
        "can_edit": can_edit,
        "can_submit": can_edit and plan.status in SUBMITTABLE,
        "can_enter_actuals": can_act and plan.status != PS.CLOSED,
        "reviewer": plan.reviewer or plan.partner.channel_manager,
        "quarters": quarters,
        "scorecard": scorecard,
        "budget": list(selectors.plan_budget(plan=plan).values()),
        "activities": activities,
        "plan_comments": [c for c in comments if c.activity_id is None],
        "comment_count": len(comments),
        "events": list(plan.events.select_related("actor")),
        "revisions": revisions,
        "latest_revision": revisions[0] if revisions else None,
        "last_approved": approved[0] if approved else None,
        "activity_statuses": PlanActivity.Status.choices,
        "comment_form": PlanCommentForm(),
        "actual_form": CustomActualForm(quarters=quarters),
    }


# --- the plan itself: title and objectives, submission ---------------------------------


class PlanEditView(ActingPlanMixin, View):
    template_name = "campaigns/plans/plan_form.html"

    def render_form(self, form: PlanForm, status: int = 200) -> HttpResponse:
        plan = self.plan()
        context = {"form": form, "plan": plan, "editing": True, "can_edit": self.editable()}
        return render(self.request, self.template_name, context, status=status)

    def editable(self) -> bool:
        return services.can_edit_plan(self.request.user, self.plan())

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        plan = self.plan()
        return self.render_form(
            PlanForm(initial={"title": plan.title, "objectives": plan.objectives})
        )

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                services.plan_update(plan=self.plan(), actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The plan is saved."))
                return self.back_to_plan()
        return self.render_form(form, status=400)


class PlanSubmitView(ActingPlanMixin, View):
    """Confirm (GET) and submit (POST) the plan for the vendor's approval."""

    template_name = "campaigns/plans/plan_submit.html"

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        plan = self.plan()
        context = {
            "plan": plan,
            "reviewer": plan.reviewer or plan.partner.channel_manager,
            "allowed": services.can_edit_plan(request.user, plan) and plan.status in SUBMITTABLE,
            "target_count": plan.targets.count(),
            "activity_count": plan.activities.count(),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        try:
            plan = services.plan_submit(plan=self.plan(), actor=request.user)
        except ValidationError as exc:
            messages.error(request, _("Not submitted: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(
                request,
                _("Revision %(number)s is submitted. We email you the decision.")
                % {"number": plan.revision},
            )
        return self.back_to_plan()


# --- targets -----------------------------------------------------------------------------


class TargetFormView(ActingPlanMixin, View):
    """Add a target (no `target` in the URL) or change one."""

    template_name = "campaigns/plans/target_form.html"

    def make_form(self, *args: Any, **kwargs: Any) -> PlanTargetForm:
        return PlanTargetForm(
            *args, quarters=selectors.period_quarters(self.plan().period), **kwargs
        )

    def render_form(
        self, form: PlanTargetForm, target: PlanTarget | None, status: int = 200
    ) -> HttpResponse:
        plan = self.plan()
        context = {
            "plan": plan,
            "form": form,
            "target": target,
            "can_edit": services.can_edit_plan(self.request.user, plan),
            "money_measures": list(PlanTarget.MONEY),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, uuid: Any, target: int | None = None) -> HttpResponse:
        existing = self.target(target) if target is not None else None
        initial = PlanTargetForm.initial_from(existing) if existing else {}
        return self.render_form(self.make_form(initial=initial), existing)

    def post(self, request: HttpRequest, uuid: Any, target: int | None = None) -> HttpResponse:
        existing = self.target(target) if target is not None else None
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                if existing is None:
                    services.target_add(
                        plan=self.plan(), actor=request.user, **form.service_arguments()
                    )
                else:
                    services.target_update(
                        target=existing, actor=request.user, **form.service_arguments()
                    )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The target is saved."))
                return self.back_to_plan("targets")
        return self.render_form(form, existing, status=400)


class TargetRemoveView(ActingPlanMixin, View):
    template_name = "campaigns/plans/confirm_remove.html"

    def get(self, request: HttpRequest, uuid: Any, target: int) -> HttpResponse:
        item = self.target(target)
        context = {
            "plan": self.plan(),
            "item": item,
            "kind": _("target"),
            "anchor": "targets",
            "allowed": services.can_edit_plan(request.user, self.plan()),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, uuid: Any, target: int) -> HttpResponse:
        item = self.target(target)
        try:
            services.target_remove(target=item, actor=request.user)
        except ValidationError as exc:
            messages.error(request, _("Not removed: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(request, _("The target “%(name)s” is removed.") % {"name": item})
        return self.back_to_plan("targets")


class CustomActualView(ActingPlanMixin, View):
    """Enter a custom target's actual for a quarter. The form sits on the plan's page;
    this page shows it again with the errors at their fields."""

    template_name = "campaigns/plans/actual_form.html"

    def make_form(self, *args: Any, **kwargs: Any) -> CustomActualForm:
        return CustomActualForm(
            *args, quarters=selectors.period_quarters(self.plan().period), **kwargs
        )

    def target(self, pk: int) -> PlanTarget:
        target = super().target(pk)
        if target.measure != PlanTarget.Measure.CUSTOM:
            raise Http404  # a KPI's actual comes from the results, never typed in
        return target

    def render_form(self, form: CustomActualForm, target: PlanTarget, status: int = 200):
        context = {"plan": self.plan(), "form": form, "target": target}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, uuid: Any, target: int) -> HttpResponse:
        return self.render_form(self.make_form(), self.target(target))

    def post(self, request: HttpRequest, uuid: Any, target: int) -> HttpResponse:
        item = self.target(target)
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                services.custom_actual_set(target=item, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("The actual of “%(name)s” for quarter %(quarter)s is saved.")
                    % {"name": item, "quarter": form.cleaned_data["quarter"]},
                )
                return self.back_to_plan("targets")
        return self.render_form(form, item, status=400)


# --- activities ----------------------------------------------------------------------------


class ActivityFormView(ActingPlanMixin, View):
    """Add an activity (no `activity` in the URL) or change one."""

    template_name = "campaigns/plans/activity_form.html"

    def make_form(self, *args: Any, existing: PlanActivity | None = None, **kwargs: Any):
        partner = self.partner
        keeping = existing.activity_type_id if existing else None
        return PlanActivityForm(
            *args,
            activity_types=mdf_selectors.activity_types_offered(keeping=keeping),
            kits=selectors.kits_available(partner=partner).order_by("name"),
            launches=selectors.launches_for_partner(partner=partner),
            fund_requests=mdf_selectors.requests_for_partner(partner=partner).order_by(
                "-created_at"
            ),
            period=self.plan().period,
            editing=existing is not None,
            **kwargs,
        )

    def render_form(
        self, form: PlanActivityForm, activity: PlanActivity | None, status: int = 200
    ) -> HttpResponse:
        plan = self.plan()
        context = {
            "plan": plan,
            "form": form,
            "activity": activity,
            "can_edit": services.can_edit_plan(self.request.user, plan),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, uuid: Any, activity: Any = None) -> HttpResponse:
        existing = self.activity(activity) if activity is not None else None
        initial: dict[str, Any] = {}
        if existing is not None:
            initial = PlanActivityForm.initial_from(existing)
        elif code := request.GET.get("launch", "")[:16]:
            launch = Launch.objects.filter(partner=self.partner, code=code).first()
            if launch is not None:
                initial = {"launch": launch.pk, "title": str(launch), "kit": launch.kit_id}
        return self.render_form(self.make_form(initial=initial, existing=existing), existing)

    def post(self, request: HttpRequest, uuid: Any, activity: Any = None) -> HttpResponse:
        existing = self.activity(activity) if activity is not None else None
        form = self.make_form(request.POST, existing=existing)
        if form.is_valid():
            try:
                if existing is None:
                    services.activity_add(plan=self.plan(), actor=request.user, **form.cleaned_data)
                else:
                    services.activity_update(
                        activity=existing, actor=request.user, **form.cleaned_data
                    )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The activity is saved."))
                return self.back_to_plan("activities")
        return self.render_form(form, existing, status=400)


class ActivityRemoveView(ActingPlanMixin, View):
    template_name = "campaigns/plans/confirm_remove.html"

    def get(self, request: HttpRequest, uuid: Any, activity: Any) -> HttpResponse:
        context = {
            "plan": self.plan(),
            "item": self.activity(activity),
            "kind": _("activity"),
            "anchor": "activities",
            "allowed": services.can_edit_plan(request.user, self.plan()),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, uuid: Any, activity: Any) -> HttpResponse:
        item = self.activity(activity)
        try:
            services.activity_remove(activity=item, actor=request.user)
        except ValidationError as exc:
            messages.error(request, _("Not removed: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(request, _("The activity “%(name)s” is removed.") % {"name": item})
        return self.back_to_plan("activities")


class ActivityStatusView(ActingPlanMixin, View):
    """Move an activity's status (execution: no new revision of the plan)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: Any, activity: Any) -> HttpResponse:
        item = self.activity(activity)
        form = ActivityStatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Not changed: choose one of the statuses."))
            return self.back_to_plan("activities")
        try:
            item = services.activity_set_status(
                activity=item, status=form.cleaned_data["status"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, _("Not changed: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(
                request,
                _("“%(name)s” is now %(status)s.")
                % {"name": item, "status": item.get_status_display().lower()},
            )
        return self.back_to_plan("activities")


# --- comments ---------------------------------------------------------------------------------


class CommentView(ActingPlanMixin, View):
    """A comment on the plan or on one of its activities (`activity` in the form). The
    form sits on the plan's page; this page shows it again with the error at its field."""

    template_name = "campaigns/plans/comment_form.html"

    def render_form(self, form: PlanCommentForm, activity: PlanActivity | None, status: int):
        context = {"plan": self.plan(), "form": form, "activity": activity}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        wanted = request.GET.get("activity", "")
        activity = None
        if wanted:
            form = PlanCommentForm(initial={"activity": wanted})
            activity = self.activity(wanted) if _is_uuid(wanted) else None
            if activity is None:
                raise Http404
        else:
            form = PlanCommentForm()
        return self.render_form(form, activity, 200)

    def post(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        form = PlanCommentForm(request.POST)
        activity = None
        if form.is_valid():
            if form.cleaned_data["activity"]:
                activity = self.activity(form.cleaned_data["activity"])
            try:
                services.comment_add(
                    plan=self.plan(),
                    actor=request.user,
                    body=form.cleaned_data["body"],
                    activity=activity,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Your comment is posted. The vendor is notified."))
                return self.back_to_plan(
                    f"activity-{activity.uuid}" if activity is not None else "comments"
                )
        return self.render_form(form, activity, 400)


def _is_uuid(value: str) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


# --- revisions ----------------------------------------------------------------------------------


class RevisionView(PlanObjectMixin, View):
    """A submitted revision as it was frozen (approved ones stay readable byte for byte)."""

    template_name = "campaigns/plans/revision_detail.html"

    def get(self, request: HttpRequest, uuid: Any, number: int) -> HttpResponse:
        plan = self.plan()
        revisions = selectors.plan_revisions(plan=plan)
        revision = next((r for r in revisions if r.number == number), None)
        if revision is None:
            raise Http404
        context = {
            "plan": plan,
            "revision": revision,
            "content": revision_content(revision),
            "revisions": revisions,
        }
        return render(request, self.template_name, context)


def revision_content(revision: PlanRevision) -> dict[str, Any]:
    try:
        content = json.loads(revision.content)
    except ValueError:
        content = {}
    if not isinstance(content, dict):
        return {}
    for target in content.get("targets", []):
        measure = target.get("measure", "")
        known = measure in PlanTarget.Measure.values
        target["label"] = target.get("name") or (
            PlanTarget.Measure(measure).label if known else measure
        )
    return content


# The frozen content's field names as a reader says them (the compare page).
FIELD_LABELS = {
    "title": gettext_lazy("Title"),
    "objectives": gettext_lazy("Objectives"),
    "measure": gettext_lazy("Measure"),
    "name": gettext_lazy("Name"),
    "currency": gettext_lazy("Currency"),
    "weight": gettext_lazy("Weight"),
    "values": gettext_lazy("Target per quarter"),
    "type": gettext_lazy("Type"),
    "owner_side": gettext_lazy("Run by"),
    "start_date": gettext_lazy("Starts on"),
    "end_date": gettext_lazy("Ends on"),
    "budget": gettext_lazy("Budget"),
    "kit": gettext_lazy("Campaign kit"),
    "launch": gettext_lazy("Launch"),
    "fund_request": gettext_lazy("Fund request"),
}


class CompareView(PlanObjectMixin, View):
    """Two revisions side by side (?older=<number>&newer=<number>; by default the last
    two)."""

    template_name = "campaigns/plans/revision_compare.html"

    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        plan = self.plan()
        revisions = selectors.plan_revisions(plan=plan)
        by_number = {r.number: r for r in revisions}
        older = by_number.get(_number(request.GET.get("older")))
        newer = by_number.get(_number(request.GET.get("newer")))
        if older is None and newer is None and len(revisions) >= 2:
            newer, older = revisions[0], revisions[1]
        error = ""
        rows: list[Any] = []
        show_all = request.GET.get("all") == "1"
        if older is None or newer is None:
            error = _("Choose two revisions of this plan.")
        elif older.number == newer.number:
            error = _("Choose two different revisions.")
        else:
            if older.number > newer.number:
                older, newer = newer, older
            rows = [
                row
                for row in selectors.revision_compare(older=older, newer=newer)
                if row.changed or show_all
            ]
            for row in rows:
                row.field_label = FIELD_LABELS.get(row.field, row.field)
        context = {
            "plan": plan,
            "revisions": revisions,
            "older": older,
            "newer": newer,
            "rows": rows,
            "show_all": show_all,
            "error": error,
        }
        return render(request, self.template_name, context)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 6 else None


# --- exports (campaigns/exports.py is written with the staff pages) ------------------------------


class ExportPDFView(PlanObjectMixin, View):
    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        plan = self.plan()  # another partner's plan: 404 before anything else
        from campaigns import exports  # written alongside the staff pages

        response = HttpResponse(exports.plan_pdf(plan), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{exports.plan_filename(plan)}.pdf"'
        )
        return response


class ExportCSVView(PlanObjectMixin, View):
    def get(self, request: HttpRequest, uuid: Any) -> HttpResponse:
        plan = self.plan()
        from campaigns import exports

        return exports.plan_csv(plan)
