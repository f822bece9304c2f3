"""Writes of deal registration (docs/deals.md): register with the conflict check, the
partner's answers and edits, the staff decision, extensions, stage and close, and the
daily expiry job with its reminders.

Who does what:
- the partner's admins and sales reps (`can_register_deals`) register, edit, answer,
  ask for extensions, move the stage and close; so may a staff integration key (the
  vendor's CRM) for the partner it names (`registration_partner`: which partner a
  caller registers for); marketers and staff people do not;
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

Beside this module: `deal_input` (the fields and their checks), `deal_trail` (locks,
events, results stream, the conflict check) and `deal_expiry` (the daily job); this
module re-exports their public names.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from analytics.models import EventKind
from deals.models import (
    Deal,
    DealConflict,
    DealEvent,
    DealExtension,
    DealProgram,
    LeadOffer,
)
from deals.services.deal_expiry import REMINDER_DAYS, deal_expiry_reminders, deals_expire
from deals.services.deal_input import (
    INPUT_FIELDS,
    DealInput,
    clean_fields,
    duplicate_error,
    normalise_domain,
    required_text,
)
from deals.services.deal_trail import (
    RESULT_SOURCE,
    flag_conflicts,
    has_uncleared_conflicts,
    lock_deal,
    lock_extension,
    record_event,
    require_status,
    result_event,
)
from mdf import clock
from mdf.money import to_money
from partners.models import Membership, Partner
from partners.selectors import partner_named
from partners.services import API_KEY_USERNAME_PREFIX

__all__ = [
    "DEAL_WRITER_ROLES",
    "DECIDE_PERMISSION",
    "EXTENSION_PERMISSION",
    "REMINDER_DAYS",
    "RESULT_SOURCE",
    "DealInput",
    "can_decide",
    "can_decide_deals",
    "can_register_deals",
    "is_staff_key",
    "protected_until_if_approved_today",
    "registration_partner",
    "deal_answer",
    "deal_approve",
    "deal_clear_conflict",
    "deal_decision_blocker",
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
MAX_EXTENSION_DAYS = 365
# A close reported a little ahead of our clock is a clock difference, not the future.
FUTURE_TOLERANCE = timedelta(minutes=5)


# --- who may ----------------------------------------------------------------------------


def _membership(user: User | AnonymousUser) -> Membership | None:
    # Not `is_active`: an API key's own user is inactive and acts with its membership.
    if not user.is_authenticated or user.is_staff:
        return None
    with scopes_disabled():  # the user's own membership: resolving who asks
        return Membership.objects.filter(user=user).first()


def is_staff_key(user: User | AnonymousUser) -> bool:
    """A staff integration key's own user (the vendor's CRM): staff, never a person
    (people cannot choose a username with the key prefix), never logs in."""
    return bool(
        user.is_authenticated
        and user.is_staff
        and user.get_username().startswith(API_KEY_USERNAME_PREFIX)
    )


def can_register_deals(user: User | AnonymousUser, partner_id: int) -> bool:
    """An admin or sales rep of this partner (a person or its API key's own user), or a
    staff integration key acting for the partner it names."""
    if is_staff_key(user):
        return True
    membership = _membership(user)
    return (
        membership is not None
        and membership.partner_id == partner_id
        and membership.role in DEAL_WRITER_ROLES
    )


def registration_partner(*, user: User | AnonymousUser, named: str = "") -> Partner:
    """The partner `user` registers a deal for, from the `partner` the caller named (a
    slug or UUID; "" when it named none).

    Rules (those of the results sync: `partners.selectors.partners_named` decides which
    partners a caller may name):
    - a staff integration key acts for every partner, so it names one: none is an error
      on "partner" (code "required"), an unknown one too, and so is a partner that is
      not active (only active partners register deals);
    - a partner's caller (its people, its key) registers for its own partner: it may
      leave `partner` out or name its own; any other name, another partner's or one
      that does not exist, is the same error on "partner", so it learns nothing;
    - anyone else (staff people, users of no partner) is refused (`PermissionDenied`).
    Whether the caller's role may register at all is `deal_register`'s rule.
    """
    named = (named or "").strip()
    if is_staff_key(user):
        if not named:
            raise ValidationError(
                {
                    "partner": ValidationError(
                        _("Name the partner (its UUID or slug): a staff key acts for all."),
                        code="required",
                    )
                }
            )
        partner = partner_named(name=named, own=None)
        if partner is None:
            raise ValidationError(
                {
                    "partner": ValidationError(
                        _("No partner with this UUID or slug."), code="does_not_exist"
                    )
                }
            )
        if partner.status != Partner.Status.ACTIVE:
            raise ValidationError({"partner": _("Only active partners register deals.")})
        return partner
    membership = _membership(user)
    if membership is None:
        raise PermissionDenied(_("Only the partner's admins and sales reps work its deals."))
    own = membership.partner
    if not named:
        return own
    if partner_named(name=named, own=own) is None:
        raise ValidationError(
            {
                "partner": ValidationError(
                    _("You register deals for your own partner only (%(slug)s).")
                    % {"slug": own.slug},
                    code="does_not_exist",
                )
            }
        )
    return own


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


def _duplicate_or_raise(error: IntegrityError, deal: Deal) -> NoReturn:
    """Turn the verdict of `deal_one_open_per_partner_domain` into the field error; any
    other integrity error is raised as it is. Asked of the data, not of the error's
    text (SQLite does not name the constraint); the savepoint has rolled back, so the
    query sees the registration that won."""
    with scope(partner=deal.partner_id):
        taken = (
            Deal.objects.filter(
                partner_id=deal.partner_id, domain=deal.domain, status__in=Deal.OPEN_STATUSES
            )
            .exclude(pk=deal.pk)
            .exists()
        )
    if taken:
        raise duplicate_error() from None
    raise error


def can_decide(user: User | AnonymousUser, permission: str = DECIDE_PERMISSION) -> bool:
    """Active staff who decide registrations and hold `permission` too (the extension
    queue asks for `EXTENSION_PERMISSION`)."""
    return can_decide_deals(user) and user.has_perm(permission)


def deal_decision_blocker(
    decision: str, deal: Deal, user: User | AnonymousUser, *, conflicts_open: bool | None = None
) -> str | None:
    """Why `user` may not take `decision` ("clear_conflict", "approve", "reject",
    "request_info") on `deal` now, in the words staff read; None when they may.

    The rules the decisions enforce: only deciders decide; only an undecided registration;
    conflicts are reviewed before approval and only reviewed when there are some; no second
    question while the partner has not answered the last. `conflicts_open` spares the
    query when the caller has annotated it (`has_uncleared_conflicts` otherwise).
    """
    if not can_decide(user):
        return str(_("Only channel managers and marketing admins decide registrations."))
    if deal.status not in Deal.UNDECIDED_STATUSES:
        return str(_("This registration is decided already."))
    if conflicts_open is None:
        conflicts_open = has_uncleared_conflicts(deal)
    if decision == "clear_conflict" and not conflicts_open:
        return str(_("This registration has no conflict to review."))
    if decision == "approve" and conflicts_open:
        return str(_("Mark the conflicts reviewed before approving."))
    if decision == "request_info" and deal.status == DS.MORE_INFO:
        return str(_("The partner has not answered the last question yet."))
    return None


def _require_decider(user: User, permission: str = DECIDE_PERMISSION) -> None:
    if not can_decide(user, permission):
        raise PermissionDenied(_("Only staff who decide deal registrations do this."))


# --- registration -----------------------------------------------------------------------


def deal_register(
    *, partner: Partner, user: User, data: DealInput, lead_offer: LeadOffer | None = None
) -> Deal:
    """Register an opportunity of `partner`'s with one end customer.

    Rules:
    - `user` is an admin or sales rep of the partner (or a staff integration key acting
      for it); the partner is active;
    - every field is checked (`clean_fields`): company; domain (`normalise_domain`); country
      (ISO 3166 alpha-2); products offered now (ids or slugs, at least one); amount
      ≥ 0 with at most two decimals; currency (ISO 4217); expected close date today or
      later; stage; contact; launch one of the partner's own (else "No such launch.");
    - a second open registration of the same domain by the same partner is refused on
      "domain" (checked first; the constraint `deal_one_open_per_partner_domain`
      decides between two registrations at the same moment);
    - the conflict check (`flag_conflicts`) runs in the same transaction and is
      staff-only: the partner sees "Under review" either way;
    - with `lead_offer` (the partner's own accepted offer, not yet converted), the offer
      is linked to the deal; the lead's own state is `lead_convert`'s;
    - writes a shared "registered" event and emails the channel manager after commit.
    """
    _require_writer(user, partner.pk)
    if partner.status != Partner.Status.ACTIVE:
        raise PermissionDenied(_("Only active partners register deals."))
    values = {name: getattr(data, name) for name in INPUT_FIELDS}
    clean = clean_fields(partner_id=partner.pk, values=values)
    products = clean.pop("products")
    with transaction.atomic():
        with scope(partner=partner.pk):
            if Deal.objects.filter(
                partner=partner, domain=clean["domain"], status__in=Deal.OPEN_STATUSES
            ).exists():
                raise duplicate_error()
            deal = Deal(
                partner=partner,
                registered_by=user,
                submitted_at=clock.now(),
                status=DS.SUBMITTED,
                **clean,
            )
            try:
                with transaction.atomic():  # a savepoint: the constraint's verdict
                    deal.save(force_insert=True)
            except IntegrityError as error:
                _duplicate_or_raise(error, deal)
        deal.products.set(products)
        detail = ""
        if lead_offer is not None:
            _link_offer(lead_offer, deal)
            detail = DealEvent.FROM_LEAD
        record_event(deal, user, Action.REGISTERED, new=DS.SUBMITTED, detail=detail, email=True)
        flag_conflicts(deal)
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
        locked = lock_deal(deal)
        require_status(
            locked,
            Deal.UNDECIDED_STATUSES,
            _("A decided registration no longer changes; ask your channel manager."),
        )
        clean = clean_fields(partner_id=locked.partner_id, values=fields, deal=locked)
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
                    raise duplicate_error()
        try:
            with transaction.atomic():
                locked.save(update_fields=[n for n in changed if n != "products"] + ["updated_at"])
        except IntegrityError as error:
            _duplicate_or_raise(error, locked)
        record_event(
            locked,
            user,
            Action.CHANGED,
            detail=DealEvent.CHANGED_FIELDS_PREFIX + ",".join(changed),
        )
        if locked.domain != old_domain:
            with scopes_disabled():
                DealConflict.objects.filter(deal=locked).filter(
                    Q(other_deal__isnull=False) & ~Q(other_deal__domain=locked.domain)
                    | Q(protected_account__isnull=False)
                    & ~Q(protected_account__domain=locked.domain)
                ).delete()
            flag_conflicts(locked)
    return locked


def deal_answer(*, deal: Deal, user: User, notes: str) -> Deal:
    """The partner answers a request for more information: the registration is under
    review again.

    Rules: an admin or sales rep of the partner; the deal waits for information; the
    answer is required and recorded as a shared event; the channel manager is emailed.
    """
    _require_writer(user, deal.partner_id)
    answer = required_text("notes", notes)
    with transaction.atomic():
        locked = lock_deal(deal)
        require_status(
            locked, (DS.MORE_INFO,), _("No information was asked for on this registration.")
        )
        locked.status = DS.SUBMITTED
        locked.save(update_fields=["status", "updated_at"])
        record_event(
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
        locked = lock_deal(deal)
        require_status(
            locked, Deal.UNDECIDED_STATUSES, _("This registration has been decided already.")
        )
        if not has_uncleared_conflicts(locked):
            raise ValidationError({"status": _("This registration has no conflict to review.")})
        locked.conflict_cleared = True
        locked.save(update_fields=["conflict_cleared", "updated_at"])
        record_event(locked, actor, Action.CONFLICT_CLEARED, detail=str(note).strip(), shared=False)
    return locked


def protected_until_if_approved_today() -> date:
    """The last day an approval given today protects a deal: today + the program's
    exclusivity days (`deal_approve` writes it; the decision page shows it)."""
    return clock.today() + timedelta(days=DealProgram.current().exclusivity_days)


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
        locked = lock_deal(deal)
        require_status(
            locked, Deal.UNDECIDED_STATUSES, _("This registration has been decided already.")
        )
        flag_conflicts(locked)
        if has_uncleared_conflicts(locked):
            refused = True
        else:
            now = clock.now()
            old = locked.status
            locked.status = DS.APPROVED
            locked.decided_at = now
            locked.decided_by = actor  # type: ignore[assignment]
            locked.decision_reason = str(note).strip()
            locked.expires_on = protected_until_if_approved_today()
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
            record_event(
                locked,
                actor,
                Action.APPROVED,
                old=old,
                new=locked.expires_on.isoformat(),
                detail=locked.decision_reason,
                email=True,
            )
            result_event(locked, EventKind.OPPORTUNITY, at=now, amount=locked.amount)
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
    text = required_text("reason", reason)
    with transaction.atomic():
        locked = lock_deal(deal)
        require_status(
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
        record_event(
            locked, actor, Action.REJECTED, old=old, new=DS.REJECTED, detail=text, email=True
        )
    return locked


def deal_request_info(*, deal: Deal, actor: User, question: str) -> Deal:
    """Ask the partner for more information before deciding.

    Rules: staff with `deals.change_deal`; the deal is under review; the question is
    required; a shared event with the question; the partner is emailed after commit.
    """
    _require_decider(actor)
    text = required_text("question", question)
    with transaction.atomic():
        locked = lock_deal(deal)
        require_status(
            locked, (DS.SUBMITTED,), _("Only a registration under review can be asked about.")
        )
        locked.status = DS.MORE_INFO
        locked.save(update_fields=["status", "updated_at"])
        record_event(
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
    text = required_text("reason", reason)
    pending = _("An extension request is already waiting for a decision.")
    with transaction.atomic():
        locked = lock_deal(deal)
        require_status(locked, (DS.APPROVED,), _("Only an approved deal can be extended."))
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
        record_event(locked, user, Action.EXTENSION_REQUESTED, detail=text, email=True)
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
        deal, locked = lock_extension(extension)
        if locked.status != DealExtension.Status.PENDING:
            raise ValidationError({"status": _("This extension request has been decided.")})
        require_status(deal, (DS.APPROVED,), _("Only an approved deal can be extended."))
        old_expiry = deal.expires_on
        assert old_expiry is not None  # an approved deal has an expiry
        deal.expires_on = old_expiry + timedelta(days=days)
        deal.save(update_fields=["expires_on", "updated_at"])
        locked.status = DealExtension.Status.APPROVED
        locked.days = days
        locked.decided_by = actor  # type: ignore[assignment]
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "days", "decided_by", "decided_at"])
        record_event(
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
    text = required_text("reason", reason)
    with transaction.atomic():
        deal, locked = lock_extension(extension)
        if locked.status != DealExtension.Status.PENDING:
            raise ValidationError({"status": _("This extension request has been decided.")})
        locked.status = DealExtension.Status.REJECTED
        locked.decided_by = actor  # type: ignore[assignment]
        locked.decided_at = clock.now()
        locked.decision_reason = text
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        record_event(deal, actor, Action.EXTENSION_REJECTED, detail=text, email=True)
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
        locked = lock_deal(deal)
        require_status(locked, (DS.APPROVED,), _("Only an approved deal moves through the stages."))
        if locked.stage == stage:
            return locked
        old = locked.stage
        locked.stage = stage
        locked.save(update_fields=["stage", "updated_at"])
        record_event(locked, user, Action.STAGE_CHANGED, old=old, new=stage)
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
        locked = lock_deal(deal)
        require_status(locked, (DS.APPROVED,), _("Only an approved deal can be closed."))
        locked.status = DS.WON
        locked.won_amount = won
        locked.closed_at = at
        locked.save(update_fields=["status", "won_amount", "closed_at", "updated_at"])
        record_event(locked, user, Action.WON, old=DS.APPROVED, new=f"{won} {locked.currency}")
        result_event(locked, EventKind.WON, at=at, amount=won)
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
    text = required_text("reason", reason)
    at = _occurred_at(occurred_at)
    with transaction.atomic():
        locked = lock_deal(deal)
        require_status(locked, (DS.APPROVED,), _("Only an approved deal can be closed."))
        locked.status = DS.LOST
        locked.lost_reason = text
        locked.closed_at = at
        locked.save(update_fields=["status", "lost_reason", "closed_at", "updated_at"])
        record_event(locked, user, Action.LOST, old=DS.APPROVED, new=DS.LOST, detail=text)
        result_event(locked, EventKind.LOST, at=at, amount=None)
    return locked
