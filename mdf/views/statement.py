"""The funds statement: every ledger movement of the partner's allocations, on the
page and as CSV."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from config.csv_export import csv_response
from mdf import selectors
from mdf.models import Allocation, LedgerEntry
from mdf.views.common import FundsPageMixin, is_uuid


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
        """Newest first within each fund, one fund after the other (as the fund filter
        lists them): each fund's running balance reads down its own rows."""
        self.allocation = self.chosen_allocation()
        return self.entries(self.allocation).order_by(
            "-allocation__pool__period_start", "allocation__pool__name", "-created_at", "-seq"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            allocations=list(selectors.allocations_for_partner(partner=self.partner)),
            allocation=self.allocation,
        )
        return context


class StatementCSVView(StatementMixin, View):
    """The (filtered) statement as CSV: one row per ledger entry, oldest first.

    Built in memory inside the request's partner scope: a partner's ledger is small
    (a few entries per request and claim)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        allocation = self.chosen_allocation()
        name = "funds-statement" + (f"-{allocation.uuid}" if allocation is not None else "")
        header = [
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
        entries = self.entries(allocation).order_by("created_at", "seq")
        # Rendered now, inside the request's partner scope (the response streams later).
        rows = [self.row(entry) for entry in entries]
        return csv_response(name, header, rows)

    @staticmethod
    def row(entry: LedgerEntry) -> list[Any]:
        fund_request = entry.request or (entry.claim.request if entry.claim else None)
        return [
            entry.created_at.isoformat(timespec="seconds"),
            entry.get_kind_display(),
            entry.allocation.pool.name,
            entry.allocation.pool.currency,
            f"{entry.amount:.2f}",
            f"{entry.available_change:.2f}",
            f"{entry.available_after:.2f}",
            fund_request.title if fund_request else "",
            str(fund_request.uuid) if fund_request else "",
            str(entry.claim.uuid) if entry.claim else "",
            entry.memo_text,
        ]
