"""The results sync: batches of result events from integrations and CSV uploads.

THE one module with the bulk write path of `ResultEvent` (ARCHITECTURE.md, Events and
rollups). `ingest_events(payload=..., caller=...)` validates a whole batch, then writes
it in one transaction, or raises `BatchRejected` with every error and stores nothing.

Rules:
- A batch is `{"events": [...]}` (JSON bytes, decoded by msgspec straight into
  `Batch`) or a list of dicts (the portal's CSV rows), of 1 to `MAX_EVENTS` events.
- Each event is an object of the fields in `FIELDS`, all strings (or null). A field we
  do not know is an error naming it, not silently dropped: a misspelt `amout` would
  otherwise lose the amount (the API's `StrictFieldsMixin` does the same). An empty
  string is the same as a missing field (a CSV's empty cell).
- `external_id`: required, at most 200 characters, unique per source.
- `partner` (UUID or slug): a partner caller may omit it or name itself; naming any
  other value is an error ("another partner" and "no such partner" read alike). A
  staff caller must name it. Which partners a caller may name, and how a name is read
  (a UUID or a slug, in any case), is `partners.selectors.partners_named`, shared by
  every API that names a partner.
- `launch` (tracking code) must be one of the event's partner's launches, and `kit`
  (slug) one of the kits available to that partner (`CampaignKit.objects.available_to`);
  an unknown and another partner's code or kit get the same message, so nothing can
  be probed. A launch fills in its kit; a kit named beside it must be that kit.
- `kind`: one of RESULT_KINDS. `occurred_at`: ISO 8601 with an offset (a time without
  one is an error: we will not guess its zone), not before `EARLIEST`, at most
  `FUTURE_TOLERANCE` ahead. `day` is its date in settings.TIME_ZONE.
- `amount`: a decimal string (JSON numbers are refused: floats cannot hold cents),
  required for opportunities and won deals and refused on other kinds, ≥ 0, at most
  two decimals, within DecimalField(14, 2); `currency` (ISO 4217) goes with it, and
  only with it.
- `company` at most 200 characters; `email_domain` a domain, stored lower-cased in
  its ASCII form. An email address is refused (send only the domain): no personal
  address is stored.
- Source: partner-side callers (partner API keys and the portal's CSV upload) write
  under `partner:<partner uuid>`, staff keys under `vendor`. Rotating a key, or moving
  from CSV to the API, keeps the source, so a resent event is never counted twice.
- Replays: an event whose (source, external_id) is already stored with the same values
  (`fingerprint`) is a duplicate: counted, not stored again. With other values it is
  an error on that index ("already recorded with other values") and the batch is
  rejected. The same external_id twice in one batch: identical, the second counts as
  a duplicate; different, the later one is an error.
- Two clients sending overlapping batches at once never create a duplicate: the unique
  index on (source, external_id) decides, and both answer correct counts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from analytics.models import AMOUNT_KINDS, RESULT_KINDS, ResultEvent
from campaigns.models import CampaignKit, Launch
from config.api_input import MAX_JSON_DEPTH, json_depth
from mdf.money import known_currency, to_money
from partners.models import Partner
from partners.selectors import partners_named

MAX_EVENTS = 5000
MAX_EXTERNAL_ID = 200
MAX_COMPANY = 200
MAX_DOMAIN = 253
FUTURE_TOLERANCE = timedelta(minutes=5)
# Older than any campaign of ours; also keeps far-off dates from overflowing in
# time zone arithmetic.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
VENDOR_SOURCE = "vendor"
FIELDS = (
    "external_id",
    "partner",
    "launch",
    "kit",
    "kind",
    "occurred_at",
    "amount",
    "currency",
    "company",
    "email_domain",
)
KIND_VALUES = tuple(str(kind) for kind in RESULT_KINDS)
AMOUNT_KIND_VALUES = frozenset(str(kind) for kind in AMOUNT_KINDS)
_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


# --- input -------------------------------------------------------------------------


class Event(msgspec.Struct, forbid_unknown_fields=True):
    """One event as sent. Every field is optional here so that the validator can
    report all missing and malformed fields of all events at once; which are required
    is decided by `_Validator`."""

    external_id: str | None = None
    partner: str | None = None
    launch: str | None = None
    kit: str | None = None
    kind: str | None = None
    occurred_at: str | None = None
    amount: str | None = None
    currency: str | None = None
    company: str | None = None
    email_domain: str | None = None


class Batch(msgspec.Struct, forbid_unknown_fields=True):
    events: list[Event]


@dataclass(frozen=True)
class Caller:
    """Who sends a batch: a partner side (`partner` set: its API key or a member
    uploading CSV) or the vendor (`partner` None: a staff key). `user` is who acts:
    the key's own user or the member."""

    user: AbstractBaseUser | AnonymousUser
    partner: Partner | None

    @property
    def source(self) -> str:
        return VENDOR_SOURCE if self.partner is None else f"partner:{self.partner.uuid}"


