"""Writes of deal registration (docs/deals.md): register with the conflict check, the
partner's answers and edits, the staff decision, extensions, stage and close, and the
daily expiry job with its reminders.

Who does what:
- the partner's admins and sales reps (`can_register_deals`) register, edit, answer,
  ask for extensions, move the stage and close; marketers and staff do not;
- staff with `deals.change_deal` decide registrations and clear conflicts (any of them
  may act for the partner's channel manager); `deals.change_dealextension` decides
  extensions; the person who decides is recorded.

Conflicts are staff-only: a registration of a domain another partner holds open, or a
protected account, writes a `DealConflict` and a non-shared `DealEvent`. Nothing the
partner sees (the deal's status, its shared events, emails, error messages) differs
from a registration without a conflict. Approval re-checks the domain, so a conflict
missed by two registrations committed at the same moment is caught before any
protection is granted.

Every service runs in one transaction, locks the deal row before a state change
(`select_for_update(of=("self",))`, the deal before its extension), writes its
`DealEvent` in the same transaction, and emails after commit through a task that takes
the event's id (`deals.tasks`). Approval, won and lost enter the results stream
(`analytics.ResultEvent`, source "deals") in the same transaction. Bad input raises a
`ValidationError` keyed by field, a refused actor `PermissionDenied`; nothing is stored
when either is raised. Dates and times come from `mdf.clock`, so the demo and the tests
can run the services on another day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_scopes import scope, scopes_disabled

from analytics.models import EventKind, ResultEvent
from campaigns.models import Launch
from deals.models import (
    Deal,
    DealConflict,
    DealEvent,
    DealExtension,
    DealProgram,
    DealReminder,
    LeadOffer,
    Product,
    ProtectedAccount,
)
from mdf import clock
from mdf.money import known_currency, to_money
from partners.models import Membership, Partner
from partners.selectors import is_country

__all__ = [
    "DEAL_WRITER_ROLES",
    "DECIDE_PERMISSION",
    "EXTENSION_PERMISSION",
    "REMINDER_DAYS",
    "RESULT_SOURCE",
    "DealInput",
    "can_decide_deals",
    "can_register_deals",
    "deal_answer",
    "deal_approve",
    "deal_clear_conflict",
    "deal_close_lost",
    "deal_close_won",
    "deal_expiry_reminders",
    "deal_register",
    "deal_reject",
    "deal_request_info",
    "deal_set_stage",
    "deal_update",
    "deals_expire",
    "extension_approve",
    "extension_reject",
    "extension_request",
    "normalise_domain",
]

DS = Deal.Status
Action = DealEvent.Action
DEAL_WRITER_ROLES = (Membership.Role.ADMIN, Membership.Role.SALES)
DECIDE_PERMISSION = "deals.change_deal"
EXTENSION_PERMISSION = "deals.change_dealextension"
RESULT_SOURCE = "deals"
# Expiry reminders go this many days before `expires_on` (once each per expiry date).
REMINDER_DAYS = (14, 3)
MAX_COMPANY = 200
MAX_DOMAIN = 253
MAX_CONTACT = 120
MAX_TEXT = 5000
MAX_EXTENSION_DAYS = 365
# A close reported a little ahead of our clock is a clock difference, not the future.
FUTURE_TOLERANCE = timedelta(minutes=5)
# The fields `deal_update` may change (the registration's own fields).
INPUT_FIELDS = (
    "company",
    "domain",
    "country",
    "products",
    "amount",
    "currency",
    "expected_close_date",
    "stage",
    "notes",
    "contact_name",
    "contact_email",
    "launch",
)


# How the "changed" event names a field: the model's own labels.
_LABELS = {f.name: f.verbose_name for f in Deal._meta.fields} | {"products": _lazy("products")}


@dataclass
class DealInput:
    """The fields of a registration as entered (portal form, API body, a converted lead).

    `products` are product ids or slugs; `launch` is the tracking code of one of the
    partner's own launches ("" for none). Values are parsed and checked by the
    services, not here.
    """

    company: str
    domain: str
    country: str
    products: Sequence[int | str]
    amount: Decimal | str
    currency: str
    expected_close_date: date | None
    stage: str = Deal.Stage.PROSPECTING
    notes: str = ""
    contact_name: str = ""
    contact_email: str = ""
    launch: str = ""


# --- who may ----------------------------------------------------------------------------


def _membership(user: User | AnonymousUser) -> Membership | None:
    # Not `is_active`: an API key's own user is inactive and acts with its membership.
    if not user.is_authenticated or user.is_staff:
        return None
    with scopes_disabled():  # the user's own membership: resolving who asks
        return Membership.objects.filter(user=user).first()


def can_register_deals(user: User | AnonymousUser, partner_id: int) -> bool:
    """An admin or sales rep of this partner (a person or its API key's own user)."""
    membership = _membership(user)
    return (
        membership is not None
        and membership.partner_id == partner_id
        and membership.role in DEAL_WRITER_ROLES
    )


def can_decide_deals(user: User | AnonymousUser) -> bool:
    """Active staff holding `deals.change_deal` (channel managers, marketing admins)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(DECIDE_PERMISSION)
    )


def _require_writer(user: User, partner_id: int) -> None:
    if not can_register_deals(user, partner_id):
        raise PermissionDenied(_("Only the partner's admins and sales reps work its deals."))


def _require_decider(user: User, permission: str = DECIDE_PERMISSION) -> None:
    if not (can_decide_deals(user) and user.has_perm(permission)):
        raise PermissionDenied(_("Only staff who decide deal registrations do this."))


# --- input ------------------------------------------------------------------------------


def normalise_domain(value: str) -> str:
    """A customer's web domain as stored: lower case, ASCII (IDNA) form, no scheme,
    path, port or leading "www.". "https://www.Müller.de/shop" → "xn--mller-kva.de".

    Raises ValidationError({"domain": ...}) for anything that is not a domain name.
    """
    text = str(value or "").strip().lower()
    message = _("Enter the customer's web domain, like example.com.")
    if not text or "@" in text or " " in text:
        raise ValidationError({"domain": message})
    if "://" in text:
        text = text.split("://", 1)[1]
    elif text.startswith("//"):
        text = text[2:]
    for separator in ("/", "?", "#"):
        text = text.split(separator, 1)[0]
    text = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    text = text.rstrip(".").removeprefix("www.")
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError({"domain": message}) from None
    labels = ascii_name.split(".")
    if (
        len(ascii_name) > MAX_DOMAIN
        or len(labels) < 2
        or not all(_is_label(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValidationError({"domain": message})
    return ascii_name


def _is_label(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and not label.startswith("-")
        and not label.endswith("-")
        and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in label)
    )


def _text(
    errors: dict[str, list[str]], name: str, value: object, limit: int, *, required: bool
) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(text) > limit:
        errors.setdefault(name, []).append(
            _("At most %(limit)s characters.") % {"limit": f"{limit:,}"}
        )
    return text


def _products(errors: dict[str, list[str]], values: Iterable[int | str], keep: set[int]) -> list:
    """The products named by id or slug: offered ones, or ones the deal already has."""
    wanted = [value for value in values if str(value).strip()]
    if not wanted:
        errors.setdefault("products", []).append(_("Choose at least one product."))
        return []
    ids = {int(v) for v in wanted if isinstance(v, int) or str(v).strip().isdigit()}
    slugs = {str(v).strip() for v in wanted if not (isinstance(v, int) or str(v).isdigit())}
    found = list(
        Product.objects.filter(Q(pk__in=ids) | Q(slug__in=slugs)).filter(
            Q(active=True) | Q(pk__in=keep)
        )
    )
    if {p.pk for p in found} >= ids and {p.slug for p in found} >= slugs:
        return found
    errors.setdefault("products", []).append(_("Choose products from the list."))
    return []


def _launch(errors: dict[str, list[str]], partner_id: int, code: object) -> Launch | None:
    """One of the partner's own launches by tracking code; another partner's code reads
    exactly like one that does not exist."""
    text = str(code or "").strip()
    if not text:
        return None
    with scope(partner=partner_id):
        launch = Launch.objects.filter(partner_id=partner_id, code=text).first()
    if launch is None:
        errors.setdefault("launch", []).append(_("No such launch."))
    return launch


def _clean(*, partner_id: int, values: dict[str, Any], deal: Deal | None = None) -> dict[str, Any]:
    """Parse and check registration fields (all of them for a new deal, the given ones
    for an edit); raise every error at once, keyed by field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name == "company":
            clean[name] = _text(errors, name, value, MAX_COMPANY, required=True)
        elif name == "domain":
            try:
                clean[name] = normalise_domain(value)
            except ValidationError as error:
                errors.setdefault(name, []).extend(error.message_dict["domain"])
        elif name == "country":
            code = str(value or "").strip().upper()
            if not is_country(code):
                errors.setdefault(name, []).append(_("Choose a country from the list."))
            clean[name] = code
        elif name == "products":
            keep = set(deal.products.values_list("pk", flat=True)) if deal else set()
            if isinstance(value, str | int):
                value = [value]
            clean[name] = _products(errors, value or [], keep)
        elif name == "amount":
            try:
                clean[name] = to_money(value, allow_zero=True)
            except ValueError as error:
                errors.setdefault(name, []).append(str(error))
        elif name == "currency":
            try:
                clean[name] = known_currency(value)
            except ValueError as error:
                errors.setdefault(name, []).append(str(error))
        elif name == "expected_close_date":
            if isinstance(value, str):
                try:
                    value = date.fromisoformat(value.strip())
                except ValueError:
                    value = None
            if not isinstance(value, date) or isinstance(value, datetime):
                errors.setdefault(name, []).append(_("Enter a date."))
            elif value < clock.today() and (deal is None or value != deal.expected_close_date):
                errors.setdefault(name, []).append(_("The close date cannot be in the past."))
            else:
                clean[name] = value
        elif name == "stage":
            if value not in Deal.Stage.values:
                errors.setdefault(name, []).append(_("Choose a stage from the list."))
            clean[name] = value
        elif name == "notes":
            clean[name] = _text(errors, name, value, MAX_TEXT, required=False)
        elif name == "contact_name":
            clean[name] = _text(errors, name, value, MAX_CONTACT, required=False)
        elif name == "contact_email":
            email = _text(errors, name, value, 254, required=False)
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    errors.setdefault(name, []).append(_("Enter a valid email address."))
            clean[name] = email
        elif name == "launch":
            clean[name] = _launch(errors, partner_id, value)
        else:
            errors.setdefault(name, []).append(_("This field cannot be changed here."))
    if errors:
        raise ValidationError(errors)
    return clean


def _not_blank(name: str, value: object, limit: int = MAX_TEXT) -> str:
    errors: dict[str, list[str]] = {}
    text = _text(errors, name, value, limit, required=True)
    if errors:
        raise ValidationError(errors)
    return text


DUPLICATE = "You already have an open registration for this customer's domain."


def _duplicate_error() -> ValidationError:
    return ValidationError({"domain": _(DUPLICATE)})


# --- building blocks --------------------------------------------------------------------


def _lock(deal: Deal) -> Deal:
    with scopes_disabled():  # the deal's own row; the caller was given this deal
        return (
            Deal.objects.select_for_update(of=("self",))
            .select_related("partner", "launch")
            .get(pk=deal.pk)
        )


def _lock_extension(extension: DealExtension) -> tuple[Deal, DealExtension]:
    """The deal, then its extension: the one lock order."""
    with scopes_disabled():
        deal_id = DealExtension.objects.values_list("deal_id", flat=True).get(pk=extension.pk)
        deal = (
            Deal.objects.select_for_update(of=("self",))
            .select_related("partner", "launch")
            .get(pk=deal_id)
        )
        locked = DealExtension.objects.select_for_update(of=("self",)).get(pk=extension.pk)
    return deal, locked


def _event(
    deal: Deal,
    actor: User | None,
    action: str,
    *,
    old: object = "",
    new: object = "",
    detail: str = "",
    shared: bool = True,
    email: bool = False,
) -> DealEvent:
    with scope(partner=deal.partner_id):
        event = DealEvent.objects.create(
            deal=deal,
            partner_id=deal.partner_id,
            actor=actor if actor is not None and actor.is_authenticated else None,
            at=clock.now(),
            action=action,
            old_value=str(old)[:100],
            new_value=str(new)[:100],
            detail=detail,
            shared=shared,
        )
    if email:
        _email_after_commit(event)
    return event


def _email_after_commit(event: DealEvent) -> None:
    from deals import tasks  # the tasks call these services: import when used

    transaction.on_commit(partial(tasks.send_deal_event_email.delay, event.pk), robust=True)


def _enqueue_rollup() -> None:
    """Roll the new result event up now rather than at the next beat (as
    `analytics.ingest` does); a broker that is down only delays the figures."""
    from analytics.tasks import rollup_metrics

    rollup_metrics.delay()


def _result(deal: Deal, kind: str, *, at: datetime, amount: Decimal | None) -> ResultEvent:
    """The deal's entry in the results stream (source "deals", `deal:<uuid>:<kind>`),
    attributed to its partner and to its launch and the launch's kit."""
    launch = deal.launch
    with scope(partner=deal.partner_id):
        event = ResultEvent.objects.create(
            partner_id=deal.partner_id,
            launch=launch,
            kit_id=launch.kit_id if launch is not None else None,
            kind=kind,
            source=RESULT_SOURCE,
            external_id=f"deal:{deal.uuid}:{kind}",
            occurred_at=at,
            day=timezone.localdate(at),
            amount=amount,
            currency=deal.currency if amount is not None else "",
            company=deal.company[:200],
            email_domain=deal.domain,
        )
    transaction.on_commit(_enqueue_rollup, robust=True)
    return event


def _require_status(deal: Deal, allowed: Iterable[str], message: str) -> None:
    if deal.status not in allowed:
        raise ValidationError({"status": message})


def _flag_conflicts(deal: Deal) -> int:
    """Write a `DealConflict` (and a non-shared event) for each other partner's open
    registration of the deal's domain and for a protected account of that domain that
    the deal is not flagged for yet. Answers how many were new. Staff only: nothing of
    it is shown to the partner."""
    with scopes_disabled():  # conflicts span partners: the staff side of the check
        others = list(
            Deal.objects.filter(domain=deal.domain, status__in=Deal.OPEN_STATUSES)
            .exclude(partner_id=deal.partner_id)
            .select_related("partner")
            .order_by("submitted_at", "pk")
        )
        known_deals = set(
            DealConflict.objects.filter(deal=deal, other_deal__isnull=False).values_list(
                "other_deal_id", flat=True
            )
        )
        account = ProtectedAccount.objects.filter(domain=deal.domain).first()
        known_account = DealConflict.objects.filter(
            deal=deal, kind=DealConflict.Kind.PROTECTED_ACCOUNT, protected_account=account
        ).exists()
    new = 0
    for other in others:
        if other.pk in known_deals:
            continue
        DealConflict.objects.create(
            deal=deal, kind=DealConflict.Kind.OTHER_PARTNER, other_deal=other
        )
        _event(
            deal,
            None,
            Action.CONFLICT_FLAGGED,
            new=DealConflict.Kind.OTHER_PARTNER,
            detail=_("Also registered by %(partner)s (%(status)s).")
            % {"partner": other.partner.name, "status": other.get_status_display()},
            shared=False,
        )
        new += 1
    if account is not None and not known_account:
        DealConflict.objects.create(
            deal=deal, kind=DealConflict.Kind.PROTECTED_ACCOUNT, protected_account=account
        )
        _event(
            deal,
            None,
            Action.CONFLICT_FLAGGED,
            new=DealConflict.Kind.PROTECTED_ACCOUNT,
            detail=_("Protected account: %(account)s.") % {"account": str(account)},
            shared=False,
        )
        new += 1
    if new and deal.conflict_cleared:
        deal.conflict_cleared = False
        deal.save(update_fields=["conflict_cleared", "updated_at"])
    return new


def _has_uncleared_conflicts(deal: Deal) -> bool:
    with scopes_disabled():
        return not deal.conflict_cleared and DealConflict.objects.filter(deal=deal).exists()


# --- registration -----------------------------------------------------------------------


def deal_register(
    *, partner: Partner, user: User, data: DealInput, lead_offer: LeadOffer | None = None
) -> Deal:
    """Register an opportunity of `partner`'s with one end customer.

    Rules:
    - `user` is an admin or sales rep of the partner; the partner is active;
    - every field is checked (`_clean`): company; domain (`normalise_domain`); country
      (ISO 3166 alpha-2); products offered now (ids or slugs, at least one); amount
      ≥ 0 with at most two decimals; currency (ISO 4217); expected close date today or
      later; stage; contact; launch one of the partner's own (else "No such launch.");
    - a second open registration of the same domain by the same partner is refused on
      "domain" (checked first; the constraint `deal_one_open_per_partner_domain`
      decides between two registrations at the same moment);
    - the conflict check (`_flag_conflicts`) runs in the same transaction and is
      staff-only: the partner sees "Under review" either way;
    - with `lead_offer` (the partner's own accepted offer, not yet converted), the offer
      is linked to the deal; the lead's own state is `lead_convert`'s;
    - writes a shared "registered" event and emails the channel manager after commit.
    """
    _require_writer(user, partner.pk)
    if partner.status != Partner.Status.ACTIVE:
        raise PermissionDenied(_("Only active partners register deals."))
    values = {name: getattr(data, name) for name in INPUT_FIELDS}
    clean = _clean(partner_id=partner.pk, values=values)
    products = clean.pop("products")
    with transaction.atomic():
        with scope(partner=partner.pk):
            if Deal.objects.filter(
                partner=partner, domain=clean["domain"], status__in=Deal.OPEN_STATUSES
            ).exists():
                raise _duplicate_error()
            try:
                with transaction.atomic():  # a savepoint: the constraint's verdict
                    deal = Deal.objects.create(
                        partner=partner,
                        registered_by=user,
                        submitted_at=clock.now(),
                        status=DS.SUBMITTED,
                        **clean,
                    )
            except IntegrityError as error:
                if "deal_one_open_per_partner_domain" in str(error):
                    raise _duplicate_error() from None
                raise
        deal.products.set(products)
        detail = ""
        if lead_offer is not None:
            _link_offer(lead_offer, deal)
            detail = _("Registered from an offered lead.")
        _event(deal, user, Action.REGISTERED, new=DS.SUBMITTED, detail=detail, email=True)
        _flag_conflicts(deal)
    return deal


def _link_offer(offer: LeadOffer, deal: Deal) -> None:
    with scopes_disabled():
        locked = LeadOffer.objects.select_for_update(of=("self",)).get(pk=offer.pk)
    if (
        locked.partner_id != deal.partner_id
        or locked.status != LeadOffer.Status.ACCEPTED
        or locked.deal_id is not None
    ):
        raise ValidationError({"lead": _("This lead is no longer offered to you.")})
    locked.deal = deal
    locked.save(update_fields=["deal"])
    offer.deal = deal


def deal_update(*, deal: Deal, user: User, **fields: Any) -> Deal:
    """The partner edits its registration while it is under review or more information
    was asked for.

    Rules:
    - `user` is an admin or sales rep of the deal's partner;
    - only the registration's fields (`INPUT_FIELDS`), checked as at registration; an
      unchanged past close date may stay;
    - a new domain is checked for a duplicate and for conflicts again; conflict rows
      for the old domain are dropped (their events stay);
    - writes a shared "changed" event naming the changed fields (nothing when nothing
      changed).
    """
    _require_writer(user, deal.partner_id)
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(
            locked,
            Deal.UNDECIDED_STATUSES,
            _("A decided registration no longer changes; ask your channel manager."),
        )
        clean = _clean(partner_id=locked.partner_id, values=fields, deal=locked)
        changed: list[str] = []
        products = clean.pop("products", None)
        if products is not None:
            current = set(locked.products.values_list("pk", flat=True))
            if current != {p.pk for p in products}:
                locked.products.set(products)
                changed.append("products")
        old_domain = locked.domain
        for name, value in clean.items():
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        if not changed:
            return locked
        if locked.domain != old_domain:
            with scope(partner=locked.partner_id):
                if (
                    Deal.objects.filter(
                        partner_id=locked.partner_id,
                        domain=locked.domain,
                        status__in=Deal.OPEN_STATUSES,
                    )
                    .exclude(pk=locked.pk)
                    .exists()
                ):
                    raise _duplicate_error()
        try:
            with transaction.atomic():
                locked.save(update_fields=[n for n in changed if n != "products"] + ["updated_at"])
        except IntegrityError as error:
            if "deal_one_open_per_partner_domain" in str(error):
                raise _duplicate_error() from None
            raise
        labels = ", ".join(str(_LABELS.get(n, n)) for n in changed)
        _event(locked, user, Action.CHANGED, detail=_("Changed: %(fields)s.") % {"fields": labels})
        if locked.domain != old_domain:
            with scopes_disabled():
                DealConflict.objects.filter(deal=locked).filter(
                    Q(other_deal__isnull=False) & ~Q(other_deal__domain=locked.domain)
                    | Q(protected_account__isnull=False)
                    & ~Q(protected_account__domain=locked.domain)
                ).delete()
            _flag_conflicts(locked)
    return locked


def deal_answer(*, deal: Deal, user: User, notes: str) -> Deal:
    """The partner answers a request for more information: the registration is under
    review again.

    Rules: an admin or sales rep of the partner; the deal waits for information; the
    answer is required and recorded as a shared event; the channel manager is emailed.
    """
    _require_writer(user, deal.partner_id)
    answer = _not_blank("notes", notes)
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(
            locked, (DS.MORE_INFO,), _("No information was asked for on this registration.")
        )
        locked.status = DS.SUBMITTED
        locked.save(update_fields=["status", "updated_at"])
        _event(
            locked,
            user,
            Action.ANSWERED,
            old=DS.MORE_INFO,
            new=DS.SUBMITTED,
            detail=answer,
            email=True,
        )
    return locked


# --- the staff decision -----------------------------------------------------------------


def deal_clear_conflict(*, deal: Deal, actor: User, note: str = "") -> Deal:
    """Staff mark the conflicts of an undecided registration as reviewed: it may then be
    approved.

    Rules: staff with `deals.change_deal`; the deal is undecided and has conflicts not
    yet reviewed; recorded as a non-shared event with the note.
    """
    _require_decider(actor)
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(
            locked, Deal.UNDECIDED_STATUSES, _("This registration has been decided already.")
        )
        if not _has_uncleared_conflicts(locked):
            raise ValidationError({"status": _("This registration has no conflict to review.")})
        locked.conflict_cleared = True
        locked.save(update_fields=["conflict_cleared", "updated_at"])
        _event(locked, actor, Action.CONFLICT_CLEARED, detail=str(note).strip(), shared=False)
    return locked


def deal_approve(*, deal: Deal, actor: User, note: str = "") -> Deal:
    """Approve a registration: the partner's deal is protected for the program's
    exclusivity period.

    Rules:
    - staff with `deals.change_deal`; the deal is under review or waits for information;
    - the domain is checked for conflicts again; a conflict not reviewed yet
      (`deal_clear_conflict`) refuses the approval on "status" (a newly found one is
      recorded first, then refused);
    - `expires_on` = today + `DealProgram.exclusivity_days` (the last protected day);
    - the estimated amount enters the results stream as an opportunity;
    - a shared "approved" event; the partner is emailed after commit.
    """
    _require_decider(actor)
    refused = False
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(
            locked, Deal.UNDECIDED_STATUSES, _("This registration has been decided already.")
        )
        _flag_conflicts(locked)
        if _has_uncleared_conflicts(locked):
            refused = True
        else:
            now = clock.now()
            program = DealProgram.current()
            old = locked.status
            locked.status = DS.APPROVED
            locked.decided_at = now
            locked.decided_by = actor  # type: ignore[assignment]
            locked.decision_reason = str(note).strip()
            locked.expires_on = clock.today() + timedelta(days=program.exclusivity_days)
            locked.save(
                update_fields=[
                    "status",
                    "decided_at",
                    "decided_by",
                    "decision_reason",
                    "expires_on",
                    "updated_at",
                ]
            )
            _event(
                locked,
                actor,
                Action.APPROVED,
                old=old,
                new=locked.expires_on.isoformat(),
                detail=locked.decision_reason,
                email=True,
            )
            _result(locked, EventKind.OPPORTUNITY, at=now, amount=locked.amount)
    if refused:
        # Outside the transaction: conflicts found just now stay recorded.
        raise ValidationError(
            {"status": _("Review the conflicts of this registration before approving it.")}
        )
    return locked


def deal_reject(*, deal: Deal, actor: User, reason: str) -> Deal:
    """Reject a registration with a reason the partner reads.

    Rules: staff with `deals.change_deal`; the deal is undecided; the reason is
    required; a shared "rejected" event; the partner is emailed after commit.
    """
    _require_decider(actor)
    text = _not_blank("reason", reason)
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(
            locked, Deal.UNDECIDED_STATUSES, _("This registration has been decided already.")
        )
        old = locked.status
        locked.status = DS.REJECTED
        locked.decided_at = clock.now()
        locked.decided_by = actor  # type: ignore[assignment]
        locked.decision_reason = text
        locked.save(
            update_fields=["status", "decided_at", "decided_by", "decision_reason", "updated_at"]
        )
        _event(locked, actor, Action.REJECTED, old=old, new=DS.REJECTED, detail=text, email=True)
    return locked


def deal_request_info(*, deal: Deal, actor: User, question: str) -> Deal:
    """Ask the partner for more information before deciding.

    Rules: staff with `deals.change_deal`; the deal is under review; the question is
    required; a shared event with the question; the partner is emailed after commit.
    """
    _require_decider(actor)
    text = _not_blank("question", question)
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(
            locked, (DS.SUBMITTED,), _("Only a registration under review can be asked about.")
        )
        locked.status = DS.MORE_INFO
        locked.save(update_fields=["status", "updated_at"])
        _event(
            locked,
            actor,
            Action.MORE_INFO,
            old=DS.SUBMITTED,
            new=DS.MORE_INFO,
            detail=text,
            email=True,
        )
    return locked


# --- extensions -------------------------------------------------------------------------


def extension_request(*, deal: Deal, user: User, reason: str) -> DealExtension:
    """The partner asks for more protected time on an approved deal.

    Rules: an admin or sales rep of the partner; the deal is approved; a reason is
    required; one pending request at a time (the constraint
    `dealextension_one_pending` decides between two at once); a shared event; the
    channel manager is emailed after commit.
    """
    _require_writer(user, deal.partner_id)
    text = _not_blank("reason", reason)
    pending = _("An extension request is already waiting for a decision.")
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(locked, (DS.APPROVED,), _("Only an approved deal can be extended."))
        with scope(partner=locked.partner_id):
            if DealExtension.objects.filter(
                deal=locked, status=DealExtension.Status.PENDING
            ).exists():
                raise ValidationError({"status": pending})
            try:
                with transaction.atomic():
                    extension = DealExtension.objects.create(
                        deal=locked,
                        partner_id=locked.partner_id,
                        requested_by=user,
                        requested_at=clock.now(),
                        reason=text,
                    )
            except IntegrityError:
                raise ValidationError({"status": pending}) from None
        _event(locked, user, Action.EXTENSION_REQUESTED, detail=text, email=True)
    return extension


def extension_approve(
    *, extension: DealExtension, actor: User, days: int | None = None
) -> DealExtension:
    """Approve an extension: `days` (default `DealProgram.extension_days`) are added to
    the deal's `expires_on`.

    Rules: staff with `deals.change_dealextension`; the request is pending and its deal
    approved (a deal whose expiry waits on a pending request is not expired by the
    daily job); 1 to 365 days; a shared event old → new expiry; the partner is
    emailed after commit.
    """
    _require_decider(actor, EXTENSION_PERMISSION)
    if days is None:
        days = DealProgram.current().extension_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValidationError(
            {"days": _("Enter a number of days from 1 to %(max)s.") % {"max": MAX_EXTENSION_DAYS}}
        )
    with transaction.atomic():
        deal, locked = _lock_extension(extension)
        if locked.status != DealExtension.Status.PENDING:
            raise ValidationError({"status": _("This extension request has been decided.")})
        _require_status(deal, (DS.APPROVED,), _("Only an approved deal can be extended."))
        old_expiry = deal.expires_on
        assert old_expiry is not None  # an approved deal has an expiry
        deal.expires_on = old_expiry + timedelta(days=days)
        deal.save(update_fields=["expires_on", "updated_at"])
        locked.status = DealExtension.Status.APPROVED
        locked.days = days
        locked.decided_by = actor  # type: ignore[assignment]
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "days", "decided_by", "decided_at"])
        _event(
            deal,
            actor,
            Action.EXTENSION_APPROVED,
            old=old_expiry.isoformat(),
            new=deal.expires_on.isoformat(),
            email=True,
        )
    extension.status, extension.days = locked.status, locked.days
    return locked


