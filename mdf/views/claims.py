"""Claims in the portal: new, list, detail, edit, submit, and their proof files."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from mdf import selectors, services
from mdf.forms import ClaimForm, ProofUploadForm
from mdf.models import ZERO, Claim, ClaimProof, FundRequest
from mdf.money import format_money, fund_share
from mdf.views.common import ActingMixin, FundsPageMixin, error_text, timeline
from mdf.views.requests import RequestActionMixin
from partners.scoping import PartnerScopedObjectMixin

RS = FundRequest.Status
CS = Claim.Status


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
        window = selectors.claim_window(fund_request)
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
                claim_not_yet=window.not_yet,
                claim_too_late=window.too_late,
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
        window = selectors.claim_window(fund_request)
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
                claim_not_yet=window.not_yet,
                claim_too_late=window.too_late,
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
