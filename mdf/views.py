"""Portal pages of market development funds (/portal/funds/).

Thin entry points: they read through `mdf.selectors` (balances are defined there,
once), write through `mdf.services`, and look objects up by UUID among the
partner's own rows (`PartnerScopedObjectMixin`), so another partner's request,
claim or proof answers 404. Partner admins and marketers act; sales reps read.
"""

from __future__ import annotations

import csv
from pathlib import PurePath
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from mdf import selectors, services
from mdf.forms import ClaimForm, CloseRequestForm, FundRequestForm, ProofUploadForm
from mdf.models import ZERO, Allocation, Claim, ClaimProof, FundRequest, MDFEvent
from mdf.money import format_money, fund_share
from partners.models import Membership, Partner
from partners.scoping import PartnerScopedObjectMixin, PortalAccessMixin

RS = FundRequest.Status
CS = Claim.Status
ACTING_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.MARKETER})

EVENT_LABELS = {
    "created": gettext_lazy("Created as a draft"),
    "created_on_behalf": gettext_lazy("Created as a draft on your behalf"),
    "edited": gettext_lazy("Changed"),
    "proof_removed": gettext_lazy("Proof removed"),
    "submitted": gettext_lazy("Submitted for a decision"),
    "submitted_on_behalf": gettext_lazy("Submitted on your behalf"),
    "resubmitted": gettext_lazy("Resubmitted"),
    "cancelled": gettext_lazy("Cancelled"),
    "approved_by_manager": gettext_lazy("Approved by the channel manager, passed to finance"),
    "approved": gettext_lazy("Approved"),
    "approved_partly": gettext_lazy("Partly approved"),
    "rejected": gettext_lazy("Rejected"),
    "returned": gettext_lazy("Returned for more proof"),
    "closed": gettext_lazy("Closed"),
    "expired": gettext_lazy("Claim deadline passed"),
    "lapsed": gettext_lazy("Lapsed: not resubmitted before the claim deadline"),
    "paid": gettext_lazy("Paid"),
}

REQUEST_SORTS = {
    "newest": ("-created_at", gettext_lazy("Newest first")),
    "oldest": ("created_at", gettext_lazy("Oldest first")),
    "activity": ("activity_start", gettext_lazy("Activity date")),
    "amount_desc": ("-requested_amount", gettext_lazy("Highest amount")),
    "amount_asc": ("requested_amount", gettext_lazy("Lowest amount")),
}


def actor_label(user: Any) -> str:
    """Who did it, as a partner sees it: vendor staff are marked as the vendor's."""
    if user is None:
        return _("Automatic (deadline job)")
    name = user.get_full_name() or user.get_username()
    if user.is_staff:
        return _("Vendor: %(name)s") % {"name": name}
    return name


def timeline(events: QuerySet[MDFEvent]) -> list[dict[str, Any]]:
    return [
        {
            "at": event.at,
            "label": EVENT_LABELS.get(event.action, event.action.replace("_", " ").capitalize()),
            "who": actor_label(event.actor),
            "note": event.note,
            "amount": event.amount,
            "action": event.action,
        }
        for event in events.select_related("actor").order_by("at", "id")
    ]


def is_uuid(value: str) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def error_text(exc: ValidationError) -> str:
    return " ".join(str(message) for message in exc.messages)


class FundsPageMixin(PortalAccessMixin):
    """Every funds page: the partner's portal access, plus what the templates need to
    show or hide actions (sales reps read only) and which tab is current."""

    funds_tab = "overview"

    @property
    def partner(self) -> Partner:
        return self.request.partner  # type: ignore[attr-defined]

    def can_act(self) -> bool:
        return self.request.membership.role in ACTING_ROLES  # type: ignore[attr-defined]

    def funds_context(self, **extra: Any) -> dict[str, Any]:
        return {"funds_tab": self.funds_tab, "can_act": self.can_act(), **extra}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(self.funds_context())
        return context


class ActingMixin(FundsPageMixin):
    """Pages that change something: partner admins and marketers only (403 for sales)."""

    allowed_roles = ACTING_ROLES


# --- overview ---------------------------------------------------------------------


