"""The public tracking link `/t/<code>`."""

from django.http import Http404, HttpRequest, HttpResponse


def track(request: HttpRequest, code: str) -> HttpResponse:
    raise Http404
