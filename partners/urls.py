"""Portal routes of the shell (mounted at /portal/ under the `portal` namespace)."""

from django.urls import path

from partners import views
from partners.views import enablement

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
    # Enablement: tracks, quizzes, the team's certifications (partners.views.enablement).
    path("enablement/", enablement.TrackListView.as_view(), name="enablement"),
    path(
        "enablement/certifications/",
        enablement.TeamCertificationsView.as_view(),
        name="enablement_certifications",
    ),
    path(
        "enablement/tracks/<slug:slug>/",
        enablement.TrackDetailView.as_view(),
        name="enablement_track",
    ),
    path(
        "enablement/tracks/<slug:slug>/quiz/",
        enablement.QuizView.as_view(),
        name="enablement_quiz",
    ),
    path(
        "enablement/tracks/<slug:slug>/result/",
        enablement.QuizResultView.as_view(),
        name="enablement_result",
    ),
]
