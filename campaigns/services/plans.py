"""Writes of joint marketing plans: the plan, its targets and activities, custom
actuals, comments, and the workflow draft → submitted → approved (or changes requested
→ resubmitted) → closed.

Who does what:
- the partner's admins and marketers write the plan (`can_edit_plan`); its sales reps
  and staff read it; staff never edit a partner's draft;
- staff review (`can_review_plan`): the plan's reviewer, else the partner's channel
  manager; a Marketing admin reviews any plan;
- execution (custom actuals, activity status, comments) is open to the partner's
  writers and the plan's reviewers, and never starts a new revision.

Revisions: each submission freezes a `PlanRevision` whose `content` is the plan as
canonical JSON (`selectors.plan_content`), written once. An edit of an approved plan
first starts a new revision (back to draft, `revision` + 1, "reopened"): the approved
revision stays as it was, and the new one must be approved again.

Every service runs in one transaction, locks the plan row, writes its `PlanEvent` with
the change, and emails after commit (`campaigns.tasks`, by id). Bad input raises a
`ValidationError` keyed by the field; refused actors `PermissionDenied`. Nothing is
stored when either is raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from campaigns import selectors
from campaigns.models import (
    CampaignKit,
    Launch,
    Plan,
    PlanActivity,
    PlanComment,
    PlanEvent,
    PlanPeriod,
    PlanRevision,
    PlanTarget,
    PlanTargetQuarter,
)
from mdf.models import ActivityType, FundRequest
from mdf.money import CENT, MAX_AMOUNT, known_currency
from partners.models import Membership, Partner

PS = Plan.Status
Action = PlanEvent.Action
Measure = PlanTarget.Measure
WRITER_ROLES = (Membership.Role.ADMIN, Membership.Role.MARKETER)
MAX_WEIGHT = Decimal("9999.99")
MAX_COMMENT = 5000
MAX_OBJECTIVES = 20000
# Fields `target_update` and `activity_update` change (status and actuals have theirs).
TARGET_FIELDS = ("measure", "values", "weight", "name", "currency")
ACTIVITY_FIELDS = (
    "title",
    "activity_type",
    "owner_side",
    "start_date",
    "end_date",
    "budget",
    "currency",
    "kit",
    "launch",
    "fund_request",
)


# --- who may ----------------------------------------------------------------------------


def _membership(user: User | AnonymousUser) -> Membership | None:
    # Not `is_active`: an API key's own user is inactive (it never logs in) and acts
    # with its membership's role; a deactivated person is refused at authentication.
    if not user.is_authenticated or user.is_staff:
        return None
    with scopes_disabled():  # the user's own membership: resolving who asks
        return Membership.objects.filter(user=user).first()


def is_partner_writer(user: User | AnonymousUser, partner_id: int) -> bool:
    """An admin or marketer of this partner (a user or its API key's own user)."""
    membership = _membership(user)
    return (
        membership is not None
        and membership.partner_id == partner_id
        and membership.role in WRITER_ROLES
    )


def can_edit_plan(user: User | AnonymousUser, plan: Plan) -> bool:
    """The partner's admins and marketers, while the plan is a draft, has changes
    requested, or is approved (an edit then starts a new revision)."""
    return plan.status in Plan.EDITABLE and is_partner_writer(user, plan.partner_id)


def can_review_plan(user: User | AnonymousUser, plan: Plan) -> bool:
    """Active staff who are the plan's reviewer, else (no reviewer named) the partner's
    channel manager; a Marketing admin may review any plan."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if selectors.is_marketing_admin(user):
        return True
    if plan.reviewer_id is not None:
        return plan.reviewer_id == user.pk
    with scopes_disabled():  # the plan's partner: its channel manager
        manager_id = Partner.objects.filter(pk=plan.partner_id).values_list(
            "channel_manager_id", flat=True
        )[0]
    return manager_id is not None and manager_id == user.pk


def _require_writer(user: User, partner_id: int) -> None:
    if not is_partner_writer(user, partner_id):
        raise PermissionDenied(_("Only the partner's admins and marketers write its plan."))


def _require_execution(user: User, plan: Plan) -> None:
    if not (is_partner_writer(user, plan.partner_id) or can_review_plan(user, plan)):
        raise PermissionDenied(
            _("Only the partner's admins and marketers and the plan's reviewers do this.")
        )


# --- building blocks ----------------------------------------------------------------------


def _lock(plan: Plan) -> Plan:
    with scope(partner=plan.partner_id):
        return (
            Plan.objects.select_for_update(of=("self",))
            .select_related("period", "partner")
            .get(pk=plan.pk)
        )


def _event(plan: Plan, actor: User | None, action: str, detail: str = "") -> PlanEvent:
    with scope(partner=plan.partner_id):
        return PlanEvent.objects.create(
            plan=plan,
            partner_id=plan.partner_id,
            actor=actor,
            action=action,
            revision=plan.revision,
            detail=detail[:500],
        )


def _email_after_commit(event: PlanEvent) -> None:
    from campaigns import tasks  # the tasks call these services: import when used

    transaction.on_commit(partial(tasks.send_plan_event_email.delay, event.pk))


def _editable(plan: Plan, actor: User) -> Plan:
    """Lock the plan for an edit of its content by the partner; an approved plan first
    starts a new revision (the approved one stays as it is)."""
    locked = _lock(plan)
    _require_writer(actor, locked.partner_id)
    if locked.status not in Plan.EDITABLE:
        if locked.status == PS.SUBMITTED:
            message = _("The plan is with its reviewer: wait for the decision to change it.")
        else:
            message = _("A closed plan no longer changes.")
        raise ValidationError({"status": message})
    if locked.status == PS.APPROVED:
        locked.status = PS.DRAFT
        locked.revision += 1
        locked.save(update_fields=["status", "revision", "updated_at"])
        _event(
            locked,
            actor,
            Action.REOPENED,
            _("Revision %(number)s started from the approved one.") % {"number": locked.revision},
        )
    return locked


def _touch(plan: Plan) -> None:
    plan.save(update_fields=["updated_at"])


def _number(value: object, field: str, *, label: str = "") -> Decimal:
    """A number of 0 or more with two decimals at most (targets, actuals, budgets)."""
    prefix = f"{label}: " if label else ""
    if isinstance(value, bool | float) or value is None or value == "":
        raise ValidationError({field: prefix + _("Enter a number like 1500 or 12.5.")})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: prefix + _("Enter a number like 1500 or 12.5.")}) from None
    if not number.is_finite():
        raise ValidationError({field: prefix + _("Enter a number like 1500 or 12.5.")})
    if number < 0:
        raise ValidationError({field: prefix + _("It cannot be negative.")})
    if number > MAX_AMOUNT:
        raise ValidationError({field: prefix + _("It is at most %(max)s.") % {"max": MAX_AMOUNT}})
    if number != number.quantize(CENT):
        raise ValidationError({field: prefix + _("Use at most two decimals.")})
    return number.quantize(CENT)


def _text(value: object, field: str, *, limit: int, required: bool = False) -> str:
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(limit)s characters.") % {"limit": f"{limit:,}"}})
    return text


def _refuse_unknown(changes: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})


# --- the plan -------------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *, partner: Partner, period: PlanPeriod, actor: User, title: str, objectives: str = ""
) -> Plan:
    """Start the partner's plan for a period, as a draft (revision 1).

    Rules: by the partner's admins and marketers; the period open for plans; one plan
    per partner and period (a second: error on "period"); a title of at most 200
    characters. The reviewer is left empty: the partner's channel manager decides.
    """
    _require_writer(actor, partner.pk)
    errors: dict[str, Any] = {}
    if not PlanPeriod.objects.filter(pk=period.pk, is_open=True).exists():
        errors["period"] = _("This period is not open for plans.")
    try:
        title = _text(title, "title", limit=200, required=True)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    try:
        objectives = _text(objectives, "objectives", limit=MAX_OBJECTIVES)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    with scope(partner=partner):
        if "period" not in errors and Plan.objects.filter(partner=partner, period=period).exists():
            errors["period"] = _("You already have a plan for %(period)s.") % {"period": period}
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                plan = Plan.objects.create(
                    partner=partner,
                    period=period,
                    title=title,
                    objectives=objectives,
                    status=PS.DRAFT,
                    created_by=actor,
                )
        except IntegrityError:
            # Two first plans at once: the unique constraint decides, the same error.
            raise ValidationError(
                {"period": _("You already have a plan for %(period)s.") % {"period": period}}
            ) from None
    _event(plan, actor, Action.CREATED)
    return plan


@transaction.atomic
def plan_update(
    *, plan: Plan, actor: User, title: str | None = None, objectives: str | None = None
) -> Plan:
    """Change the plan's title or objectives (None leaves them as they are).

    Rules: by the partner's admins and marketers, while the plan is editable; an edit
    of an approved plan starts a new revision; a write that changes nothing records
    nothing.
    """
    changes: dict[str, str] = {}
    errors: dict[str, Any] = {}
    for name, value, limit, required in (
        ("title", title, 200, True),
        ("objectives", objectives, MAX_OBJECTIVES, False),
    ):
        if value is None:
            continue
        try:
            changes[name] = _text(value, name, limit=limit, required=required)
        except ValidationError as exc:
            exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    current = _lock(plan)
    _require_writer(actor, current.partner_id)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed:
        if current.status not in Plan.EDITABLE:
            _editable(plan, actor)  # the same refusal as an edit
        return current
    locked = _editable(plan, actor)
    for name in changed:
        setattr(locked, name, changes[name])
    locked.save(update_fields=[*changed, "updated_at"])
    _event(locked, actor, Action.CHANGED, ", ".join(changed))
    return locked


# --- targets --------------------------------------------------------------------------------


def _clean_target(
    plan: Plan,
    *,
    measure: object,
    values: object,
    weight: object,
    name: object,
    currency: object,
    exclude_pk: int | None = None,
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    if measure not in Measure.values:
        errors["measure"] = _("Choose one of: %(measures)s.") % {
            "measures": ", ".join(Measure.values)
        }
    cleaned["measure"] = measure
    quarters = plan.period.quarter_count
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        errors["values"] = _("Give one target per quarter of the period (%(n)s).") % {"n": quarters}
    else:
        items = list(values)
        if len(items) != quarters:
            errors["values"] = _("Give one target per quarter of the period (%(n)s).") % {
                "n": quarters
            }
        else:
            try:
                cleaned["values"] = [
                    _number(value, "values", label=_("Quarter %(n)s") % {"n": number})
                    for number, value in enumerate(items, start=1)
                ]
            except ValidationError as exc:
                exc.update_error_dict(errors)
    try:
        cleaned["weight"] = _number(weight, "weight")
    except ValidationError:
        errors["weight"] = _("Give the weight as a number greater than zero, like 1 or 2.5.")
    else:
        if cleaned["weight"] <= 0:
            errors["weight"] = _("The weight must be greater than zero.")
        elif cleaned["weight"] > MAX_WEIGHT:
            errors["weight"] = _("The weight is at most %(max)s.") % {"max": MAX_WEIGHT}
    try:
        cleaned["name"] = _text(name, "name", limit=120, required=measure == Measure.CUSTOM)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    text = str(currency or "").strip()
    if measure in PlanTarget.MONEY:
        try:
            cleaned["currency"] = known_currency(text)
        except ValueError:
            errors["currency"] = _(
                "Pipeline and revenue targets need a currency: a three-letter ISO 4217 code, "
                "like EUR or USD."
            )
    elif text:
        errors["currency"] = _("Only pipeline and revenue targets have a currency.")
    else:
        cleaned["currency"] = ""
    if not errors and measure != Measure.CUSTOM:
        with scope(partner=plan.partner_id):
            twins = PlanTarget.objects.filter(
                plan=plan, measure=measure, currency=cleaned["currency"]
            )
            if exclude_pk is not None:
                twins = twins.exclude(pk=exclude_pk)
            if twins.exists():
                errors["measure"] = _("The plan already has a target on this measure.")
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def target_add(
    *,
    plan: Plan,
    actor: User,
    measure: str,
    values: list[Any],
    weight: object,
    name: str = "",
    currency: str = "",
) -> PlanTarget:
    """Add a target: a KPI (its actuals come from the rollups) or a custom measure.

    Rules: by the partner's writers, on an editable plan (an approved one starts a new
    revision); one value per quarter of the period, each a number ≥ 0 with two decimals
    at most; a weight > 0; a known currency for pipeline and revenue, none otherwise; a
    name for a custom target; one target per KPI (and currency) in a plan.
    """
    locked = _lock(plan)
    _require_writer(actor, locked.partner_id)
    cleaned = _clean_target(
        locked, measure=measure, values=values, weight=weight, name=name, currency=currency
    )
    locked = _editable(plan, actor)
    with scope(partner=locked.partner_id):
        last = PlanTarget.objects.filter(plan=locked).aggregate(last=Max("position"))["last"]
        target = PlanTarget.objects.create(
            plan=locked,
            partner_id=locked.partner_id,
            measure=cleaned["measure"],
            name=cleaned["name"],
            currency=cleaned["currency"],
            weight=cleaned["weight"],
            position=(last or 0) + 1,
        )
        PlanTargetQuarter.objects.bulk_create(
            PlanTargetQuarter(
                target=target, partner_id=locked.partner_id, quarter=number, value=value
            )
            for number, value in enumerate(cleaned["values"], start=1)
        )
    _touch(locked)
    _event(locked, actor, Action.CHANGED, _("Target added: %(target)s") % {"target": target})
    return target


@transaction.atomic
def target_update(*, target: PlanTarget, actor: User, **changes: Any) -> PlanTarget:
    """Change a target's measure, values, weight, name or currency (`target_add`'s
    rules on the target as changed). Entered actuals of a custom target stay."""
    _refuse_unknown(changes, TARGET_FIELDS)
    plan = _lock(target.plan)
    _require_writer(actor, plan.partner_id)
    with scope(partner=plan.partner_id):
        current = PlanTarget.objects.select_for_update(of=("self",)).get(pk=target.pk)
        quarters = list(current.quarters.order_by("quarter"))
    wanted = {
        "measure": current.measure,
        "values": [quarter.value for quarter in quarters],
        "weight": current.weight,
        "name": current.name,
        "currency": current.currency,
        **changes,
    }
    cleaned = _clean_target(plan, exclude_pk=current.pk, **wanted)
    changed = [
        name
        for name in TARGET_FIELDS
        if name != "values" and cleaned[name] != getattr(current, name)
    ]
    values_changed = cleaned["values"] != [quarter.value for quarter in quarters]
    if not changed and not values_changed:
        return current
    locked = _editable(plan, actor)
    with scope(partner=locked.partner_id):
        for name in changed:
            setattr(current, name, cleaned[name])
        if changed:
            current.save(update_fields=changed)
        if values_changed:
            for quarter, value in zip(quarters, cleaned["values"], strict=True):
                if quarter.value != value:
                    quarter.value = value
                    quarter.save(update_fields=["value"])
    _touch(locked)
    what = [*changed, *(["values"] if values_changed else [])]
    _event(
        locked,
        actor,
        Action.CHANGED,
        _("Target changed: %(target)s (%(fields)s)")
        % {"target": current, "fields": ", ".join(what)},
    )
    return current


@transaction.atomic
def target_remove(*, target: PlanTarget, actor: User) -> None:
    """Remove a target (and its quarters), on an editable plan (an approved one starts
    a new revision first)."""
    locked = _editable(target.plan, actor)
    label = str(target)
    with scope(partner=locked.partner_id):
        PlanTarget.objects.filter(pk=target.pk, plan=locked).delete()
    _touch(locked)
    _event(locked, actor, Action.CHANGED, _("Target removed: %(target)s") % {"target": label})


@transaction.atomic
def custom_actual_set(
    *, target: PlanTarget, quarter: int, actual: object, actor: User
) -> PlanTargetQuarter:
    """Enter (or clear, with None) a custom target's actual for one quarter.

    Rules: custom targets only (a KPI's actual is the system's figure: nobody types
    it); the partner's writers or the plan's reviewers; not on a closed plan; a quarter
    of the period; a number ≥ 0 with two decimals at most. Who and when are recorded,
    and an "actual entered" event. Execution, not the plan: no new revision.
    """
    plan = _lock(target.plan)
    _require_execution(actor, plan)
    if target.measure != Measure.CUSTOM:
        raise ValidationError(
            {"actual": _("This target's actuals come from the results: nobody enters them.")}
        )
    if plan.status == PS.CLOSED:
        raise ValidationError({"status": _("A closed plan no longer changes.")})
    if isinstance(quarter, bool) or not isinstance(quarter, int):
        raise ValidationError({"quarter": _("Choose a quarter of the period.")})
    if not 1 <= quarter <= plan.period.quarter_count:
        raise ValidationError({"quarter": _("Choose a quarter of the period.")})
    value = None if actual is None or actual == "" else _number(actual, "actual")
    with scope(partner=plan.partner_id):
        row = PlanTargetQuarter.objects.select_for_update(of=("self",)).get(
            target=target, quarter=quarter
        )
        row.actual = value
        row.actual_entered_by = actor
        row.actual_entered_at = timezone.now()
        row.save(update_fields=["actual", "actual_entered_by", "actual_entered_at"])
    _event(
        plan,
        actor,
        Action.ACTUAL_ENTERED,
        _("%(target)s, quarter %(quarter)s: %(actual)s")
        % {"target": target, "quarter": quarter, "actual": "—" if value is None else value},
    )
    return row


# --- activities -----------------------------------------------------------------------------


def _clean_activity(plan: Plan, values: dict[str, Any], *, new: bool) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    partner = plan.partner
    try:
        cleaned["title"] = _text(values.get("title"), "title", limit=200, required=True)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    activity_type = values.get("activity_type")
    if not isinstance(activity_type, ActivityType):
        errors["activity_type"] = _("Choose the type of activity.")
    elif new and not activity_type.active:
        errors["activity_type"] = _("“%(type)s” is no longer offered: choose another type.") % {
            "type": activity_type.name
        }
    cleaned["activity_type"] = activity_type
    if values.get("owner_side") not in PlanActivity.OwnerSide.values:
        errors["owner_side"] = _("Say who runs it: the vendor or the partner.")
    cleaned["owner_side"] = values.get("owner_side")
    start, end = values.get("start_date"), values.get("end_date")
    period = plan.period
    inside = _("Inside the plan's period: %(start)s to %(end)s.") % {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
    if not isinstance(start, date):
        errors["start_date"] = _("Enter the date it starts.")
    elif not period.start <= start <= period.end:
        errors["start_date"] = inside
    if not isinstance(end, date):
        errors["end_date"] = _("Enter the date it ends.")
    elif not period.start <= end <= period.end:
        errors["end_date"] = inside
    elif isinstance(start, date) and end < start:
        errors["end_date"] = _("It cannot end before it starts.")
    cleaned["start_date"], cleaned["end_date"] = start, end
    try:
        cleaned["budget"] = _number(values.get("budget", 0), "budget")
    except ValidationError as exc:
        exc.update_error_dict(errors)
    try:
        cleaned["currency"] = known_currency(values.get("currency"))
    except ValueError:
        errors["currency"] = _("Use a three-letter ISO 4217 currency code, like EUR or USD.")
    kit, launch, fund_request = values.get("kit"), values.get("launch"), values.get("fund_request")
    # Another partner's launch or fund request, a kit outside the audience: answered
    # as for one that does not exist, so nothing of it leaks.
    if kit is not None and not (
        isinstance(kit, CampaignKit)
        and CampaignKit.objects.available_to(partner).filter(pk=kit.pk).exists()
    ):
        errors["kit"] = _("This campaign kit does not exist.")
    with scope(partner=partner):
        if launch is not None and not (
            isinstance(launch, Launch)
            and Launch.objects.filter(pk=launch.pk, partner=partner).exists()
        ):
            errors["launch"] = _("This launch does not exist.")
        if fund_request is not None and not (
            isinstance(fund_request, FundRequest)
            and FundRequest.objects.filter(pk=fund_request.pk, partner=partner).exists()
        ):
            errors["fund_request"] = _("This fund request does not exist.")
    cleaned["kit"], cleaned["launch"], cleaned["fund_request"] = kit, launch, fund_request
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def activity_add(
    *,
    plan: Plan,
    actor: User,
    title: str,
    activity_type: ActivityType,
    owner_side: str,
    start_date: date,
    end_date: date,
    budget: object,
    currency: str,
    kit: CampaignKit | None = None,
    launch: Launch | None = None,
    fund_request: FundRequest | None = None,
    status: str = PlanActivity.Status.PLANNED,
) -> PlanActivity:
    """Add an activity to the plan.

    Rules: by the partner's writers, on an editable plan (an approved one starts a new
    revision); a title; an offered activity type; the owner side; dates inside the
    plan's period, the end not before the start; a budget ≥ 0 with two decimals at most
    and a known currency; the kit one the partner may see, the launch and the fund
    request the partner's own (otherwise "does not exist" on that field).
    """
    locked = _lock(plan)
    _require_writer(actor, locked.partner_id)
    if status not in PlanActivity.Status.values:
        raise ValidationError({"status": _("Choose a known status.")})
    cleaned = _clean_activity(
        locked,
        {
            "title": title,
            "activity_type": activity_type,
            "owner_side": owner_side,
            "start_date": start_date,
            "end_date": end_date,
            "budget": budget,
            "currency": currency,
            "kit": kit,
            "launch": launch,
            "fund_request": fund_request,
        },
        new=True,
    )
    locked = _editable(plan, actor)
    with scope(partner=locked.partner_id):
        activity = PlanActivity.objects.create(
            plan=locked, partner_id=locked.partner_id, status=status, **cleaned
        )
    _touch(locked)
    _event(
        locked, actor, Action.CHANGED, _("Activity added: %(activity)s") % {"activity": activity}
    )
    return activity


@transaction.atomic
def activity_update(*, activity: PlanActivity, actor: User, **changes: Any) -> PlanActivity:
    """Change an activity's fields (`activity_add`'s rules on the activity as changed;
    an approved plan starts a new revision). Its status has `activity_set_status`."""
    _refuse_unknown(changes, ACTIVITY_FIELDS)
    plan = _lock(activity.plan)
    _require_writer(actor, plan.partner_id)
    with scope(partner=plan.partner_id):
        current = PlanActivity.objects.select_for_update(of=("self",)).get(pk=activity.pk)
    wanted = {name: getattr(current, name) for name in ACTIVITY_FIELDS}
    type_changed = "activity_type" in changes and changes["activity_type"] != current.activity_type
    wanted.update(changes)
    cleaned = _clean_activity(plan, wanted, new=type_changed)
    changed = [name for name in ACTIVITY_FIELDS if cleaned[name] != getattr(current, name)]
    if not changed:
        return current
    locked = _editable(plan, actor)
    for name in changed:
        setattr(current, name, cleaned[name])
    with scope(partner=locked.partner_id):
        current.save(update_fields=[*changed, "updated_at"])
    _touch(locked)
    _event(
        locked,
        actor,
        Action.CHANGED,
        _("Activity changed: %(activity)s (%(fields)s)")
        % {"activity": current, "fields": ", ".join(changed)},
    )
    return current


@transaction.atomic
def activity_remove(*, activity: PlanActivity, actor: User) -> None:
    """Remove an activity (and its comments) from an editable plan (an approved one
    starts a new revision first)."""
    locked = _editable(activity.plan, actor)
    label = str(activity)
    with scope(partner=locked.partner_id):
        PlanComment.objects.filter(activity_id=activity.pk).delete()
        PlanActivity.objects.filter(pk=activity.pk, plan=locked).delete()
    _touch(locked)
    _event(locked, actor, Action.CHANGED, _("Activity removed: %(activity)s") % {"activity": label})


@transaction.atomic
def activity_set_status(*, activity: PlanActivity, status: str, actor: User) -> PlanActivity:
    """Move an activity to planned, in progress, done or cancelled.

    Rules: the partner's writers or the plan's reviewers; not on a closed plan; a known
    status. Execution, not the plan: no new revision, whatever the plan's state.
    """
    plan = _lock(activity.plan)
    _require_execution(actor, plan)
    if status not in PlanActivity.Status.values:
        raise ValidationError({"status": _("Choose a known status.")})
    if plan.status == PS.CLOSED:
        raise ValidationError({"status": _("A closed plan no longer changes.")})
    with scope(partner=plan.partner_id):
        current = PlanActivity.objects.select_for_update(of=("self",)).get(pk=activity.pk)
        if current.status == status:
            return current
        old = current.get_status_display()
        current.status = status
        current.save(update_fields=["status", "updated_at"])
    _event(
        plan,
        actor,
        Action.CHANGED,
        _("%(activity)s: %(old)s → %(new)s")
        % {"activity": current, "old": old, "new": current.get_status_display()},
    )
    return current


# --- the workflow ---------------------------------------------------------------------------


def plan_submit(*, plan: Plan, actor: User) -> Plan:
    """Submit the plan for review: draft or changes requested → submitted.

    Rules: by the partner's writers; at least one target; the plan is frozen as a
    `PlanRevision` (its content the canonical JSON of `selectors.plan_content`, written
    once and never changed), numbered `plan.revision`; the reviewer is emailed.
    """
    with transaction.atomic():
        locked = _lock(plan)
        _require_writer(actor, locked.partner_id)
        if locked.status not in (PS.DRAFT, PS.CHANGES_REQUESTED):
            raise ValidationError(
                {
                    "status": _("A %(status)s plan cannot be submitted.")
                    % {"status": locked.get_status_display().lower()}
                }
            )
        content = selectors.plan_content(plan=locked)
        if not content["targets"]:
            raise ValidationError({"targets": _("Add at least one target before submitting.")})
        now = timezone.now()
        with scope(partner=locked.partner_id):
            PlanRevision.objects.create(
                plan=locked,
                partner_id=locked.partner_id,
                number=locked.revision,
                content=selectors.canonical_json(content),
                submitted_by=actor,
                submitted_at=now,
            )
        locked.status = PS.SUBMITTED
        locked.submitted_at = now
        locked.save(update_fields=["status", "submitted_at", "updated_at"])
        event = _event(
            locked, actor, Action.SUBMITTED, _("Revision %(n)s") % {"n": locked.revision}
        )
        _email_after_commit(event)
    return locked


def _decide(plan: Plan, actor: User, *, approve: bool, note: str) -> Plan:
    with transaction.atomic():
        locked = _lock(plan)
        if not can_review_plan(actor, locked):
            raise PermissionDenied(
                _("Only the plan's reviewer, its partner's manager or a Marketing admin decide.")
            )
        if locked.status != PS.SUBMITTED:
            raise ValidationError(
                {
                    "status": _("Only a submitted plan is decided; this one is %(status)s.")
                    % {"status": locked.get_status_display().lower()}
                }
            )
        note = _text(note, "note", limit=MAX_COMMENT, required=not approve)
        now = timezone.now()
        with scope(partner=locked.partner_id):
            revision = PlanRevision.objects.select_for_update(of=("self",)).get(
                plan=locked, number=locked.revision
            )
            revision.decision = (
                PlanRevision.Decision.APPROVED
                if approve
                else PlanRevision.Decision.CHANGES_REQUESTED
            )
            revision.decided_by = actor
            revision.decided_at = now
            revision.decision_note = note
            revision.save(update_fields=["decision", "decided_by", "decided_at", "decision_note"])
        if approve:
            locked.status = PS.APPROVED
            locked.approved_at = now
            locked.approved_by = actor
            update = ["status", "approved_at", "approved_by", "updated_at"]
        else:
            # The next submission is a new revision: this one stays with its decision.
            locked.status = PS.CHANGES_REQUESTED
            locked.revision += 1
            update = ["status", "revision", "updated_at"]
        locked.save(update_fields=update)
        event = PlanEvent(
            plan=locked,
            partner_id=locked.partner_id,
            actor=actor,
            action=Action.APPROVED if approve else Action.CHANGES_REQUESTED,
            revision=revision.number,
            detail=note[:500],
        )
        with scope(partner=locked.partner_id):
            event.save()
        _email_after_commit(event)
    return locked


def plan_approve(*, plan: Plan, actor: User, note: str = "") -> Plan:
    """Approve the submitted revision: submitted → approved.

    Rules: by a reviewer (`can_review_plan`); only a submitted plan; the revision
    records who approved it and when, and stays readable as it is whatever later edits
    do; the partner's admins and marketers are emailed.
    """
    return _decide(plan, actor, approve=True, note=note)


def plan_request_changes(*, plan: Plan, actor: User, note: str) -> Plan:
    """Send the submitted revision back: submitted → changes requested.

    Rules: by a reviewer (`can_review_plan`); only a submitted plan; a note saying what
    to change is required; the partner edits and resubmits as the next revision; the
    partner's admins and marketers are emailed.
    """
    return _decide(plan, actor, approve=False, note=note)


def plan_close(*, plan: Plan, actor: User | None, today: date | None = None) -> Plan:
    """Close the plan at the end of its period, freezing its scorecard.

    Rules: by a reviewer (`can_review_plan`), or the system (`actor` None: the daily
    job, which closes approved plans); the period has ended; the scorecard of
    `selectors.plan_scorecard` is frozen on the plan and no longer changes; a plan
    already closed is left as it is (the job may run twice); the partner is emailed.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(plan)
        if locked.status == PS.CLOSED:
            return locked
        if actor is not None and not can_review_plan(actor, locked):
            raise PermissionDenied(
                _("Only the plan's reviewer, its partner's manager or a Marketing admin close it.")
            )
        if locked.period.end >= today:
            raise ValidationError(
                {
                    "status": _("The plan closes once its period has ended (%(end)s).")
                    % {"end": locked.period.end.isoformat()}
                }
            )
        scorecard = selectors.plan_scorecard(plan=locked, today=today)
        locked.scorecard = scorecard.as_json()
        locked.status = PS.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_by = actor
        locked.save(update_fields=["scorecard", "status", "closed_at", "closed_by", "updated_at"])
        total = scorecard.weighted_total
        event = _event(
            locked,
            actor,
            Action.CLOSED,
            _("Weighted attainment: %(total)s") % {"total": "—" if total is None else f"{total} %"},
        )
        _email_after_commit(event)
    return locked


