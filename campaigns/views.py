"""Portal pages of campaigns, and the public tracking link."""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.generic import TemplateView

from partners.scoping import PortalAccessMixin


class KitListView(PortalAccessMixin, TemplateView):
    template_name = "campaigns/kit_list.html"


def track(request: HttpRequest, code: str) -> HttpResponse:
    raise Http404
