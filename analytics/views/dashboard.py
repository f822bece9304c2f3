"""The partner dashboard."""

from django.views.generic import TemplateView

from partners.scoping import PortalAccessMixin


class DashboardView(PortalAccessMixin, TemplateView):
    template_name = "analytics/dashboard.html"
