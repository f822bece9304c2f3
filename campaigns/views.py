"""Portal pages of campaigns: kits, launches."""

from django.views.generic import TemplateView

from partners.scoping import PortalAccessMixin


class KitListView(PortalAccessMixin, TemplateView):
    template_name = "campaigns/kit_list.html"
