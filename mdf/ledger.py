"""The append-only ledger: writing an entry and verifying an allocation's chain.

Only `mdf.services` calls `append`, inside its transaction; `append` itself takes
the allocation's row lock, so `seq` and the chain advance one entry at a time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.db import connection
from django_scopes import scopes_disabled

from mdf import clock, prepared
from mdf.models import ZERO, Allocation, Claim, FundRequest, LedgerEntry
from mdf.money import CENT
from mdf.writes import RowWrites, StaleRow, saved_pk

BUCKETS = ("allocated", "committed", "spent", "paid", "expired", "carried_over")


def genesis_hash(allocation: Allocation) -> str:
    return _genesis_hash(allocation.uuid)


@lru_cache(maxsize=1024)
def _genesis_hash(allocation_uuid: object) -> str:
    return hashlib.sha256(f"mdf-allocation:{allocation_uuid}".encode()).hexdigest()


def entry_content(entry: LedgerEntry, allocation_uuid: object) -> str:
    """The canonical text an entry's hash covers: every field that carries meaning."""
    return f"{allocation_uuid}|{entry.seq}|{_content_after_seq(entry)}"


def _content_after_seq(entry: LedgerEntry) -> str:
    parts = [
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


AVAILABLE_GUARD = " AND allocated - committed - spent - expired - carried_over >= %s"
# SQLite compares a text parameter with a number as text (cast it), and subtracts floats.
SQLITE_AVAILABLE_GUARD = (
    " AND ROUND(allocated - committed - spent - expired - carried_over, 2) >= CAST(%s AS NUMERIC)"
)


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
    writes: RowWrites | None = None,
    **deltas: Decimal,
) -> LedgerEntry:
    """Move the allocation's buckets by `deltas` and write the ledger entry for it.

    The allocation row is locked by this movement itself, as late as possible in the
    caller's transaction: the row every partner's move contends for is held only
    from here to the commit. `require_available` guards the move (available ≥ it);
    when the guard fails nothing is written and NotEnoughAvailable is raised. The
    guard is checked first on `allocation` as the caller read it, with the rows of its
    decision (locked, or as one snapshot): if that already falls short, the move is
    refused without a statement, as if decided when read (a refusal writes nothing);
    otherwise the statement checks it again on the row as it is when it writes.
    `writes` are the decision's other rows (its request or claim, its event): they are
    written with the move, and only if it happens; if a row they `expect` unchanged
    has changed, nothing is written and StaleRow is raised (see mdf/writes.py).
    Check constraints refuse any result that would break an invariant.
    """
    unknown = set(deltas) - {f"d_{bucket}" for bucket in BUCKETS}
    if unknown:
        raise ValueError(f"unknown ledger buckets: {sorted(unknown)}")
    entry = LedgerEntry(
        partner_id=allocation.partner_id,
        allocation_id=saved_pk(allocation),
        kind=kind,
        amount=amount,
        request_id=saved_pk(request),
        claim_id=saved_pk(claim),
        actor_id=saved_pk(actor),
        memo=memo[:300],
        created_at=clock.now(),
        **{f"d_{bucket}": deltas.get(f"d_{bucket}", ZERO) for bucket in BUCKETS},
    )
    LedgerEntry.allocation.field.set_cached_value(entry, allocation)
    if require_available is not None and allocation.available < require_available:
        raise NotEnoughAvailable(allocation.available)
    writes = writes or RowWrites()
    on_postgresql = prepared.on_postgresql()
    if on_postgresql:
        row = _move_in_one_statement(allocation, entry, require_available, writes)
    else:
        row = _move_step_by_step(allocation, entry, require_available)
        if row is not None:
            writes.save()
    if row is None:
        raise NotEnoughAvailable(_available_now(allocation.pk))
    entry.seq, entry.prev_hash, entry.entry_hash, entry.pk, *rest = row
    buckets, new_keys = rest[: len(BUCKETS)], rest[len(BUCKETS) :]
    if on_postgresql:
        writes.written(new_keys)
    allocation.ledger_seq, allocation.ledger_head = entry.seq, entry.entry_hash
    for bucket, value in zip(BUCKETS, buckets, strict=True):
        setattr(allocation, bucket, _money(value))
    return entry