def extension_reject(*, extension: DealExtension, actor: User, reason: str) -> DealExtension:
    """Refuse an extension with a reason the partner reads.

    Rules: staff with `deals.change_dealextension`; the request is pending; a reason
    is required; a shared event; the partner is emailed after commit.
    """
    _require_decider(actor, EXTENSION_PERMISSION)
    text = _not_blank("reason", reason)
    with transaction.atomic():
        deal, locked = _lock_extension(extension)
        if locked.status != DealExtension.Status.PENDING:
            raise ValidationError({"status": _("This extension request has been decided.")})
        locked.status = DealExtension.Status.REJECTED
        locked.decided_by = actor  # type: ignore[assignment]
        locked.decided_at = clock.now()
        locked.decision_reason = text
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        _event(deal, actor, Action.EXTENSION_REJECTED, detail=text, email=True)
    extension.status = locked.status
    return locked


# --- stage and close --------------------------------------------------------------------


def deal_set_stage(*, deal: Deal, user: User, stage: str) -> Deal:
    """The partner moves the stage of its approved deal.

    Rules: an admin or sales rep of the partner; the deal is approved; a stage from
    the list; a shared event old → new (nothing when unchanged).
    """
    _require_writer(user, deal.partner_id)
    if stage not in Deal.Stage.values:
        raise ValidationError({"stage": _("Choose a stage from the list.")})
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(
            locked, (DS.APPROVED,), _("Only an approved deal moves through the stages.")
        )
        if locked.stage == stage:
            return locked
        old = locked.stage
        locked.stage = stage
        locked.save(update_fields=["stage", "updated_at"])
        _event(locked, user, Action.STAGE_CHANGED, old=old, new=stage)
    return locked


