"""API authentication by API key and throttling per client."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from partners.models import PartnerAPIKey
from partners.services import INACTIVE_STATUSES

KEYWORD = "Api-Key"
# Recording every use would write on every request; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class APIKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <prefix>.<secret>`. Only the hash is stored and compared.

    `request.user` is the key's own user (see PartnerAPIKey), so whatever the key does
    is recorded as the key; `request.auth` is the key.
    """

    def authenticate(self, request: Request) -> tuple[User, PartnerAPIKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, raw_key = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        raw_key = raw_key.strip()
        prefix = raw_key.partition(".")[0]
        # Keys are `<prefix>.<secret>` of ASCII letters and digits; anything else (a
        # NUL byte included, which PostgreSQL refuses) never reaches the database.
        if "." not in raw_key or not (prefix.isascii() and prefix.isalnum()):
            raise exceptions.AuthenticationFailed(
                _("Malformed API key: expected `Api-Key <prefix>.<secret>`.")
            )
        with scopes_disabled():
            api_key = (
                PartnerAPIKey.objects.select_related("partner", "user__membership")
                .filter(prefix=prefix)
                .first()
            )
        if api_key is None or not api_key.is_valid(raw_key):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if api_key.revoked:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        if api_key.partner is not None and api_key.partner.status in INACTIVE_STATUSES:
            raise exceptions.AuthenticationFailed(_("This partner account is not active."))
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_PRECISION:
            with scopes_disabled():
                PartnerAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing.
        return KEYWORD


class PerClientRateThrottle(SimpleRateThrottle):
    """One rate per API key, per session user, or per address for anonymous calls."""

    scope = "client"

    def get_rate(self) -> str | None:
        # DRF reads the rates once, at import, into THROTTLE_RATES; read the current
        # settings instead, so a changed REST_FRAMEWORK setting (tests) takes effect.
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(
                f"Set REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'][{self.scope!r}]."
            ) from exc

    def get_cache_key(self, request: Request, view: object) -> str:
        if isinstance(request.auth, PartnerAPIKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
