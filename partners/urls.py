"""Portal routes of the shell (mounted at /portal/ under the `portal` namespace)."""

from django.urls import path

from partners import views

app_name = "portal"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("profile/", views.CompanyProfileView.as_view(), name="profile"),
    path("logo/<uuid:partner_uuid>/", views.partner_logo, name="partner_logo"),
    path("api-keys/", views.APIKeyListView.as_view(), name="api_keys"),
    path(
        "api-keys/<uuid:public_id>/revoke/",
        views.APIKeyRevokeView.as_view(),
        name="api_key_revoke",
    ),
    path("agreement/", views.AgreementView.as_view(), name="agreement"),
    path("onboarding/", views.OnboardingView.as_view(), name="onboarding"),
]