def _occurred_at(value: datetime | None) -> datetime:
    now = clock.now()
    if value is None:
        return now
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValidationError({"occurred_at": _("Give a date and time with its time zone.")})
    if value > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"occurred_at": _("The close cannot be in the future.")})
    return value


def deal_close_won(
    *, deal: Deal, user: User, amount: Decimal | str, occurred_at: datetime | None = None
) -> Deal:
    """The partner closes its approved deal as won, with the amount.

    Rules: an admin or sales rep of the partner; the deal is approved; amount ≥ 0 with
    at most two decimals (in the deal's currency); `occurred_at` aware and not in the
    future (default now); the win enters the results stream (`deal:<uuid>:won`, with
    the amount, partner and launch) in the same transaction; a shared event.
    """
    _require_writer(user, deal.partner_id)
    try:
        won = to_money(amount, allow_zero=True)
    except ValueError as error:
        raise ValidationError({"amount": str(error)}) from None
    at = _occurred_at(occurred_at)
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(locked, (DS.APPROVED,), _("Only an approved deal can be closed."))
        locked.status = DS.WON
        locked.won_amount = won
        locked.closed_at = at
        locked.save(update_fields=["status", "won_amount", "closed_at", "updated_at"])
        _event(locked, user, Action.WON, old=DS.APPROVED, new=f"{won} {locked.currency}")
        _result(locked, EventKind.WON, at=at, amount=won)
    return locked


