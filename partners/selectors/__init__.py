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
from partners.selectors.recruitment import (
    FREE_MAIL_DOMAINS,
    DuplicateMatch,
    Fit,
    application_duplicate,
    application_fit,
    company_email_domain,
    country_choices,
    country_name,
    email_domain,
    invitation_state,
    is_country,
    team_invitations,
    website_domain,
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
    "FREE_MAIL_DOMAINS",
    "DuplicateMatch",
    "Fit",
    "application_duplicate",
    "application_fit",
    "company_email_domain",
    "country_choices",
    "country_name",
    "email_domain",
    "invitation_state",
    "is_country",
    "team_invitations",
    "website_domain",
]
