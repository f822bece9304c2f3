"""Every MDF write. Money moves only here, one ledger entry per movement, in the
same transaction as the state change. One module per use case, all imported here,
so callers write `services.request_decide(...)`:

- `pools`: pool creation and changes, allocations (one, or in bulk by tier);
- `requests`: fund requests, from draft to decision and release;
- `claims`: claims, from draft to decision and payment;
- `proof`: proof of performance files of a claim;
- `deadlines`: the daily expiry and roll-over of what was not claimed in time;
and what they share: `amounts` (parsing, the fund's share, what is available),
`decisions` (who decides, notes, releasing a commitment), `edits` (what a draft may
change), `trail` (the decision trail), `locking` (the row locks).
The date they check and the time they record come from `mdf.clock`.

How a move runs: in one `transaction.atomic()`, it locks its rows, checks its rules
on them, saves them (`save(update_fields=...)`) and its event, and calls
`mdf.ledger.append` last, which locks the allocation, checks what is available and
writes the entry. Locking order (always this order, so two moves never deadlock):
    claim → request → allocation → pool
each with `select_for_update(of=("self",))`: from the most specific row to the most
shared one, so the rows everybody contends for (an allocation, a pool) are locked
last and held only for the money movement itself (mdf/services/locking.py,
docs/decisions/0001-money-path.md). Amounts are Decimal end to end.
Errors are `ValidationError`s keyed by the field they concern; nothing moves
when one is raised.
"""

from mdf.services.claims import (
    can_decide_claim,
    claim_create,
    claim_create_with_proof,
    claim_decide,
    claim_record_payment,
    claim_submit,
    claim_update,
    claimable,
)
from mdf.services.deadlines import pool_roll_over
from mdf.services.decisions import (
    ANY_REQUEST_PERMISSION,
    DECIDE_PERMISSION,
    FINANCE_PERMISSION,
)
from mdf.services.edits import CLAIM_EDITABLE_FIELDS, REQUEST_EDITABLE_FIELDS
from mdf.services.pools import (
    allocation_create,
    allocations_bulk_by_tier,
    pool_create,
    pool_update,
    pool_update_errors,
)
from mdf.services.proof import (
    PROOF_FIELD_PREFIX,
    claim_attach_proof,
    claim_attach_proofs,
    claim_remove_proof,
    missing_proof,
    proof_files_sweep,
    required_proof,
)
from mdf.services.requests import (
    can_decide_request,
    request_cancel,
    request_create,
    request_decide,
    request_release,
    request_submit,
    request_update,
)

__all__ = [
    "ANY_REQUEST_PERMISSION",
    "PROOF_FIELD_PREFIX",
    "CLAIM_EDITABLE_FIELDS",
    "DECIDE_PERMISSION",
    "FINANCE_PERMISSION",
    "REQUEST_EDITABLE_FIELDS",
    "allocation_create",
    "allocations_bulk_by_tier",
    "can_decide_claim",
    "can_decide_request",
    "claim_attach_proof",
    "claim_attach_proofs",
    "claim_create",
    "claim_create_with_proof",
    "claim_decide",
    "claim_record_payment",
    "claim_remove_proof",
    "claim_submit",
    "claim_update",
    "claimable",
    "missing_proof",
    "pool_create",
    "pool_roll_over",
    "pool_update",
    "pool_update_errors",
    "proof_files_sweep",
    "request_cancel",
    "request_create",
    "request_decide",
    "request_release",
    "request_submit",
    "request_update",
    "required_proof",
]
