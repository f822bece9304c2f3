"""Payments, for finance approvers: approved claims to pay (filtered by state, pool
and date), the CSV for the finance system, and recording a payment through
`claim_record_payment`.

The pages hang off the claim admin (`admin:mdf_claim_payments`,
`admin:mdf_claim_payments_export`, `admin:mdf_claim_record_payment`; see
`claim_queue.py`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.csv_export import csv_response
from mdf import clock, selectors, services
from mdf.admin.common import (
    FINANCE,
    StaffPageMixin,
    pools_newest_first,
    show_errors,
)
from mdf.models import Claim
from mdf.money import format_money

CS = Claim.Status


class PaymentForm(forms.Form):
    """Parses the date and the reference; whether they are missing or acceptable is
    `claim_record_payment`'s rule, which reports every field's error at once."""

    paid_at = forms.DateField(
        required=False, label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(required=False, max_length=100, label=_("Payment reference"))


class PaymentFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False,
        choices=[("to_pay", _("To pay")), ("paid", _("Paid")), ("all", _("All"))],
    )
    pool = forms.ModelChoiceField(required=False, queryset=pools_newest_first())
    date_from = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("from")
    )
    date_to = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("to")
    )

    def claims(self) -> QuerySet[Claim]:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.payments(
            state=data.get("state") or "to_pay",
            pool=data.get("pool"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class PaymentPages(StaffPageMixin):
    """The payment pages of the claim admin."""

    def payments_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        filters = PaymentFilterForm(request.GET or None)
        claims = filters.claims()
        return self.page(
            request,
            "payments.html",
            _("Payments"),
            filters=filters,
            claims=claims,
            may_pay=request.user.has_perm(FINANCE),
            query=request.GET.urlencode(),
        )

    def payments_export(self, request: HttpRequest) -> HttpResponseBase:
        """Payments for the finance system, as filtered on the payments page."""
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        claims = PaymentFilterForm(request.GET or None).claims()
        header = [
            "claim_id",
            "partner",
            "pool",
            "currency",
            "approved_amount",
            "reimbursement",
            "status",
            "paid_date",
            "reference",
        ]
        rows = (
            [
                claim.uuid,
                claim.partner.name,
                claim.request.allocation.pool.name,
                claim.request.allocation.pool.currency,
                claim.approved_amount,
                claim.reimbursement,
                claim.status,
                claim.paid_at.isoformat() if claim.paid_at else "",
                claim.payment_reference,
            ]
            for claim in claims.iterator(chunk_size=500)
        )
        return csv_response("mdf-payments", header, rows)

    def record_payment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self.viewable_object(request, object_id)
        user: Any = request.user
        if not user.has_perm(FINANCE):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = PaymentForm(data, initial={"paid_at": clock.today()})
        if data is not None and form.is_valid():
            try:
                services.claim_record_payment(
                    claim=claim,
                    actor=user,
                    paid_at=form.cleaned_data["paid_at"],
                    reference=form.cleaned_data["reference"],
                )
            except ValidationError as exc:
                show_errors(form, exc, ["reference", "paid_at"])
            else:
                messages.success(request, _("Payment recorded."))
                return HttpResponseRedirect(reverse("admin:mdf_claim_payments"))
        pool = claim.request.allocation.pool
        return self.page(
            request,
            "record_payment.html",
            _("Record payment of claim %(id)s") % {"id": str(claim.uuid)[:8]},
            object=claim,
            pool=pool,
            form=form,
            payable=claim.status == CS.APPROVED,
            reimbursement=format_money(claim.reimbursement, pool.currency),
        )