@dataclass(frozen=True)
class IngestResult:
    created: int
    duplicates: int


@dataclass(frozen=True)
class EventError:
    """One problem: the event's `index` in the batch (None for the batch as a whole),
    the `field` it concerns and a `code` for programs ("invalid", "unknown_field",
    "already_recorded", "too_many_events", "parse_error")."""

    index: int | None
    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class BatchRejected(Exception):
    """The batch was refused as a whole; nothing of it was stored."""

    def __init__(self, errors: list[EventError]) -> None:
        super().__init__(f"{len(errors)} error(s), first: {errors[0].message if errors else ''}")
        self.errors = sorted(
            errors,
            key=lambda e: (
                -1 if e.index is None else e.index,
                FIELDS.index(e.field) if e.field in FIELDS else len(FIELDS),
            ),
        )


@dataclass(slots=True)
class _Row:
    """A validated event, as it is written."""

    index: int
    external_id: str
    partner_id: int
    kit_id: int | None
    launch_id: int | None
    kind: str
    occurred_at: datetime
    day: date
    amount: Decimal | None
    currency: str
    company: str
    email_domain: str
    fingerprint: str


# --- the one entry point --------------------------------------------------------------


# A JSON body, or the rows of a CSV file as dicts.
Payload = bytes | str | Sequence[dict[str, Any]]


def ingest_events(*, payload: Payload, caller: Caller) -> IngestResult:
    """Validate a batch of result events and store it in one transaction.

    Rules: see the module docstring. Raises `BatchRejected` (nothing stored) with the
    errors of every event; returns how many events were created and how many were
    duplicates of events already stored (or of an identical event earlier in the batch).
    """
    events = decode_batch(payload)
    with _caller_scope(caller):
        rows, in_batch_duplicates = _Validator(caller).validate(events)
        created = _store(rows, source=caller.source)
    return IngestResult(created=created, duplicates=len(rows) - created + in_batch_duplicates)


@contextmanager
def _caller_scope(caller: Caller) -> Iterator[None]:
    """A partner's batch runs in its scope; the vendor's spans partners, visibly (each
    lookup below is still filtered by the event's own partner)."""
    if caller.partner is not None:
        with scope(partner=caller.partner):
            yield
    else:
        with scopes_disabled():
            yield


# --- decoding ---------------------------------------------------------------------------


