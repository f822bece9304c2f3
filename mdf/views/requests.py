"""Fund requests in the portal: list, detail, new, edit, submit, cancel, close."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView

from campaigns import selectors as campaign_selectors
from campaigns.models import Launch
from mdf import clock, selectors, services
from mdf.forms import CloseRequestForm, FundRequestForm
from mdf.models import ZERO, Allocation, Claim, FundRequest
from mdf.money import fund_share
from mdf.views.common import ActingMixin, FundsPageMixin, error_text, is_uuid, timeline
from partners.scoping import PartnerScopedObjectMixin

RS = FundRequest.Status
CS = Claim.Status

REQUEST_SORTS = {
    "newest": ("-created_at", gettext_lazy("Newest first")),
    "oldest": ("created_at", gettext_lazy("Oldest first")),
    "activity": ("activity_start", gettext_lazy("Activity date")),
    "amount_desc": ("-requested_amount", gettext_lazy("Highest amount")),
    "amount_asc": ("requested_amount", gettext_lazy("Lowest amount")),
}


class RequestListView(FundsPageMixin, PartnerScopedObjectMixin, ListView):
    model = FundRequest
    template_name = "mdf/portal/request_list.html"
    context_object_name = "fund_requests"
    paginate_by = 20
    funds_tab = "requests"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        params = self.request.GET
        queryset = queryset.select_related("allocation__pool", "activity_type")
        if params.get("status") in RS.values:
            queryset = queryset.filter(status=params["status"])
        if query := params.get("q", "").strip()[:100]:
            queryset = queryset.filter(title__icontains=query)
        order = REQUEST_SORTS.get(params.get("sort", ""), REQUEST_SORTS["newest"])[0]
        return queryset.order_by(order, "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        context.update(
            status_choices=RS.choices,
            sort_choices=[(key, label) for key, (_order, label) in REQUEST_SORTS.items()],
            current_status=params.get("status", "") if params.get("status") in RS.values else "",
            current_sort=params.get("sort", "newest"),
            query=params.get("q", "").strip()[:100],
        )
        context["filtered"] = bool(context["current_status"] or context["query"])
        for fund_request in context["fund_requests"]:
            percentage = fund_request.allocation.pool.reimbursement_percentage
            fund_request.share = fund_share(fund_request.requested_amount, percentage)
            fund_request.decided_share = fund_share(fund_request.approved_amount, percentage)
        return context


class RequestDetailView(FundsPageMixin, PartnerScopedObjectMixin, DetailView):
    model = FundRequest
    template_name = "mdf/portal/request_detail.html"
    context_object_name = "fund_request"
    funds_tab = "requests"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("allocation__pool", "activity_type")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        fund_request: FundRequest = self.object
        pool = fund_request.allocation.pool
        today = clock.today()
        window = selectors.claim_window(fund_request, today=today)
        claims = list(fund_request.claims.order_by("-created_at"))
        claimable = services.claimable(fund_request)
        pending_claims = any(claim.status in (CS.SUBMITTED, CS.RETURNED) for claim in claims)
        approved = fund_request.status == RS.APPROVED
        context.update(
            pool=pool,
            currency=pool.currency,
            today=today,
            share_of_requested=fund_share(
                fund_request.requested_amount, pool.reimbursement_percentage
            ),
            claims=claims,
            claimable=claimable,
            timeline=timeline(fund_request.events.all()),
            is_undecided=fund_request.status in FundRequest.UNDECIDED,
            can_edit=fund_request.status == RS.DRAFT,
            claim_not_yet=approved and window.not_yet,
            claim_too_late=approved and window.too_late,
            can_claim=approved and claimable > ZERO and window.is_open,
            can_close=approved and not pending_claims,
            pending_claims=pending_claims,
        )
        return context


class RequestCreateView(ActingMixin, View):
    """A new request: "Save draft" drafts it; "Submit" drafts and submits it in one
    transaction, so a refused submission leaves nothing behind and the form shows why."""

    template_name = "mdf/portal/request_form.html"
    funds_tab = "requests"

    def allocations(self) -> QuerySet[Allocation]:
        return selectors.allocations_open_for_requests(partner=self.partner)

    def launches(self) -> QuerySet[Launch]:
        return campaign_selectors.launches_for_partner(partner=self.partner)

    def get(self, request: HttpRequest) -> HttpResponse:
        initial: dict[str, Any] = {}
        source = self.copy_source()
        if source is not None:
            initial = FundRequestForm.initial_from(source)
        elif wanted := request.GET.get("allocation"):
            match = self.allocations().filter(uuid=wanted).first() if is_uuid(wanted) else None
            if match is not None:
                initial["allocation"] = match.pk
        if code := request.GET.get("launch", "")[:16]:
            # "Request funds for it" on a launch's page: that launch, if it is the partner's.
            launch = self.launches().filter(code=code).first()
            if launch is not None:
                initial["launch"] = launch.pk
        form = FundRequestForm(
            initial=initial,
            allocations=self.allocations(),
            activity_types=selectors.activity_types_offered(),
            launches=self.launches(),
        )
        return self.render(form, source=source)

    def copy_source(self) -> FundRequest | None:
        wanted = self.request.GET.get("copy", "")
        if not is_uuid(wanted):
            return None
        return selectors.requests_for_partner(partner=self.partner).filter(uuid=wanted).first()

    def post(self, request: HttpRequest) -> HttpResponse:
        form = FundRequestForm(
            request.POST,
            allocations=self.allocations(),
            activity_types=selectors.activity_types_offered(),
            launches=self.launches(),
        )
        submit = "submit" in request.POST
        if form.is_valid():
            data = form.cleaned_data
            try:
                fund_request = services.request_create(
                    partner=self.partner,
                    allocation=data["allocation"],
                    activity_type=data["activity_type"],
                    title=data["title"],
                    description=data["description"],
                    activity_start=data["activity_start"],
                    activity_end=data["activity_end"],
                    requested_amount=data["requested_amount"],
                    expected_leads=data["expected_leads"] or 0,
                    expected_pipeline=data["expected_pipeline"] or ZERO,
                    launch=data.get("launch"),
                    actor=request.user,  # type: ignore[arg-type]
                    submit=submit,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Your request was submitted. We will email you when it is decided.")
                    if submit
                    else _("Your request was saved as a draft. Submit it when it is ready."),
                )
                return redirect("funds:request_detail", uuid=fund_request.uuid)
        return self.render(form, status=400)

    def render(
        self, form: FundRequestForm, status: int = 200, source: FundRequest | None = None
    ) -> HttpResponse:
        allocations = list(self.allocations())
        context = self.funds_context(
            form=form,
            source=source,
            has_allocations=bool(allocations),
            allocations=allocations,
            activity_types=selectors.activity_types_offered(),
        )
        return render(self.request, self.template_name, context, status=status)


class RequestActionMixin(ActingMixin, PartnerScopedObjectMixin):
    model = FundRequest
    funds_tab = "requests"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("allocation__pool", "activity_type")

    def back(self, fund_request: FundRequest) -> HttpResponse:
        return redirect("funds:request_detail", uuid=fund_request.uuid)


class RequestSubmitView(RequestActionMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        fund_request = self.get_object()
        try:
            services.request_submit(fund_request=fund_request, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, _("Not submitted: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(
                request, _("Your request was submitted. We will email you when it is decided.")
            )
        return self.back(fund_request)


class RequestCancelView(RequestActionMixin, View):
    """Confirm (GET) and cancel (POST) a request that is not decided yet."""

    template_name = "mdf/portal/request_cancel.html"

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        fund_request = self.get_object()
        return render(
            request,
            self.template_name,
            self.funds_context(
                fund_request=fund_request,
                cancellable=fund_request.status in FundRequest.UNDECIDED,
            ),
        )

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        fund_request = self.get_object()
        try:
            services.request_cancel(fund_request=fund_request, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, _("Not cancelled: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(request, _("The request was cancelled."))
        return self.back(fund_request)


class RequestEditView(RequestActionMixin, View):
    """Change a draft with the new-request form (its fund stays). "Save changes" saves;
    "Save and submit" saves and submits in one transaction, so a refused submission
    leaves the draft as it was and the form shows why."""

    template_name = "mdf/portal/request_form.html"

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        fund_request = self.get_object()
        form = FundRequestForm(
            initial=FundRequestForm.initial_for_edit(fund_request),
            activity_types=self.activity_types(fund_request),
            launches=campaign_selectors.launches_for_partner(partner=self.partner),
            editing=True,
        )
        return self.render(fund_request, form)

    @staticmethod
    def activity_types(fund_request: FundRequest):
        return selectors.activity_types_offered(keeping=fund_request.activity_type_id)

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        fund_request = self.get_object()
        form = FundRequestForm(
            request.POST,
            activity_types=self.activity_types(fund_request),
            launches=campaign_selectors.launches_for_partner(partner=self.partner),
            editing=True,
        )
        submit = "submit" in request.POST
        if form.is_valid():
            try:
                services.request_update(
                    fund_request=fund_request,
                    actor=request.user,  # type: ignore[arg-type]
                    submit=submit,
                    **form.changes(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("Your request was submitted. We will email you when it is decided.")
                    if submit
                    else _("Your changes were saved. Submit the request when it is ready."),
                )
                return self.back(fund_request)
        return self.render(fund_request, form, status=400)

    def render(
        self, fund_request: FundRequest, form: FundRequestForm, status: int = 200
    ) -> HttpResponse:
        context = self.funds_context(
            form=form,
            fund_request=fund_request,
            editing=True,
            editable=fund_request.status == RS.DRAFT,
            has_allocations=True,
            allocations=[fund_request.allocation],
            activity_types=self.activity_types(fund_request),
        )
        return render(self.request, self.template_name, context, status=status)


class RequestCloseView(RequestActionMixin, View):
    """Confirm (GET) and close (POST) an approved request, releasing what it has not
    spent back to the available money."""

    template_name = "mdf/portal/request_close.html"

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        return self.render(self.get_object(), CloseRequestForm())

    def render(self, fund_request: FundRequest, form: CloseRequestForm, status: int = 200):
        return render(
            request=self.request,
            template_name=self.template_name,
            context=self.funds_context(
                fund_request=fund_request,
                form=form,
                currency=fund_request.allocation.pool.currency,
                closable=fund_request.status == RS.APPROVED,
            ),
            status=status,
        )

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        fund_request = self.get_object()
        form = CloseRequestForm(request.POST)
        if not form.is_valid():
            return self.render(fund_request, form, status=400)
        try:
            services.request_release(
                fund_request=fund_request,
                actor=request.user,  # type: ignore[arg-type]
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, _("Not closed: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(
                request, _("The request was closed and its unused money is available again.")
            )
        return self.back(fund_request)
