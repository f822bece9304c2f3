"""The append-only ledger: writing an entry and verifying an allocation's chain.

Only `mdf.services` calls `append`, inside its transaction; `append` itself takes
the allocation's row lock, so `seq` and the chain advance one entry at a time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from mdf.models import ZERO, Allocation, Claim, FundRequest, LedgerEntry
from mdf.money import CENT

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


class NotEnoughAvailable(Exception):  # noqa: N818 - a business outcome, not a bug
    """The allocation no longer has the amount available; nothing was written."""

    def __init__(self, available: Decimal) -> None:
        super().__init__(f"available: {available}")
        self.available = available


def _money(value: object) -> Decimal:
    # PostgreSQL returns Decimal; SQLite may return float or int.
    return Decimal(str(value)).quantize(CENT)


def append(
    allocation: Allocation,
    *,
    kind: str,
    amount: Decimal,
    actor=None,
    request: FundRequest | None = None,
    claim: Claim | None = None,
    memo: str = "",
    require_available: Decimal | None = None,
    **deltas: Decimal,
) -> LedgerEntry:
    """Move the allocation's buckets by `deltas` and write the ledger entry for it.

    One UPDATE takes the allocation's row lock, checks `available >= require_available`
    (when given) and moves the buckets, returning the new values; then the previous
    entry's hash is read and the entry inserted. So the allocation, the row every
    partner's move contends for, is locked by the last statements of the transaction
    only. Check constraints refuse any result breaking an invariant.
    Raises NotEnoughAvailable (nothing written) when the guard fails.
    """
    unknown = set(deltas) - {f"d_{bucket}" for bucket in BUCKETS}
    if unknown:
        raise ValueError(f"unknown ledger buckets: {sorted(unknown)}")
    values = {bucket: deltas.get(f"d_{bucket}", ZERO) for bucket in BUCKETS}
    table = Allocation._meta.db_table
    entries = LedgerEntry._meta.db_table
    sets = ", ".join(f"{bucket} = {bucket} + %s" for bucket in BUCKETS)
    guard = ""
    params: list[object] = [values[bucket] for bucket in BUCKETS]
    params.append(allocation.pk)
    if require_available is not None:
        guard = " AND allocated - committed - spent - expired - carried_over >= %s"
        params.append(require_available)
    # Identifiers come from model metadata and a fixed tuple; values are parameters.
    sql = (
        f"UPDATE {table} SET {sets}, ledger_seq = ledger_seq + 1 WHERE id = %s{guard} "  # noqa: S608
        f"RETURNING ledger_seq, {', '.join(BUCKETS)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            with scopes_disabled():
                current = Allocation.objects.get(pk=allocation.pk)
            raise NotEnoughAvailable(current.available)
        # A new statement, so it sees the previous entry even if its transaction
        # committed while this one waited for the lock (READ COMMITTED snapshots).
        cursor.execute(
            f"SELECT entry_hash FROM {entries} WHERE allocation_id = %s AND seq = %s",  # noqa: S608
            [allocation.pk, row[0] - 1],
        )
        previous = cursor.fetchone()
    seq, *buckets = row
    prev_hash = previous[0] if previous else None
    allocation.ledger_seq = seq
    for bucket, value in zip(BUCKETS, buckets, strict=True):
        setattr(allocation, bucket, _money(value))
    prev_hash = prev_hash or genesis_hash(allocation)
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
        **{f"d_{bucket}": values[bucket] for bucket in BUCKETS},
    )
    entry.entry_hash = compute_hash(prev_hash, entry_content(entry, allocation.uuid))
    entry.save(force_insert=True)
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
