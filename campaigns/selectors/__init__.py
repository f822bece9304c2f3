"""Reads of campaigns that are reused or scoped. One module per use case, all imported
here, so callers write `selectors.kits_for_partner(...)`:

- `kits`: kits a partner may see, launches, tracking destinations;
- `plans`: plans, their actuals from the KPIs and their scorecards;
- `reviews`: business reviews and action items.
"""

from campaigns.selectors.kits import (
    MAX_QUERY_LENGTH,
    LaunchResults,
    clean_query,
    fund_requests_for_launch,
    kit_assets_for_partner,
    kit_for_partner,
    kits_available,
    kits_for_partner,
    kits_search,
    launch_by_code,
    launch_counts,
    launch_destination,
    launch_history,
    launch_results,
    launches_for_kit,
    launches_for_partner,
)
from campaigns.selectors.reviews import (
    PlanReviews,
    action_item_for_partner,
    action_items_for_partner,
    attendee_candidates,
    is_overdue,
    review_for_partner,
    review_snapshot,
    reviews_for_partner,
    reviews_for_plan,
)

__all__ = [
    "LaunchResults",
    "MAX_QUERY_LENGTH",
    "clean_query",
    "fund_requests_for_launch",
    "kit_assets_for_partner",
    "kit_for_partner",
    "kits_available",
    "kits_for_partner",
    "kits_search",
    "launch_by_code",
    "launch_counts",
    "launch_destination",
    "launch_history",
    "launch_results",
    "launches_for_kit",
    "launches_for_partner",
    "PlanReviews",
    "action_item_for_partner",
    "action_items_for_partner",
    "attendee_candidates",
    "is_overdue",
    "review_for_partner",
    "review_snapshot",
    "reviews_for_partner",
    "reviews_for_plan",
]
