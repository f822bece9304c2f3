"""Request-wide partner scope, the reader's language and the request size limit."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django_scopes import scope, scopes_disabled

from partners.selectors import membership_for_user
from partners.services.languages import user_language, user_language_adopt

# The signed-in user's language, kept in the session so that pages ask the database once
# per sign-in (and again after they choose another).
LANGUAGE_SESSION_KEY = "partnerhub_language"


class PartnerScopeMiddleware:
    """Resolve the user's partner once and open its scope for the whole request.

    - a partner member: `request.partner`/`request.membership` set, scope opened on it;
    - staff in the admin: scopes disabled here, visibly and in this one place;
    - everyone else: no scope, so a scoped query raises instead of leaking rows.
    API keys are resolved by the API base class (DRF authenticates inside the view).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_prefix = "/admin/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        membership = membership_for_user(user=user)
        request.membership = membership  # type: ignore[attr-defined]
        request.partner = membership.partner if membership else None  # type: ignore[attr-defined]
        if membership is not None:
            with scope(partner=membership.partner):
                return self.get_response(request)
        if user.is_authenticated and user.is_staff and request.path.startswith(self.admin_prefix):
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)


def language_at_sign_in(
    sender: object, request: HttpRequest | None, user: User, **kwargs: object
) -> None:
    """On sign-in (user_logged_in), settle the language the person reads, kept in their
    session; a language picked with the sign-in page's switcher is adopted first
    (`user_language_adopt`)."""
    if request is None or not hasattr(request, "session"):
        return
    user_language_adopt(user=user, language=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    request.session[LANGUAGE_SESSION_KEY] = user_language(user)


class UserLanguageMiddleware:
    """Pages in the signed-in user's language (`partners.services.user_language`).

    Django's LocaleMiddleware (earlier in the chain) has already chosen for everyone
    from the language cookie (the login page's switcher) or the browser's
    Accept-Language; a signed-in person's own language wins over both. API clients
    with a key are not signed in here and keep Accept-Language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.get_response(request)
        language = request.session.get(LANGUAGE_SESSION_KEY)
        if not language:
            language = user_language(request.user)
            request.session[LANGUAGE_SESSION_KEY] = language
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        # For this request only: the thread goes back to the language LocaleMiddleware
        # chose, so nothing after the response reads this person's language.
        with translation.override(language):
            response = self.get_response(request)
        response.headers["Content-Language"] = language
        return response


class RequestSizeLimitMiddleware:
    """Answer 413 to bodies larger than the limit before anything reads them.

    Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when `request.body` is read, and
    DRF's JSON parser reads the stream directly, so without this an API client could
    make us read an unbounded body. Multipart uploads get the larger file limit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = (
            settings.REQUEST_MAX_BODY_SIZE
            if content_type.startswith("multipart/form-data")
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        # Routes that read a larger body themselves (settings.REQUEST_BODY_LIMITS).
        limit = settings.REQUEST_BODY_LIMITS.get(request.path.rstrip("/"), limit)
        if length > limit:
            return self.too_large(request, limit)
        return self.get_response(request)

    def too_large(self, request: HttpRequest, limit: int) -> HttpResponse:
        message = f"The request body is larger than the limit of {limit} bytes."
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "type": "client_error",
                    "errors": [{"code": "request_too_large", "detail": message, "attr": None}],
                },
                status=413,
            )
        return render(request, "413.html", {"limit": limit}, status=413)
