"""Staff pages of campaigns in the admin, one module per use case: `kits` (kits and
launches), `plans` (planning periods and plans), `reviews` (business reviews)."""

from campaigns.admin import (
    kits,  # noqa: F401 - registers its ModelAdmins
    reviews,  # noqa: F401 - registers its ModelAdmins
)
