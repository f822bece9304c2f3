"""The claim queue, for finance approvers: claims awaiting my decision with their SLA,
the proof of performance (streamed to staff only), the decision page that calls
`claim_decide`, and the way on to recording the payment (`payments.py`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from mdf import selectors, services
from mdf.admin.common import (
    FINANCE,
    ReadOnlyAdmin,
    ReadOnlyInline,
    StaffPageMixin,
    button,
    money_column,
    money_record,
    show_errors,
    sla_badge,
)
from mdf.admin.payments import PaymentPages
from mdf.admin.queues import (
    OWN_SUBMISSION,
    AwaitingMyDecisionFilter,
    DecisionForm,
    EventInline,
    decided_money_column,
)
from mdf.models import Claim, ClaimProof
from mdf.money import format_money, fund_share

CS = Claim.Status
# Not decided yet: nothing approved, nothing to reimburse.
UNDECIDED = (CS.DRAFT, CS.SUBMITTED, CS.RETURNED)
# Proof files of these types open in the browser; any other is downloaded.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/webp", "image/gif"}


def claim_blocker(claim: Claim, user: Any) -> str | None:
    """Why this user cannot decide this claim now (None: they can)."""
    if services.can_decide_claim(claim, user):
        return None
    if user.pk in (claim.created_by_id, claim.submitted_by_id):
        return str(OWN_SUBMISSION)
    if claim.status != CS.SUBMITTED:
        return str(_("This claim is not awaiting a decision."))
    return str(_("Claims are decided by a finance approver."))


def claim_sla(claim: Claim) -> str:
    """The claim's SLA badge while it waits for finance."""
    pool = claim.request.allocation.pool
    return sla_badge(selectors.claim_waiting_since(claim), pool.decision_sla_days)


class ClaimsAwaitingMe(AwaitingMyDecisionFilter):
    def decides(self, user: Any) -> bool:
        return user.has_perm(FINANCE)

    def awaiting(self, request: HttpRequest) -> QuerySet:
        user: Any = request.user
        return selectors.claims_awaiting(user=user)


class ClaimEventInline(EventInline):
    fk_name = "claim"


class ClaimDecisionForm(DecisionForm):
    CHOICES = [
        ("approve", _("Approve in full")),
        ("partly", _("Approve partly")),
        ("return", _("Return for more proof")),
        ("reject", _("Reject")),
    ]


class ProofInline(ReadOnlyInline):
    model = ClaimProof
    verbose_name_plural = _("proof of performance")
    fields = ["proof_kind", "file_link", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def file_link(self, proof: ClaimProof) -> str:
        url = reverse("admin:mdf_claimproof_file", args=[proof.uuid])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, proof)


def _claim_currency(claim: Claim) -> str:
    return claim.request.allocation.pool.currency


