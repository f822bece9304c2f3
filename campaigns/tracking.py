"""The public tracking link `/t/<code>`.

Anyone may open it: no login, no session, no cookie. It records the click
(`analytics.clicks.click_record`) and answers 302 to the kit's landing page with the
launch's UTM parameters. A link that is out in the wild must keep working: paused
and completed launches still redirect (their clicks are marked), and a click that
cannot be recorded is logged and the visitor redirected all the same.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_safe
from django_scopes import scopes_disabled

from analytics import clicks
from campaigns.models import Launch

logger = logging.getLogger(__name__)

# The landing page may learn which site sent the visitor (its origin, never the
# path), as browsers do by default; our own link adds nothing beyond the UTMs.
REFERRER_POLICY = "strict-origin-when-cross-origin"


def launch_by_code(code: str) -> Launch | None:
    """The launch of a tracking code, with its partner and kit, in one query.

    The link is public, so no partner scope is open: this is the one lookup that
    spans partners, visibly, and the code (unguessable, unique) is the only key.
    """
    with scopes_disabled():
        queryset = Launch.objects.select_related("partner", "kit").only(
            "id",
            "code",
            "channel",
            "status",
            "partner__id",
            "partner__slug",
            "kit__id",
            "kit__slug",
            "kit__landing_url",
        )
        try:
            return queryset.get(code=code)
        except Launch.DoesNotExist:
            return None


def landing_url(launch: Launch) -> str:
    """The kit's landing URL with the launch's UTM parameters.

    The landing URL's own query parameters and fragment are kept, in order; ours
    replace any parameter of the same name it already had.
    """
    utm = {
        "utm_source": launch.partner.slug,
        "utm_medium": launch.channel,
        "utm_campaign": launch.kit.slug,
        "utm_content": launch.code,
    }
    parts = urlsplit(launch.kit.landing_url)
    own = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in utm]
    return urlunsplit(parts._replace(query=urlencode(own + list(utm.items()))))


@require_safe
def track(request: HttpRequest, code: str) -> HttpResponse:
    launch = launch_by_code(code)
    if launch is None:
        raise Http404
    try:
        clicks.click_record(launch=launch, request=request)
    except DatabaseError:
        # Neither the address nor the user agent goes into the log.
        logger.exception("tracking: the click on launch %s could not be recorded", launch.pk)
    response = HttpResponseRedirect(landing_url(launch))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = REFERRER_POLICY
    return response
