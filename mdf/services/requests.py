"""Fund requests (pre-approval): drafted and changed by the partner (or staff on its
behalf), submitted before the deadlines, decided by the channel manager and, above the
pool's threshold, by finance; an approval commits the fund's share, a close releases
what was not spent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from campaigns.models import Launch
from mdf import clock, ledger
from mdf.models import ZERO, ActivityType, Allocation, Claim, FundPool, FundRequest, LedgerEntry
from mdf.money import format_money
from mdf.services.amounts import check_share, not_available_message, parse_amount
from mdf.services.decisions import (
    ANY_REQUEST_PERMISSION,
    DECIDE_PERMISSION,
    FINANCE_PERMISSION,
    REQUEST_STATE_FIELDS,
    check_not_own,
    release_commitment,
    require_note,
    take_open_commitment,
)
from mdf.services.edits import REQUEST_EDITABLE_FIELDS, refuse_unknown_changes, save_edit
from mdf.services.locking import lock_request
from mdf.services.trail import record_event
from partners.models import Partner

RS = FundRequest.Status
CS = Claim.Status
Kind = LedgerEntry.Kind


def _retired_type(activity_type: ActivityType) -> str:
    return _("“%(type)s” is no longer offered: choose another activity type.") % {
        "type": activity_type.name
    }


def _clean_request_fields(
    *,
    pool: FundPool,
    partner_id: int,
    activity_type: ActivityType | None,
    title: str,
    description: str,
    activity_start: date,
    activity_end: date,
    requested_amount: object,
    expected_leads: int,
    expected_pipeline: object,
    launch: Launch | None = None,
) -> dict[str, object]:
    """The checks a request's own fields pass, when it is drafted and on every edit.

    Rules: an activity type still offered (not retired); a title (at most 200
    characters) and a description;
    expected leads a whole number, 0 or more; a positive amount whose fund share (by
    the pool's percentage) does not round to nothing; a pipeline of 0 or more; the
    activity not ending before it starts; the campaign launch it funds, when it names
    one, the partner's own (another partner's reads as one that does not exist).
    Returns the cleaned values by field name.
    """
    title = (title or "").strip()
    description = (description or "").strip()
    errors: dict[str, Any] = {}
    if not isinstance(activity_type, ActivityType):
        errors["activity_type"] = _("Choose an activity type.")
    elif not activity_type.active:
        errors["activity_type"] = _retired_type(activity_type)
    if not title:
        errors["title"] = _("Give the activity a title.")
    elif len(title) > 200:
        errors["title"] = _("The title is at most 200 characters.")
    if not description:
        errors["description"] = _("Describe the activity.")
    if not isinstance(expected_leads, int) or expected_leads < 0:
        errors["expected_leads"] = _("Expected leads is a whole number, 0 or more.")
    if not isinstance(activity_start, date):
        errors["activity_start"] = _("Enter the date the activity starts.")
    if not isinstance(activity_end, date):
        errors["activity_end"] = _("Enter the date the activity ends.")
    elif isinstance(activity_start, date) and activity_end < activity_start:
        errors["activity_end"] = _("The activity cannot end before it starts.")
    if launch is not None and (not isinstance(launch, Launch) or launch.partner_id != partner_id):
        errors["launch"] = _("Choose one of your own campaign launches.")
    # Every field's error at once: the amounts are checked even when others failed.
    try:
        amount = parse_amount(requested_amount, field="requested_amount")
        check_share(amount, pool, "requested_amount")
    except ValidationError as exc:
        exc.update_error_dict(errors)
    try:
        pipeline = (
            ZERO
            if expected_pipeline in (None, "", ZERO, 0)
            else parse_amount(expected_pipeline, field="expected_pipeline")
        )
    except ValidationError as exc:
        exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return {
        "activity_type": activity_type,
        "title": title,
        "description": description,
        "activity_start": activity_start,
        "activity_end": activity_end,
        "requested_amount": amount,
        "expected_leads": expected_leads or 0,
        "expected_pipeline": pipeline,
        "launch": launch,
    }


@transaction.atomic
def request_create(
    *,
    partner: Partner,
    allocation: Allocation,
    activity_type: ActivityType,
    title: str,
    description: str,
    activity_start: date,
    activity_end: date,
    requested_amount: object,
    actor: User,
    expected_leads: int = 0,
    expected_pipeline: object = ZERO,
    submit: bool = False,
    launch: Launch | None = None,
) -> FundRequest:
    """Draft a fund request. The allocation must be the partner's own; the fields pass
    `_clean_request_fields`. Staff drafting for a partner are recorded as acting on
    its behalf ("created_on_behalf"); they then cannot decide it. With `submit`, it is
    submitted in the same transaction (`request_submit`'s rules): all or nothing."""
    if allocation.partner_id != partner.pk:
        # Another partner's allocation: answer as if it did not exist.
        raise ValidationError({"allocation": _("Choose one of your allocations.")})
    cleaned = _clean_request_fields(
        pool=allocation.pool,
        partner_id=partner.pk,
        launch=launch,
        activity_type=activity_type,
        title=title,
        description=description,
        activity_start=activity_start,
        activity_end=activity_end,
        requested_amount=requested_amount,
        expected_leads=expected_leads,
        expected_pipeline=expected_pipeline,
    )
    with scopes_disabled():
        fund_request = FundRequest.objects.create(
            partner=partner,
            allocation=allocation,
            created_by=actor,
            created_at=clock.now(),
            **cleaned,
        )
    record_event(
        partner_id=partner.pk,
        actor=actor,
        action="created_on_behalf" if actor.is_staff else "created",
        request=fund_request,
        new_status=RS.DRAFT,
    )
    return request_submit(fund_request=fund_request, actor=actor) if submit else fund_request


@transaction.atomic
def request_update(
    *, fund_request: FundRequest, actor: User, submit: bool = False, **changes: object
) -> FundRequest:
    """Change a draft request: any of its activity type, title, description, dates,
    requested amount, expected results and the campaign launch it funds
    (`REQUEST_EDITABLE_FIELDS`); the rest stays.

    Rules: only a draft can be changed (a submitted request is being decided and a
    decided one is history; requests have no "returned" state). The request as
    changed passes the same checks as a new one (`_clean_request_fields`); its
    partner and allocation never change. Deadlines and what is available are checked
    when it is submitted, as for any draft. An edit that changes something is
    recorded ("edited", old → new in the note), by the partner or staff on its
    behalf; one that changes nothing records nothing. With `submit`, the request is
    then submitted in the same transaction (`request_submit`'s rules).
    """
    refuse_unknown_changes(changes, REQUEST_EDITABLE_FIELDS)
    locked = lock_request(fund_request.pk)
    if locked.status != RS.DRAFT:
        raise ValidationError({"status": _("Only a draft can be changed.")})
    current = {name: getattr(locked, name) for name in REQUEST_EDITABLE_FIELDS}
    cleaned = _clean_request_fields(
        pool=locked.allocation.pool,
        partner_id=locked.partner_id,
        **{**current, **changes},  # type: ignore[arg-type]
    )
    save_edit(locked, current, cleaned, actor=actor, currency=locked.allocation.pool.currency)
    return request_submit(fund_request=locked, actor=actor) if submit else locked


@transaction.atomic
def request_submit(*, fund_request: FundRequest, actor: User) -> FundRequest:
    """Submit a draft for decision.

    Rules: before the pool's request deadline and before the activity starts; an
    activity type still offered (a draft whose type was retired since must change it);
    the fund's share of the amount must fit in what the allocation has available now.
    Staff may submit on the partner's behalf (recorded); they then cannot approve it.
    """
    locked = lock_request(fund_request.pk)
    if locked.status != RS.DRAFT:
        raise ValidationError({"status": _("Only a draft can be submitted.")})
    pool = locked.allocation.pool
    today = clock.today()
    if today > pool.request_deadline:
        raise ValidationError(
            {
                "activity_start": _("The request deadline of %(pool)s was %(date)s.")
                % {"pool": pool.name, "date": date_format(pool.request_deadline)}
            }
        )
    if locked.activity_start <= today:
        raise ValidationError(
            {"activity_start": _("Requests must be submitted before the activity starts.")}
        )
    if not locked.activity_type.active:
        raise ValidationError({"activity_type": _retired_type(locked.activity_type)})
    allocation = locked.allocation
    share = check_share(locked.requested_amount, pool, "requested_amount")
    if share > allocation.available:
        raise ValidationError(
            {"requested_amount": not_available_message(share, allocation.available, pool)}
        )
    locked.status = RS.SUBMITTED
    locked.submitted_by = actor
    locked.on_behalf = bool(actor.is_staff)
    locked.submitted_at = clock.now()
    locked.save(update_fields=["status", "submitted_by", "on_behalf", "submitted_at"])
    record_event(
        partner_id=locked.partner_id,
        actor=actor,
        action="submitted_on_behalf" if locked.on_behalf else "submitted",
        request=locked,
        old_status=RS.DRAFT,
        new_status=RS.SUBMITTED,
        amount=locked.requested_amount,
    )
    return locked


@transaction.atomic
def request_cancel(*, fund_request: FundRequest, actor: User) -> FundRequest:
    """Withdraw a request before it is decided. Nothing was committed, nothing moves."""
    locked = lock_request(fund_request.pk)
    if locked.status not in FundRequest.UNDECIDED:
        raise ValidationError({"status": _("Only undecided requests can be cancelled.")})
    old = locked.status
    locked.status = RS.CANCELLED
    locked.save(update_fields=["status"])
    record_event(
        partner_id=locked.partner_id,
        actor=actor,
        action="cancelled",
        request=locked,
        old_status=old,
        new_status=RS.CANCELLED,
    )
    return locked


def can_decide_request(fund_request: FundRequest, user: User) -> bool:
    """Who may decide a request in its current step."""
    if not user.is_staff or user.pk in (fund_request.created_by_id, fund_request.submitted_by_id):
        return False
    if fund_request.status == RS.SUBMITTED:
        # The partner's channel manager, while still holding a deciding role.
        return (
            fund_request.partner.channel_manager_id == user.pk and user.has_perm(DECIDE_PERMISSION)
        ) or user.has_perm(ANY_REQUEST_PERMISSION)
    if fund_request.status == RS.AWAITING_FINANCE:
        return user.has_perm(FINANCE_PERMISSION)
    return False


def request_decide(
    *,
    fund_request: FundRequest,
    actor: User,
    approve: bool,
    note: str,
    approved_amount: object | None = None,
) -> FundRequest:
    """Approve (fully or partly) or reject a submitted request, always with a note.

    Rules: the partner's channel manager decides first; if the fund's share of the
    approved amount exceeds the pool's finance threshold, a finance approver must
    also approve before anything is committed. Nobody decides what they submitted.
    On final approval the fund's share moves from available to committed; if it
    is not available any more, nothing moves and the error says what is. The request
    is locked, then (by the money movement) its allocation: the lock order.
    """
    note = require_note(note)
    with transaction.atomic():
        locked = lock_request(fund_request.pk)
        if locked.status not in (RS.SUBMITTED, RS.AWAITING_FINANCE):
            raise ValidationError({"status": _("This request is not awaiting a decision.")})
        check_not_own(locked, actor)
        if not can_decide_request(locked, actor):
            raise ValidationError(
                {
                    "decision": _("This request awaits the partner's channel manager.")
                    if locked.status == RS.SUBMITTED
                    else _("This request awaits a finance approver.")
                }
            )
        pool = locked.allocation.pool
        old_status = locked.status
        now = clock.now()
        if old_status == RS.SUBMITTED:
            locked.manager_decided_by, locked.manager_decided_at, locked.manager_note = (
                actor,
                now,
                note,
            )
        else:
            locked.finance_decided_by, locked.finance_decided_at, locked.finance_note = (
                actor,
                now,
                note,
            )

        def save(action: str, *, amount: Decimal | None = None, notify: bool = False) -> None:
            """The request as decided, and this decision's step of the trail."""
            locked.save(update_fields=REQUEST_STATE_FIELDS)
            record_event(
                partner_id=locked.partner_id,
                actor=actor,
                action=action,
                request=locked,
                old_status=old_status,
                new_status=locked.status,
                amount=amount,
                note=note,
                notify=notify,
            )

        if not approve:
            locked.status = RS.REJECTED
            locked.decided_at = now
            save("rejected", notify=True)
            return locked
        ceiling = locked.requested_amount if old_status == RS.SUBMITTED else locked.approved_amount
        amount = (
            ceiling
            if approved_amount in (None, "")
            else parse_amount(approved_amount, field="approved_amount")
        )
        if amount > ceiling:
            raise ValidationError(
                {
                    "approved_amount": _("At most %(max)s can be approved.")
                    % {"max": format_money(ceiling, pool.currency)}
                }
            )
        share = check_share(amount, pool, "approved_amount")
        locked.approved_amount = amount
        if old_status == RS.SUBMITTED and share > pool.finance_threshold:
            locked.status = RS.AWAITING_FINANCE
            save("approved_by_manager", amount=amount)
            return locked
        locked.commitment = share
        locked.status = RS.APPROVED
        locked.decided_at = now
        save(
            "approved" if amount == locked.requested_amount else "approved_partly",
            amount=amount,
            notify=True,
        )
        try:
            ledger.append(
                locked.allocation,
                kind=Kind.COMMIT,
                amount=share,
                actor=actor,
                request=locked,
                memo=locked.title,
                require_available=share,
                d_committed=share,
            )
        except ledger.NotEnoughAvailable as exc:
            # Leaving the block rolls back the request and its event: nothing moved.
            raise ValidationError(
                {"approved_amount": not_available_message(share, exc.available, pool)}
            ) from None
        return locked


def request_release(*, fund_request: FundRequest, actor: User, note: str = "") -> FundRequest:
    """Close an approved request and release what it has not spent back to available.

    Claims still awaiting a decision keep their part: release them first.
    """
    with transaction.atomic():
        locked = lock_request(fund_request.pk)
        if locked.status != RS.APPROVED:
            raise ValidationError({"status": _("Only an approved request can be closed.")})
        with scopes_disabled():
            pending = locked.claims.filter(status__in=(CS.SUBMITTED, CS.RETURNED)).exists()
        if pending:
            raise ValidationError(
                {"status": _("A claim on this request awaits a decision; close it afterwards.")}
            )
        released = take_open_commitment(locked)
        locked.status = RS.CLOSED
        locked.save(update_fields=REQUEST_STATE_FIELDS)
        record_event(
            partner_id=locked.partner_id,
            actor=actor,
            action="closed",
            request=locked,
            old_status=RS.APPROVED,
            new_status=RS.CLOSED,
            amount=released,
            note=note,
        )
        release_commitment(
            locked.allocation, locked, released, actor=actor, memo=note or _("Request closed")
        )
        return locked
