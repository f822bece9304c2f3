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

__all__ = [
    "active_partner_count",
    "downloads_since",
    "membership_for_user",
    "partner_admin_emails",
    "partner_emails",
    "partner_people",
    "partners_visible",
    "recent_downloads",
]
