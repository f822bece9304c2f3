"""Mounts each app's API under /api/v1/. Apps expose `api_urlpatterns` in their urls."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """The apps' API router: every route answers with or without its trailing slash.

    Django's APPEND_SLASH would answer a path without the slash with a redirect, and a
    client following it turns a POST into a GET with no body: the request is lost. The
    schema lists each route once, with its slash. Routes added by hand (`re_path`)
    end the same way: `/?$`.
    """

    def __init__(self) -> None:
        super().__init__()
        # DRF's constructor only knows "/" or ""; its URL templates take any regex.
        self.trailing_slash = "/?"


api_v1_patterns = [
    path("", include("partners.api_urls")),
    path("", include("assets.api_urls")),
    path("mdf/", include("mdf.api_urls")),
    path("", include("campaigns.api_urls")),
    path("", include("analytics.api_urls")),
    path("", include("deals.api_urls")),
]
