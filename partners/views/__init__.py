"""Portal pages of partners/ (the portal shell, dashboard, login, profile, team), one
module per use case, all imported here: `core`, then those of recruitment, onboarding
and enablement.
"""

from partners.views.core import (
    ADMIN_ONLY,
    LOGO_CONTENT_TYPES,
    APIKeyListView,
    APIKeyRevokeView,
    CompanyProfileView,
    DashboardView,
    LoginView,
    LogoutView,
    PasswordChangeView,
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
    ProductNameMixin,
    bad_request,
    page_not_found,
    partner_logo,
    permission_denied,
    server_error,
)
from partners.views.onboarding import AgreementView, OnboardingView, onboarding_card, step_url
from partners.views.recruitment import (
    ApplyView,
    InvitationAcceptView,
    InvitationActionView,
    InvitationRequestView,
    MemberActionView,
    TeamView,
    apply_done,
)

__all__ = [
    "ADMIN_ONLY",
    "APIKeyListView",
    "APIKeyRevokeView",
    "CompanyProfileView",
    "DashboardView",
    "LOGO_CONTENT_TYPES",
    "LoginView",
    "LogoutView",
    "PasswordChangeView",
    "PasswordResetCompleteView",
    "PasswordResetConfirmView",
    "PasswordResetDoneView",
    "PasswordResetView",
    "ProductNameMixin",
    "bad_request",
    "page_not_found",
    "partner_logo",
    "permission_denied",
    "server_error",
    "ApplyView",
    "InvitationAcceptView",
    "InvitationActionView",
    "InvitationRequestView",
    "MemberActionView",
    "TeamView",
    "apply_done",
    "AgreementView",
    "OnboardingView",
    "onboarding_card",
    "step_url",
]
