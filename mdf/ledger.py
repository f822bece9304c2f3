"""The append-only ledger: writing an entry and verifying an allocation's chain.

Only `mdf.services` calls `append`, inside its transaction and with the
allocation row locked, so `seq` and the chain head advance one at a time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf.models import ZERO, Allocation, Claim, FundRequest, LedgerEntry

BUCKETS = ("allocated", "committed", "spent", "paid", "expired", "carried_over")


def genesis_hash(allocation: Allocation) -> str:
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


def append(
    allocation: Allocation,
    *,
    kind: str,
    amount: Decimal,
    actor=None,
    request: FundRequest | None = None,
    claim: Claim | None = None,
    memo: str = "",
    **deltas: Decimal,
) -> LedgerEntry:
    """Write one entry and move the allocation's buckets by the same deltas.

    The allocation must be locked by the caller. Bucket columns move with F()
    expressions, and the database's check constraints refuse any result that
    would break an invariant (negative bucket, more used than allocated).
    """
    unknown = set(deltas) - {f"d_{bucket}" for bucket in BUCKETS}
    if unknown:
        raise ValueError(f"unknown ledger buckets: {sorted(unknown)}")
    seq = allocation.ledger_seq + 1
    prev_hash = allocation.ledger_head or genesis_hash(allocation)
    entry = LedgerEntry(
        partner_id=allocation.partner_id,
        allocation=allocation,
        seq=seq,
        kind=kind,
        amount=amount,
        request=request,
        claim=claim,
        actor=actor,
        memo=memo[:300],
        created_at=timezone.now(),
        prev_hash=prev_hash,
        **{f"d_{bucket}": deltas.get(f"d_{bucket}", ZERO) for bucket in BUCKETS},
    )
    entry.entry_hash = compute_hash(prev_hash, entry_content(entry, allocation.uuid))
    entry.save(force_insert=True)
    moved = [bucket for bucket in BUCKETS if deltas.get(f"d_{bucket}", ZERO) != ZERO]
    with scopes_disabled():  # the caller resolved and locked this allocation
        Allocation.objects.filter(pk=allocation.pk).update(
            ledger_seq=seq,
            ledger_head=entry.entry_hash,
            **{bucket: F(bucket) + deltas[f"d_{bucket}"] for bucket in moved},
        )
    # The row is locked by our transaction, so its new values are the old ones moved
    # by the deltas; no need to read them back.
    allocation.ledger_seq = seq
    allocation.ledger_head = entry.entry_hash
    for bucket in moved:
        setattr(allocation, bucket, getattr(allocation, bucket) + deltas[f"d_{bucket}"])
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
    head = allocation.ledger_head or genesis_hash(allocation)
    if expected_seq - 1 != allocation.ledger_seq or (allocation.ledger_seq and prev_hash != head):
        problems.append(
            ChainProblem(allocation, None, None, "the newest entry is not the allocation's head")
        )
    return totals, problems
