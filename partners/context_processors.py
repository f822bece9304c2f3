from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    """What every portal page's layout needs: the site name and the partner, if any."""
    return {
        "site_name": settings.SITE_NAME,
        "current_partner": getattr(request, "partner", None),
        "current_membership": getattr(request, "membership", None),
        # Set by PortalAccessMixin's agreement gate: "outdated" shows the banner.
        "agreement_state": getattr(request, "agreement_state", None),
    }
