"""Every write of campaigns. One module per use case, all imported here, so callers
write `services.kit_publish(...)`:

- `kits`: campaign kits (staff) and partner launches with their tracking links;
- `plans`: joint marketing plans, their targets, activities, comments and revisions;
- `reviews`: business reviews on a plan and their action items.
"""

from campaigns.services.kits import (
    CODE_ATTEMPTS,
    KIT_FIELDS,
    KS,
    LAUNCH_EDITABLE_FIELDS,
    LS,
    kit_channels,
    kit_check,
    kit_close,
    kit_create,
    kit_publish,
    kit_reopen,
    kit_update,
    launch_create,
    launch_set_status,
    launch_update,
)

__all__ = [
    "CODE_ATTEMPTS",
    "KIT_FIELDS",
    "KS",
    "LAUNCH_EDITABLE_FIELDS",
    "LS",
    "kit_channels",
    "kit_check",
    "kit_close",
    "kit_create",
    "kit_publish",
    "kit_reopen",
    "kit_update",
    "launch_create",
    "launch_set_status",
    "launch_update",
]