def decode_batch(payload: Payload) -> list[Event]:
    """The events of a JSON body or of a list of dicts, or BatchRejected.

    The typed decode (msgspec straight into `Batch`) is the fast path; when it fails,
    the body is decoded again untyped to name every event's and field's problem."""
    is_json = isinstance(payload, bytes | bytearray | memoryview | str)
    if not is_json and len(payload) > MAX_EVENTS:  # type: ignore[arg-type]
        raise BatchRejected([_too_many(len(payload))])  # type: ignore[arg-type]
    try:
        if is_json:
            batch = msgspec.json.decode(payload, type=Batch)  # type: ignore[arg-type]
        else:
            batch = msgspec.convert({"events": list(payload)}, type=Batch)  # type: ignore[arg-type]
    except msgspec.ValidationError as exc:  # well-formed JSON of the wrong shape
        data = _untyped(payload) if is_json else {"events": list(payload)}  # type: ignore[arg-type]
        raise BatchRejected(_structure_errors(data) or [_msgspec_error(exc)]) from None
    except msgspec.DecodeError as exc:
        raise BatchRejected([_parse_error(str(exc))]) from None
    count = len(batch.events)
    if count > MAX_EVENTS:
        raise BatchRejected([_too_many(count)])
    if count == 0:
        raise BatchRejected([EventError(None, "events", _("The batch has no events."))])
    return batch.events


def _untyped(payload: bytes | bytearray | memoryview | str) -> Any:
    """The body decoded without a type, to say what is wrong with its shape; refused
    past the API's nesting limit (config.api_input), as DRF's parser refuses it."""
    try:
        data = msgspec.json.decode(payload)
        too_deep = json_depth(data) > MAX_JSON_DEPTH
    except RecursionError:
        too_deep = True
    if too_deep:
        reason = _("the body nests deeper than %(depth)s levels.") % {"depth": MAX_JSON_DEPTH}
        raise BatchRejected([_parse_error(reason)]) from None
    return data


def _parse_error(reason: str) -> EventError:
    return EventError(
        None, "body", _("JSON parse error - %(reason)s") % {"reason": reason}, "parse_error"
    )


def _too_many(count: int) -> EventError:
    return EventError(
        None,
        "events",
        _("A batch holds at most %(limit)s events; this one has %(count)s. Split it.")
        % {"limit": f"{MAX_EVENTS:,}", "count": f"{count:,}"},
        "too_many_events",
    )


def _structure_errors(data: Any) -> list[EventError]:
    """Every shape problem of an untyped batch: not an object, unknown fields, values
    that are not strings."""
    if not isinstance(data, dict):
        return [EventError(None, "body", _('Send an object: {"events": [ ... ]}.'))]
    errors = [
        EventError(None, str(name), _unknown_field(name, ("events",)), "unknown_field")
        for name in data
        if name != "events"
    ]
    events = data.get("events")
    if not isinstance(events, list):
        errors.append(EventError(None, "events", _("Give the events as a list.")))
        return errors
    if len(events) > MAX_EVENTS:
        return [_too_many(len(events))]
    for index, item in enumerate(events):
        if not isinstance(item, dict):
            errors.append(EventError(index, "event", _("Each event is an object of fields.")))
            continue
        for name, value in item.items():
            if name not in FIELDS:
                errors.append(
                    EventError(index, str(name), _unknown_field(name, FIELDS), "unknown_field")
                )
            elif value is not None and not isinstance(value, str):
                errors.append(EventError(index, name, _not_a_string(name)))
    return errors


def _unknown_field(name: object, allowed: Sequence[str]) -> str:
    return _("Unknown field “%(name)s”. The fields you can send are: %(allowed)s.") % {
        "name": name,
        "allowed": ", ".join(allowed),
    }


def _not_a_string(name: str) -> str:
    if name == "amount":
        return _('Send amounts as decimal strings, like "1250.00", not as numbers.')
    return _("Send a string.")


def _msgspec_error(exc: msgspec.ValidationError) -> EventError:
    """msgspec's own message, for a shape the untyped walk did not explain."""
    match = re.search(r"\$\.events\[(\d+)\](?:\.(\w+))?", str(exc))
    if match:
        return EventError(int(match[1]), match[2] or "event", str(exc))
    return EventError(None, "body", str(exc))


# --- validation ----------------------------------------------------------------------------


