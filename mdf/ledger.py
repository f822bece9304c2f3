"""The append-only ledger: writing an entry and verifying an allocation's chain.

Only `mdf.services` calls `append`, last in its transaction; `append` itself takes
the allocation's row lock, so `seq` and the chain advance one entry at a time.

Each entry's hash covers its content and the hash before it (`entry_content`,
`compute_hash`); the format is fixed: entries written years ago must still verify.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection
from django_scopes import scopes_disabled

from mdf import clock
from mdf.models import BUCKETS, ZERO, Allocation, Claim, FundRequest, LedgerEntry


def genesis_hash(allocation: Allocation) -> str:
    """What the first entry of an allocation's chain links to."""
    return hashlib.sha256(f"mdf-allocation:{allocation.uuid}".encode()).hexdigest()


def entry_content(entry: LedgerEntry, allocation_uuid: object) -> str:
    """The canonical text an entry's hash covers: every field that carries meaning."""
    parts = [
        str(allocation_uuid),
        str(entry.seq),
        entry.kind,
        f"{entry.amount:.2f}",
        *(f"{getattr(entry, 'd_' + bucket):.2f}" for bucket in BUCKETS),
        str(entry.request_id or ""),
        str(entry.claim_id or ""),
        str(entry.actor_id or ""),
        entry.memo,
        entry.created_at.isoformat(timespec="microseconds"),
    ]
    return "|".join(parts)


def compute_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}|{content}".encode()).hexdigest()


class NotEnoughAvailable(Exception):  # noqa: N818 - a business outcome, not a bug
    """The allocation no longer has the amount available; nothing was written."""

    def __init__(self, available: Decimal) -> None:
        super().__init__(f"available: {available}")
        self.available = available


def append(
    allocation: Allocation,
    *,
    kind: str,
    amount: Decimal,
    actor: User | None = None,
    request: FundRequest | None = None,
    claim: Claim | None = None,
    memo: str = "",
    require_available: Decimal | None = None,
    **deltas: Decimal,
) -> LedgerEntry:
    """Move the allocation's buckets by `deltas` and write the ledger entry for it.

    Runs inside the caller's transaction, as its last step (mdf.services: the lock
    order), and refuses to run outside one: the entry, the buckets and the caller's
    own rows commit together or not at all. It locks the allocation row
    (`select_for_update`), so the next entry's `seq` and hash link to this one and two
    moves on one allocation happen one after the other. `require_available` guards the
    move (available ≥ it, on the locked row); when it falls short nothing is written and
    NotEnoughAvailable says what is available. Check constraints refuse any result
    that would break an invariant. `allocation` is updated to the row as moved.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger.append runs inside the caller's transaction.atomic()")
    unknown = set(deltas) - {f"d_{bucket}" for bucket in BUCKETS}
    if unknown:
        raise ValueError(f"unknown ledger buckets: {sorted(unknown)}")
    with scopes_disabled():
        locked = Allocation.objects.select_for_update(of=("self",)).get(pk=allocation.pk)
    if require_available is not None and locked.available < require_available:
        raise NotEnoughAvailable(locked.available)
    entry = LedgerEntry(
        partner_id=locked.partner_id,
        allocation=locked,
        seq=locked.ledger_seq + 1,
        kind=kind,
        amount=amount,
        request=request,
        claim=claim,
        actor=actor,
        memo=memo[:300],
        created_at=clock.now(),
        prev_hash=locked.ledger_head or genesis_hash(locked),
        **{f"d_{bucket}": deltas.get(f"d_{bucket}", ZERO) for bucket in BUCKETS},
    )
    entry.entry_hash = compute_hash(entry.prev_hash, entry_content(entry, locked.uuid))
    entry.save(force_insert=True)
    for bucket in BUCKETS:
        setattr(locked, bucket, getattr(locked, bucket) + getattr(entry, f"d_{bucket}"))
    locked.ledger_seq, locked.ledger_prev_head, locked.ledger_head = (
        entry.seq,
        entry.prev_hash,
        entry.entry_hash,
    )
    moved = [*BUCKETS, "ledger_seq", "ledger_prev_head", "ledger_head"]
    locked.save(update_fields=moved)
    for name in moved:
        setattr(allocation, name, getattr(locked, name))
    return entry


@dataclass(frozen=True)
class ChainProblem:
    allocation: Allocation
    seq: int | None
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"entry #{self.seq} (id {self.entry_id})" if self.seq is not None else "chain"
        return f"allocation {self.allocation.uuid} ({self.allocation}): {where}: {self.message}"


def verify_allocation(allocation: Allocation) -> tuple[dict[str, Decimal], list[ChainProblem]]:
    """Recompute the buckets from the ledger and check every link of the chain."""
    totals = {bucket: ZERO for bucket in BUCKETS}
    problems: list[ChainProblem] = []
    prev_hash = genesis_hash(allocation)
    expected_seq = 1
    entries = LedgerEntry.objects.with_scopes_disabled().filter(allocation=allocation)
    for entry in entries.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            problems.append(
                ChainProblem(allocation, entry.seq, entry.pk, f"expected seq {expected_seq}")
            )
        if entry.prev_hash != prev_hash:
            problems.append(
                ChainProblem(allocation, entry.seq, entry.pk, "does not link to the entry before")
            )
        if compute_hash(entry.prev_hash, entry_content(entry, allocation.uuid)) != entry.entry_hash:
            problems.append(
                ChainProblem(allocation, entry.seq, entry.pk, "content does not match its hash")
            )
        for bucket in BUCKETS:
            totals[bucket] += getattr(entry, f"d_{bucket}")
        prev_hash = entry.entry_hash
        expected_seq = entry.seq + 1
    if allocation.ledger_seq and allocation.ledger_head != prev_hash:
        problems.append(
            ChainProblem(allocation, None, None, "the newest entry is not the allocation's head")
        )
    if expected_seq - 1 != allocation.ledger_seq:
        problems.append(
            ChainProblem(
                allocation,
                None,
                None,
                f"the allocation counts {allocation.ledger_seq} entries, the chain has "
                f"{expected_seq - 1}",
            )
        )
    return totals, problems
