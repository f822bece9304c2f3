"""Login lock-out: per account and address, and per address across accounts.

django-axes counts failures per (username, address) and locks that pair out after
AXES_FAILURE_LIMIT. One address could still try one password on many usernames (password
spraying), one failure each. This handler also locks out an address that failed for
LOGIN_LOCKOUT_USERNAMES_PER_ADDRESS different usernames within the cool-off time. It counts
usernames, not failures, so one person behind an office's shared address who keeps
mistyping locks out only their own account; django-axes' maintainers point to a handler
of one's own for a limit per address (django-axes issue #661).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest


class AccountAndAddressLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Failures for this username from this address; the limit itself when the
        address has failed for too many usernames (django-axes compares the answer
        against AXES_FAILURE_LIMIT, both when a login fails and before each attempt)."""
        failures = super().get_failures(request, credentials)
        if self.address_failed_too_many_usernames(request):
            request.lockout_by_address = True  # type: ignore[attr-defined]
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def address_failed_too_many_usernames(self, request: HttpRequest) -> bool:
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)  # type: ignore[attr-defined]
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        usernames = attempts.values("username").distinct().count()
        return usernames >= settings.LOGIN_LOCKOUT_USERNAMES_PER_ADDRESS