def plans_due_to_close(*, today: date | None = None) -> list[int]:
    """Ids of the approved plans whose period has ended (the daily job's list)."""
    today = today or timezone.localdate()
    with scopes_disabled():  # across partners: the system's job
        return list(
            Plan.objects.filter(status=PS.APPROVED, period__end__lt=today)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


# --- comments -------------------------------------------------------------------------------


@transaction.atomic
def comment_add(
    *, plan: Plan, actor: User, body: str, activity: PlanActivity | None = None
) -> PlanComment:
    """Comment on the plan or one of its activities.

    Rules: the partner's writers or the plan's reviewers; not on a closed plan; a body
    of at most 5,000 characters; the activity one of this plan's. The other side is
    emailed (the partner's admins and marketers, or the reviewer).
    """
    locked = _lock(plan)
    _require_execution(actor, locked)
    if locked.status == PS.CLOSED:
        raise ValidationError({"status": _("A closed plan no longer takes comments.")})
    body = _text(body, "body", limit=MAX_COMMENT, required=True)
    with scope(partner=locked.partner_id):
        if (
            activity is not None
            and not PlanActivity.objects.filter(pk=activity.pk, plan=locked).exists()
        ):
            raise ValidationError({"activity": _("This activity does not exist.")})
        comment = PlanComment.objects.create(
            plan=locked, activity=activity, partner_id=locked.partner_id, author=actor, body=body
        )
    from campaigns import tasks

    transaction.on_commit(partial(tasks.send_plan_comment_email.delay, comment.pk))
    return comment
