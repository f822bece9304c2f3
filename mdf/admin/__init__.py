"""Staff UI for market development funds: pools, allocations, the request and claim
queues, payments to record, and reports.

Every money move and decision calls `mdf.services`; these modules only parse, call
and render. A service's `ValidationError` is shown on the form field it names (or
above the form), never as a 500. The admin's scopes are disabled by
`PartnerScopeMiddleware` for staff, in one place.

Who does what (groups from `partners.roles`, permissions from migration 0003):
analysts read; channel managers decide their partners' requests; marketing admins
manage pools and allocations and decide any request; finance approvers decide
claims (and requests above a pool's threshold) and record payments.

One module per staff job; importing them registers their admins:

- `pools`: fund pools and their balances, bulk allocation by tier
- `allocations`: allocations to one partner, the ledger
- `activity_types`: activity types and the proof kinds they need
- `request_queue`: requests awaiting my decision, the request decision page
- `claim_queue`: claims awaiting my decision, proof files, the claim decision page
- `payments`: payments to record, the payments CSV (pages of the claim admin)
- `reports`: MDF reports and their CSVs (a page of the fund pool admin)
- `queues`: what both queues share, and the decision trail
- `common`: helpers every page shares
"""

from mdf.admin import (
    activity_types,
    allocations,
    claim_queue,
    payments,
    pools,
    queues,
    reports,
    request_queue,
)

__all__ = [
    "activity_types",
    "allocations",
    "claim_queue",
    "payments",
    "pools",
    "queues",
    "reports",
    "request_queue",
]
