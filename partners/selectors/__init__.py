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
from partners.selectors.enablement import (
    assessments_differing,
    attempt_review,
    certification_current,
    certifications_of_partner,
    certified_user_count,
    lacking_parts,
    lacking_text,
    latest_assessments,
    tier_assessment_latest,
    track_completion,
    track_progress,
    tracks_offered,
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
    "assessments_differing",
    "attempt_review",
    "certification_current",
    "certifications_of_partner",
    "certified_user_count",
    "lacking_parts",
    "lacking_text",
    "latest_assessments",
    "tier_assessment_latest",
    "track_completion",
    "track_progress",
    "tracks_offered",
]
