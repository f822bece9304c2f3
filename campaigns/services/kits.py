"""Writes of campaigns: campaign kits (staff) and partner launches.

Every write that matters goes through here, whichever entry point asks (admin,
portal, API, demo seeder). A kit's decisions each write a `CampaignKitEvent`, a
launch's status moves a `LaunchStatusChange`, in the same transaction as the change.
Errors are `django.core.exceptions.ValidationError`s keyed by the field they
concern; nothing is stored when one is raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from assets.models import Asset
from assets.services import audience_set
from campaigns import tracking
from campaigns.models import (
    CampaignKit,
    CampaignKitEvent,
    Channel,
    Launch,
    LaunchStatusChange,
    landing_url_validator,
    new_tracking_code,
)
from mdf.money import CENT, MAX_AMOUNT, known_currency
from partners.models import Partner
from partners.services import onboarding_record

KS = CampaignKit.Status
LS = Launch.Status

# Fields of a kit that `kit_create`/`kit_update` set directly.
KIT_FIELDS = (
    "name",
    "slug",
    "objective",
    "description",
    "channels",
    "start_date",
    "end_date",
    "landing_url",
    "suggested_budget",
    "currency",
    "mdf_eligible",
)
# Fields of a launch that `launch_update` changes (the status has its own service).
LAUNCH_EDITABLE_FIELDS = ("name", "notes", "channel", "start_date", "end_date")
# A tracking code is drawn again when it clashes with an existing one (about 59 bits:
# a clash is astronomically unlikely, but the unique index is what guarantees it).
CODE_ATTEMPTS = 5


# --- Kits ------------------------------------------------------------------------------


def _kit_event(kit: CampaignKit, actor: Any, action: str, detail: str = "") -> CampaignKitEvent:
    user = actor if isinstance(actor, User) and actor.pk else None
    return CampaignKitEvent.objects.create(kit=kit, actor=user, action=action, detail=detail[:300])


def _budget(value: object) -> Decimal | None:
    """A suggested budget: empty, or a decimal of 0 or more with at most two decimals."""
    if value in (None, ""):
        return None
    if isinstance(value, float | bool):
        raise ValidationError({"suggested_budget": _("Give the budget as a decimal like 2500.00.")})
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {"suggested_budget": _("Give the budget as a decimal like 2500.00.")}
        ) from None
    if not amount.is_finite():
        raise ValidationError({"suggested_budget": _("Give the budget as a decimal like 2500.00.")})
    if amount < 0:
        raise ValidationError({"suggested_budget": _("The budget cannot be negative.")})
    if amount > MAX_AMOUNT:
        raise ValidationError(
            {"suggested_budget": _("The budget is at most %(max)s.") % {"max": f"{MAX_AMOUNT:,}"}}
        )
    if amount != amount.quantize(CENT):
        raise ValidationError({"suggested_budget": _("Use at most two decimals (cents).")})
    return amount.quantize(CENT)


def kit_channels(kit: CampaignKit) -> list[str]:
    """The channels a kit offers, as a sorted list (however they were set)."""
    return list(CampaignKit._meta.get_field("channels").to_python(kit.channels))


def kit_check(kit: CampaignKit) -> None:
    """The checks a kit passes on every write, every field's error at once.

    Rules: a name; channels offered, at least one, each a known channel; the end not
    before the start; a landing page URL with http or https (never `javascript:` or
    `data:`); a known ISO 4217 currency; a budget of 0 or more with two decimals at
    most; then the model's own checks (a unique slug, lengths).
    """
    errors: dict[str, Any] = {}
    kit.name = (kit.name or "").strip()
    kit.slug = (kit.slug or "").strip() or slugify(kit.name)[:80]
    channels = kit_channels(kit)
    kit.channels = channels  # type: ignore[assignment]  # a ChoiceSetField: a list
    unknown = [channel for channel in channels if channel not in Channel.values]
    if not channels:
        errors["channels"] = _("Offer at least one channel.")
    elif unknown:
        errors["channels"] = _("Unknown channel: %(value)s.") % {"value": ", ".join(unknown)}
    dated = isinstance(kit.start_date, date) and isinstance(kit.end_date, date)
    if dated and kit.end_date < kit.start_date:
        errors["end_date"] = _("The campaign cannot end before it starts.")
    kit.landing_url = (kit.landing_url or "").strip()
    try:
        landing_url_validator(kit.landing_url)
    except ValidationError:
        errors["landing_url"] = _("Enter a web address starting with http:// or https://.")
    try:
        kit.currency = known_currency(kit.currency)
    except ValueError as exc:
        errors["currency"] = str(exc)
    try:
        kit.suggested_budget = _budget(kit.suggested_budget)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    try:
        kit.full_clean(exclude=["assets", *errors])
    except ValidationError as exc:
        exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _refuse_unknown(fields: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})


@transaction.atomic
def kit_create(
    *,
    actor: Any,
    name: str,
    objective: str,
    channels: Iterable[str],
    start_date: date,
    end_date: date,
    landing_url: str,
    assets: Iterable[Asset] = (),
    audience: dict[str, Any] | None = None,
    **fields: Any,
) -> CampaignKit:
    """Create a draft kit (partners see it once published).

    Rules: the fields pass `kit_check`; the slug defaults to the name's; the audience
    is written through the content library's `audience_set` (one definition of who
    sees shared content); a "created" event names the actor.
    """
    _refuse_unknown(fields, KIT_FIELDS)
    kit = CampaignKit(
        name=name,
        objective=objective,
        channels=list(channels),  # type: ignore[misc]  # a ChoiceSetField: a list
        start_date=start_date,
        end_date=end_date,
        landing_url=landing_url,
        status=KS.DRAFT,
        created_by=actor if isinstance(actor, User) and actor.pk else None,
        **fields,
    )
    kit_check(kit)
    kit.save()
    kit.assets.set(list(assets))
    audience_set(obj=kit, **(audience or {}))
    _kit_event(kit, actor, CampaignKitEvent.Action.CREATED)
    return kit


def _forget_kit_links(kit: CampaignKit) -> None:
    """Once the change commits, the tracking links of the kit's launches stop using
    their cached destination (`campaigns.tracking`), so the next click goes to the new
    landing page."""
    with scopes_disabled():  # every partner's launch of the kit: staff code
        codes = list(Launch.objects.filter(kit=kit).values_list("code", flat=True))
    if codes:
        transaction.on_commit(partial(tracking.forget_destinations, codes))


def _lock_kit(kit: CampaignKit) -> CampaignKit:
    return CampaignKit.objects.select_for_update(of=("self",)).get(pk=kit.pk)


@transaction.atomic
def kit_update(
    *,
    kit: CampaignKit,
    actor: Any,
    assets: Iterable[Asset] | None = None,
    audience: dict[str, Any] | None = None,
    **fields: Any,
) -> CampaignKit:
    """Change a kit's fields, bundled assets or audience (None leaves them as they are).

    Rules: the kit as changed passes `kit_check`; the slug stays once partners have
    launched the kit (it is the `utm_campaign` of their links); a change is recorded
    ("changed", naming the fields), a write that changes nothing records nothing.
    """
    _refuse_unknown(fields, KIT_FIELDS)
    locked = _lock_kit(kit)
    before = {name: getattr(locked, name) for name in fields}
    for name, value in fields.items():
        setattr(locked, name, value)
    kit_check(locked)
    changed = [name for name in fields if getattr(locked, name) != before[name]]
    if "slug" in changed:
        with scopes_disabled():  # any partner's launch: staff code, across partners
            launched = Launch.objects.filter(kit=locked).exists()
        if launched:
            raise ValidationError(
                {"slug": _("Partners have launched this kit: its slug is in their links.")}
            )
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    if {"landing_url", "slug"} & set(changed):
        _forget_kit_links(locked)
    what = list(changed)
    if assets is not None:
        wanted = {asset.pk for asset in assets}
        if wanted != set(locked.assets.values_list("pk", flat=True)):
            locked.assets.set(list(wanted))
            what.append("assets")
    if audience:
        rules = {
            "tiers": "audience_tiers",
            "regions": "audience_regions",
            "languages": "audience_languages",
            "partners": "audience_partners",
        }
        old = {
            rule: set(getattr(locked, field).values_list("pk", flat=True))
            for rule, field in rules.items()
        }
        old_types = set(locked.audience_partner_types)
        audience_set(obj=locked, **audience)
        for rule, field in rules.items():
            if (
                rule in audience
                and set(getattr(locked, field).values_list("pk", flat=True)) != old[rule]
            ):
                what.append(field)
        if "partner_types" in audience and set(locked.audience_partner_types) != old_types:
            what.append("audience_partner_types")
    if what:
        _kit_event(locked, actor, CampaignKitEvent.Action.CHANGED, ", ".join(what))
    return locked


def _kit_move(
    kit: CampaignKit, actor: Any, *, allowed_from: tuple[str, ...], to: str, action: str
) -> CampaignKit:
    with transaction.atomic():
        locked = _lock_kit(kit)
        if locked.status == to:
            return locked
        if locked.status not in allowed_from:
            raise ValidationError(
                {
                    "status": _("A %(old)s kit cannot be %(action)s.")
                    % {
                        "old": locked.get_status_display().lower(),
                        "action": CampaignKitEvent.Action(action).label.lower(),
                    }
                }
            )
        old = locked.get_status_display()
        locked.status = to
        update = ["status", "updated_at"]
        if to == KS.PUBLISHED:
            locked.published_at = timezone.now()
            update.append("published_at")
        locked.save(update_fields=update)
        _kit_event(locked, actor, action, f"{old} → {locked.get_status_display()}")
    return locked


def kit_publish(*, kit: CampaignKit, actor: Any) -> CampaignKit:
    """Publish a draft: partners in its audience see it and may launch it.

    Rules: only a draft is published (a closed kit goes back to draft first); the
    publish time is recorded (`published_at`, the kits' "newest first" order); a kit
    already published is left as it is.
    """
    return _kit_move(
        kit,
        actor,
        allowed_from=(KS.DRAFT,),
        to=KS.PUBLISHED,
        action=CampaignKitEvent.Action.PUBLISHED,
    )


def kit_close(*, kit: CampaignKit, actor: Any) -> CampaignKit:
    """Close a published kit: partners no longer see it nor launch it.

    Rules: only a published kit is closed; launches made from it stay, and their
    tracking links keep working (links in the wild must not break).
    """
    return _kit_move(
        kit,
        actor,
        allowed_from=(KS.PUBLISHED,),
        to=KS.CLOSED,
        action=CampaignKitEvent.Action.CLOSED,
    )


def kit_reopen(*, kit: CampaignKit, actor: Any) -> CampaignKit:
    """Take a closed kit back to draft, to change it and publish it again."""
    return _kit_move(
        kit, actor, allowed_from=(KS.CLOSED,), to=KS.DRAFT, action=CampaignKitEvent.Action.REOPENED
    )


# --- Launches ----------------------------------------------------------------------------


def _clean_launch(
    *, kit: CampaignKit, channel: object, start_date: object, end_date: object
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    offered = kit_channels(kit)
    if channel not in offered:
        offered_text = ", ".join(str(Channel(value).label) for value in offered)
        errors["channel"] = _("This kit is offered for: %(channels)s.") % {"channels": offered_text}
    if not isinstance(start_date, date):
        errors["start_date"] = _("Enter the date the launch starts.")
    if not isinstance(end_date, date):
        errors["end_date"] = _("Enter the date the launch ends.")
    elif isinstance(start_date, date) and end_date < start_date:
        errors["end_date"] = _("The launch cannot end before it starts.")
    if errors:
        raise ValidationError(errors)
    return {"channel": channel, "start_date": start_date, "end_date": end_date}


def _clean_text(name: str, notes: str) -> tuple[str, str]:
    name, notes = (name or "").strip(), (notes or "").strip()
    errors = {}
    if len(name) > 200:
        errors["name"] = _("The name is at most 200 characters.")
    if len(notes) > 5000:
        errors["notes"] = _("The notes are at most 5,000 characters.")
    if errors:
        raise ValidationError(errors)
    return name, notes


def launch_create(
    *,
    partner: Partner,
    kit: CampaignKit,
    actor: User,
    channel: str,
    start_date: date,
    end_date: date,
    name: str = "",
    notes: str = "",
) -> Launch:
    """A partner launches a kit: a planned launch with its own tracking link.

    Rules: the kit must be published and in the partner's audience
    (`CampaignKit.objects.available_to(partner)`; otherwise "does not exist", as for
    a missing kit); the channel one of the kit's; the end not before the start; a
    name of at most 200 characters. The tracking code is the model's unguessable
    default, drawn again on the astronomically unlikely clash with an existing one.
    The creation is the launch's first history entry ("" → planned).
    """
    if not CampaignKit.objects.available_to(partner).filter(pk=kit.pk).exists():
        raise ValidationError({"kit": _("This campaign kit does not exist.")})
    cleaned = _clean_launch(kit=kit, channel=channel, start_date=start_date, end_date=end_date)
    name, notes = _clean_text(name, notes)
    with scope(partner=partner):
        for attempt in range(CODE_ATTEMPTS):
            code = new_tracking_code()
            try:
                with transaction.atomic():
                    launch = Launch.objects.create(
                        partner=partner,
                        kit=kit,
                        code=code,
                        name=name,
                        notes=notes,
                        created_by=actor,
                        status=LS.PLANNED,
                        **cleaned,
                    )
                    LaunchStatusChange.objects.create(
                        launch=launch,
                        partner=partner,
                        actor=actor,
                        old_status="",
                        new_status=LS.PLANNED,
                    )
                    transaction.on_commit(
                        lambda: onboarding_record(
                            partner=partner, kind="launch_campaign", actor=actor
                        )
                    )
                    return launch
            except IntegrityError:
                with scopes_disabled():
                    clash = Launch.objects.filter(code=code).exists()
                if not clash or attempt == CODE_ATTEMPTS - 1:
                    raise
    raise AssertionError("unreachable")  # pragma: no cover


def _lock_launch(launch: Launch) -> Launch:
    with scope(partner=launch.partner_id):
        return (
            Launch.objects.select_for_update(of=("self",))
            .select_related("kit", "partner")
            .get(pk=launch.pk)
        )


@transaction.atomic
def launch_update(*, launch: Launch, actor: User, **changes: Any) -> Launch:
    """Change a launch's name, notes, dates or channel; the rest stays.

    Rules: a completed launch is history and no longer changes; the channel changes
    only while the launch is planned (afterwards its links are out with that medium)
    and must be one of the kit's; the end not before the start.
    """
    _refuse_unknown(changes, LAUNCH_EDITABLE_FIELDS)
    locked = _lock_launch(launch)
    if locked.status == LS.COMPLETED:
        raise ValidationError({"status": _("A completed launch no longer changes.")})
    if (
        "channel" in changes
        and changes["channel"] != locked.channel
        and locked.status != LS.PLANNED
    ):
        raise ValidationError({"channel": _("The channel changes only before the launch starts.")})
    current = {name: getattr(locked, name) for name in LAUNCH_EDITABLE_FIELDS}
    wanted = {**current, **changes}
    cleaned = _clean_launch(
        kit=locked.kit,
        channel=wanted["channel"],
        start_date=wanted["start_date"],
        end_date=wanted["end_date"],
    )
    cleaned["name"], cleaned["notes"] = _clean_text(wanted["name"], wanted["notes"])
    changed = [name for name in LAUNCH_EDITABLE_FIELDS if cleaned[name] != current[name]]
    for name in changed:
        setattr(locked, name, cleaned[name])
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    if "channel" in changed:  # the link's utm_medium
        transaction.on_commit(partial(tracking.forget_destinations, [locked.code]))
    return locked


def launch_set_status(*, launch: Launch, status: str, actor: User) -> Launch:
    """Move a launch along `Launch.TRANSITIONS` (planned → active → paused → completed).

    Rules: only the moves the table allows (a completed launch stays completed); the
    row is locked while it is checked and changed, and the move is recorded
    (`LaunchStatusChange`: who, when, old → new) in the same transaction. Paused and
    completed launches keep redirecting (their clicks are marked).
    """
    if status not in LS.values:
        raise ValidationError({"status": _("Unknown status “%(status)s”.") % {"status": status}})
    with transaction.atomic():
        locked = _lock_launch(launch)
        if not locked.can_move_to(status):
            raise ValidationError(
                {
                    "status": _("A %(old)s launch cannot become %(new)s.")
                    % {
                        "old": locked.get_status_display().lower(),
                        "new": LS(status).label.lower(),
                    }
                }
            )
        old = locked.status
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        with scope(partner=locked.partner_id):
            LaunchStatusChange.objects.create(
                launch=locked,
                partner_id=locked.partner_id,
                actor=actor,
                old_status=old,
                new_status=status,
            )
    return locked
