"""Reads of partners/ that are reused or scoped, one module per use case, all imported
here: `core`, `recruitment`, `onboarding`, `enablement`.
"""

from partners.selectors.core import (
    active_partner_count,
    downloads_since,
    membership_for_user,
    partner_admin_emails,
    partner_emails,
    partner_people,
    partners_visible,
    recent_downloads,
)
from partners.selectors.onboarding import (
    OnboardingProgress,
    StepState,
    agreement_acceptances,
    agreement_current,
    agreement_state,
    onboarding_overview,
    onboarding_progress,
    onboarding_steps,
    partners_stalled,
)

__all__ = [
    "active_partner_count",
    "downloads_since",
    "membership_for_user",
    "partner_admin_emails",
    "partner_emails",
    "partner_people",
    "partners_visible",
    "recent_downloads",
    "OnboardingProgress",
    "StepState",
    "agreement_acceptances",
    "agreement_current",
    "agreement_state",
    "onboarding_overview",
    "onboarding_progress",
    "onboarding_steps",
    "partners_stalled",
]