# Read-only: decisions and payments go through their pages and services.
@admin.register(Claim)
class ClaimAdmin(PaymentPages, StaffPageMixin, ReadOnlyAdmin):
    # What a decider scans first (state, age, money) before what it is about: at 1280 px,
    # with the menu and the filter open, only the first five or six columns show.
    list_display = [
        "name",
        "status",
        "sla",
        money_column("amount", _("claimed"), _claim_currency),
        decided_money_column("approved_amount", _("approved"), _claim_currency, UNDECIDED),
        decided_money_column("reimbursement", _("reimbursement"), _claim_currency, UNDECIDED),
        "pool_name",
        "times_returned",
        "submitted_at",
    ]
    list_filter = [
        ClaimsAwaitingMe,
        "status",
        "request__allocation__pool",
        ("partner", admin.RelatedOnlyFieldListFilter),
        "request__activity_type",
    ]
    list_select_related = ["partner", "request__allocation__pool"]
    list_display_links = ["name"]
    search_fields = ["request__title", "partner__name", "payment_reference"]
    inlines = [ProofInline, ClaimEventInline]
    readonly_fields = money_record(
        Claim,
        [
            "uuid",
            "partner",
            "request",
            "amount",
            decided_money_column(
                "approved_amount",
                Claim._meta.get_field("approved_amount").verbose_name,
                _claim_currency,
                UNDECIDED,
            ),
            decided_money_column(
                "reimbursement",
                Claim._meta.get_field("reimbursement").verbose_name,
                _claim_currency,
                UNDECIDED,
            ),
            "actual_leads",
            "actual_pipeline",
            "results_note",
            "status",
            "created_by",
            "submitted_by",
            "on_behalf",
            "first_submitted_at",
            "submitted_at",
            "times_returned",
            "decided_by",
            "decided_at",
            "decision_note",
            "paid_at",
            "payment_reference",
            "payment_recorded_by",
        ],
        money=("amount", "actual_pipeline"),
        currency=_claim_currency,
    )
    fields = readonly_fields
    change_form_template = "admin/mdf/decidable_change_form.html"

    @admin.display(description=_("claim"), ordering="partner__name")
    def name(self, claim: Claim) -> str:
        """Partner and request title, as `Claim.__str__` names it everywhere."""
        return str(claim)

    @admin.display(description=_("pool"), ordering="request__allocation__pool__name")
    def pool_name(self, claim: Claim) -> str:
        return claim.request.allocation.pool.name

    @admin.display(description=_("SLA"))
    def sla(self, claim: Claim) -> str:
        return claim_sla(claim)

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        user: Any = request.user

        @admin.display(description="", empty_value="")  # no button: nothing, not "-"
        def next_step(claim: Claim) -> str:
            if services.can_decide_claim(claim, user):
                return button(reverse("admin:mdf_claim_decide", args=[claim.pk]), _("Decide"))
            if claim.status == CS.APPROVED and user.has_perm(FINANCE):
                url = reverse("admin:mdf_claim_record_payment", args=[claim.pk])
                return button(url, _("Record payment"))
            return ""

        # The action next to what it acts on, not past the columns a screen can show.
        first, *rest = self.list_display
        return [first, next_step, *rest]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        extra = {}
        user: Any = request.user
        if obj is not None and services.can_decide_claim(obj, user):
            extra["decide_url"] = reverse("admin:mdf_claim_decide", args=[obj.pk])
        if obj is not None and obj.status == CS.APPROVED and user.has_perm(FINANCE):
            extra["payment_url"] = reverse("admin:mdf_claim_record_payment", args=[obj.pk])
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("payments/", view(self.payments_view), name="mdf_claim_payments"),
            path("payments.csv", view(self.payments_export), name="mdf_claim_payments_export"),
            path(
                "proof/<uuid:proof_uuid>/",
                never_cache(self.proof_file_view),
                name="mdf_claimproof_file",
            ),
            path("<path:object_id>/decide/", view(self.decide_view), name="mdf_claim_decide"),
            path(
                "<path:object_id>/record-payment/",
                view(self.record_payment_view),
                name="mdf_claim_record_payment",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self.viewable_object(request, object_id)
        user: Any = request.user
        data = request.POST if request.method == "POST" else None
        if data is not None and not user.has_perm(FINANCE):
            raise PermissionDenied
        blocker = claim_blocker(claim, user)
        form = ClaimDecisionForm(data)
        if data is not None and form.is_valid():
            if blocker:
                form.add_error(None, blocker)
            else:
                choice = form.cleaned_data["decision"]
                try:
                    decided = services.claim_decide(
                        claim=claim,
                        actor=user,
                        decision="approve" if choice == "partly" else choice,
                        approved_amount=form.amount(),
                        note=form.cleaned_data["note"],
                    )
                except ValidationError as exc:
                    show_errors(form, exc, ["note", "approved_amount"])
                else:
                    messages.success(
                        request,
                        _("Claim %(status)s.") % {"status": decided.get_status_display().lower()},
                    )
                    return HttpResponseRedirect(reverse("admin:mdf_claim_changelist"))
        fund_request = claim.request
        pool = fund_request.allocation.pool
        proofs = list(claim.proofs.select_related("proof_kind", "uploaded_by"))
        present = {proof.proof_kind_id for proof in proofs}
        return self.page(
            request,
            "claim_decide.html",
            _("Decide claim: %(claim)s") % {"claim": claim},
            object=claim,
            fund_request=fund_request,
            pool=pool,
            form=form,
            blocker=blocker,
            proofs=proofs,
            required=[(kind, kind.pk in present) for kind in services.required_proof(claim)],
            share=format_money(
                fund_share(claim.amount, pool.reimbursement_percentage), pool.currency
            ),
            open_commitment=format_money(fund_request.open_commitment, pool.currency),
            available=format_money(fund_request.allocation.available, pool.currency),
            history=selectors.claim_history(claim=claim),
            sla=claim_sla(claim),
        )

    def proof_file_view(self, request: HttpRequest, proof_uuid: Any) -> HttpResponseBase:
        """Stream a proof file to staff who may view claims; partners get 404.

        Not behind a public media URL: the file is read through the storage API
        here, after the check. Only PDFs and images open in the browser.
        """
        user: Any = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not (user.is_active and user.is_staff):
            raise Http404
        if not (user.has_perm("mdf.view_claimproof") or user.has_perm("mdf.view_claim")):
            raise PermissionDenied
        proof = ClaimProof.objects.filter(uuid=proof_uuid).first()
        if proof is None:
            raise Http404
        inline = proof.content_type in INLINE_TYPES
        response = FileResponse(
            proof.file.open("rb"),
            content_type=proof.content_type,
            as_attachment=not inline,
            filename=proof.original_name or f"proof-{proof.uuid}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
