from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from tests.sso.oidc_provider import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("testing/setup/", views.setup, name="setup"),
    # An address that is not the issuer, sending its discovery request on to the real
    # one (as a vanity URL would): the document then names another issuer.
    path(
        "another-issuer/.well-known/openid-configuration",
        RedirectView.as_view(url="/o/.well-known/openid-configuration"),
    ),
]
