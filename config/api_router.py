"""Mounts each app's API under /api/v1/. Apps expose `api_urlpatterns` in their urls."""

from django.urls import include, path

api_v1_patterns = [
    path("", include("partners.api_urls")),
    path("", include("assets.api_urls")),
    path("mdf/", include("mdf.api_urls")),
]
