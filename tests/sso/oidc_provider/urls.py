from django.contrib.auth import views as auth_views
from django.urls import include, path

from tests.sso.oidc_provider import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("testing/setup/", views.setup, name="setup"),
]