class OverviewView(FundsPageMixin, TemplateView):
    """The partner's funds: headline figures of the current period (pools still open:
    `selectors.open_pools_q`) or, with `?period=all`, of every period; one card per
    allocation (every period) with its deadlines; what waits for the partner."""

    template_name = "mdf/portal/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partner = self.partner
        today = timezone.localdate()
        period = "all" if self.request.GET.get("period") == "all" else "current"
        allocations = list(selectors.allocations_for_partner(partner=partner))
        open_ids = set(
            selectors.allocations_for_partner(partner=partner)
            .filter(selectors.open_pools_q(today))
            .values_list("pk", flat=True)
        )
        for allocation in allocations:
            allocation.is_open = allocation.pk in open_ids  # type: ignore[attr-defined]
        open_pools = [allocation.pool for allocation in allocations if allocation.pk in open_ids]
        requests = selectors.requests_for_partner(partner=partner)
        claims = selectors.claims_for_partner(partner=partner)
        to_claim = list(requests.filter(status=RS.APPROVED).order_by("activity_end", "pk")[:10])
        for fund_request in to_claim:
            fund_request.claim_opens = fund_request.activity_end
            fund_request.claim_open_now = (
                fund_request.activity_end <= today <= fund_request.allocation.pool.claim_deadline
            )
        context.update(
            today=today,
            period=period,
            open_pools=open_pools,
            has_closed_pools=len(open_pools) < len(allocations),
            balances=list(
                selectors.balances_for_partner(
                    partner=partner, today=today, open_only=period == "current"
                ).values()
            ),
            allocations=allocations,
            draft_requests=list(requests.filter(status=RS.DRAFT).order_by("-created_at")[:10]),
            open_claims=list(
                claims.filter(status__in=Claim.CHANGEABLE).order_by("-created_at")[:10]
            ),
            to_claim=to_claim,
            waiting_requests=list(
                requests.filter(status__in=(RS.SUBMITTED, RS.AWAITING_FINANCE)).order_by(
                    "submitted_at"
                )[:10]
            ),
            waiting_claims=list(claims.filter(status=CS.SUBMITTED).order_by("submitted_at")[:10]),
            can_request=selectors.allocations_open_for_requests(partner=partner).exists(),
        )
        return context


