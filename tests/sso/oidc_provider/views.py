"""The provider's own pages: a home page, and the tests' setup endpoint.

`POST /testing/setup/` takes JSON {"users": [user_put keywords...], "clients":
[client_put keywords...]}, with `Authorization: Bearer <IDP_SETUP_TOKEN>`. It exists only
when IDP_SETUP_TOKEN is set (the tests set it); otherwise it answers 404.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tests.sso.oidc_provider.accounts import client_put, user_put


def home(request: HttpRequest) -> HttpResponse:
    who = request.user.username if request.user.is_authenticated else "nobody"
    text = f"Test OpenID Connect provider. Signed in: {who}."
    return HttpResponse(text, content_type="text/plain")


@csrf_exempt
@require_POST
def setup(request: HttpRequest) -> HttpResponse:
    if not settings.SETUP_TOKEN:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not hmac.compare_digest(given.encode(), settings.SETUP_TOKEN.encode()):
        return HttpResponseForbidden("wrong setup token")
    data = json.loads(request.body)
    users = [user_put(**fields).username for fields in data.get("users", [])]
    clients = [client_put(**fields).client_id for fields in data.get("clients", [])]
    return JsonResponse({"users": users, "clients": clients})