_AVAILABLE_NOW = (
    f"SELECT allocated - committed - spent - expired - carried_over "  # noqa: S608
    f"FROM {Allocation._meta.db_table} WHERE id = %s"
)


def _available_now(allocation_id: int) -> Decimal:
    """What the allocation has available now (after a refused move: for its message)."""
    (available,) = prepared.fetchone(_AVAILABLE_NOW, [allocation_id])
    return _money(available)


def _content_around_seq(allocation: Allocation, entry: LedgerEntry) -> tuple[str, str]:
    """The canonical content split around the sequence number, which only the database
    knows once it holds the lock: content = before + str(seq) + after."""
    return f"{allocation.uuid}|", f"|{_content_after_seq(entry)}"


# The allocation's queue: an advisory lock (this class, the allocation's id as the key)
# that a move made outside a transaction (a decision: `_decide`) waits for before it
# touches the allocation row, and holds to its commit. Fifty moves waiting on the row
# itself all wake at each commit: PostgreSQL queues row lockers on a lock of the row's
# version, and a commit makes a new version, so every waiter is woken to find it gone
# and queue again on the next; waiters on a lock are woken one at a time, in turn
# (context switches per move and the figures: bench/mdf_contention.py). Moves inside a
# transaction do not queue: it may already hold the allocation row (a staff action that
# locked it first), and waiting for the queue while holding the row would deadlock with
# a queued move waiting for the row; they wait on the row as before, which the queued
# moves then wait on too. The row lock, not the queue, is what keeps the money right:
# two allocations whose ids share a key (past 2^31) share a queue, which only orders
# their moves.
ALLOCATION_QUEUE = 20_241_101


def _move_in_one_statement(
    allocation: Allocation,
    entry: LedgerEntry,
    require_available: Decimal | None,
    writes: RowWrites,
) -> tuple | None:
    """PostgreSQL: lock, check, move the buckets, extend the hash chain and insert the
    entry in ONE statement, so no client round trip happens while the lock waits
    for us (outside a transaction the statement commits by itself). The hash is
    computed in SQL exactly as `compute_hash` does, from the row's fresh head
    (re-read after the lock wait). Rows the writes `expect` unchanged are checked and
    locked first; if one changed, nothing moves and StaleRow is raised."""
    before, after = _content_around_seq(allocation, entry)
    genesis = genesis_hash(allocation)
    fresh, params = writes.fresh()
    queued = connection.get_autocommit()  # the statement is its own transaction
    if queued:
        params.append(allocation.pk)
    params += [before, after, [getattr(entry, f"d_{bucket}") for bucket in BUCKETS], genesis]
    params.append(allocation.pk)
    if require_available is not None:
        params.append(require_available)
    write_ctes, write_params, new_keys = writes.ctes("moved")
    params += write_params
    params += [
        entry.kind,
        entry.amount,
        entry.request_id,
        entry.claim_id,
        entry.actor_id,
        entry.memo,
        entry.created_at,
    ]
    sql = _move_text(
        fresh, tuple(write_ctes), tuple(new_keys), require_available is not None, queued
    )
    is_fresh, *row = prepared.fetchone(sql, params)
    if not is_fresh:
        raise StaleRow
    return None if row[0] is None else tuple(row)


