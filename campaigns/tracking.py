"""The public tracking link `/t/<code>`.

Anyone may open it: no login, no session, no cookie. It records the click
(`analytics.clicks.click_record`) and answers 302 to the kit's landing page with the
launch's UTM parameters (`campaigns.selectors.launch_destination`, the same rule the
launch page shows). A link that is out in the wild must keep working: paused and
completed launches still redirect (their clicks are marked), and a click that cannot
be recorded is logged and the visitor redirected all the same.

Where a code leads is cached (`django.core.cache`: Redis in production, locmem in the
embedded default): a redirect then costs a cache read and the click's one statement.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TypedDict

from django.core.cache import cache
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_safe

from analytics import clicks
from campaigns import selectors
from campaigns.models import TRACKING_CODE_ALPHABET, Launch

logger = logging.getLogger(__name__)

# The landing page may learn which site sent the visitor (its origin, never the
# path), as browsers do by default; our own link adds nothing beyond the UTMs.
REFERRER_POLICY = "strict-origin-when-cross-origin"

# The services that change a destination (`campaigns.services`: a kit's landing URL or
# slug, a launch's channel) delete its key when they commit. The TTL is the safety net
# for what they cannot reach: another process's locmem cache (each process of the
# embedded default has its own), and a change made outside the services (a partner's
# slug edited in the admin). A launch's status is not cached at all: the click reads it
# from the launch's row.
DESTINATION_TTL = 10 * 60
_KEY_PREFIX = "tracking:launch:"
_CODE_CHARACTERS = frozenset(TRACKING_CODE_ALPHABET)
_CODE_MAX_LENGTH = Launch._meta.get_field("code").max_length or 0


class Destination(TypedDict):
    """What the redirect needs of a launch: its id (for the click) and where it goes."""

    launch: int
    url: str


def destination_key(code: str) -> str:
    return _KEY_PREFIX + code


def forget_destinations(codes: Iterable[str]) -> None:
    """Drop the cached destinations of these tracking codes (the next click reads the
    database again). Called by the services on commit."""
    keys = [destination_key(code) for code in codes]
    if keys:
        cache.delete_many(keys)


def destination(code: str) -> Destination | None:
    """The launch id and redirect target of a tracking code, from the cache or else the
    database (then cached); None for an unknown code (not cached: nothing to keep)."""
    # Only a well-formed code reaches the cache (its keys stay plain) or the database.
    if not 0 < len(code) <= _CODE_MAX_LENGTH or not _CODE_CHARACTERS.issuperset(code):
        return None
    key = destination_key(code)
    found: Destination | None = cache.get(key)
    if found is None:
        launch = selectors.launch_by_code(code)
        if launch is None:
            return None
        found = {"launch": launch.pk, "url": selectors.launch_destination(launch)}
        cache.set(key, found, DESTINATION_TTL)
    return found


@require_safe
def track(request: HttpRequest, code: str) -> HttpResponse:
    target = destination(code)
    if target is None:
        raise Http404
    try:
        clicks.click_record(launch_id=target["launch"], request=request)
    except DatabaseError:
        # Neither the address nor the user agent goes into the log.
        logger.exception("tracking: the click on launch %s could not be recorded", target["launch"])
    response = HttpResponseRedirect(target["url"])
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = REFERRER_POLICY
    return response
