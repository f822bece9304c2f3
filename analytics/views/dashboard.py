"""The partner dashboard (/portal/performance/) and its CSV export (`?format=csv`,
`&table=trend|breakdown`). What it shows is assembled by `analytics.dashboard`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.template.response import TemplateResponse
from django.views import View

from analytics.dashboard import build_dashboard, export_csv
from partners.models import Partner
from partners.scoping import PortalAccessMixin


class DashboardView(PortalAccessMixin, View):
    template_name = "analytics/dashboard.html"

    def get(self, request: HttpRequest) -> HttpResponseBase:
        partner: Partner = request.partner  # type: ignore[attr-defined]
        context = build_dashboard(partner=partner, params=request.GET)
        if request.GET.get("format") == "csv":
            table = "breakdown" if request.GET.get("table") == "breakdown" else "trend"
            return export_csv(context, table, partner.slug)
        status = 400 if context["errors"] else 200
        return TemplateResponse(request, self.template_name, context, status=status)
