"""Every write of partners/, one module per use case, all imported here, so callers
write `services.partner_decide(...)`: `core` (partners, memberships, API keys, the audit
trail), `recruitment`, `onboarding`, `enablement`.
"""

from partners.services.core import (
    API_KEY_USERNAME_PREFIX,
    COBRANDING_FIELDS,
    INACTIVE_STATUSES,
    STATUS_TRANSITIONS,
    CreatedAPIKey,
    api_key_create,
    api_key_label,
    api_key_revoke,
    membership_change_role,
    membership_check,
    membership_create,
    membership_remove,
    partner_create,
    partner_decide,
    partner_update_cobranding,
)

__all__ = [
    "API_KEY_USERNAME_PREFIX",
    "COBRANDING_FIELDS",
    "CreatedAPIKey",
    "INACTIVE_STATUSES",
    "STATUS_TRANSITIONS",
    "api_key_create",
    "api_key_label",
    "api_key_revoke",
    "membership_change_role",
    "membership_check",
    "membership_create",
    "membership_remove",
    "partner_create",
    "partner_decide",
    "partner_update_cobranding",
]
