"""Staff pages of campaigns in the admin, one module per use case: `kits` (kits and
launches), `plans` (planning periods and plans), `reviews` (business reviews)."""

# Importing a module registers its ModelAdmins.
from campaigns.admin import kits, plans, reviews  # noqa: F401