def deal_close_lost(
    *, deal: Deal, user: User, reason: str, occurred_at: datetime | None = None
) -> Deal:
    """The partner closes its approved deal as lost, with the reason.

    Rules: an admin or sales rep of the partner; the deal is approved; a reason is
    required; the loss enters the results stream (`deal:<uuid>:lost`, partner and
    launch, no amount) in the same transaction; a shared event.
    """
    _require_writer(user, deal.partner_id)
    text = _not_blank("reason", reason)
    at = _occurred_at(occurred_at)
    with transaction.atomic():
        locked = _lock(deal)
        _require_status(locked, (DS.APPROVED,), _("Only an approved deal can be closed."))
        locked.status = DS.LOST
        locked.lost_reason = text
        locked.closed_at = at
        locked.save(update_fields=["status", "lost_reason", "closed_at", "updated_at"])
        _event(locked, user, Action.LOST, old=DS.APPROVED, new=DS.LOST, detail=text)
        _result(locked, EventKind.LOST, at=at, amount=None)
    return locked


# --- the daily job ----------------------------------------------------------------------


def deals_expire(*, today: date | None = None) -> int:
    """Expire the approved deals whose protection ended before `today` (default the
    clock's today); answers how many.

    Rules: `expires_on` < today; a deal with a pending extension request waits for the
    decision (the partner asked in time); each deal in its own transaction, locked and
    checked again, so the job is safe to run twice or beside a close; a shared
    "expired" event by the system.
    """
    day = today or clock.today()
    with scopes_disabled():  # the daily job spans partners
        due = list(
            Deal.objects.filter(status=DS.APPROVED, expires_on__lt=day)
            .exclude(extensions__status=DealExtension.Status.PENDING)
            .values_list("pk", flat=True)
        )
    expired = 0
    for deal_id in due:
        with transaction.atomic(), scopes_disabled():
            locked = (
                Deal.objects.select_for_update(of=("self",))
                .filter(pk=deal_id, status=DS.APPROVED, expires_on__lt=day)
                .first()
            )
            if (
                locked is None
                or locked.extensions.filter(status=DealExtension.Status.PENDING).exists()
            ):
                continue
            locked.status = DS.EXPIRED
            locked.save(update_fields=["status", "updated_at"])
            _event(
                locked,
                None,
                Action.EXPIRED,
                old=DS.APPROVED,
                new=DS.EXPIRED,
                detail=_("Protected until %(date)s.") % {"date": locked.expires_on},
            )
            expired += 1
    return expired