class _Validator:
    """Checks a decoded batch for one caller, with a few queries per batch (partners,
    launches, kits: one each per partner named), never one per event."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.errors: list[EventError] = []
        self.now = timezone.now()
        self.zone = timezone.get_default_timezone()
        self.currencies: dict[str, str | None] = {}

    def error(self, index: int, field: str, message: str) -> None:
        self.errors.append(EventError(index, field, message))

    def validate(self, events: list[Event]) -> tuple[list[_Row], int]:
        """The rows to write (one per external_id) and the number of identical
        repeats inside the batch; raises BatchRejected on any error."""
        partners = self._partners(events)
        launches, kits = self._campaigns(events, partners)
        rows: list[_Row] = []
        seen: dict[str, _Row] = {}
        in_batch_duplicates = 0
        for index, event in enumerate(events):
            row = self._row(index, event, partners, launches, kits)
            if row is None:
                continue
            first = seen.get(row.external_id)
            if first is None:
                seen[row.external_id] = row
                rows.append(row)
            elif first.fingerprint == row.fingerprint:
                in_batch_duplicates += 1
            else:
                self.error(
                    index,
                    "external_id",
                    _(
                        "This external_id was sent earlier in this batch (event %(first)s) "
                        "with other values."
                    )
                    % {"first": first.index},
                )
        if self.errors:
            raise BatchRejected(self.errors)
        return rows, in_batch_duplicates

    # The lookups, once per batch.

    def _partners(self, events: list[Event]) -> dict[str, Partner]:
        """The partners the events name, by the value as sent, among those the caller
        may send for (`partners_named`: a partner side only its own)."""
        names = [event.partner for event in events if event.partner]
        return partners_named(names=names, own=self.caller.partner)

    def _campaigns(
        self, events: list[Event], partners: dict[str, Partner]
    ) -> tuple[dict[tuple[int, str], tuple[int, int]], dict[tuple[int, str], int]]:
        """(partner id, code) → (launch id, kit id) and (partner id, kit slug) → kit id,
        for the codes and slugs the events name, among each partner's own launches and
        the kits available to it."""
        codes: dict[int, set[str]] = {}
        slugs: dict[int, set[str]] = {}
        for event in events:
            partner = self._partner_of(event, partners)
            if partner is None:
                continue
            if event.launch:
                codes.setdefault(partner.pk, set()).add(event.launch)
            if event.kit:
                slugs.setdefault(partner.pk, set()).add(event.kit)
        launches: dict[tuple[int, str], tuple[int, int]] = {}
        if codes:
            found = Launch.objects.filter(
                partner_id__in=list(codes),
                code__in={code for group in codes.values() for code in group},
            ).values_list("partner_id", "code", "pk", "kit_id")
            for partner_id, code, launch_id, kit_id in found:
                launches[(partner_id, code)] = (launch_id, kit_id)
        kits: dict[tuple[int, str], int] = {}
        by_pk = {partner.pk: partner for partner in partners.values()}
        if self.caller.partner is not None:
            by_pk[self.caller.partner.pk] = self.caller.partner
        for partner_id, wanted in slugs.items():
            available = CampaignKit.objects.available_to(by_pk[partner_id]).filter(slug__in=wanted)
            for slug, kit_id in available.values_list("slug", "pk"):
                kits[(partner_id, slug)] = kit_id
        return launches, kits

    def _partner_of(self, event: Event, partners: dict[str, Partner]) -> Partner | None:
        if event.partner:
            return partners.get(event.partner)
        return self.caller.partner

    # One event.

    def _row(  # noqa: C901, PLR0912 - one check per field, in the documented order
        self,
        index: int,
        event: Event,
        partners: dict[str, Partner],
        launches: dict[tuple[int, str], tuple[int, int]],
        kits: dict[tuple[int, str], int],
    ) -> _Row | None:
        failed = len(self.errors)
        external_id = event.external_id or ""
        if not external_id.strip():
            self.error(index, "external_id", _("Give the event's id in your system."))
        elif len(external_id) > MAX_EXTERNAL_ID:
            self.error(index, "external_id", _at_most(MAX_EXTERNAL_ID, len(external_id)))

        partner = self._partner_of(event, partners)
        if partner is None:
            if self.caller.partner is not None:
                message = _("You can send results of your own partner only (%(slug)s).") % {
                    "slug": self.caller.partner.slug
                }
            elif not event.partner:
                message = _("Name the partner (its UUID or slug): a staff key acts for all.")
            else:
                message = _("No partner with this UUID or slug.")
            self.error(index, "partner", message)

        launch_id = kit_id = None
        if partner is not None and event.launch:
            found = launches.get((partner.pk, event.launch))
            if found is None:
                self.error(index, "launch", _("No launch of this partner has this tracking code."))
            else:
                launch_id, kit_id = found
        if partner is not None and event.kit:
            named_kit = kits.get((partner.pk, event.kit))
            if named_kit is None:
                self.error(index, "kit", _("No campaign kit with this slug is available."))
            elif kit_id is not None and named_kit != kit_id:
                self.error(index, "kit", _("The launch runs another kit: leave kit empty."))
            else:
                kit_id = named_kit

        kind = event.kind or ""
        if kind not in KIND_VALUES:
            self.error(
                index,
                "kind",
                _("Use one of: %(kinds)s.") % {"kinds": ", ".join(KIND_VALUES)}
                if kind
                else _("Give the kind: %(kinds)s.") % {"kinds": ", ".join(KIND_VALUES)},
            )

        occurred_at = self._occurred_at(index, event.occurred_at)
        amount, currency = self._amount(index, kind, event.amount, event.currency)

        company = event.company or ""
        if len(company) > MAX_COMPANY:
            self.error(index, "company", _at_most(MAX_COMPANY, len(company)))
        email_domain = self._email_domain(index, event.email_domain)

        if len(self.errors) > failed:
            return None
        assert partner is not None and occurred_at is not None  # noqa: S101 - checked above
        occurred_utc = occurred_at.astimezone(UTC)
        canonical = (
            partner.pk,
            kit_id,
            launch_id,
            kind,
            occurred_utc.isoformat(),
            None if amount is None else str(amount),
            currency,
            company,
            email_domain,
        )
        return _Row(
            index=index,
            external_id=external_id,
            partner_id=partner.pk,
            kit_id=kit_id,
            launch_id=launch_id,
            kind=kind,
            occurred_at=occurred_utc,
            day=occurred_at.astimezone(self.zone).date(),
            amount=amount,
            currency=currency,
            company=company,
            email_domain=email_domain,
            fingerprint=hashlib.sha256(msgspec.json.encode(canonical)).hexdigest(),
        )

    def _occurred_at(self, index: int, value: str | None) -> datetime | None:
        if not value:
            self.error(index, "occurred_at", _("Give when it happened (ISO 8601 with offset)."))
            return None
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            self.error(
                index,
                "occurred_at",
                _("Use ISO 8601 with an offset, like 2026-03-01T14:30:00+01:00."),
            )
            return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            self.error(
                index,
                "occurred_at",
                _("Add the time zone offset (like +01:00 or Z): we will not guess it."),
            )
            return None
        try:
            too_early = moment < EARLIEST
        except OverflowError:
            too_early = True
        if too_early:
            self.error(index, "occurred_at", _("The date is before 2000: check it."))
            return None
        if moment > self.now + FUTURE_TOLERANCE:
            self.error(
                index,
                "occurred_at",
                _("This is in the future (at most %(minutes)s minutes ahead are accepted).")
                % {"minutes": int(FUTURE_TOLERANCE.total_seconds() // 60)},
            )
            return None
        return moment

    def _amount(
        self, index: int, kind: str, value: str | None, currency_value: str | None
    ) -> tuple[Decimal | None, str]:
        amount = None
        if value:
            if kind and kind not in AMOUNT_KIND_VALUES:
                self.error(index, "amount", _("Only opportunities and won deals carry an amount."))
            else:
                try:
                    amount = to_money(value, allow_zero=True)
                except ValueError as exc:
                    self.error(index, "amount", str(exc))
        elif kind in AMOUNT_KIND_VALUES:
            self.error(
                index,
                "amount",
                _('Give the amount of the %(kind)s, like "1250.00".') % {"kind": kind},
            )
        currency = ""
        if currency_value:
            code = currency_value.strip().upper()
            if code not in self.currencies:
                try:
                    self.currencies[code] = known_currency(code)
                except ValueError:
                    self.currencies[code] = None
            if self.currencies[code] is None:
                self.error(index, "currency", _("Use a three-letter ISO 4217 code, like EUR."))
            elif not value:
                self.error(index, "currency", _("A currency goes with an amount."))
            else:
                currency = code
        elif value:
            self.error(index, "currency", _("Give the currency of the amount (like EUR)."))
        return amount, currency

    def _email_domain(self, index: int, value: str | None) -> str:
        if not value:
            return ""
        text = value.strip().lower().rstrip(".")
        if "@" in text:
            self.error(
                index,
                "email_domain",
                _("Send only the domain (like example.com): no personal address is stored."),
            )
            return ""
        try:
            ascii_name = text.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_name = ""
        labels = ascii_name.split(".")
        if (
            len(ascii_name) > MAX_DOMAIN
            or len(labels) < 2
            or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        ):
            self.error(index, "email_domain", _("Give a domain, like example.com."))
            return ""
        return ascii_name


def _at_most(limit: int, length: int) -> str:
    return _("At most %(limit)s characters (this has %(length)s).") % {
        "limit": limit,
        "length": length,
    }


# --- writing ---------------------------------------------------------------------------

# Columns the sync writes; the others (asset, visitor, bot flags) keep their defaults.
_COLUMNS = (
    "partner_id",
    "kit_id",
    "launch_id",
    "kind",
    "source",
    "external_id",
    "occurred_at",
    "day",
    "amount",
    "currency",
    "company",
    "email_domain",
    "fingerprint",
)
# The rest, given in the INSERT … SELECT in this order: when received, no visitor, not
# a bot, not a repeat click, not a click on a stopped launch.
_DEFAULTS = ("received_at", "visitor_key", "bot_reason", "repeat", "launch_inactive")


def _store(rows: list[_Row], *, source: str) -> int:
    """Write the rows in one transaction; the number created. Raises BatchRejected
    (rolled back) if an external_id is already stored with other values."""
    received_at = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            created, conflicts = _insert_copy(rows, source=source, received_at=received_at)
        else:
            created, conflicts = _insert_portable(rows, source=source, received_at=received_at)
        if conflicts:
            by_id = {row.external_id: row.index for row in rows}
            raise BatchRejected(
                [
                    EventError(
                        by_id[external_id],
                        "external_id",
                        _("This external_id is already recorded with other values."),
                        "already_recorded",
                    )
                    for external_id in conflicts
                ]
            )
        if created:
            transaction.on_commit(_enqueue_rollup, robust=True)
    return created


def _enqueue_rollup() -> None:
    """Roll the new events up now rather than at the next beat. `robust` on_commit:
    a broker that is down only delays the figures until the beat's run."""
    from analytics.tasks import rollup_metrics

    rollup_metrics.delay()


