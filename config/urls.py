"""Top-level routes: admin, portal, API v1 with its schema and docs, health check."""

from allauth.socialaccount import views as socialaccount_views
from allauth.socialaccount.providers.saml import views as saml_views
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from campaigns.tracking import track
from config import api, health
from config.api_router import api_v1_patterns
from config.schema import UnscopedSchemaView
from partners import sso
from partners.views import recruitment as recruitment_views

# Single sign-on (docs/sso.md): allauth's OpenID Connect routes
# (/accounts/oidc/<provider_id>/login/ and …/login/callback/, served by partners.sso's
# views, which always check the ID token's signature), its SAML 2.0 routes (below) and
# the two pages its flow
# redirects to. Its account pages (login, signup, logout, …) are not served: the names
# its code reverses lead to our portal's pages, so there is no second login.
accounts_patterns = [
    path("oidc/<str:provider_id>/login/", sso.oidc_login, name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        sso.oidc_callback,
        name="openid_connect_callback",
    ),
    # SAML 2.0: allauth's views, its "organization slug" being the provider's slug. The
    # ACS takes the IdP's cross-site POST (no session cookie under SameSite=Lax), keeps
    # it in a short-lived session of its own and redirects to acs/finish/, which
    # validates it in the browser's session. Single logout is not offered.
    path("saml/<str:organization_slug>/login/", saml_views.login, name="saml_login"),
    path("saml/<str:organization_slug>/acs/", saml_views.acs, name="saml_acs"),
    path(
        "saml/<str:organization_slug>/acs/finish/",
        sso.saml_finish_acs,
        name="saml_finish_acs",
    ),
    path("saml/<str:organization_slug>/metadata/", saml_views.metadata, name="saml_metadata"),
    path("saml/<str:organization_slug>/sls/", sso.saml_single_logout, name="saml_sls"),
    path(
        "login/cancelled/",
        socialaccount_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path("login/error/", socialaccount_views.login_error, name="socialaccount_login_error"),
    path("login/", RedirectView.as_view(pattern_name="portal:login"), name="account_login"),
    path("signup/", RedirectView.as_view(pattern_name="portal:login"), name="account_signup"),
    path("logout/", RedirectView.as_view(pattern_name="portal:logout"), name="account_logout"),
    path("inactive/", RedirectView.as_view(pattern_name="portal:login"), name="account_inactive"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts_patterns)),
    # A partner's tracking link: public, short, and stable for as long as it is out there.
    path("t/<str:code>", track, name="track"),
    # Recruitment's public pages: the application form and invitation links (no login).
    path("apply/", recruitment_views.ApplyView.as_view(), name="apply"),
    path("apply/thanks/", recruitment_views.apply_done, name="apply_done"),
    path(
        "invitations/request/",
        recruitment_views.InvitationRequestView.as_view(),
        name="invitation_request",
    ),
    path(
        "invitations/<str:token>/",
        recruitment_views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("portal/campaigns/", include("campaigns.urls", namespace="campaigns")),
    path("portal/plans/", include("campaigns.plan_urls", namespace="plans")),
    path("portal/deals/", include("deals.urls", namespace="deals")),
    path("portal/performance/", include("analytics.urls", namespace="performance")),
    path("portal/funds/", include("mdf.urls", namespace="funds")),
    path("portal/library/", include("assets.urls", namespace="library")),
    path("portal/", include("partners.urls", namespace="portal")),
    path("api/v1/", include((api_v1_patterns, "api"), namespace="api")),
    # With or without the slash, as the API's routes (the catch-all below would
    # otherwise answer /api/docs with a 404 where APPEND_SLASH used to redirect).
    re_path(r"^api/schema/?$", UnscopedSchemaView.as_view(), name="api-schema"),
    re_path(
        r"^api/docs/?$",
        SpectacularSwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    re_path(
        r"^api/redoc/?$", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"
    ),
    # Last: any other path under /api/ is the API's JSON 404, DEBUG or not.
    re_path(r"^api/", api.not_found, name="api-not-found"),
]

handler400 = "partners.views.bad_request"
handler403 = "partners.views.permission_denied"
# Under /api/ these answer in the API's JSON error format, elsewhere in the portal's look.
handler404 = "config.api.page_not_found"
handler500 = "config.api.server_error"