def deal_expiry_reminders(*, today: date | None = None) -> int:
    """Remind the partner 14 and 3 days before an approved deal's protection ends;
    answers how many reminders were recorded.

    Rules: each reminder once per expiry date (`DealReminder`, its constraint decides
    between two runs): an extension moves the date and the reminders come again; a run
    that was missed catches up with the nearest reminder only (a deal 2 days from
    expiry gets the 3-day one, never also the 14-day one); a shared "reminded" event,
    emailed to the partner after commit.
    """
    day = today or clock.today()
    horizon = day + timedelta(days=max(REMINDER_DAYS))
    with scopes_disabled():
        candidates = list(
            Deal.objects.filter(
                status=DS.APPROVED, expires_on__gte=day, expires_on__lte=horizon
            ).values_list("pk", "expires_on")
        )
    sent = 0
    for deal_id, expires_on in candidates:
        assert expires_on is not None  # filtered on it
        remaining = (expires_on - day).days
        due = min(days for days in REMINDER_DAYS if days >= remaining)
        with transaction.atomic(), scopes_disabled():
            locked = (
                Deal.objects.select_for_update(of=("self",))
                .filter(pk=deal_id, status=DS.APPROVED, expires_on=expires_on)
                .first()
            )
            if locked is None:
                continue
            already = DealReminder.objects.filter(
                deal=locked, expires_on=expires_on, days_before__lte=due
            ).exists()
            if already:
                continue
            try:
                with transaction.atomic():
                    DealReminder.objects.create(
                        deal=locked,
                        partner_id=locked.partner_id,
                        expires_on=expires_on,
                        days_before=due,
                    )
            except IntegrityError:
                continue  # another run reminded it
            _event(
                locked,
                None,
                Action.REMINDED,
                new=str(due),
                detail=_("Protected until %(date)s.") % {"date": expires_on.isoformat()},
                email=True,
            )
            sent += 1
    return sent