def _insert_copy(rows: list[_Row], *, source: str, received_at: datetime) -> tuple[int, list[str]]:
    """PostgreSQL: COPY the batch into a temporary table, then one
    `INSERT … SELECT … ON CONFLICT (source, external_id) DO NOTHING`.

    Why bulk SQL: COPY is PostgreSQL's bulk-load path and ON CONFLICT lets the unique
    index, not a prior read, decide what is new, so two overlapping batches committed
    at once neither duplicate a row nor fail; `bulk_create(ignore_conflicts=True)`
    would not say which rows it skipped. Rows go in ordered by external_id, so two
    batches waiting on each other's keys queue instead of deadlocking. The skipped ids
    are compared with what is stored by fingerprint, in the same transaction.
    """
    meta = ResultEvent._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    fields = {field.column: field for field in meta.concrete_fields}
    column = {name: quote(name) for name in (*_COLUMNS, *_DEFAULTS)}
    columns = ", ".join(column[name] for name in _COLUMNS)
    defaults = ", ".join(column[name] for name in _DEFAULTS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE ingest_batch ("
            + ", ".join(f"{column[name]} {fields[name].db_type(connection)}" for name in _COLUMNS)
            + ") ON COMMIT DROP"
        )
        with cursor.copy(f"COPY ingest_batch ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.partner_id,
                        row.kit_id,
                        row.launch_id,
                        row.kind,
                        source,
                        row.external_id,
                        row.occurred_at,
                        row.day,
                        row.amount,
                        row.currency,
                        row.company,
                        row.email_domain,
                        row.fingerprint,
                    )
                )
        cursor.execute(
            f"INSERT INTO {table} ({columns}, {defaults}) "  # noqa: S608
            f"SELECT {columns}, %s, '', '', false, false FROM ingest_batch "
            f"ORDER BY {column['external_id']} "
            f"ON CONFLICT ({column['source']}, {column['external_id']}) DO NOTHING",
            [received_at],
        )
        created = cursor.rowcount
        conflicts: list[str] = []
        if created < len(rows):
            cursor.execute(
                f"SELECT b.external_id FROM ingest_batch b JOIN {table} e "  # noqa: S608
                "ON e.source = b.source AND e.external_id = b.external_id "
                "WHERE e.fingerprint <> b.fingerprint ORDER BY b.external_id"
            )
            conflicts = [external_id for (external_id,) in cursor.fetchall()]
        # Dropped now, not only at commit: a caller's outer transaction may hold more.
        cursor.execute("DROP TABLE ingest_batch")
    return created, conflicts


