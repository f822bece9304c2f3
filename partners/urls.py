"""Portal routes of the shell (mounted at /portal/ under the `portal` namespace)."""

from django.urls import path

from partners import views
from partners.views import enablement, recruitment, sso

app_name = "portal"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/sso/", views.LoginSSOView.as_view(), name="login_sso"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("language/", views.LanguageView.as_view(), name="language"),
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
    # The voice of the partner: ratings of library assets and campaign kits, surveys.
    path("feedback/assets/<uuid:uuid>/", views.RateAssetView.as_view(), name="rate_asset"),
    path("feedback/kits/<slug:slug>/", views.RateKitView.as_view(), name="rate_kit"),
    path("surveys/", views.SurveyListView.as_view(), name="survey_list"),
    path("surveys/<uuid:uuid>/", views.SurveyAnswerView.as_view(), name="survey_answer"),
    # The team: people and invitations (partners.views.recruitment).
    path("team/", recruitment.TeamView.as_view(), name="team"),
    path(
        "team/invitations/<uuid:uuid>/resend/",
        recruitment.InvitationActionView.as_view(action="resend"),
        name="team_invitation_resend",
    ),
    path(
        "team/invitations/<uuid:uuid>/revoke/",
        recruitment.InvitationActionView.as_view(action="revoke"),
        name="team_invitation_revoke",
    ),
    path(
        "team/members/<uuid:uuid>/role/",
        recruitment.MemberActionView.as_view(action="role"),
        name="team_member_role",
    ),
    path(
        "team/members/<uuid:uuid>/deactivate/",
        recruitment.MemberActionView.as_view(action="deactivate"),
        name="team_member_deactivate",
    ),
    path(
        "team/members/<uuid:uuid>/reactivate/",
        recruitment.MemberActionView.as_view(action="reactivate"),
        name="team_member_reactivate",
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
    # The company's own single sign-on, set up by its partner admins (partners.views.sso):
    # the overview of the company's providers, each provider's page under its slug.
    path("company/sign-in/", sso.CompanySignInView.as_view(), name="company_sign_in"),
    path("company/sign-in/add/", sso.CompanySignInAddView.as_view(), name="company_sign_in_add"),
    path(
        "company/sign-in/providers/<slug:slug>/",
        sso.CompanySignInProviderView.as_view(),
        name="company_sign_in_provider",
    ),
    path(
        "company/sign-in/providers/<slug:slug>/domains/",
        sso.CompanySignInDomainAddView.as_view(),
        name="company_sign_in_domain_add",
    ),
    path(
        "company/sign-in/providers/<slug:slug>/domains/<str:domain>/remove/",
        sso.CompanySignInDomainRemoveView.as_view(),
        name="company_sign_in_domain_remove",
    ),
    path(
        "company/sign-in/providers/<slug:slug>/domains/<str:domain>/move/",
        sso.CompanySignInDomainMoveView.as_view(),
        name="company_sign_in_domain_move",
    ),
    path(
        "company/sign-in/providers/<slug:slug>/switch-on/",
        sso.CompanySignInActionView.as_view(action="activate"),
        name="company_sign_in_activate",
    ),
    path(
        "company/sign-in/providers/<slug:slug>/switch-off/",
        sso.CompanySignInActionView.as_view(action="deactivate"),
        name="company_sign_in_deactivate",
    ),
    path(
        "company/sign-in/providers/<slug:slug>/delete/",
        sso.CompanySignInActionView.as_view(action="delete"),
        name="company_sign_in_delete",
    ),
    path("agreement/", views.AgreementView.as_view(), name="agreement"),
    path("onboarding/", views.OnboardingView.as_view(), name="onboarding"),
]
