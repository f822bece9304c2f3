"""The funds overview: headline figures, one card per allocation, what waits."""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from mdf import clock, selectors
from mdf.models import Claim, FundRequest
from mdf.views.common import FundsPageMixin

RS = FundRequest.Status
CS = Claim.Status


class OverviewView(FundsPageMixin, TemplateView):
    """The partner's funds: headline figures of the current period (pools still open:
    `selectors.open_pools_q`) or, with `?period=all`, of every period; one card per
    allocation (every period) with its deadlines; what waits for the partner."""

    template_name = "mdf/portal/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partner = self.partner
        today = clock.today()
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
            fund_request.claim_open_now = selectors.claim_window(fund_request, today=today).is_open
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
