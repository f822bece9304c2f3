"""Top-level routes: admin, portal, API v1 with its schema and docs, health check."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from config import health
from config.api_router import api_v1_patterns
from config.schema import UnscopedSchemaView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("portal/funds/", include("mdf.urls", namespace="funds")),
    path("portal/library/", include("assets.urls", namespace="library")),
    path("portal/", include("partners.urls", namespace="portal")),
    path("api/v1/", include((api_v1_patterns, "api"), namespace="api")),
    path("api/schema/", UnscopedSchemaView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

handler400 = "partners.views.bad_request"
handler403 = "partners.views.permission_denied"
# Under /api/ these answer in the API's JSON error format, elsewhere in the portal's look.
handler404 = "config.api.page_not_found"
handler500 = "config.api.server_error"