# --- requests ---------------------------------------------------------------------


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
        today = timezone.localdate()
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
            claim_not_yet=approved and today < fund_request.activity_end,
            claim_too_late=approved and today > pool.claim_deadline,
            can_claim=approved
            and claimable > ZERO
            and fund_request.activity_end <= today <= pool.claim_deadline,
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

    def get(self, request: HttpRequest) -> HttpResponse:
        initial: dict[str, Any] = {}
        source = self.copy_source()
        if source is not None:
            initial = FundRequestForm.initial_from(source)
        elif wanted := request.GET.get("allocation"):
            match = self.allocations().filter(uuid=wanted).first() if is_uuid(wanted) else None
            if match is not None:
                initial["allocation"] = match.pk
        form = FundRequestForm(
            initial=initial,
            allocations=self.allocations(),
            activity_types=selectors.activity_types_offered(),
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
            editing=True,
        )
        return self.render(fund_request, form)

    @staticmethod
    def activity_types(fund_request: FundRequest):
        return selectors.activity_types_offered(keeping=fund_request.activity_type_id)

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        fund_request = self.get_object()
        form = FundRequestForm(
            request.POST, activity_types=self.activity_types(fund_request), editing=True
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


# --- claims -----------------------------------------------------------------------


class ClaimCreateView(RequestActionMixin, View):
    """A claim on an approved request, after the activity (by the request's UUID)."""

    template_name = "mdf/portal/claim_form.html"
    funds_tab = "claims"

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        fund_request = self.get_object()
        return self.render(fund_request, self.form(fund_request))

    def form(self, fund_request: FundRequest, data: Any = None) -> ClaimForm:
        claimable = services.claimable(fund_request)
        initial = {"amount": claimable} if claimable > ZERO else {}
        return ClaimForm(
            data,
            initial=initial,
            claimable=format_money(claimable, fund_request.allocation.pool.currency),
        )

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        fund_request = self.get_object()
        form = self.form(fund_request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                claim = services.claim_create(
                    fund_request=fund_request,
                    amount=data["amount"],
                    actor=request.user,  # type: ignore[arg-type]
                    actual_leads=data["actual_leads"] or 0,
                    actual_pipeline=data["actual_pipeline"] or ZERO,
                    results_note=data["results_note"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request, _("Your claim was saved. Upload the proof below, then submit it.")
                )
                return redirect("funds:claim_detail", uuid=claim.uuid)
        return self.render(fund_request, form, status=400)

    def render(self, fund_request: FundRequest, form: ClaimForm, status: int = 200):
        pool = fund_request.allocation.pool
        today = timezone.localdate()
        claimable = services.claimable(fund_request)
        return render(
            self.request,
            self.template_name,
            self.funds_context(
                fund_request=fund_request,
                pool=pool,
                currency=pool.currency,
                form=form,
                claimable=claimable,
                required_proof=list(fund_request.activity_type.proof_kinds.all()),
                claim_not_yet=today < fund_request.activity_end,
                claim_too_late=today > pool.claim_deadline,
                open_for_claims=fund_request.status == RS.APPROVED and claimable > ZERO,
            ),
            status=status,
        )


class ClaimListView(FundsPageMixin, PartnerScopedObjectMixin, ListView):
    model = Claim
    template_name = "mdf/portal/claim_list.html"
    context_object_name = "claims"
    paginate_by = 20
    funds_tab = "claims"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.select_related("request__allocation__pool")
        status = self.request.GET.get("status")
        if status in CS.values:
            queryset = queryset.filter(status=status)
        if query := self.request.GET.get("q", "").strip()[:100]:
            queryset = queryset.filter(request__title__icontains=query)
        return queryset.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        context.update(
            status_choices=CS.choices,
            current_status=status if status in CS.values else "",
            query=self.request.GET.get("q", "").strip()[:100],
        )
        context["filtered"] = bool(context["current_status"] or context["query"])
        return context


class ClaimMixin(FundsPageMixin, PartnerScopedObjectMixin):
    model = Claim
    funds_tab = "claims"
    template_name = "mdf/portal/claim_detail.html"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("request__allocation__pool", "request__activity_type")

    def render_claim(
        self, claim: Claim, bound: ProofUploadForm | None = None, status: int = 200
    ) -> HttpResponse:
        pool = claim.request.allocation.pool
        proofs = list(claim.proofs.select_related("proof_kind").order_by("uploaded_at"))
        editable = claim.status in Claim.CHANGEABLE
        checklist = []
        for kind in services.required_proof(claim):
            files = [proof for proof in proofs if proof.proof_kind_id == kind.pk]
            form = bound if bound is not None and bound.kind.pk == kind.pk else None
            checklist.append(
                {
                    "kind": kind,
                    "files": files,
                    "form": form or (ProofUploadForm(kind=kind) if editable else None),
                }
            )
        required_ids = {item["kind"].pk for item in checklist}
        missing = [item["kind"] for item in checklist if not item["files"]]
        return render(
            self.request,
            self.template_name,
            self.funds_context(
                claim=claim,
                fund_request=claim.request,
                pool=pool,
                currency=pool.currency,
                checklist=checklist,
                other_proofs=[proof for proof in proofs if proof.proof_kind_id not in required_ids],
                share_of_claimed=fund_share(claim.amount, pool.reimbursement_percentage),
                missing=missing,
                editable=editable,
                timeline=timeline(claim.events.all()),
            ),
            status=status,
        )


class ClaimDetailView(ClaimMixin, View):
    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        return self.render_claim(self.get_object())


class ClaimProofUploadView(ActingMixin, ClaimMixin, View):
    """Attach one proof file of one required kind (through the one upload validator)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        claim = self.get_object()
        slug = request.POST.get("kind", "")
        kind = next((k for k in services.required_proof(claim) if k.slug == slug), None)
        if kind is None:
            messages.error(request, _("Choose which proof the file is."))
            return self.render_claim(claim, status=400)
        form = ProofUploadForm(request.POST, request.FILES, kind=kind)
        if form.is_valid():
            try:
                services.claim_attach_proof(
                    claim=claim,
                    proof_kind=kind,
                    upload=form.cleaned_data["file"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("“%(kind)s” was uploaded.") % {"kind": kind.name})
                return redirect("funds:claim_detail", uuid=claim.uuid)
        return self.render_claim(claim, bound=form, status=400)


class ClaimSubmitView(ActingMixin, ClaimMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        claim = self.get_object()
        try:
            services.claim_submit(claim=claim, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, _("Not submitted: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(
                request, _("Your claim was submitted. Finance will review it and email you.")
            )
        return redirect("funds:claim_detail", uuid=claim.uuid)


class ClaimEditView(ActingMixin, ClaimMixin, View):
    """Change a draft or returned claim's amount and results (the new-claim form)."""

    form_template = "mdf/portal/claim_form.html"

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        claim = self.get_object()
        return self.render_form(claim, self.form(claim))

    def form(self, claim: Claim, data: Any = None) -> ClaimForm:
        claimable = services.claimable(claim.request, exclude=claim)
        return ClaimForm(
            data,
            initial=ClaimForm.initial_from(claim),
            claimable=format_money(claimable, claim.request.allocation.pool.currency),
        )

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        claim = self.get_object()
        form = self.form(claim, request.POST)
        if form.is_valid():
            try:
                services.claim_update(
                    claim=claim,
                    actor=request.user,  # type: ignore[arg-type]
                    **form.changes(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Your changes to the claim were saved."))
                return redirect("funds:claim_detail", uuid=claim.uuid)
        return self.render_form(claim, form, status=400)

    def render_form(self, claim: Claim, form: ClaimForm, status: int = 200) -> HttpResponse:
        fund_request = claim.request
        pool = fund_request.allocation.pool
        today = timezone.localdate()
        return render(
            self.request,
            self.form_template,
            self.funds_context(
                claim=claim,
                fund_request=fund_request,
                pool=pool,
                currency=pool.currency,
                form=form,
                editing=True,
                editable=claim.status in Claim.CHANGEABLE,
                claimable=services.claimable(fund_request, exclude=claim),
                required_proof=list(fund_request.activity_type.proof_kinds.all()),
                claim_not_yet=today < fund_request.activity_end,
                claim_too_late=today > pool.claim_deadline,
                open_for_claims=fund_request.status == RS.APPROVED,
            ),
            status=status,
        )


class ProofRemoveView(ActingMixin, PartnerScopedObjectMixin, View):
    """Confirm (GET) and remove (POST) a wrong proof file of a draft or returned claim."""

    model = ClaimProof
    funds_tab = "claims"
    template_name = "mdf/portal/proof_remove.html"

    def narrow_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("claim__request__allocation__pool", "proof_kind")

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        proof: ClaimProof = self.get_object()  # type: ignore[assignment]
        claim = proof.claim
        others = claim.proofs.filter(proof_kind=proof.proof_kind).exclude(pk=proof.pk)
        return render(
            request,
            self.template_name,
            self.funds_context(
                proof=proof,
                claim=claim,
                fund_request=claim.request,
                removable=claim.status in Claim.CHANGEABLE,
                leaves_missing=proof.proof_kind in services.required_proof(claim)
                and not others.exists(),
            ),
        )

    def post(self, request: HttpRequest, uuid: str) -> HttpResponse:
        proof: ClaimProof = self.get_object()  # type: ignore[assignment]
        try:
            services.claim_remove_proof(proof=proof, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, _("Not removed: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(request, _("“%(name)s” was removed.") % {"name": proof.original_name})
        return redirect("funds:claim_detail", uuid=proof.claim.uuid)


class ProofDownloadView(FundsPageMixin, PartnerScopedObjectMixin, View):
    """A proof file of the partner's own claims, as an attachment with the type the
    validator detected; another partner's proof is not found."""

    model = ClaimProof

    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        proof: ClaimProof = self.get_object()  # type: ignore[assignment]
        extension = PurePath(proof.file.name).suffix
        stem = PurePath(proof.original_name.replace("\\", "/")).stem
        stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '"/;')[:100]
        try:
            handle = proof.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{stem or 'proof'}{extension}",
            content_type=proof.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- statement --------------------------------------------------------------------


class StatementMixin(FundsPageMixin):
    funds_tab = "statement"

    def chosen_allocation(self) -> Allocation | None:
        """The `?allocation=<uuid>` filter: one of the partner's allocations, or 404."""
        wanted = self.request.GET.get("allocation", "")
        if not wanted:
            return None
        allocation = (
            selectors.allocations_for_partner(partner=self.partner).filter(uuid=wanted).first()
            if is_uuid(wanted)
            else None
        )
        if allocation is None:
            raise Http404
        return allocation

    def entries(self, allocation: Allocation | None) -> QuerySet:
        return selectors.statement_with_running_available(
            partner=self.partner, allocation=allocation
        ).select_related("allocation__pool", "request", "claim__request")


class StatementView(StatementMixin, ListView):
    template_name = "mdf/portal/statement.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self) -> QuerySet:
        self.allocation = self.chosen_allocation()
        return self.entries(self.allocation)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            allocations=list(selectors.allocations_for_partner(partner=self.partner)),
            allocation=self.allocation,
        )
        return context


def csv_safe(value: object) -> str:
    """Text a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class StatementCSVView(StatementMixin, View):
    """The (filtered) statement as CSV: one row per ledger entry, oldest first.

    Built in memory inside the request's partner scope: a partner's ledger is small
    (a few entries per request and claim)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        allocation = self.chosen_allocation()
        name = "funds-statement" + (f"-{allocation.uuid}" if allocation is not None else "")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        writer = csv.writer(response)
        writer.writerow(
            [
                _("Date"),
                _("Movement"),
                _("Pool"),
                _("Currency"),
                _("Amount"),
                _("Effect on available"),
                _("Available after"),
                _("Request"),
                _("Request ID"),
                _("Claim ID"),
                _("Note"),
            ]
        )
        for entry in self.entries(allocation).order_by("created_at", "seq"):
            fund_request = entry.request or (entry.claim.request if entry.claim else None)
            writer.writerow(
                [
                    entry.created_at.isoformat(timespec="seconds"),
                    entry.get_kind_display(),
                    csv_safe(entry.allocation.pool.name),
                    entry.allocation.pool.currency,
                    f"{entry.amount:.2f}",
                    f"{entry.available_change:.2f}",
                    f"{entry.available_after:.2f}",
                    csv_safe(fund_request.title) if fund_request else "",
                    str(fund_request.uuid) if fund_request else "",
                    str(entry.claim.uuid) if entry.claim else "",
                    csv_safe(entry.memo),
                ]
            )
        return response