@lru_cache(maxsize=64)
def _move_text(
    fresh: str,
    write_ctes: tuple[str, ...],
    new_keys: tuple[str, ...],
    guarded: bool,
    queued: bool,
) -> str:
    """The move's statement (`_move_in_one_statement`), built once per shape. The bucket
    deltas travel once, as one array the update and the entry both read (psycopg parses a
    statement's placeholders once only for statements of at most 50 values). `queued`:
    it waits its turn in the allocation's queue (ALLOCATION_QUEUE) once its own rows are
    locked, and only then touches the allocation."""
    table, entries = Allocation._meta.db_table, LedgerEntry._meta.db_table
    guard = AVAILABLE_GUARD if guarded else ""  # its columns are the allocation's only
    sets = ", ".join(
        f"{bucket} = {table}.{bucket} + d.deltas[{n}]" for n, bucket in enumerate(BUCKETS, 1)
    )
    d_columns = ", ".join(f"d_{bucket}" for bucket in BUCKETS)
    d_values = ", ".join(f"deltas[{n}]" for n in range(1, len(BUCKETS) + 1))
    bucket_columns = ", ".join(f"moved.{bucket}" for bucket in BUCKETS)
    gate, queue = "fresh", ""
    if queued:  # after `fresh` (its rows first, the locking order), before the allocation
        gate = "queued"
        queue = (
            f", queued AS (SELECT pg_advisory_xact_lock({ALLOCATION_QUEUE}, "  # noqa: S608
            f"(%s::bigint %% 2147483648)::int) FROM fresh)"
        )
    return f"""
        WITH {fresh}{queue}, moved AS (
            UPDATE {table} SET {sets},
                ledger_seq = {table}.ledger_seq + 1,
                ledger_prev_head = COALESCE(NULLIF({table}.ledger_head, ''), d.genesis),
                ledger_head = encode(sha256(convert_to(
                    COALESCE(NULLIF({table}.ledger_head, ''), d.genesis) || '|' || %s
                    || ({table}.ledger_seq + 1)::text || %s, 'UTF8')), 'hex')
            FROM (SELECT %s::numeric[] AS deltas, %s::text AS genesis) AS d
            WHERE {table}.id = %s{guard} AND EXISTS (SELECT 1 FROM {gate})
            RETURNING {table}.*, d.deltas
        ), {"".join(cte + ", " for cte in write_ctes)}inserted AS (
            INSERT INTO {entries} (partner_id, allocation_id, seq, kind, amount, {d_columns},
                request_id, claim_id, actor_id, memo, created_at, prev_hash, entry_hash)
            SELECT partner_id, id, ledger_seq, %s, %s, {d_values},
                %s, %s, %s, %s, %s, ledger_prev_head, ledger_head
            FROM moved
            RETURNING id
        )
        SELECT EXISTS (SELECT 1 FROM fresh), m.*
        FROM (SELECT 1) AS one LEFT JOIN (
            SELECT moved.ledger_seq, moved.ledger_prev_head, moved.ledger_head, inserted.id,
                {bucket_columns}{"".join(", " + key for key in new_keys)}
            FROM moved, inserted
        ) AS m ON TRUE
    """  # noqa: S608 - identifiers from model metadata; every value is a parameter


def _move_step_by_step(
    allocation: Allocation, entry: LedgerEntry, require_available: Decimal | None
) -> tuple | None:
    """SQLite (one writer at a time, so no lock waits): the same effect in steps.

    SQLite keeps decimals as binary floats, so every sum is rounded back to the cent
    (33.33 − 16.67 − 16.66 is −3.6e-15 in floats, which the no-negative check refuses)."""
    table = Allocation._meta.db_table
    sets = ", ".join(f"{bucket} = ROUND({bucket} + %s, 2)" for bucket in BUCKETS)
    params: list[object] = [getattr(entry, f"d_{bucket}") for bucket in BUCKETS]
    params.append(allocation.pk)
    guard = ""
    if require_available is not None:
        guard = SQLITE_AVAILABLE_GUARD
        params.append(require_available)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {sets}, ledger_seq = ledger_seq + 1 WHERE id = %s{guard} "  # noqa: S608
            f"RETURNING ledger_seq, ledger_head, {', '.join(BUCKETS)}",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    seq, head, *buckets = row
    entry.seq = seq
    entry.prev_hash = head or genesis_hash(allocation)
    entry.entry_hash = compute_hash(entry.prev_hash, entry_content(entry, allocation.uuid))
    entry.save(force_insert=True)
    with scopes_disabled():
        Allocation.objects.filter(pk=allocation.pk).update(
            ledger_head=entry.entry_hash, ledger_prev_head=entry.prev_hash
        )
    return (seq, entry.prev_hash, entry.entry_hash, entry.pk, *buckets)


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