# SQLite's limit on the parameters of one statement is far above this on current
# versions; a chunk this size stays well within any build.
_PORTABLE_CHUNK = 500


def _insert_portable(
    rows: list[_Row], *, source: str, received_at: datetime
) -> tuple[int, list[str]]:
    """Any other database (SQLite, the embedded default): read which ids are stored,
    compare fingerprints, `bulk_create` the new rows.

    Read-then-write is safe on SQLite because it serialises writers: settings open
    its transactions IMMEDIATE, so the write lock is held from this read to the commit
    and no other batch can insert in between. The unique index stays the last word.
    """
    stored: dict[str, str] = {}
    ids = [row.external_id for row in rows]
    for start in range(0, len(ids), _PORTABLE_CHUNK):
        chunk = ids[start : start + _PORTABLE_CHUNK]
        stored.update(
            ResultEvent.objects.filter(source=source, external_id__in=chunk).values_list(
                "external_id", "fingerprint"
            )
        )
    conflicts = sorted(
        row.external_id
        for row in rows
        if row.external_id in stored and stored[row.external_id] != row.fingerprint
    )
    new = [
        ResultEvent(
            partner_id=row.partner_id,
            kit_id=row.kit_id,
            launch_id=row.launch_id,
            kind=row.kind,
            source=source,
            external_id=row.external_id,
            occurred_at=row.occurred_at,
            day=row.day,
            received_at=received_at,
            amount=row.amount,
            currency=row.currency,
            company=row.company,
            email_domain=row.email_domain,
            fingerprint=row.fingerprint,
        )
        for row in rows
        if row.external_id not in stored
    ]
    if not conflicts:
        ResultEvent.objects.bulk_create(new, batch_size=_PORTABLE_CHUNK)
    return len(new), conflicts
