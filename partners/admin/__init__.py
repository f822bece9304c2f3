"""Staff pages of partners/ in the admin, one module per use case: `core` (partners,
tiers, users, API keys), then recruitment, onboarding, enablement and single sign-on."""

from partners.admin import (
    core,  # noqa: F401 - registers its ModelAdmins
    enablement,  # noqa: F401 - tracks, certifications, tier compliance
    onboarding,  # noqa: F401 - registers its ModelAdmins
    recruitment,  # noqa: F401 - registers applications and invitations
    sso,  # noqa: F401 - identity providers and the record of SSO sign-ins
)
