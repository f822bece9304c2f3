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
from campaigns.services.reviews import (
    ACTION_ITEM_FIELDS,
    REVIEW_FIELDS,
    action_item_add,
    action_item_check,
    action_item_overdue_reminders_send,
    action_item_set_status,
    action_item_update,
    can_set_action_item_status,
    review_cancel,
    review_check,
    review_hold,
    review_reminders_send,
    review_schedule,
    review_update,
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
    "ACTION_ITEM_FIELDS",
    "REVIEW_FIELDS",
    "action_item_add",
    "action_item_check",
    "action_item_overdue_reminders_send",
    "action_item_set_status",
    "action_item_update",
    "can_set_action_item_status",
    "review_cancel",
    "review_check",
    "review_hold",
    "review_reminders_send",
    "review_schedule",
    "review_update",
]
